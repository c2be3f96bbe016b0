"""Build GLUE tasks from their original source files, exactly as the Hub does.

The Hub dataset ``nyu-mll/glue`` is built from GLUE's source files. Two of its
configs are rebuilt here, with every problem reported by file, line and fix.

MRPC (Microsoft Research Paraphrase Corpus), three files:

* validation = training-file rows whose ``(#1 ID, #2 ID)`` pair is listed in
  ``dev_ids.tsv``, in file order;
* train = the other training-file rows, in file order;
* test = every row of the test file;
* ``idx`` = the row's position (0-based, header excluded) in its source file.

SST-2 (Stanford Sentiment Treebank, binary), three files: ``train.tsv`` and
``dev.tsv`` (``sentence<TAB>label``) become train and validation; ``test.tsv``
(``index<TAB>sentence``) becomes test with label -1, as on the Hub.

Files are read with ``csv.QUOTE_NONE``: the sentences contain bare ``"``.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import DataSourceError

SPLITS = ("train", "validation", "test")
MRPC_HEADER = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]
LABEL_NAMES = ["not_equivalent", "equivalent"]
SST2_LABEL_NAMES = ["negative", "positive"]
SST2_LABELLED_HEADER = ["sentence", "label"]
SST2_TEST_HEADER = ["index", "sentence"]


@dataclass(frozen=True)
class SourceLayout:
    """Names of the three source files, and the row counts they must hold."""

    train: str
    test: str
    dev_ids: str  # MRPC: the validation ids; SST-2: the validation file (dev.tsv)
    # Rows expected in (train file, test file, third file); None = not checked.
    expected_rows: tuple[int, int, int] | None = None

    @property
    def files(self) -> tuple[str, str, str]:
        return (self.train, self.test, self.dev_ids)


# The real corpora, as mirrored in ../shared/data/glue-mrpc and glue-sst2 (see their READMEs).
MRPC_LAYOUT = SourceLayout(
    train="msr_paraphrase_train.txt",
    test="msr_paraphrase_test.txt",
    dev_ids="dev_ids.tsv",
    expected_rows=(4076, 1725, 408),
)
SST2_LAYOUT = SourceLayout(train="train.tsv", test="test.tsv", dev_ids="dev.tsv", expected_rows=(67349, 1821, 872))


def fix_hint(task: str, layout: SourceLayout, env_var: str) -> str:
    return f"请重新获取 {task} 原始文件（{'、'.join(layout.files)}），或取消环境变量 {env_var} 让课程改用 Hub 或缓存。"


def _read_lines(path: Path, fix: str) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise DataSourceError(f"数据目录 {path.parent} 里缺少文件 {path.name}。", fix) from err
    except UnicodeDecodeError as err:
        raise DataSourceError(f"文件 {path} 不是 UTF-8 文本，无法读取（{err.reason}）。", fix) from err
    return text.splitlines()


def _read_table(path: Path, header: list[str], fix: str, valid: Callable[[list[str]], bool], rule: str) -> list[dict]:
    """Rows of a tab-separated file with ``header``, each checked by ``valid``."""
    lines = _read_lines(path, fix)
    if not lines or lines[0].split("\t") != header:
        found = lines[0][:80] if lines else "（空文件）"
        raise DataSourceError(f"文件 {path.name} 的表头不对：应为 {' | '.join(header)}，实际是 {found!r}。", fix)
    rows = []
    for line_no, fields in enumerate(csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE), 2):
        if len(fields) != len(header) or not valid(fields):
            raise DataSourceError(
                f"文件 {path.name} 第 {line_no} 行格式不对（{rule}，实际 {len(fields)} 列），文件可能被截断或改动过。",
                fix,
            )
        rows.append(dict(zip(header, fields, strict=True)))
    return rows


def read_pairs(path: Path, fix: str | None = None) -> list[dict]:
    """Rows of an MRPC pair file (train or test format), checked line by line."""
    fix = fix or fix_hint("MRPC", MRPC_LAYOUT, "COURSE_DATA_DIR")
    return _read_table(path, MRPC_HEADER, fix, lambda f: f[0] in ("0", "1"), "应有 5 列且第一列为 0 或 1")


def read_dev_ids(path: Path, fix: str | None = None) -> list[tuple[str, str]]:
    """The (#1 ID, #2 ID) pairs GLUE puts in MRPC's validation split."""
    fix = fix or fix_hint("MRPC", MRPC_LAYOUT, "COURSE_DATA_DIR")
    pairs = []
    for line_no, fields in enumerate(csv.reader(_read_lines(path, fix), delimiter="\t", quoting=csv.QUOTE_NONE), 1):
        if len(fields) != 2:
            raise DataSourceError(
                f"文件 {path.name} 第 {line_no} 行应有 2 列（两个句子 ID），实际 {len(fields)} 列。", fix
            )
        pairs.append((fields[0], fields[1]))
    return pairs


def fingerprint(folder: Path, layout: SourceLayout, fix: str = "") -> str:
    """A short hash of the source files' bytes: the cache key of a built dataset."""
    digest = hashlib.sha256()
    for name in layout.files:
        path = folder / name
        if not path.is_file():
            raise DataSourceError(f"数据目录 {folder} 里缺少文件 {name}。", fix or "检查数据目录里的文件是否齐全。")
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def check_folder(folder: Path, env_var: str, task: str, example: str) -> None:
    if not folder.is_dir():
        raise DataSourceError(
            f"找不到数据目录 {folder}。",
            f"检查 {env_var} 是否指向含有 {task} 原始文件的文件夹（例如 {example}）。",
        )


def _check_counts(layout: SourceLayout, found: tuple[int, int, int], task: str, fix: str) -> None:
    if layout.expected_rows is None:
        return
    for name, want, got in zip(layout.files, layout.expected_rows, found, strict=True):
        if want != got:
            raise DataSourceError(
                f"文件 {name} 有 {got} 行数据，{task} 原始文件应有 {want} 行：文件不完整或不是 {task}。", fix
            )


def split_columns(folder: Path, layout: SourceLayout = MRPC_LAYOUT) -> dict[str, dict[str, list]]:
    """MRPC column dicts for train / validation / test, built with GLUE's rule."""
    folder = Path(folder)
    fix = fix_hint("MRPC", layout, "COURSE_DATA_DIR")
    check_folder(folder, "COURSE_DATA_DIR", "MRPC", "../shared/data/glue-mrpc")
    train_rows = read_pairs(folder / layout.train, fix)
    test_rows = read_pairs(folder / layout.test, fix)
    dev_ids = read_dev_ids(folder / layout.dev_ids, fix)
    _check_counts(layout, (len(train_rows), len(test_rows), len(dev_ids)), "MRPC", fix)
    dev_set = set(dev_ids)
    columns = {split: {"sentence1": [], "sentence2": [], "label": [], "idx": []} for split in SPLITS}

    def add(split: str, row: dict, idx: int) -> None:
        cols = columns[split]
        cols["sentence1"].append(row["#1 String"])
        cols["sentence2"].append(row["#2 String"])
        cols["label"].append(int(row["Quality"]))
        cols["idx"].append(idx)

    seen = set()
    for idx, row in enumerate(train_rows):
        pair = (row["#1 ID"], row["#2 ID"])
        seen.add(pair)
        add("validation" if pair in dev_set else "train", row, idx)
    for idx, row in enumerate(test_rows):
        add("test", row, idx)
    missing = len(dev_set - seen)
    if missing:
        raise DataSourceError(
            f"dev_ids 中有 {missing} 个句子对在 {layout.train} 里找不到：训练文件不完整或与 dev_ids 不匹配。", fix
        )
    return columns


def sst2_columns(folder: Path, layout: SourceLayout = SST2_LAYOUT) -> dict[str, dict[str, list]]:
    """SST-2 column dicts: train.tsv, dev.tsv (validation) and test.tsv (label -1)."""
    folder = Path(folder)
    fix = fix_hint("SST-2", layout, "COURSE_SST2_DIR")
    check_folder(folder, "COURSE_SST2_DIR", "SST-2", "../shared/data/glue-sst2")
    labelled_rule = "应有 2 列：句子和 0/1 标签"

    def labelled(name: str) -> list[dict]:
        return _read_table(folder / name, SST2_LABELLED_HEADER, fix, lambda f: f[1] in ("0", "1"), labelled_rule)

    train_rows, dev_rows = labelled(layout.train), labelled(layout.dev_ids)
    test_rows = _read_table(
        folder / layout.test, SST2_TEST_HEADER, fix, lambda f: f[0].isdigit(), "应有 2 列：编号和句子"
    )
    _check_counts(layout, (len(train_rows), len(test_rows), len(dev_rows)), "SST-2", fix)
    columns = {}
    for split, rows in (("train", train_rows), ("validation", dev_rows), ("test", test_rows)):
        columns[split] = {
            "sentence": [row["sentence"] for row in rows],
            "label": [int(row.get("label", -1)) for row in rows],
            "idx": list(range(len(rows))),
        }
    return columns
