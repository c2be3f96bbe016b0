"""Fixtures for the unit tests of course_utils (notebook settings are in the root conftest.py)."""

import os
import shutil
from pathlib import Path

import pytest

import course_utils.checkpoint
import course_utils.hub
import course_utils.routes
from course_utils.glue_source import MRPC_LAYOUT

ROOT = Path(__file__).resolve().parents[1]
# Captured at import: tests may swap the module attributes for fakes.
HUB_STATUS = course_utils.hub.hub_status
FETCHED_CHECKPOINT = course_utils.checkpoint._fetched
MRPC_FILES = MRPC_LAYOUT.files


SST2_FILES = ("train.tsv", "dev.tsv", "test.tsv")


def find_source_dir(env_var: str, shared_name: str, files: tuple[str, ...]) -> Path | None:
    """Real GLUE source files: the folder ``env_var`` names, else ../shared/data/<shared_name> beside the project."""
    for candidate in (os.environ.get(env_var), ROOT.parent / "shared" / "data" / shared_name):
        if candidate and all((Path(candidate) / name).is_file() for name in files):
            return Path(candidate).resolve()
    return None


def find_mrpc_dir() -> Path | None:
    return find_source_dir("COURSE_DATA_DIR", "glue-mrpc", MRPC_FILES)


def find_sst2_dir() -> Path | None:
    return find_source_dir("COURSE_SST2_DIR", "glue-sst2", SST2_FILES)


@pytest.fixture(scope="session")
def sst2_dir() -> Path:
    found = find_sst2_dir()
    if found is None:
        pytest.skip("real SST-2 source files not found: set COURSE_SST2_DIR to a folder holding them")
    return found


@pytest.fixture(scope="session")
def real_mrpc_dir() -> Path | None:
    """The real MRPC mirror, or None; found once, before any test unsets COURSE_DATA_DIR."""
    return find_mrpc_dir()


@pytest.fixture
def mrpc_dir(real_mrpc_dir) -> Path:
    found = real_mrpc_dir
    if found is None:
        pytest.skip("real MRPC source files not found: set COURSE_DATA_DIR to a folder holding them")
    return found


@pytest.fixture
def mrpc_copy(mrpc_dir, tmp_path) -> Path:
    """A writable copy of the mirror in a temporary folder, for damaging on purpose."""
    target = tmp_path / "mirror"
    target.mkdir()
    for name in MRPC_FILES:
        shutil.copy(mrpc_dir / name, target / name)
    return target


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Each test starts offline, with an empty dataset cache and fresh cached decisions.

    The whole environment is restored afterwards too: code under test (e.g. a
    ``Dataset.map(num_proc=2)`` pool) must not leak variables into later tests.
    """
    saved_environ = dict(os.environ)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "course-cache"))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.delenv("COURSE_SST2_DIR", raising=False)
    monkeypatch.delenv("COURSE_CHECKPOINT", raising=False)
    for decision in (HUB_STATUS, FETCHED_CHECKPOINT):
        decision.cache_clear()
    course_utils.routes.forget()
    yield
    for decision in (HUB_STATUS, FETCHED_CHECKPOINT):
        decision.cache_clear()
    course_utils.routes.forget()
    os.environ.clear()
    os.environ.update(saved_environ)


@pytest.fixture
def hub_online(monkeypatch):
    """Pretend the Hub answered the reachability probe (no network is used)."""
    status = course_utils.hub.HubStatus(True, "https://huggingface.co", "Hub 可以访问（测试中模拟）")
    for module in (
        "course_utils.hub",
        "course_utils.routes",
        "course_utils.data",
        "course_utils.checkpoint",
        "course_utils.metrics",
        "course_utils.runtime",
        "course_utils.sharing",
    ):
        monkeypatch.setattr(f"{module}.hub_status", lambda: status)
    return status


@pytest.fixture(scope="session")
def tiny_bert():
    """A factory: ``tiny_bert(labels, vocab_size)`` builds a seeded one-layer BERT classifier (no download)."""
    return _tiny_bert


def _tiny_bert(labels=("0", "1"), vocab_size=30522):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=vocab_size,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        num_labels=len(labels),
        id2label=dict(enumerate(labels)),
        label2id={name: i for i, name in enumerate(labels)},
    )
    return BertForSequenceClassification(config)
