"""What the Hugging Face caches already hold, found without touching the network.

After one online run (or with an instructor's offline pack as ``HF_HOME``),
the hub cache holds the parquet files of ``nyu-mll/glue``, the checkpoint's
snapshot, and evaluate's module cache holds the metric script. The course uses
them when the Hub cannot be reached. Lookups go through huggingface_hub's own
cache API (``scan_cache_dir``) and the libraries' configured cache folders.

:func:`cleanup_on_failure` removes the partial downloads (``*.incomplete``) a
dropped connection leaves in a repository's cache folder, so no half-written
file stays behind.
"""

from __future__ import annotations

import contextlib
import glob
import os
from dataclasses import dataclass
from pathlib import Path

# Files a checkpoint folder needs for the course: a config, weights, a vocabulary.
_WEIGHTS = ("model.safetensors", "pytorch_model.bin")
_VOCAB = ("tokenizer.json", "vocab.txt")


@dataclass(frozen=True)
class CachedFiles:
    location: str  # the snapshot folder
    files: dict[str, list[str]]  # split -> parquet paths


def hub_cache_dir() -> Path:
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def _repo_folder(repo_id: str, repo_type: str) -> Path:
    return hub_cache_dir() / f"{repo_type}s--{repo_id.replace('/', '--')}"


def _revisions(repo_id: str, repo_type: str) -> list:
    """Cached revisions of a repo, newest first (empty when nothing is cached)."""
    from huggingface_hub import scan_cache_dir

    if not _repo_folder(repo_id, repo_type).is_dir():
        return []
    try:
        info = scan_cache_dir(hub_cache_dir())
    except Exception:  # no cache yet, or one we cannot read: nothing cached
        return []
    for repo in info.repos:
        if repo.repo_id == repo_id and repo.repo_type == repo_type:
            return sorted(repo.revisions, key=lambda rev: rev.last_modified, reverse=True)
    return []


def cached_dataset_files(repo_id: str, config: str, splits: tuple[str, ...]) -> CachedFiles | None:
    """Parquet files of every split of ``config`` in the newest snapshot that has them all."""
    for revision in _revisions(repo_id, "dataset"):
        snapshot = Path(revision.snapshot_path)
        files = {split: sorted(glob.glob(str(snapshot / config / f"{split}-*.parquet"))) for split in splits}
        if all(files.values()):
            return CachedFiles(str(snapshot), files)
    return None


def cached_dataset_card(repo_id: str) -> str | None:
    """The ``README.md`` (the dataset card) of the newest cached snapshot of ``repo_id`` that has one."""
    for revision in _revisions(repo_id, "dataset"):
        card = Path(revision.snapshot_path) / "README.md"
        if card.is_file():
            return str(card)
    return None


def cached_checkpoint(model_id: str) -> str | None:
    """The newest cached snapshot folder of ``model_id`` that holds config, weights and vocabulary."""
    for revision in _revisions(model_id, "model"):
        snapshot = Path(revision.snapshot_path)
        present = {path.name for path in snapshot.iterdir() if path.is_file()}
        if "config.json" in present and present & set(_WEIGHTS) and present & set(_VOCAB):
            return str(snapshot)
    return None


def cached_metric_module(name: str = "glue") -> str | None:
    """The newest ``<name>.py`` that ``evaluate.load(name)`` left in evaluate's module cache (None without evaluate)."""
    try:
        import evaluate
    except ImportError:  # not installed yet (cu.setup() names it and the command that installs it)
        return None

    pattern = os.path.join(
        evaluate.config.HF_MODULES_CACHE, "evaluate_modules", "metrics", f"evaluate-metric--{name}", "*", f"{name}.py"
    )
    found = sorted(glob.glob(pattern), key=os.path.getmtime, reverse=True)
    return found[0] if found else None


def partial_downloads(folder: Path) -> list[Path]:
    """Half-written files (``*.incomplete``) below ``folder``."""
    return sorted(folder.rglob("*.incomplete")) if folder.is_dir() else []


@contextlib.contextmanager
def cleanup_on_failure(repo_id: str = "", repo_type: str = "", folder: Path | None = None):
    """Run a download; if it raises, delete the partial files it left, then re-raise.

    Give a Hub repository (its hub-cache folder is searched) or a ``folder``.
    """
    target = folder if folder is not None else _repo_folder(repo_id, repo_type)
    try:
        yield
    except BaseException:
        for path in partial_downloads(target):
            path.unlink(missing_ok=True)
        raise
