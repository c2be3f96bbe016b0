"""The repository's address, kept in one place, and the Colab links built from it.

Notebooks carry an "Open in Colab" badge and a Colab-only install cell that
both name this repository. ``python -m course_utils.links`` rewrites them from
the constants below; a test checks they agree.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

GITHUB_REPO = "hf-course-zh/chapter3-finetuning"
BRANCH = "main"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def colab_url(notebook_path: str) -> str:
    """Colab address of a notebook, given its path inside the repository."""
    return f"https://colab.research.google.com/github/{GITHUB_REPO}/blob/{BRANCH}/{notebook_path}"


def colab_badge(notebook_path: str) -> str:
    return f"[![在 Colab 中打开]({BADGE_IMAGE})]({colab_url(notebook_path)})"


def pip_source() -> str:
    """What the Colab install cell passes to pip: this repository, as a package."""
    return f"course-utils @ git+https://github.com/{GITHUB_REPO}.git@{BRANCH}"


_BADGE_RE = re.compile(r"\[!\[在 Colab 中打开\]\([^)]*\)\]\([^)]*\)")
_PIP_RE = re.compile(r"course-utils @ git\+https://github\.com/[^\"'\s]+")


def sync_notebook(path: Path, repo_root: Path) -> bool:
    """Rewrite the badge and install source of one notebook; True when it changed."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    rel = path.relative_to(repo_root).as_posix()
    changed = False
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        new = _BADGE_RE.sub(lambda _: colab_badge(rel), text)
        new = _PIP_RE.sub(lambda _: pip_source(), new)
        if new != text:
            cell["source"] = new.splitlines(keepends=True)
            changed = True
    if changed:
        path.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return changed


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path.cwd()
    changed = [p.name for p in sorted((root / "notebooks").glob("*.ipynb")) if sync_notebook(p, root)]
    print("已更新：" + ", ".join(changed) if changed else "所有笔记本的链接都已是最新。")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
