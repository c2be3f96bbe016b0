"""course_utils.hub: the probe is bounded, honours the HF variables, and only a Hub-like answer counts."""

import socket
import time

import pytest
from fault_servers import fault_server

from course_utils import hub


def test_offline_flag_skips_the_network():
    status = hub.hub_status()
    assert not status.reachable and "HF_HUB_OFFLINE" in status.reason and status.cause == "offline"


def test_closed_endpoint_is_unreachable_quickly(monkeypatch):
    with socket.socket() as sock:  # a free loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    status = hub.hub_status()
    assert not status.reachable and status.cause == "unreachable"
    assert f"127.0.0.1:{port}" in status.reason
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    ("shape", "code", "cause", "words"),
    [
        ("status", 403, "http-403", "代理或防火墙"),
        ("status", 407, "http-407", "代理或防火墙"),
        ("status", 503, "http-503", "服务器或网关错误"),
        ("portal", 200, "html", "门户"),
        ("silent", 0, "timeout", "超时"),
    ],
)
def test_a_non_hub_answer_is_named_for_what_it_is(monkeypatch, shape, code, cause, words):
    with fault_server(shape, code, silent_for=3) as endpoint:
        monkeypatch.delenv("HF_HUB_OFFLINE")
        monkeypatch.setenv("HF_ENDPOINT", endpoint + "/")
        monkeypatch.setenv("COURSE_HUB_TIMEOUT", "1")
        status = hub.hub_status()
    assert not status.reachable and status.endpoint == endpoint
    assert status.cause == cause and words in status.reason, status.reason
    assert "可以访问" not in status.summary


def test_hub_json_and_hub_errors_count_as_reachable():
    ok = hub._describe_http("http://h", 200, "application/json", b'{"id": "nyu-mll/glue", "sha": "abc"}', "")
    mirror_without_repo = hub._describe_http("http://h", 401, "application/json", b"", "RepoNotFound")
    wrong_json = hub._describe_http("http://h", 200, "application/json", b'["not", "a", "repo"]', "")
    assert ok.reachable and mirror_without_repo.reachable and not wrong_json.reachable
