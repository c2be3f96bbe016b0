"""Fixtures for the unit tests of course_utils (notebook settings are in the root conftest.py)."""

import os
import shutil
from pathlib import Path

import pytest

import course_utils.checkpoint
import course_utils.hub

ROOT = Path(__file__).resolve().parents[1]
# Captured at import: tests may swap the module attributes for fakes.
HUB_STATUS = course_utils.hub.hub_status
CHOOSE_CHECKPOINT = course_utils.checkpoint.choose_checkpoint
MRPC_FILES = ("msr_paraphrase_train.txt", "msr_paraphrase_test.txt", "dev_ids.tsv")


def find_mrpc_dir() -> Path | None:
    """The real MRPC mirror: COURSE_DATA_DIR, else ../shared/data/glue-mrpc beside the project."""
    for candidate in (os.environ.get("COURSE_DATA_DIR"), ROOT.parent / "shared" / "data" / "glue-mrpc"):
        if candidate and all((Path(candidate) / name).is_file() for name in MRPC_FILES):
            return Path(candidate).resolve()
    return None


SST2_FILES = ("train.tsv", "dev.tsv", "test.tsv")


def find_sst2_dir() -> Path | None:
    """The real SST-2 source files: COURSE_SST2_DIR, else ../shared/data/glue-sst2 beside the project."""
    for candidate in (os.environ.get("COURSE_SST2_DIR"), ROOT.parent / "shared" / "data" / "glue-sst2"):
        if candidate and all((Path(candidate) / name).is_file() for name in SST2_FILES):
            return Path(candidate).resolve()
    return None


@pytest.fixture
def sst2_dir() -> Path:
    found = find_sst2_dir()
    if found is None:
        pytest.skip("real SST-2 source files not found: set COURSE_SST2_DIR to a folder holding them")
    return found


@pytest.fixture
def mrpc_dir() -> Path:
    found = find_mrpc_dir()
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
    HUB_STATUS.cache_clear()
    CHOOSE_CHECKPOINT.cache_clear()
    yield
    HUB_STATUS.cache_clear()
    CHOOSE_CHECKPOINT.cache_clear()
    os.environ.clear()
    os.environ.update(saved_environ)


@pytest.fixture
def hub_online(monkeypatch):
    """Pretend the Hub answered the reachability probe (no network is used)."""
    status = course_utils.hub.HubStatus(True, "https://huggingface.co", "Hub 可以访问（测试中模拟）")
    for module in ("course_utils.hub", "course_utils.data", "course_utils.checkpoint", "course_utils.metrics"):
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
