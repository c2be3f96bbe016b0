"""The course site (course_tools.build_site) and the lesson decks (course_tools.build_slides).

Both are built once per session into a temporary folder. The site needs the
packages of requirements-site.txt, the decks the local reveal.js of
package.json (``npm ci``); without them these tests are skipped with the reason.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import nbformat
import pytest

from course_tools import build_slides, site_pages

ROOT = Path(__file__).resolve().parents[1]
LESSONS = sorted((ROOT / "notebooks").glob("0*.ipynb"))
STEMS = [path.stem for path in LESSONS]
SITE_PACKAGES = ("sphinx", "myst_nb", "sphinx_book_theme", "jieba")
REMOTE = re.compile(r"^(https?:)?//", re.IGNORECASE)


class Tags(HTMLParser):
    """Every start tag with its attributes, and the page's text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {key: value or "" for key, value in attrs}))

    def handle_data(self, data):
        self.text.append(data)


def parse(path: Path) -> Tags:
    parser = Tags()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def run(module: str, *args: str) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", f"course_tools.{module}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=ROOT)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    missing = [name for name in SITE_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        pytest.skip(f"建站依赖没有安装（{', '.join(missing)}）：pip install -r requirements-site.txt")
    out = tmp_path_factory.mktemp("site") / "site"
    result = run("build_site", "--out", str(out))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "个 HTML 页面" in result.stdout
    return out


@pytest.fixture(scope="session")
def slides(tmp_path_factory) -> Path:
    if not (ROOT / "node_modules" / "reveal.js" / "package.json").is_file():
        pytest.skip("本地的 reveal.js 没有安装：在仓库根目录运行 npm ci")
    out = tmp_path_factory.mktemp("slides") / "slides"
    result = run("build_slides", "--out", str(out))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    return out


def lesson_section(page: Path, lesson: str) -> str:
    """The text of the instructor guide's section for one lesson."""
    text = page.read_text(encoding="utf-8")
    start = text.index(f'id="lesson-{lesson}"')
    end = text.find('id="lesson-', start + 1)
    chunk = text[start : end if end > 0 else len(text)]
    return html.unescape(re.sub(r"<[^>]+>", "", chunk))


# --- the generated pages, without building --------------------------------------------------------------


def test_readme_section_stops_at_the_next_section_and_promotes_headings():
    readme = "# T\n\n## A\n\ntext\n\n### Sub\n\n```bash\n## not a heading\n```\n\n## B\n\nother\n"
    section = site_pages.readme_section(readme, "## A")
    assert section.startswith("# A\n") and "## Sub" in section and "## not a heading" in section
    assert "other" not in section and "# B" not in section
    with pytest.raises(ValueError, match="找不到"):
        site_pages.readme_section(readme, "## C")


def test_relative_readme_links_point_at_github():
    text = site_pages.absolute_repo_links("[a](benchmarks/README.md) [b](https://x.org) [c](#here)")
    assert text == f"[a]({site_pages.REPO_URL}benchmarks/README.md) [b](https://x.org) [c](#here)"


def test_wrong_answers_are_escaped_and_only_wrong_ones_listed():
    questions = [
        {
            "lesson": "04",
            "question": "Which *one*?",
            "options": [
                {"text": "right", "correct": True, "explanation": "yes"},
                {"text": "Trainer(..., tokenizer=tok)", "correct": False, "explanation": "removed <now>"},
            ],
        },
        {"lesson": "05", "question": "other", "options": [{"text": "x", "correct": False, "explanation": "y"}]},
    ]
    lines = site_pages.wrong_answers(questions, "04")
    assert lines == ["- Which \\*one\\*?", "  - ✗ Trainer(..., tokenizer=tok) —— removed \\<now\\>"]


def test_the_glossary_must_exist(tmp_path):
    (tmp_path / "notebooks").mkdir()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 00\n\n## 小结")])
    nbformat.write(nb, tmp_path / "notebooks" / "00_intro.ipynb")
    with pytest.raises(ValueError, match="术语表"):
        site_pages.glossary_page(tmp_path)


def test_the_guide_describes_a_machine_record():
    record = {"machine": {"cpu": "Test CPU", "cores": 2, "gpu": None, "load_average": 1.5}}
    assert site_pages.describe_machine(record) == "Test CPU，2 核，无 GPU，开始时负载 1.5"
    record["machine"]["load_average"] = None
    assert site_pages.describe_machine(record) == "Test CPU，2 核，无 GPU"


def test_every_run_record_uses_the_machine_record_keys():
    quick = json.loads((ROOT / "site" / "quick_run.json").read_text(encoding="utf-8"))["notebooks"]
    records = [json.loads(path.read_text(encoding="utf-8"))["metadata"]["course_run"] for path in LESSONS]
    for record in records + list(quick.values()):
        assert "load_average" in record["machine"] and "load_average_at_start" not in record["machine"]


def test_quick_times_must_be_quick_mode(tmp_path):
    times = tmp_path / "times.json"
    times.write_text(json.dumps({"mode": "full", "notebooks": {}}))
    with pytest.raises(ValueError, match="快速模式"):
        site_pages.load_quick_runs(times)


def test_every_lesson_has_an_instructor_entry():
    guide = json.loads((ROOT / "site" / "instructor.json").read_text(encoding="utf-8"))["lessons"]
    assert sorted(guide) == [stem[:2] for stem in STEMS]
    for lesson, entry in guide.items():
        assert entry["goal"].strip() and "\n" not in entry["goal"], lesson
        assert entry["demo"] and all(item.strip() for item in entry["demo"]), lesson
        assert entry["pitfalls"] and all(item.strip() for item in entry["pitfalls"]), lesson


# --- the built site ---------------------------------------------------------------------------------------


def test_one_page_per_lesson_in_chapter_order_then_the_reference_pages(site):
    links = [attrs.get("href", "") for tag, attrs in parse(site / "index.html").tags if tag == "a"]
    lesson_links = [href for href in links if re.fullmatch(r"notebooks/0\d_\w+\.html", href)]
    first_seen = list(dict.fromkeys(lesson_links))
    assert first_seen == [f"notebooks/{stem}.html" for stem in STEMS]
    for page in ("routes.html", "glossary.html", "instructor.html"):
        assert page in links and (site / page).is_file()
    for stem in STEMS:
        assert (site / "notebooks" / f"{stem}.html").is_file()


def test_every_lesson_page_has_its_colab_badge_and_a_working_download_link(site):
    for stem in STEMS:
        page = parse(site / "notebooks" / f"{stem}.html")
        hrefs = [attrs.get("href", "") for tag, attrs in page.tags if tag == "a"]
        colab = f"https://colab.research.google.com/github/hf-course-zh/chapter3-finetuning/blob/main/notebooks/{stem}.ipynb"
        assert colab in hrefs, stem
        assert any(tag == "img" and "colab-badge" in attrs.get("src", "") for tag, attrs in page.tags), stem
        assert f"{stem}.ipynb" in hrefs, stem
        assert f"下载笔记本 {stem}.ipynb" in "".join(page.text)
        # the download is the committed notebook, byte for byte (not the site's copy with the extra line)
        assert (site / "notebooks" / f"{stem}.ipynb").read_bytes() == (
            ROOT / "notebooks" / f"{stem}.ipynb"
        ).read_bytes()


def test_stored_outputs_are_shown_not_rerun(site):
    page = (site / "notebooks" / "03_dynamic_padding.html").read_text(encoding="utf-8")
    nb = nbformat.read(ROOT / "notebooks" / "03_dynamic_padding.ipynb", as_version=4)
    assert any(out.get("data", {}).get("image/png") for cell in nb.cells for out in cell.get("outputs", []))
    assert re.search(r'<img [^>]*src="\.\./_images/[^"]+\.png"', page)
    # a widget output shows its static HTML view (no widget manager on the site)
    explorer = (site / "notebooks" / "01_load_dataset.html").read_text(encoding="utf-8")
    assert "共 3668 行" in explorer and "widget-view+json" not in explorer


def html_and_css(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.suffix in {".html", ".css"})


def remote_assets(folder: Path) -> list[str]:
    """Scripts, stylesheets, fonts and other loaded assets that a page would fetch from the internet."""
    found = []
    for path in html_and_css(folder):
        text = path.read_text(encoding="utf-8", errors="replace")
        for url in re.findall(r"url\(\s*['\"]?([^'\")\s]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text):
            if REMOTE.match(url):
                found.append(f"{path.name}: {url}")
        if path.suffix == ".html":
            for tag, attrs in parse(path).tags:
                if tag == "script" and REMOTE.match(attrs.get("src", "")):
                    found.append(f"{path.name}: script {attrs['src']}")
                if tag == "link" and REMOTE.match(attrs.get("href", "")) and attrs.get("rel") != "canonical":
                    found.append(f"{path.name}: link {attrs['href']}")
                if tag in {"img", "iframe", "embed", "source", "video", "audio"} and REMOTE.match(attrs.get("src", "")):
                    found.append(f"{path.name}: {tag} {attrs['src']}")
            for module in re.findall(r"import\s[^;]*?from\s+['\"]([^'\"]+)['\"]", text):
                if REMOTE.match(module):
                    found.append(f"{path.name}: import {module}")
    return found


def broken_local_links(folder: Path) -> list[str]:
    broken = []
    for path in html_and_css(folder):
        if path.suffix == ".html":
            urls = [
                attrs[key] for _, attrs in parse(path).tags for key in ("href", "src") if attrs.get(key) is not None
            ]
        else:
            urls = re.findall(r"url\(\s*['\"]?([^'\")\s]+)", path.read_text(encoding="utf-8", errors="replace"))
        for url in urls:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or not parts.path:  # remote, data:, mailto:, or a pure #anchor
                continue
            target = (path.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{path.relative_to(folder)} -> {url}")
    return broken


def test_the_site_loads_nothing_from_the_internet(site):
    assert remote_assets(site) == []


def test_every_local_link_of_the_site_resolves(site):
    assert broken_local_links(site) == []


def test_chinese_search_works_offline(site):
    text = (site / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    docs = index["docnames"]

    def pages(term):  # Sphinx indexes a word of a page's title under titleterms only
        found = set()
        for kind in ("terms", "titleterms"):
            hits = index[kind].get(term, [])
            found |= {docs[i] for i in ([hits] if isinstance(hits, int) else hits)}
        return found

    assert "notebooks/03_dynamic_padding" in pages("填充")
    assert "notebooks/05_training_loop" in pages("学习率")  # a course term that jieba alone splits apart
    assert "glossary" in pages("术语表")
    assert (site / "search.html").is_file() and (site / "_static" / "searchtools.js").is_file()
    # The browser half: language_data.js must define the stemmer it hands to searchtools.js
    # (Sphinx 9.0 assigns an undefined ChineseStemmer for zh, and every search then hangs).
    language_data = (site / "_static" / "language_data.js").read_text(encoding="utf-8")
    assigned = re.search(r"(?:window\.|var )Stemmer = (\w+)", language_data).group(1)
    assert assigned == "function" or re.search(rf"(var |window\.)?{assigned}\s*=\s*function", language_data)


def test_routes_and_glossary_pages_come_from_their_sources(site):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = site_pages.readme_section(readme)
    routes = re.findall(r"^\| \*\*(.+?)\*\* \|", section, flags=re.MULTILINE)
    assert len(routes) == 6
    routes_text = "".join(parse(site / "routes.html").text)
    assert all(route in routes_text for route in routes)
    nb = nbformat.read(ROOT / "notebooks" / "00_intro.ipynb", as_version=4)
    glossary = next(cell.source for cell in nb.cells if cell.source.startswith("## 术语表"))
    terms = re.findall(r"^\| ([^|]+?) \| [^|]+ \| [^|]+ \|$", glossary, flags=re.MULTILINE)[2:]
    assert len(terms) >= 5
    glossary_text = "".join(parse(site / "glossary.html").text)
    assert all(term in glossary_text for term in terms)


def test_instructor_guide_times_come_from_the_run_records(site):
    quick_path = ROOT / "site" / "quick_run.json"
    quick = json.loads(quick_path.read_text(encoding="utf-8"))["notebooks"] if quick_path.is_file() else {}
    page = site / "instructor.html"
    for path in LESSONS:
        section = lesson_section(page, path.stem[:2])
        full = json.loads(path.read_text(encoding="utf-8"))["metadata"]["course_run"]
        assert f"{full['wall_s']:.1f} 秒" in section, path.stem
        assert f"{full['machine']['cpu']}，{full['machine']['cores']} 核" in section, path.stem
        if path.stem in quick:
            assert f"{quick[path.stem]['wall_s']:.1f} 秒" in section, path.stem
        else:
            assert "尚未测量" in section, path.stem


def test_instructor_guide_has_each_lesson_and_its_wrong_answers(site):
    guide = json.loads((ROOT / "site" / "instructor.json").read_text(encoding="utf-8"))["lessons"]
    questions = json.loads((ROOT / "course_utils" / "quiz_questions.json").read_text(encoding="utf-8"))
    page = site / "instructor.html"
    for lesson, entry in guide.items():
        section = lesson_section(page, lesson)
        assert entry["goal"].split("`")[0] in section, lesson
        for question in questions:
            if question["lesson"] != lesson:
                continue
            for option in question["options"]:
                if not option["correct"]:
                    assert option["explanation"] in section, (lesson, option["text"])
                else:
                    assert option["explanation"] not in section, (lesson, option["text"])


# --- the decks ---------------------------------------------------------------------------------------------


def test_long_outputs_become_one_line_on_a_slide():
    cell = nbformat.v4.new_code_cell("train()")
    long_log = "".join(f"step {i}\n" for i in range(40))
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text=long_log),
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}),
    ]
    build_slides.shorten_outputs(cell)
    assert [out.output_type for out in cell.outputs] == ["stream", "display_data"]
    assert cell.outputs[0].text.count("\n") == 1 and "40 行" in cell.outputs[0].text
    short = nbformat.v4.new_code_cell("x")
    short.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a\nb\n")]
    build_slides.shorten_outputs(short)
    assert short.outputs[0].text == "a\nb\n"


def test_missing_reveal_js_says_to_run_npm_ci(tmp_path, monkeypatch):
    monkeypatch.setattr(build_slides, "REVEAL", tmp_path / "reveal.js")
    assert "npm ci" in build_slides.reveal_problem()
    (tmp_path / "reveal.js").mkdir()
    (tmp_path / "reveal.js" / "package.json").write_text('{"version": "3.9.2"}')
    assert "3.9.2" in build_slides.reveal_problem() and "npm ci" in build_slides.reveal_problem()


def test_package_json_pins_the_reveal_js_of_nbconvert_s_template():
    lock = json.loads((ROOT / "package-lock.json").read_text(encoding="utf-8"))
    pinned = build_slides.expected_reveal_version()
    assert re.fullmatch(r"4\.\d+\.\d+", pinned)  # exact: nbconvert's reveal template is written for reveal.js 4
    assert lock["packages"]["node_modules/reveal.js"]["version"] == pinned


def test_one_deck_per_lesson_and_an_index(slides):
    decks = sorted(p.name for p in slides.glob("*.slides.html"))
    assert decks == [f"{stem}.slides.html" for stem in STEMS]
    index_links = [attrs.get("href") for tag, attrs in parse(slides / "index.html").tags if tag == "a"]
    assert index_links == decks


def test_decks_load_reveal_js_locally_and_scroll(slides):
    assert remote_assets(slides) == []
    assert broken_local_links(slides) == []
    for stem in STEMS:
        tags = parse(slides / f"{stem}.slides.html").tags
        scripts = [attrs["src"] for tag, attrs in tags if tag == "script" and attrs.get("src")]
        assert scripts == ["reveal.js/dist/reveal.js", "reveal.js/plugin/notes/notes.js"], stem
        text = (slides / f"{stem}.slides.html").read_text(encoding="utf-8")
        assert "var scrollTallSlides = true;" in text and "require(" not in text and "MathJax" not in text
        assert re.search(r"Reveal\.initialize\(\{[^}]*width: \d+,\s*height: \d+,", text), stem


def test_each_lesson_deck_has_the_slides_its_metadata_asks_for(slides):
    for path in LESSONS:
        nb = nbformat.read(path, as_version=4)
        kinds = [cell.metadata.get("slideshow", {}).get("slide_type") for cell in nb.cells]
        deck = (slides / f"{path.stem}.slides.html").read_text(encoding="utf-8")
        # nbconvert opens a <section> per slide and another per (sub)slide inside it
        assert len(re.findall(r"<section\b", deck)) == 2 * kinds.count("slide") + kinds.count("subslide"), path.stem
        if "skip" in kinds:
            assert "google.colab" not in deck, path.stem  # the Colab install cell is skipped


def test_decks_follow_the_slide_metadata(tmp_path, slides):
    cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_code_cell("setup()"),
        nbformat.v4.new_markdown_cell("## Part one"),
        nbformat.v4.new_code_cell("print('kept')"),
    ]
    for cell, kind in zip(cells, ["slide", "skip", "slide", "fragment"], strict=True):
        cell.metadata["slideshow"] = {"slide_type": kind}
    cells[3].outputs = [nbformat.v4.new_output("stream", name="stdout", text="kept\n")]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), tmp_path / "09_demo.ipynb")
    out = tmp_path / "decks"
    result = run("build_slides", "--out", str(out), str(tmp_path / "09_demo.ipynb"))
    assert result.returncode == 0, result.stderr[-2000:]
    deck = (out / "09_demo.slides.html").read_text(encoding="utf-8")
    sections = re.findall(r"<section\b", deck)
    assert len(sections) >= 2 and "setup()" not in deck and 'class="fragment"' in deck and "kept" in deck


def test_the_checkers_find_remote_assets_and_broken_links(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "ok.js").write_text("")
    (tmp_path / "sub" / "page.html").write_text(
        '<script src="https://cdn.example.org/require.js"></script><script src="../ok.js"></script>'
        '<link rel="stylesheet" href="//fonts.example.org/a.css"><a href="../missing.html#x">x</a>'
        '<a href="https://example.org/">fine: a plain link</a><img src="data:image/png;base64,AA==">'
    )
    (tmp_path / "style.css").write_text("@import url(https://fonts.example.org/b.css); a { background: url(gone.png) }")
    assert sorted(remote_assets(tmp_path)) == [
        "page.html: link //fonts.example.org/a.css",
        "page.html: script https://cdn.example.org/require.js",
        "style.css: https://fonts.example.org/b.css",
    ]
    assert sorted(broken_local_links(tmp_path)) == ["style.css -> gone.png", "sub/page.html -> ../missing.html#x"]


def test_build_site_says_what_to_install(monkeypatch, capsys):
    from course_tools import build_site

    monkeypatch.setitem(build_site.NEEDED, "no_such_sphinx_module", "no-such-sphinx-package")
    assert build_site.main(["--out", "unused"]) == 2
    assert "pip install -r requirements-site.txt" in capsys.readouterr().err
