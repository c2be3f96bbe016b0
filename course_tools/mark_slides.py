"""Write the slide metadata that the lesson decks are built from (``python -m course_tools.build_slides``).

Every cell gets ``metadata.slideshow.slide_type``, decided by a few rules so that
an instructor's deck follows the lesson's own headings:

* the title cell and every ``## `` heading start a new slide, every ``### `` heading
  a sub-slide (reveal.js shows sub-slides below their slide);
* code cells appear one at a time (``fragment``), other markdown stays on the
  slide it belongs to (``-``);
* skipped: the Colab install cell, the ``cu.setup()`` cell, the learner's empty
  exercise cells and the hidden solutions (an instructor reveals those live in
  the notebook, not on a slide).

Usage::

    python -m course_tools.mark_slides            # mark every notebook in notebooks/
    python -m course_tools.mark_slides --check    # exit 1 if a notebook's metadata differs from the rules

Only cell metadata changes, never sources or outputs. Run it after adding or
moving cells; a test runs ``--check``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
SKIPPED_TAGS = {"exercise", "solution"}


def slide_type(cell: nbformat.NotebookNode, index: int) -> str:
    """The reveal.js role of one cell: "slide", "subslide", "fragment", "skip" or "-"."""
    source = cell.source.lstrip()
    if index == 0:
        return "slide"
    if SKIPPED_TAGS & set(cell.metadata.get("tags", [])):
        return "skip"
    if cell.cell_type == "markdown":
        if source.startswith("## "):
            return "slide"
        if source.startswith("### "):
            return "subslide"
        return "-"
    if "google.colab" in source or "cu.setup(" in source:
        return "skip"
    return "fragment"


def plan(nb: nbformat.NotebookNode) -> list[str]:
    return [slide_type(cell, index) for index, cell in enumerate(nb.cells)]


def differences(path: Path) -> list[str]:
    """Cells of ``path`` whose stored slide type differs from the rules (empty when it matches)."""
    nb = nbformat.read(path, as_version=4)
    wrong = []
    for index, (cell, wanted) in enumerate(zip(nb.cells, plan(nb), strict=True)):
        stored = cell.metadata.get("slideshow", {}).get("slide_type")
        if stored != wanted:
            wrong.append(f"{path.name} 第 {index} 格：slide_type 是 {stored!r}，规则要求 {wanted!r}")
    return wrong


def mark(path: Path) -> bool:
    """Write the planned slide types into ``path``; True when the file changed."""
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell, wanted in zip(nb.cells, plan(nb), strict=True):
        if cell.metadata.get("slideshow", {}).get("slide_type") != wanted:
            cell.metadata["slideshow"] = {"slide_type": wanted}
            changed = True
    if changed:
        tmp = path.with_suffix(".ipynb.tmp")
        nbformat.write(nb, tmp)
        tmp.replace(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="写入（或检查）笔记本的幻灯片元数据。")
    parser.add_argument("notebooks", nargs="*", type=Path, help="默认：notebooks/ 下的全部笔记本")
    parser.add_argument("--check", action="store_true", help="只检查，不写入；不一致时退出码为 1")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    if args.check:
        wrong = [line for path in paths for line in differences(path)]
        for line in wrong:
            print(line)
        if wrong:
            print("请运行 python -m course_tools.mark_slides 更新幻灯片元数据。")
        return 1 if wrong else 0
    for path in paths:
        print(f"{path.name}: {'已更新' if mark(path) else '无变化'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
