"""Build GLUE MRPC from its original source files, exactly as the Hub does.

The Hub dataset ``nyu-mll/glue`` (config ``mrpc``) is made from three files of
the Microsoft Research Paraphrase Corpus. GLUE's rule, reproduced here:

* validation = training-file rows whose ``(#1 ID, #2 ID)`` pair is listed in
  ``dev_ids.tsv``, in file order;
* train = the other training-file rows, in file order;
* test = every row of the test file;
* ``idx`` = the row's position (0-based, header excluded) in its source file.

Files are read with ``csv.QUOTE_NONE``: the sentences contain bare ``"``.
Every problem is reported with the file, the line and the fix.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from .errors import DataSourceError

HEADER = ["Quality", "#1 ID", "#2 ID", "#1 String", "#2 String"]
LABEL_NAMES = ["not_equivalent", "equivalent"]
SPLITS = ("train", "validation", "test")


@dataclass(frozen=True)
class SourceLayout:
    """Names of the three source files, and the row counts they must hold."""

    train: str
    test: str
    dev_ids: str
    # Rows expected in (train file, test file, dev_ids file); None = not checked.
    expected_rows: tuple[int, int, int] | None = None

    @property
    def files(self) -> tuple[str, str, str]:
        return (self.train, self.test, self.dev_ids)


# The real corpus, as mirrored in ../shared/data/glue-mrpc (see its README).
MRPC_LAYOUT = SourceLayout(
    train="msr_paraphrase_train.txt",
    test="msr_paraphrase_test.txt",
    dev_ids="dev_ids.tsv",
    expected_rows=(4076, 1725, 408),
)


def _fix_hint() -> str:
    return (
        "请重新获取 MRPC 原始文件（msr_paraphrase_train.txt、msr_paraphrase_test.txt、"
        "dev_ids.tsv），或取消 COURSE_DATA_DIR 让课程改用 Hub。"
    )


def _read_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as err:
        raise DataSourceError(f"数据目录 {path.parent} 里缺少文件 {path.name}。", _fix_hint()) from err
    except UnicodeDecodeError as err:
        raise DataSourceError(f"文件 {path} 不是 UTF-8 文本，无法读取（{err.reason}）。", _fix_hint()) from err
    return text.splitlines()


def read_pairs(path: Path) -> list[dict]:
    """Rows of an MRPC pair file (train or test format), checked line by line."""
    lines = _read_lines(path)
    if not lines or lines[0].split("\t") != HEADER:
        found = lines[0][:80] if lines else "（空文件）"
        raise DataSourceError(
            f"文件 {path.name} 的表头不对：应为 {' | '.join(HEADER)}，实际是 {found!r}。",
            _fix_hint(),
        )
    rows = []
    for line_no, fields in enumerate(csv.reader(lines[1:], delimiter="\t", quoting=csv.QUOTE_NONE), 2):
        if len(fields) != len(HEADER) or fields[0] not in ("0", "1"):
            raise DataSourceError(
                f"文件 {path.name} 第 {line_no} 行格式不对（应有 5 列且第一列为 0 或 1，"
                f"实际 {len(fields)} 列），文件可能被截断或改动过。",
                _fix_hint(),
            )
        rows.append(dict(zip(HEADER, fields, strict=True)))
    return rows


def read_dev_ids(path: Path) -> list[tuple[str, str]]:
    """The (#1 ID, #2 ID) pairs GLUE puts in the validation split."""
    pairs = []
    for line_no, fields in enumerate(csv.reader(_read_lines(path), delimiter="\t", quoting=csv.QUOTE_NONE), 1):
        if len(fields) != 2:
            raise DataSourceError(
                f"文件 {path.name} 第 {line_no} 行应有 2 列（两个句子 ID），实际 {len(fields)} 列。",
                _fix_hint(),
            )
        pairs.append((fields[0], fields[1]))
    return pairs


def fingerprint(folder: Path, layout: SourceLayout) -> str:
    """A short hash of the source files' bytes: the cache key of a built dataset."""
    digest = hashlib.sha256()
    for name in layout.files:
        path = folder / name
        if not path.is_file():
            raise DataSourceError(f"数据目录 {folder} 里缺少文件 {name}。", _fix_hint())
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def split_columns(folder: Path, layout: SourceLayout = MRPC_LAYOUT) -> dict[str, dict[str, list]]:
    """Column dicts for train / validation / test, built with GLUE's rule."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataSourceError(
            f"找不到数据目录 {folder}。",
            "检查 COURSE_DATA_DIR 是否指向含有 MRPC 原始文件的文件夹（例如 ../shared/data/glue-mrpc）。",
        )
    train_rows = read_pairs(folder / layout.train)
    test_rows = read_pairs(folder / layout.test)
    dev_ids = read_dev_ids(folder / layout.dev_ids)
    if layout.expected_rows is not None:
        found = (len(train_rows), len(test_rows), len(dev_ids))
        for name, want, got in zip(layout.files, layout.expected_rows, found, strict=True):
            if want != got:
                raise DataSourceError(
                    f"文件 {name} 有 {got} 行数据，MRPC 原始文件应有 {want} 行：文件不完整或不是 MRPC。",
                    _fix_hint(),
                )
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
            f"dev_ids 中有 {missing} 个句子对在 {layout.train} 里找不到：训练文件不完整或与 dev_ids 不匹配。",
            _fix_hint(),
        )
    return columns
