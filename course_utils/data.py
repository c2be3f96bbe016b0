"""Load GLUE MRPC with the arguments of the course's ``load_dataset`` call.

``load_dataset("nyu-mll/glue", "mrpc")`` needs the Hugging Face Hub. This
module keeps that call and adds two fallbacks, tried in this order:

1. ``COURSE_DATA_DIR`` set: a local mirror of MRPC's original source files,
   built into the same DatasetDict the Hub gives and cached on disk;
2. the Hub (``HF_ENDPOINT`` and ``HF_HUB_OFFLINE`` honoured);
3. a tiny sample written for this course (same format, a few dozen pairs per
   split), announced loudly: enough to run the code, not to learn from.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .errors import DataSourceError
from .hub import hub_status
from .mrpc_source import LABEL_NAMES, MRPC_LAYOUT, SPLITS, SourceLayout, fingerprint, split_columns

SAMPLE_DIR = Path(__file__).resolve().parent / "sample_data"
SAMPLE_LAYOUT = SourceLayout(train="sample_train.tsv", test="sample_test.tsv", dev_ids="sample_dev_ids.tsv")
_GLUE_IDS = {"nyu-mll/glue", "glue"}
_CACHE_FORMAT = "v1"  # bump when the built dataset's layout changes


@dataclass(frozen=True)
class DataSource:
    kind: str  # "mirror", "hub" or "sample"
    location: str
    reason: str  # Chinese, why this source was chosen


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


def choose_data_source() -> DataSource:
    """Decide where MRPC will come from, without loading anything yet."""
    mirror = os.environ.get("COURSE_DATA_DIR", "").strip()
    if mirror:
        return DataSource("mirror", mirror, "环境变量 COURSE_DATA_DIR 指向本地 MRPC 原始文件")
    hub = hub_status()
    if hub.reachable:
        return DataSource("hub", "nyu-mll/glue", "Hub 可以访问")
    return DataSource("sample", str(SAMPLE_DIR), "Hub 不可用，且未设置 COURSE_DATA_DIR")


def cache_root() -> Path:
    """Where built datasets are kept: ``COURSE_CACHE_DIR``, else under the datasets cache."""
    custom = os.environ.get("COURSE_CACHE_DIR", "").strip()
    if custom:
        return Path(custom).expanduser()
    import datasets

    return Path(datasets.config.HF_DATASETS_CACHE) / "course_utils"


def build_from_source_files(folder: str | os.PathLike, layout: SourceLayout = MRPC_LAYOUT):
    """Build the DatasetDict from source files (no cache)."""
    from datasets import Dataset, DatasetDict

    columns = split_columns(Path(folder), layout)
    features = mrpc_features()
    return DatasetDict({split: Dataset.from_dict(columns[split], features=features) for split in SPLITS})


def load_from_source_files(folder: str | os.PathLike, layout: SourceLayout = MRPC_LAYOUT):
    """Build once, then reuse: the result is saved under :func:`cache_root`.

    A cache entry is keyed by a hash of the source files, so edited files are
    rebuilt. It is written to a temporary folder and renamed into place only
    when complete, so an interrupted build never leaves a half-written cache.
    """
    from datasets import load_from_disk

    folder = Path(folder).expanduser()
    key = fingerprint(folder, layout)
    target = cache_root() / f"glue-mrpc-{_CACHE_FORMAT}-{key}"
    if target.is_dir():
        try:
            return load_from_disk(str(target))
        except Exception:  # a damaged cache entry: build it again
            shutil.rmtree(target, ignore_errors=True)
    built = build_from_source_files(folder, layout)
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


def load_sample():
    """The course's own stand-in sample (a few dozen pairs per split)."""
    return build_from_source_files(SAMPLE_DIR, SAMPLE_LAYOUT)


def _announce(message: str) -> None:
    print(message, flush=True)


def _announce_sample(reason: str) -> None:
    bar = "!" * 60
    _announce(
        f"{bar}\n注意：{reason}。\n"
        "现在使用课程自带的小样本（每个划分只有几十个句子对），只能演示代码能运行，\n"
        "训练出的数字没有参考意义。要用完整的 MRPC：联网访问 Hub，或设置\n"
        "COURSE_DATA_DIR 指向 MRPC 原始文件所在的文件夹。\n"
        f"{bar}"
    )


def load_dataset(path: str = "nyu-mll/glue", name: str | None = "mrpc", **kwargs):
    """``datasets.load_dataset(path, name, **kwargs)`` with the course's offline fallbacks.

    For GLUE MRPC the result is the Hub's DatasetDict (train 3668 /
    validation 408 / test 1725) whichever source it came from. Any other
    dataset goes straight to ``datasets.load_dataset``.
    """
    import datasets

    if path not in _GLUE_IDS or name != "mrpc":
        return datasets.load_dataset(path, name, **kwargs)
    source = choose_data_source()
    if source.kind == "mirror":
        result = load_from_source_files(source.location)
        _announce(f"数据来源：本地 MRPC 镜像（{source.reason}）")
        return result
    if source.kind == "hub":
        hub_path = "nyu-mll/glue" if path == "glue" else path  # the bare "glue" id no longer resolves
        try:
            result = datasets.load_dataset(hub_path, name, **kwargs)
        except Exception as err:  # network dropped, proxy, rate limit...
            _announce_sample(f"从 Hub 加载 {hub_path}/{name} 失败（{type(err).__name__}: {err}）")
            return load_sample()
        _announce(f"数据来源：Hugging Face Hub（{hub_path}, {name}）")
        return result
    _announce_sample(f"{hub_status().reason}，也没有设置 COURSE_DATA_DIR")
    return load_sample()


__all__ = [
    "DataSource",
    "DataSourceError",
    "build_from_source_files",
    "cache_root",
    "choose_data_source",
    "load_dataset",
    "load_from_source_files",
    "load_sample",
    "mrpc_features",
]
