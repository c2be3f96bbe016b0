"""Load GLUE MRPC or SST-2 with the arguments of the course's ``load_dataset`` call.

``load_dataset("nyu-mll/glue", "mrpc")`` needs the Hugging Face Hub. This
module keeps that call and falls through these routes, in order, saying which
one it took and why (the ladder, and the record of the route really used,
are :mod:`course_utils.routes`'):

1. source files: ``COURSE_DATA_DIR`` (MRPC) or ``COURSE_SST2_DIR`` (SST-2)
   points at GLUE's original files, built into the Hub's exact DatasetDict
   and cached on disk;
2. the Hub (``HF_ENDPOINT`` mirrors honoured) through ``datasets.load_dataset``,
   when the probe in :mod:`course_utils.hub` found an endpoint that answers like
   a Hub;
3. the Hugging Face cache: the parquet files of ``nyu-mll/glue`` that an
   earlier online run (or an instructor's offline pack) left in the hub cache;
4. a tiny sample written for this course (same format, a few dozen rows per
   split), announced loudly: enough to run the code, not to learn from.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, routes
from .errors import DataSourceError
from .glue_source import (
    LABEL_NAMES,
    MRPC_LAYOUT,
    SPLITS,
    SST2_LABEL_NAMES,
    SST2_LAYOUT,
    SourceLayout,
    check_folder,
    fingerprint,
    fix_hint,
    split_columns,
    sst2_columns,
)
from .hub import hub_status

GLUE_REPO = "nyu-mll/glue"
SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
SAMPLE_LAYOUT = SourceLayout(train="sample_train.tsv", test="sample_test.tsv", dev_ids="sample_dev_ids.tsv")
SST2_SAMPLE_LAYOUT = SourceLayout(
    train="sample_sst2_train.tsv", test="sample_sst2_test.tsv", dev_ids="sample_sst2_dev.tsv"
)
_GLUE_IDS = {GLUE_REPO, "glue"}
_CACHE_FORMAT = "v1"  # bump when the built dataset's layout changes


def mrpc_features():
    """The Features of the Hub's MRPC: two strings, a ClassLabel and an int32 idx."""
    from datasets import ClassLabel, Features, Value

    return Features(
        {
            "sentence1": Value("string"),
            "sentence2": Value("string"),
            "label": ClassLabel(names=LABEL_NAMES),
            "idx": Value("int32"),
        }
    )


def sst2_features():
    """The Features of the Hub's SST-2: a string, a ClassLabel and an int32 idx."""
    from datasets import ClassLabel, Features, Value

    return Features({"sentence": Value("string"), "label": ClassLabel(names=SST2_LABEL_NAMES), "idx": Value("int32")})


@dataclass(frozen=True)
class GlueTask:
    """One GLUE config the course can build offline."""

    name: str  # the config name on the Hub
    title: str  # how learners read it
    env_var: str  # points at the source files
    layout: SourceLayout
    sample_layout: SourceLayout
    columns: Callable[[Path, SourceLayout], dict[str, dict[str, list]]]
    features: Callable[[], object]
    sizes: dict[str, int]  # the Hub's split sizes


TASKS = {
    "mrpc": GlueTask(
        "mrpc",
        "MRPC",
        "COURSE_DATA_DIR",
        MRPC_LAYOUT,
        SAMPLE_LAYOUT,
        split_columns,
        mrpc_features,
        {"train": 3668, "validation": 408, "test": 1725},
    ),
    "sst2": GlueTask(
        "sst2",
        "SST-2",
        "COURSE_SST2_DIR",
        SST2_LAYOUT,
        SST2_SAMPLE_LAYOUT,
        sst2_columns,
        sst2_features,
        {"train": 67349, "validation": 872, "test": 1821},
    ),
}


def _task(name: str) -> GlueTask:
    try:
        return TASKS[name]
    except KeyError as err:
        raise DataSourceError(
            f"course_utils 只为 GLUE 的 {'、'.join(TASKS)} 准备了离线路线，不认识 {name!r}。",
            "其他配置请直接用 datasets.load_dataset（需要能访问 Hub）。",
        ) from err


def _cached_route(task: GlueTask, why: str) -> routes.Route | None:
    cached = cache.cached_dataset_files(GLUE_REPO, task.name, SPLITS)
    if cached is None:
        return None
    kind = routes.offline_kind()
    return routes.Route(
        f"data:{task.name}",
        kind,
        cached.location,
        f"{why}；使用{routes.KINDS[kind]}里的 {GLUE_REPO}/{task.name}",
        f"{routes.KINDS[kind]}里的 {GLUE_REPO}（{task.name}）",
    )


def _sample_route(task: GlueTask, why: str) -> routes.Route:
    return routes.Route(
        f"data:{task.name}",
        "embedded",
        str(SAMPLE_DIR),
        f"{why}，缓存里没有 {GLUE_REPO}/{task.name}，也没有设置 {task.env_var}",
        f"课程自带的 {task.title} 小样本（仅演示）",
    )


def choose_data_source(name: str = "mrpc") -> routes.Route:
    """The route a GLUE config takes in this process: decided once (nothing is loaded here), then as recorded.

    After :func:`load_dataset` had to fall back, this returns the route it really used.
    """
    task = _task(name)

    def explicit() -> routes.Route | None:
        folder = os.environ.get(task.env_var, "").strip()
        if not folder:
            return None
        return routes.Route(
            f"data:{name}",
            "source",
            folder,
            f"环境变量 {task.env_var} 指向本地 {task.title} 原始文件",
            f"{task.title} 原始文件",
        )

    def online() -> routes.Route:
        kind = routes.online_kind()
        label = f"{routes.KINDS[kind]} 上的 {GLUE_REPO}（{name}）"
        return routes.Route(f"data:{name}", kind, GLUE_REPO, hub_status().reason, label)

    return routes.decide(
        f"data:{name}",
        explicit=explicit,
        online=online,
        cached=lambda why: _cached_route(task, why),
        embedded=lambda why: _sample_route(task, why),
    )


def use_source_files(name: str, folder: str | os.PathLike) -> routes.Route:
    """Take GLUE's source files in ``folder`` for config ``name`` in this process (what ``--data-dir`` does)."""
    task = _task(name)
    return routes.record(
        routes.Route(
            f"data:{name}",
            "source",
            str(Path(folder).expanduser().resolve()),
            "命令行参数 --data-dir 指向本地原始文件",
            f"{task.title} 原始文件",
        )
    )


def cache_root() -> Path:
    """Where built datasets are kept: ``COURSE_CACHE_DIR``, else under the datasets cache."""
    custom = os.environ.get("COURSE_CACHE_DIR", "").strip()
    if custom:
        return Path(custom).expanduser()
    import datasets

    return Path(datasets.config.HF_DATASETS_CACHE) / "course_utils"


def build_from_source_files(folder: str | os.PathLike, layout: SourceLayout = MRPC_LAYOUT, name: str = "mrpc"):
    """Build the DatasetDict from source files (no cache)."""
    from datasets import Dataset, DatasetDict

    task = _task(name)
    columns = task.columns(Path(folder), layout)
    features = task.features()
    return DatasetDict({split: Dataset.from_dict(columns[split], features=features) for split in SPLITS})


def load_from_source_files(folder: str | os.PathLike, layout: SourceLayout | None = None, name: str = "mrpc"):
    """Build once, then reuse: the result is saved under :func:`cache_root`.

    A cache entry is keyed by a hash of the source files, so edited files are
    rebuilt. It is written to a temporary folder and renamed into place only
    when complete, so an interrupted build never leaves a half-written cache.
    """
    from datasets import load_from_disk

    task = _task(name)
    layout = layout or task.layout
    folder = Path(folder).expanduser()
    check_folder(folder, task.env_var, task.title, f"../shared/data/glue-{name}")
    key = fingerprint(folder, layout, fix_hint(task.title, layout, task.env_var))
    target = cache_root() / f"glue-{name}-{_CACHE_FORMAT}-{key}"
    if target.is_dir():
        try:
            return load_from_disk(str(target))
        except Exception:  # a damaged cache entry: build it again
            shutil.rmtree(target, ignore_errors=True)
    built = build_from_source_files(folder, layout, name)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=target.parent))
    try:
        built.save_to_disk(str(tmp / "data"))
        os.replace(tmp / "data", target)
    except OSError:
        if not target.is_dir():  # another process may have won the race
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return load_from_disk(str(target))


def load_from_cache(name: str = "mrpc"):
    """The real ``nyu-mll/glue`` config from parquet files in the Hugging Face hub cache, or None."""
    from datasets import load_dataset as hf_load_dataset

    cached = cache.cached_dataset_files(GLUE_REPO, name, SPLITS)
    if cached is None:
        return None
    features = _task(name).features()
    return hf_load_dataset("parquet", data_files=cached.files, features=features)


def load_sample(name: str = "mrpc"):
    """The course's own stand-in sample (a few dozen rows per split)."""
    task = _task(name)
    return build_from_source_files(SAMPLE_DIR, task.sample_layout, name)


def _announce(message: str) -> None:
    print(message, flush=True)


def _announce_sample(task: GlueTask, reason: str) -> None:
    bar = "!" * 60
    _announce(
        f"{bar}\n注意：{reason}。\n"
        "现在使用课程自带的小样本（每个划分只有几十条），只能演示代码能运行，\n"
        f"训练出的数字没有参考意义。要用完整的 {task.title}：联网访问 Hub（或设置 HF_ENDPOINT 用镜像），\n"
        f"使用讲师准备的离线包，或设置 {task.env_var} 指向 {task.title} 原始文件所在的文件夹。\n"
        f"{bar}"
    )


def _from_cache_or_sample(task: GlueTask, route: routes.Route):
    if route.kind in ("cache", "pack"):
        try:
            result = load_from_cache(task.name)
        except Exception as err:  # a damaged cache entry: say so and go on
            _announce(f"本地缓存里的 {GLUE_REPO}/{task.name} 读不出来（{type(err).__name__}: {err}）。")
            result = None
        if result is not None:
            _announce(f"数据来源：{route.describe()}")
            return result
        route = routes.record(_sample_route(task, f"{route.reason}，但读不出来"))
    _announce_sample(task, route.reason)
    return load_sample(task.name)


def load_dataset(path: str = GLUE_REPO, name: str | None = "mrpc", **kwargs):
    """``datasets.load_dataset(path, name, **kwargs)`` with the course's offline routes.

    For GLUE MRPC and SST-2 the result is the Hub's DatasetDict whichever
    route it came from, and the route it really came from is recorded
    (:func:`course_utils.routes.used`). Any other dataset goes straight to
    ``datasets.load_dataset``.
    """
    import datasets

    if path not in _GLUE_IDS or name not in TASKS:
        return datasets.load_dataset(path, name, **kwargs)
    task = TASKS[name]
    route = choose_data_source(name)
    if route.kind == "source":
        result = load_from_source_files(route.location, name=name)
        _announce(f"数据来源：{route.describe()}")
        return result
    if route.kind in ("hub", "endpoint"):
        try:
            with cache.cleanup_on_failure(GLUE_REPO, "dataset"):
                result = datasets.load_dataset(GLUE_REPO, name, **kwargs)  # the bare "glue" id no longer resolves
        except Exception as err:  # network dropped, proxy, rate limit...
            why = f"从 Hub 加载 {GLUE_REPO}/{name} 失败（{type(err).__name__}: {err}）"
            route = routes.fall_back(
                route.resource,
                why,
                cached=lambda reason: _cached_route(task, reason),
                embedded=lambda reason: _sample_route(task, reason),
            )
            return _from_cache_or_sample(task, route)
        _announce(f"数据来源：{route.label}（{hub_status().endpoint}）")
        return result
    return _from_cache_or_sample(task, route)


# ---------------------------------------------------------------- the dataset card

CARD_SOURCES = {
    "hub": "Hub 上的数据集卡片",
    "cache": "本地缓存里的数据集卡片（之前从 Hub 下载的 README.md）",
    "info": "load_dataset 返回的数据集信息（info 和 features）",
}
_SUMMARY_CHARS = 320


@dataclass(frozen=True)
class DatasetCardView:
    """What a dataset card says about one config, and where it was read.

    ``source`` is "hub" (``DatasetCard.load`` on the Hub or an ``HF_ENDPOINT``
    mirror), "cache" (the card an earlier download left in the hub cache) or
    "info" (no card: the ``info`` and ``features`` the loaded dataset carries,
    which hold the same columns and splits as the card's YAML).
    """

    repo_id: str
    config: str | None
    source: str
    reason: str  # Chinese: why this source
    features: object = None  # datasets.Features, or None when unknown
    split_sizes: dict[str, int] = field(default_factory=dict)
    pretty_name: str = ""
    license: str = ""
    task_categories: tuple[str, ...] = ()
    task_ids: tuple[str, ...] = ()
    summary: str = ""  # a paragraph of the card's text about the config, or info.description
    citation: str = ""
    card: object = None  # the huggingface_hub DatasetCard, when one was read

    @property
    def label_names(self) -> list[str]:
        """The names of the ``label`` column's classes, or an empty list."""
        label = (self.features or {}).get("label")
        return list(getattr(label, "names", []) or [])

    def text(self) -> str:
        where = CARD_SOURCES[self.source]
        if self.source == "hub":
            where += f"（DatasetCard.load({self.repo_id!r})）"
        lines = [
            f"数据集卡片：{self.repo_id}" + (f" · 配置 {self.config}" if self.config else ""),
            f"读的是：{where}——{self.reason}",
        ]
        card_fields = [
            ("名称", self.pretty_name),
            ("任务类别", "、".join(self.task_categories)),
            ("具体任务", "、".join(self.task_ids)),
            ("许可证", self.license),
            ("说明", self.summary),
            ("引用", self.citation),
        ]
        present = [(name, value) for name, value in card_fields if value]
        lines += [f"{name}：{value}" for name, value in present]
        missing = [name for name, value in card_fields if not value]
        if missing:
            lines.append(
                f"{'、'.join(missing)}：这份数据没有附带"
                + ("（它们写在 Hub 上卡片的正文和 YAML 里；离线时只带列和划分）" if self.source == "info" else "")
            )
        if self.features:
            lines.append("列（features）：")
            width = max(len(name) for name in self.features)
            lines += [f"  {name:<{width}}  {feature!r}" for name, feature in self.features.items()]
        if self.split_sizes:
            sizes = " · ".join(f"{split} {rows} 行" for split, rows in self.split_sizes.items())
            lines.append(f"划分（splits）：{sizes}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()


def _card_paragraph(text: str, config: str | None) -> str:
    """The first plain paragraph under a heading named ``config`` (else "Dataset Summary", else the first one)."""
    lines = text.splitlines()

    def paragraph_after(start: int) -> str:
        found: list[str] = []
        for line in lines[start:]:
            stripped = line.strip()
            if stripped.startswith("#"):
                if found:
                    break
                continue
            if not stripped:
                if found:
                    break
                continue
            if stripped[0] in "-*|<[!`>" or re.match(r"\d+[.)]\s", stripped):
                if found:
                    break
                continue
            found.append(stripped)
        return " ".join(found)

    def heading(name: str) -> int | None:
        for index, line in enumerate(lines):
            if line.lstrip().startswith("#") and line.strip("# \t").lower() == name.lower():
                return index + 1
        return None

    for name in (config, "Dataset Summary"):
        if name and (start := heading(name)) is not None and (found := paragraph_after(start)):
            break
    else:
        found = paragraph_after(0)
    return found if len(found) <= _SUMMARY_CHARS else found[: _SUMMARY_CHARS - 1] + "…"


def _as_text(value) -> str:
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    return str(value or "")


def _sizes(raw_datasets) -> dict[str, int]:
    try:
        return {str(split): int(rows) for split, rows in dict(raw_datasets.num_rows).items()}
    except (AttributeError, TypeError, ValueError):
        return {}


def _view_from_card(card, source: str, reason: str, repo_id: str, config: str | None, raw_datasets) -> DatasetCardView:
    from datasets.info import DatasetInfosDict

    data = card.data
    infos = DatasetInfosDict.from_dataset_card_data(data)
    info = infos.get(config or "default") or (next(iter(infos.values())) if len(infos) == 1 else None)
    features = getattr(info, "features", None)
    splits = getattr(info, "splits", None) or {}
    sizes = {str(name): int(split.num_examples) for name, split in splits.items()}
    if features is None and raw_datasets is not None:
        features = raw_datasets["train"].features
    if not sizes and raw_datasets is not None:
        sizes = _sizes(raw_datasets)
    return DatasetCardView(
        repo_id,
        config,
        source,
        reason,
        features=features,
        split_sizes=sizes,
        pretty_name=_as_text(data.get("pretty_name")),
        license=_as_text(data.get("license")),
        task_categories=tuple(data.get("task_categories") or ()),
        task_ids=tuple(data.get("task_ids") or ()),
        summary=_card_paragraph(card.text, config),
        card=card,
    )


def _view_from_info(raw_datasets, reason: str, repo_id: str, config: str | None) -> DatasetCardView:
    if raw_datasets is None:
        return DatasetCardView(repo_id, config, "info", f"{reason}；没有传入 raw_datasets，也读不到它的 info")
    split = "train" if "train" in raw_datasets else next(iter(raw_datasets))
    info = raw_datasets[split].info
    return DatasetCardView(
        repo_id,
        config,
        "info",
        f"{reason}；改读 raw_datasets[{split!r}].info 和 features（和卡片 YAML 里的列、划分是同一份元数据）",
        features=raw_datasets[split].features,
        split_sizes=_sizes(raw_datasets),
        pretty_name=_as_text(info.dataset_name),
        license=_as_text(info.license),
        summary=_as_text(info.description).strip(),
        citation=_as_text(info.citation).strip(),
    )


def _card_from_hub(repo_id: str):
    from huggingface_hub import DatasetCard

    return DatasetCard.load(repo_id)


def _card_from_cache(repo_id: str):
    from huggingface_hub import DatasetCard

    path = cache.cached_dataset_card(repo_id)
    return DatasetCard.load(Path(path)) if path else None


def load_dataset_card(repo_id: str = GLUE_REPO, config: str | None = "mrpc", raw_datasets=None) -> DatasetCardView:
    """``huggingface_hub.DatasetCard.load(repo_id)`` with the course's offline routes, summarised for ``config``.

    On the Hub (or an ``HF_ENDPOINT`` mirror) the real card is read; without
    one, the card an earlier download left in the cache; without that, the
    ``info`` and ``features`` of ``raw_datasets`` (what ``load_dataset``
    returned). The view says which one it used and why; a failed download falls
    through to the next source with the reason, never a traceback.
    """
    status = hub_status()
    why = status.reason
    if status.reachable:
        try:
            with cache.cleanup_on_failure(repo_id, "dataset"):
                card = _card_from_hub(repo_id)
            return _view_from_card(card, "hub", status.reason, repo_id, config, raw_datasets)
        except Exception as err:  # network dropped, a mirror without the card, a card we cannot parse
            why = f"从 Hub 读取 {repo_id} 的卡片失败（{type(err).__name__}）"
    try:
        card = _card_from_cache(repo_id)
        if card is not None:
            return _view_from_card(card, "cache", why, repo_id, config, raw_datasets)
        why += "，本地缓存里也没有这张卡片"
    except Exception as err:  # a damaged cached card: say so and use the loaded data
        why += f"，本地缓存里的卡片读不出来（{type(err).__name__}）"
    return _view_from_info(raw_datasets, why, repo_id, config)


__all__ = [
    "CARD_SOURCES",
    "DatasetCardView",
    "load_dataset_card",
    "TASKS",
    "DataSourceError",
    "GlueTask",
    "build_from_source_files",
    "cache_root",
    "choose_data_source",
    "load_dataset",
    "load_from_cache",
    "load_from_source_files",
    "load_sample",
    "use_source_files",
    "mrpc_features",
    "sst2_features",
]
