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
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
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


__all__ = [
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
