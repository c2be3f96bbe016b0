"""cu.ready_to_push (lesson 04): trainer.push_to_hub() runs only with a token, a reachable Hub and upload=True.

Every "no" is a Chinese sentence and False, never a traceback, and the checks go
cheapest first: without a token nothing touches the network at all (a listening
socket stands in for the Hub and must see no connection).
"""

from __future__ import annotations

import socket

import httpx
import huggingface_hub
import pytest
from huggingface_hub import constants
from huggingface_hub.errors import HfHubHTTPError

import course_utils as cu
import course_utils.hub
import course_utils.sharing as sharing

WRITE_USER = {"name": "learner", "auth": {"accessToken": {"role": "write"}}}


@pytest.fixture
def no_token(monkeypatch, tmp_path):
    """No token anywhere: no HF_TOKEN, no token file, no OIDC exchange."""
    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "HF_OIDC_RESOURCE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_course_test_token")


@pytest.fixture
def listening_hub(monkeypatch):
    """HF_ENDPOINT at a socket on 127.0.0.1 that listens but never answers; yields the socket."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(8)
        server.setblocking(False)
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{server.getsockname()[1]}")
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("COURSE_HUB_TIMEOUT", "1")
        course_utils.hub.hub_status.cache_clear()
        yield server


def _connections(server: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = server.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def _no_whoami(*args, **kwargs):
    raise AssertionError("whoami must not be called")


def test_listening_hub_sees_a_probe(listening_hub, token):
    """The socket does notice a client: the check in the next test can fail."""
    assert not cu.ready_to_push(upload=True, verbose=False)  # the probe times out: no answer
    assert _connections(listening_hub) >= 1


def test_without_a_token_nothing_is_uploaded_and_nothing_is_asked(listening_hub, no_token, monkeypatch, capsys):
    monkeypatch.setattr(huggingface_hub, "whoami", _no_whoami)
    assert cu.ready_to_push(upload=True) is False
    out = capsys.readouterr().out
    assert out.startswith("没有上传到 Hub：没有找到 Hugging Face 令牌")
    assert "hf auth login" in out and "notebook_login()" in out and "HF_TOKEN" in out
    assert "Traceback" not in out
    assert _connections(listening_hub) == 0


def test_offline_says_why(token, monkeypatch, capsys):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    course_utils.hub.hub_status.cache_clear()
    monkeypatch.setattr(huggingface_hub, "whoami", _no_whoami)
    assert cu.ready_to_push(upload=True) is False
    out = capsys.readouterr().out
    assert "没有上传到 Hub" in out and "HF_HUB_OFFLINE=1" in out


def test_unreachable_hub_says_why(token, monkeypatch, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]  # nothing listens there once the socket is closed
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{closed_port}")
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    course_utils.hub.hub_status.cache_clear()
    monkeypatch.setattr(huggingface_hub, "whoami", _no_whoami)
    assert cu.ready_to_push(upload=True) is False
    out = capsys.readouterr().out
    assert "没有上传到 Hub：连不上 Hub" in out and str(closed_port) in out


def test_upload_false_is_the_last_word(token, hub_online, monkeypatch, capsys):
    monkeypatch.setattr(huggingface_hub, "whoami", _no_whoami)
    assert cu.ready_to_push() is False
    assert "upload 改成 True" in capsys.readouterr().out


def test_a_refused_token_is_explained_with_the_library_error(token, hub_online, monkeypatch, capsys):
    url = "https://huggingface.co/api/whoami-v2"

    def refuse(token=None, **kwargs):
        answer = httpx.Response(401, request=httpx.Request("GET", url))
        raise HfHubHTTPError(f"401 Client Error: Unauthorized for url: {url}", response=answer)

    monkeypatch.setattr(huggingface_hub, "whoami", refuse)
    assert cu.ready_to_push(upload=True) is False
    out = capsys.readouterr().out
    assert "不接受这个令牌" in out and "English: HfHubHTTPError: 401 Client Error" in out


def test_a_read_only_token_cannot_upload(token, hub_online, monkeypatch, capsys):
    read_only = {"name": "learner", "auth": {"accessToken": {"role": "read"}}}
    monkeypatch.setattr(huggingface_hub, "whoami", lambda token=None, **kw: read_only)
    assert cu.ready_to_push(upload=True) is False
    assert "只有 read 权限" in capsys.readouterr().out


def test_everything_in_place_says_where_it_goes(token, hub_online, monkeypatch, capsys):
    seen = []
    monkeypatch.setattr(huggingface_hub, "whoami", lambda token=None, **kw: seen.append(token) or WRITE_USER)
    assert cu.ready_to_push(upload=True) is True
    assert seen == ["hf_course_test_token"]
    assert "learner" in capsys.readouterr().out


def test_the_lesson_calls_push_to_hub_only_behind_the_check():
    import json
    from pathlib import Path

    notebook = json.loads((Path(__file__).resolve().parents[1] / "notebooks" / "04_trainer.ipynb").read_text("utf-8"))
    code = ["".join(cell["source"]) for cell in notebook["cells"] if cell["cell_type"] == "code"]
    pushing = [source for source in code if "push_to_hub(" in source]
    assert len(pushing) == 1, pushing
    lines = pushing[0].splitlines()
    assert lines[0].startswith("upload = False")
    assert lines[1].startswith("if cu.ready_to_push(upload):") and lines[2].startswith("    trainer.push_to_hub(")
    assert sharing.ready_to_push is cu.ready_to_push
