"""Build one reveal.js deck per lesson from the notebooks' slide metadata.

    npm ci                                 # once: the local reveal.js of package.json
    python -m course_tools.build_slides    # into build/slides (index.html lists the decks)
    python -m http.server -d build/slides

Cells become slides by their ``metadata.slideshow.slide_type`` (written by
``python -m course_tools.mark_slides``); nbconvert's SlidesExporter renders them with the
template in ``site/slides_template`` (every script local, nothing from a CDN).
For the deck, not for the notebook: code outputs longer than
``MAX_OUTPUT_LINES`` lines (training logs, long tables) become a one-line note,
and interactive widgets show their static view. reveal.js is copied from
``node_modules/reveal.js`` into ``build/slides/reveal.js``.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import sys
import time
from pathlib import Path

import nbformat
from nbconvert import SlidesExporter

from course_tools import site_pages

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "build" / "slides"
REVEAL = ROOT / "node_modules" / "reveal.js"
TEMPLATES = ROOT / "site"
TEMPLATE_NAME = "slides_template"
THEME, THEME_FONTS = "white", "source-sans-pro"  # white.css loads only its local Source Sans Pro
MAX_OUTPUT_LINES = 15
BADGE_NAME = "colab-badge.svg"  # copied next to the decks: offline, Google's badge image would not load
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
LONG_OUTPUT_NOTE = "（这里的输出共 {lines} 行，幻灯片里省略；完整输出见笔记本或课程网站。）"


def expected_reveal_version() -> str:
    return json.loads((ROOT / "package.json").read_text(encoding="utf-8"))["dependencies"]["reveal.js"]


def reveal_problem() -> str | None:
    """Why the local reveal.js cannot be used (in Chinese), or None when it is there in the pinned version."""
    installed = REVEAL / "package.json"
    if not installed.is_file():
        return "没有找到本地的 reveal.js（node_modules/reveal.js）。请先在仓库根目录运行：npm ci"
    version, wanted = json.loads(installed.read_text(encoding="utf-8"))["version"], expected_reveal_version()
    if version != wanted:
        return f"node_modules 里的 reveal.js 是 {version}，package.json 要求 {wanted}。请在仓库根目录运行：npm ci"
    return None


def copy_reveal(out: Path) -> None:
    """The files the decks load: reveal.js and its CSS, the theme with its fonts, the speaker-notes plugin.

    Only the theme in use is copied: several other reveal.js themes load their fonts from Google Fonts.
    """
    target = out / "reveal.js"
    shutil.rmtree(target, ignore_errors=True)
    (target / "dist" / "theme").mkdir(parents=True)
    for name in ("reveal.js", "reveal.css", "reset.css"):
        shutil.copy2(REVEAL / "dist" / name, target / "dist" / name)
    shutil.copy2(REVEAL / "dist" / "theme" / f"{THEME}.css", target / "dist" / "theme" / f"{THEME}.css")
    fonts = REVEAL / "dist" / "theme" / "fonts" / THEME_FONTS
    shutil.copytree(fonts, target / "dist" / "theme" / "fonts" / THEME_FONTS)
    skip = shutil.ignore_patterns("*.esm.js")
    shutil.copytree(REVEAL / "plugin" / "notes", target / "plugin" / "notes", ignore=skip)
    shutil.copy2(REVEAL / "LICENSE", target / "LICENSE")


def text_lines(output: nbformat.NotebookNode) -> int:
    """How many lines an output takes on a slide (images count as none)."""
    if output.output_type == "stream":
        return len(output.text.splitlines())
    if output.output_type == "error":
        return len(output.get("traceback", []))
    data = output.get("data", {})
    if any(key.startswith("image/") for key in data):
        return 0
    if "text/html" in data:
        return max(1, len(re.findall(r"<tr[\s>]", data["text/html"])), len(data.get("text/plain", "").splitlines()))
    return len(data.get("text/plain", "").splitlines())


def shorten_outputs(cell: nbformat.NotebookNode) -> None:
    """Widgets show their static view; a cell's text outputs longer than MAX_OUTPUT_LINES become one note."""
    for output in cell.outputs:
        output.get("data", {}).pop(WIDGET_VIEW, None)
    text = [output for output in cell.outputs if text_lines(output)]
    lines = sum(text_lines(output) for output in text)
    if lines > MAX_OUTPUT_LINES:
        note = nbformat.v4.new_output("stream", name="stdout", text=LONG_OUTPUT_NOTE.format(lines=lines) + "\n")
        kept = [output for output in cell.outputs if output not in text]
        cell.outputs = [note, *kept]


def deck(path: Path, exporter: SlidesExporter) -> tuple[str, str]:
    """The HTML of one lesson's deck and the lesson's title."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            shorten_outputs(cell)
        else:
            cell.source = site_pages.local_badge(cell.source, BADGE_NAME)
    try:
        title = site_pages.notebook_title(nb)  # the same title as the lesson's page on the site
    except ValueError:
        title = path.stem
    nb.metadata["title"] = title
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": path.stem}})
    # A link to another lesson's notebook opens that lesson's deck.
    body = re.sub(r'href="(\d\d_\w+)\.ipynb(#[^"]*)?"', r'href="\1.slides.html\2"', body)
    return body, title


def index_page(decks: list[tuple[str, str]]) -> str:
    items = "\n".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a> <code>{html.escape(name)}</code></li>'
        for name, title in decks
    )
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>第 3 章幻灯片 · 微调一个预训练模型</title>
<style>body {{ font-family: sans-serif; max-width: 48rem; margin: 2rem auto; line-height: 1.6; }}</style>
</head>
<body>
<h1>第 3 章幻灯片 · 微调一个预训练模型</h1>
<p>每一节一份 reveal.js 幻灯片，由笔记本生成（<code>python -m course_tools.build_slides</code>）。
方向键翻页，<kbd>Esc</kbd> 看全部幻灯片，<kbd>S</kbd> 打开讲者视图；过长的输出在幻灯片里省略了，完整内容见笔记本。</p>
<ol start="0">
{items}
</ol>
</body>
</html>
"""


def lesson_paths(names: list[str]) -> list[Path]:
    paths = [Path(name) if Path(name).is_file() else ROOT / "notebooks" / f"{Path(name).stem}.ipynb" for name in names]
    return paths or site_pages.lesson_notebooks()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files or names like 04_trainer (default: all lessons)")
    parser.add_argument("--out", type=Path, default=OUTPUT, help="output folder (default: build/slides)")
    args = parser.parse_args(argv)
    problem = reveal_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    paths = lesson_paths(args.notebooks)
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        print(f"找不到笔记本：{', '.join(missing)}", file=sys.stderr)
        return 2
    started = time.monotonic()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    copy_reveal(out)
    shutil.copy2(site_pages.LOCAL_BADGE, out / BADGE_NAME)
    exporter = SlidesExporter(
        extra_template_basedirs=[str(TEMPLATES)],
        template_name=TEMPLATE_NAME,
        reveal_url_prefix="reveal.js",
        reveal_scroll=True,
        reveal_theme=THEME,
        language_code="zh-CN",
    )
    decks = []
    for path in paths:
        body, title = deck(path, exporter)
        name = f"{path.stem}.slides.html"
        (out / name).write_text(body, encoding="utf-8")
        decks.append((name, title))
    (out / "index.html").write_text(index_page(decks), encoding="utf-8")
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    seconds = time.monotonic() - started
    print(f"幻灯片已生成：{out}（{len(decks)} 份，共 {size / 1e6:.1f} MB，用时 {seconds:.1f} 秒）")
    return 0


if __name__ == "__main__":
    sys.exit(main())
