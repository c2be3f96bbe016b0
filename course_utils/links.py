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


def install_cell() -> str:
    """The source of every notebook's first code cell: install the course on Colab only, then check for a restart.

    pip keeps Colab's torch (course-utils does not depend on torch) and upgrades what is older
    than the course's ranges; ``check_restart`` says when a library was imported before it was upgraded.
    """
    return (
        "# 只在 Google Colab 里执行：安装课程辅助包 course_utils 及它需要的库。\n"
        "# Colab 自带的 torch 不会被替换（course_utils 不锁定 torch 版本）。\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        f'    %pip install -q "{pip_source()}"\n'
        "    from course_utils.runtime import check_restart\n"
        "\n"
        "    check_restart()  # 安装前就已导入、又被升级了的库：提示先重启会话"
    )


_BADGE_RE = re.compile(r"\[!\[在 Colab 中打开\]\([^)]*\)\]\([^)]*\)")


def sync_notebook(path: Path, repo_root: Path) -> bool:
    """Rewrite the badge and the install cell of one notebook; True when it changed."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    rel = path.relative_to(repo_root).as_posix()
    changed = False
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        new = _BADGE_RE.sub(lambda _: colab_badge(rel), text)
        if cell["cell_type"] == "code" and 'if "google.colab" in sys.modules:' in text:
            new = install_cell()
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
