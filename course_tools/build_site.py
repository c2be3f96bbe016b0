"""Build the course site: the notebooks as committed (stored outputs, nothing executed) as static HTML.

    python -m course_tools.build_site      # into build/site
    python -m http.server -d build/site    # serve it; students open http://<teacher-ip>:8000

The Sphinx source tree is staged in ``build/site-src`` from ``site/`` (conf.py,
static files), the lessons (each with a download link under its title; the
original ``.ipynb`` is copied next to its page) and the generated pages of
``course_tools.site_pages`` (home, routes, glossary, instructor guide). Files are
written only when their content changed, so a second build is incremental.
Everything the site loads is local: it works without internet.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import shutil
import sys
import time
from pathlib import Path

from course_tools import site_pages

ROOT = Path(__file__).resolve().parents[1]
SITE_CONFIG = ROOT / "site"
OUTPUT = ROOT / "build" / "site"
NEEDED = {"sphinx": "sphinx", "myst_nb": "myst-nb", "sphinx_book_theme": "sphinx-book-theme", "jieba": "jieba"}


def missing_packages() -> list[str]:
    return [package for module, package in NEEDED.items() if importlib.util.find_spec(module) is None]


def write_if_changed(path: Path, data: bytes) -> None:
    """Keep the old file (and its mtime) when nothing changed: Sphinx then skips the page."""
    if path.is_file() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def lesson_for_site(path: Path) -> bytes:
    """The notebook as the site shows it: a download line inserted under the title cell."""
    nb = site_pages.read_notebook(path)
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            cell["source"] = site_pages.local_badge(site_pages.cell_text(cell), "../_static/colab-badge.svg")
    note = {
        "cell_type": "markdown",
        "id": "course-download",
        "metadata": {},
        "source": site_pages.download_note(path.name),
    }
    nb["cells"].insert(1, note)
    return (json.dumps(nb, ensure_ascii=False, indent=1) + "\n").encode("utf-8")


def stage(stage_dir: Path) -> list[Path]:
    """Write the Sphinx source tree; returns every file it holds."""
    files: dict[Path, bytes] = {}
    sources = [SITE_CONFIG / "conf.py", SITE_CONFIG / "search_words.txt", *(SITE_CONFIG / "_static").rglob("*")]
    for source in sources:
        if source.is_file():
            files[stage_dir / source.relative_to(SITE_CONFIG)] = source.read_bytes()
    for path in site_pages.lesson_notebooks():
        files[stage_dir / "notebooks" / path.name] = lesson_for_site(path)
        files[stage_dir / "_extra" / "notebooks" / path.name] = path.read_bytes()
    pages = {
        "index.md": site_pages.home_page(),
        "routes.md": site_pages.routes_page(),
        "glossary.md": site_pages.glossary_page(),
        "instructor.md": site_pages.instructor_page(),
    }
    for name, text in pages.items():
        files[stage_dir / name] = text.encode("utf-8")
    for path, data in files.items():
        write_if_changed(path, data)
    for old in [p for p in stage_dir.rglob("*") if p.is_file() and p not in files]:
        old.unlink()  # a page removed from the course leaves the site too
    return sorted(files)


def run_sphinx(stage_dir: Path, out: Path, doctrees: Path) -> int:
    import jieba
    from sphinx.cmd.build import build_main

    jieba.setLogLevel(logging.WARNING)  # no dictionary-loading chatter
    return build_main(["-q", "-b", "html", "-d", str(doctrees), str(stage_dir), str(out)])


def summary(out: Path, seconds: float) -> str:
    pages = sorted(out.rglob("*.html"))
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return f"网站已生成：{out}（{len(pages)} 个 HTML 页面，共 {size / 1e6:.1f} MB，用时 {seconds:.1f} 秒）"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUTPUT, help="output folder (default: build/site)")
    parser.add_argument("--clean", action="store_true", help="rebuild everything instead of only what changed")
    args = parser.parse_args(argv)
    missing = missing_packages()
    if missing:
        print(
            f"缺少建站需要的包：{', '.join(missing)}。请先运行：pip install -r requirements-site.txt", file=sys.stderr
        )
        return 2
    started = time.monotonic()
    out = args.out.resolve()
    stage_dir = out.parent / (out.name + "-src")
    doctrees = out.parent / (out.name + "-doctrees")
    if args.clean:
        for folder in (stage_dir, doctrees, out):
            shutil.rmtree(folder, ignore_errors=True)
    try:
        stage(stage_dir)
    except ValueError as err:
        print(f"无法生成网站页面：{err}", file=sys.stderr)
        return 1
    status = run_sphinx(stage_dir, out, doctrees)
    if status:
        print("Sphinx 构建失败，见上面的报错。", file=sys.stderr)
        return status
    for template in (out / "_static").glob("*macros.html"):
        template.unlink()  # the themes' Jinja macro files, copied as static files but never used by a page
    print(summary(out, time.monotonic() - started))
    print(f"在教室里共享：python -m http.server -d {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
