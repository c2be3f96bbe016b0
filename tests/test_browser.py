"""The course in a real browser: the built site, the slide decks and JupyterLab with the live widgets.

Headless Chromium (driven by Playwright, using the system's /usr/bin/chromium)
opens what a learner opens:

* every page of the site (``python -m course_tools.build_site`` -> build/site): no console
  errors, no failed requests, no request to any host but 127.0.0.1, every
  same-site link resolves, every image loads; the search page finds an
  English and a Chinese term;
* the slide decks (``python -m course_tools.build_slides`` -> build/slides): reveal.js
  starts and the arrow keys move through the slides;
* JupyterLab on a temporary copy of notebooks/ (never the repository's own
  files, which JupyterLab would autosave): 08_recap_quiz runs top to bottom,
  the quiz widget judges a wrong and a right answer and keeps the score, and
  the dataset explorer of 01_load_dataset shows another example when its
  controls change. JupyterLab's pages talk only to 127.0.0.1 too; the one
  remote request allowed there is the notebooks' Colab badge image (aborted);
* trackio's dashboard (lesson 04's experiment tracking), served by ``trackio show``
  on 127.0.0.1 for a run logged into a temporary ``TRACKIO_DIR``: the run's curves
  are drawn, and the page asks nothing of any other host.

Select them with ``pytest -m browser``; they skip, saying why, when Chromium
or playwright is missing (or the site's build dependencies, or the local
reveal.js of ``npm ci``, or trackio). The site and the slides are built afresh into a
temporary folder; COURSE_SITE_DIR / COURSE_SLIDES_DIR point the tests at an
existing build instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urljoin, urlsplit

import pytest
from browser_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOCAL_HOST,
    LocalServer,
    PageWatcher,
    browser_skip_reason,
    free_port,
    http_status,
    is_local,
    pids_with_argument,
    static_server,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"

SKIP_REASON = browser_skip_reason()
if SKIP_REASON is None:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(SKIP_REASON is not None, reason=SKIP_REASON or ""),
]

PAGE_TIMEOUT_MS = 60_000
# Kernel start, imports and the data/model loading of a notebook take a while on a small CPU.
NOTEBOOK_RUN_TIMEOUT_MS = int(os.environ.get("COURSE_BROWSER_NOTEBOOK_TIMEOUT", "600")) * 1000
SEARCH_TERMS = ("Trainer", "动态填充")  # a library name and a Chinese term (jieba-segmented)


# ---------------------------------------------------------------- browser


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    expect.set_options(timeout=30_000)

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser):
    """A fresh browser context whose pages are watched; its problems are checked by each test."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    ctx.set_default_timeout(PAGE_TIMEOUT_MS)
    watcher = PageWatcher().attach(ctx)
    ctx.watcher = watcher
    try:
        yield ctx
    finally:
        ctx.close()


def assert_no_problems(problems: list[str], where: str) -> None:
    assert not problems, f"{where}：\n" + "\n".join(f"  - {problem}" for problem in problems[:40])


# ---------------------------------------------------------------- built output (site, slides)


def _built_dir(kind: str, env_name: str, module: str, tmp_path_factory) -> Path:
    """A fresh build by course_tools.<module> in a temporary folder (COURSE_SITE_DIR / COURSE_SLIDES_DIR: that one)."""
    override = os.environ.get(env_name)
    if override:
        path = Path(override).expanduser().resolve()
        if not path.is_dir():
            pytest.fail(f"{env_name}={override} 不是一个文件夹")
        return path
    out = tmp_path_factory.mktemp(kind) / kind
    result = subprocess.run(
        [sys.executable, "-m", f"course_tools.{module}", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    if result.returncode == 2 and "requirements-site.txt" in result.stderr:
        pytest.skip(result.stderr.strip())  # the site's build dependencies are not installed
    assert result.returncode == 0, f"course_tools.{module} 失败：\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    assert any(out.rglob("*.html")), f"course_tools.{module} 没有生成任何 HTML 页面"
    return out


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory) -> Path:
    return _built_dir("site", "COURSE_SITE_DIR", "build_site", tmp_path_factory)


@pytest.fixture(scope="module")
def slides_dir(tmp_path_factory) -> Path:
    if not os.environ.get("COURSE_SLIDES_DIR") and not (ROOT / "node_modules" / "reveal.js" / "package.json").is_file():
        pytest.skip("本地的 reveal.js 没有安装：在仓库根目录运行 npm ci")
    return _built_dir("slides", "COURSE_SLIDES_DIR", "build_slides", tmp_path_factory)


@contextlib.contextmanager
def _serving(folder: Path, log_dir: Path):
    """A static server for ``folder`` on 127.0.0.1, stopped on exit."""
    server = static_server(folder, log_dir / "http.log")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site_server(site_dir, tmp_path_factory):
    with _serving(site_dir, tmp_path_factory.mktemp("site-server")) as server:
        yield server


@pytest.fixture(scope="module")
def slides_server(slides_dir, tmp_path_factory):
    with _serving(slides_dir, tmp_path_factory.mktemp("slides-server")) as server:
        yield server


class _LinkParser(HTMLParser):
    """The ids of a page and the targets of its <a href>."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for key in ("id", "name") if tag == "a" else ("id",):
            if values.get(key):
                self.ids.add(values[key])
        if tag == "a" and values.get("href"):
            self.hrefs.append(values["href"])


def _parse(path: Path) -> _LinkParser:
    parser = _LinkParser()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


def html_pages(directory: Path) -> list[Path]:
    return sorted(path for path in directory.rglob("*.html") if path.is_file())


# Images with loading="lazy" load only when scrolled into view: load them all, then list the broken ones.
BROKEN_IMAGES_JS = """
async () => {
  const images = Array.from(document.images);
  for (const image of images) { image.loading = "eager"; }
  await Promise.all(images.map(image => image.complete ? null :
      new Promise(resolve => { image.addEventListener("load", resolve); image.addEventListener("error", resolve);
                               setTimeout(resolve, 15000); })));
  return images.filter(image => !image.complete || image.naturalWidth === 0)
               .map(image => image.currentSrc || image.src || image.outerHTML.slice(0, 200));
}
"""


# ---------------------------------------------------------------- the site


def test_every_site_page_loads_cleanly(context, site_dir, site_server):
    pages = html_pages(site_dir)
    page = context.new_page()
    problems: list[str] = []
    for path in pages:
        relative = path.relative_to(site_dir).as_posix()
        page.goto(f"{site_server.url}/{relative}", wait_until="load")
        broken = page.evaluate(BROKEN_IMAGES_JS)
        found = [f"图片没有加载出来：{src}" for src in broken] + context.watcher.take()
        problems += [f"{relative}：{problem}" for problem in found]
    assert_no_problems(problems, f"网站的 {len(pages)} 个页面里有问题")


def test_every_site_link_resolves(site_dir, site_server):
    """Every same-site <a href> of every page answers 200, and its #fragment exists on the target page."""
    parsed = {path: _parse(path) for path in html_pages(site_dir)}
    by_url_path = {"/" + path.relative_to(site_dir).as_posix(): links for path, links in parsed.items()}
    problems = []
    checked: dict[str, int] = {}
    count = 0
    for path, links in parsed.items():
        page_url = f"{site_server.url}/{path.relative_to(site_dir).as_posix()}"
        for href in links.hrefs:
            target = urljoin(page_url, href)
            parts = urlsplit(target)
            if parts.scheme not in ("http", "https") or parts.hostname != LOCAL_HOST:
                continue  # links to other sites are not followed (no network in the tests)
            count += 1
            url = target.split("#", 1)[0]
            if url not in checked:
                checked[url] = http_status(url)
            where = f"{path.relative_to(site_dir).as_posix()} 的链接 {href}"
            if checked[url] != 200:
                problems.append(f"{where}：HTTP {checked[url]}")
                continue
            fragment = unquote(parts.fragment)
            target_path = unquote(parts.path)
            if target_path.endswith("/"):
                target_path += "index.html"
            target_links = by_url_path.get(target_path)
            if fragment and target_links is not None and fragment not in target_links.ids:
                problems.append(f"{where}：目标页面上没有 id 为「{fragment}」的位置")
    assert count > 0, "网站页面里没有任何站内链接"
    assert_no_problems(problems, f"{count} 个站内链接里有打不开的")


@pytest.mark.parametrize("term", SEARCH_TERMS)
def test_site_search_finds_pages(context, site_dir, site_server, term):
    if not (site_dir / "search.html").exists():
        pytest.fail("网站没有搜索页 search.html")
    page = context.new_page()
    page.goto(f"{site_server.url}/search.html?q={quote(term)}", wait_until="load")
    results = page.locator("#search-results ul.search > li")
    expect(results.first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
    texts = results.all_inner_texts()
    assert any(term.lower() in text.lower() for text in texts), f"搜索「{term}」的结果里没有这个词：{texts[:5]}"
    # Every result links to a page of the site.
    for href in results.locator("a").evaluate_all("links => links.map(a => a.href)"):
        assert is_local(href) and http_status(href.split("#", 1)[0]) == 200, href
    assert_no_problems(context.watcher.take(), f"搜索「{term}」")


# ---------------------------------------------------------------- the slides


REVEAL_SCRIPT = re.compile(r"""<script[^>]+src=["'][^"']*reveal(\.min)?\.js["']""")


def _decks(slides_dir: Path) -> list[Path]:
    """The slide decks: pages that load reveal.js (not the index page, nor reveal.js's own files)."""
    return [
        path
        for path in html_pages(slides_dir)
        if not path.relative_to(slides_dir).as_posix().startswith("reveal")
        and REVEAL_SCRIPT.search(path.read_text(encoding="utf-8", errors="replace"))
    ]


def _open_deck(page, url: str, watcher: PageWatcher) -> None:
    page.goto(url, wait_until="load")
    try:
        page.wait_for_function(
            "() => window.Reveal && typeof Reveal.isReady === 'function' && Reveal.isReady()",
            polling=250,
            timeout=30_000,
        )
    except PlaywrightTimeout:
        problems = "\n".join(f"  - {problem}" for problem in watcher.take())
        pytest.fail(f"{url}：reveal.js 30 秒内没有启动（Reveal.isReady() 不为真）\n{problems}")


def test_every_slide_deck_starts(context, slides_dir, slides_server):
    decks = _decks(slides_dir)
    assert decks, f"build/slides 里没有 reveal.js 幻灯片（{slides_dir}）"
    page = context.new_page()
    problems = []
    for deck in decks:
        relative = deck.relative_to(slides_dir).as_posix()
        _open_deck(page, f"{slides_server.url}/{relative}", context.watcher)
        total = page.evaluate("() => Reveal.getTotalSlides()")
        if total < 2:
            problems.append(f"{relative}：只有 {total} 张幻灯片")
        problems += [f"{relative}：图片没有加载出来：{src}" for src in page.evaluate(BROKEN_IMAGES_JS)]
        problems += [f"{relative}：{problem}" for problem in context.watcher.take()]
    assert_no_problems(problems, f"{len(decks)} 份幻灯片里有问题")


def test_slide_deck_moves_forward_with_the_keyboard(context, slides_dir, slides_server):
    decks = _decks(slides_dir)
    assert decks, "没有幻灯片"
    deck = next((d for d in decks if d.stem.startswith("04")), decks[0])
    page = context.new_page()
    _open_deck(page, f"{slides_server.url}/{deck.relative_to(slides_dir).as_posix()}", context.watcher)
    # Each press shows the next fragment or slide; after a few, the deck is on its third slide.
    positions = [page.evaluate("() => Reveal.getIndices()")]
    while positions[-1]["h"] < 2 and len(positions) <= 40:
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            """(before) => { const now = Reveal.getIndices();
                             return now.h !== before.h || now.v !== before.v || now.f !== before.f; }""",
            arg=positions[-1],
            polling=250,
            timeout=10_000,
        )
        positions.append(page.evaluate("() => Reveal.getIndices()"))
    horizontal = [position["h"] for position in positions]
    assert horizontal == sorted(horizontal) and horizontal[-1] == 2, f"按右方向键后的位置：{positions}"
    assert page.evaluate("() => Reveal.getProgress()") > 0
    assert_no_problems(context.watcher.take(), f"幻灯片 {deck.name}")


# ---------------------------------------------------------------- JupyterLab


def _kernel_environment(home: Path) -> dict[str, str]:
    """The server's (and so the kernels') environment: quick, offline, data folders as the suite uses them."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("JUPYTER", "JPY_", "PYTEST_"))}
    env.pop("MPLBACKEND", None)  # a learner's kernel draws inline
    env.pop("COURSE_EXERCISE_STRICT", None)  # a learner's exercise cells start empty
    env.update(COURSE_QUICK="1", HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    for name in ("COURSE_DATA_DIR", "COURSE_SST2_DIR", "COURSE_CACHE_DIR", "HF_HOME"):
        if env.get(name):
            env[name] = str(Path(env[name]).expanduser().resolve())
    # Nothing of the user's Jupyter set-up (settings, workspaces, kernels, runtime files) takes part.
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_DATA_DIR=str(home / "data"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        IPYTHONDIR=str(home / "ipython"),
    )
    # Every cell rendered (no windowing), so outputs far down a notebook are in the page; the kernel starts
    # without asking; no news or update checks (they would call a website).
    settings = {
        "notebook-extension/tracker": {"windowingMode": "none", "autoStartDefaultKernel": True},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, values in settings.items():
        path = home / "settings" / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    return env


def _cleared(notebook: dict) -> dict:
    """The notebook without stored outputs, so a finished run shows in the execution counts."""
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return notebook


def _notebook_from_cells(source: Path, markers: list[str]) -> dict:
    """A notebook with the code cells of ``source`` that contain each marker, in that order."""
    notebook = json.loads(source.read_text(encoding="utf-8"))
    cells = []
    for marker in markers:
        matches = [c for c in notebook["cells"] if c["cell_type"] == "code" and marker in "".join(c["source"])]
        assert matches, f"{source.name} 里没有包含「{marker}」的代码格"
        cells.append(matches[0])
    notebook["cells"] = cells
    return notebook


@pytest.fixture(scope="module")
def jupyter_root(tmp_path_factory) -> Path:
    """A temporary copy of the notebooks (JupyterLab autosaves: the repository's notebooks are never opened)."""
    root = tmp_path_factory.mktemp("lab") / "notebooks"
    root.mkdir()
    notebooks = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in NOTEBOOKS.glob("*.ipynb")}
    # 01_load_dataset's own set-up, loading and explorer cells, without the rest of the lesson.
    notebooks["explore_dataset.ipynb"] = _notebook_from_cells(
        NOTEBOOKS / "01_load_dataset.ipynb", ["cu.setup(", "cu.load_dataset(", "cu.explore_dataset("]
    )
    for name, notebook in notebooks.items():
        (root / name).write_text(json.dumps(_cleared(notebook), ensure_ascii=False, indent=1), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def jupyter_lab(jupyter_root, tmp_path_factory):
    home = tmp_path_factory.mktemp("lab-home")
    token = secrets.token_hex(16)
    port = free_port()
    args = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--ip={LOCAL_HOST}",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={jupyter_root}",
        "--ServerApp.terminals_enabled=False",
        # No calls home from the server either.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    if os.geteuid() == 0:  # CI containers run as root
        args.append("--allow-root")
    server = LocalServer(
        args, port, hard_limit_s=1800, env=_kernel_environment(home), cwd=jupyter_root, log_path=home / "lab.log"
    )
    try:
        server.wait_until_listening(120)
        deadline = time.monotonic() + 120
        while http_status(f"{server.url}/api/status?token={token}") != 200:
            assert time.monotonic() < deadline, f"JupyterLab 没有启动：{server.log_tail()}"
            time.sleep(1)
        server.token = token
        yield server
    finally:
        try:  # Shut down the kernels and the server cleanly, then make sure nothing is left.
            request = urllib.request.Request(f"{server.url}/api/shutdown?token={token}", method="POST")
            urllib.request.urlopen(request, timeout=10).close()
            server.process.wait(30)
        except Exception:  # noqa: BLE001 - whatever happened, the lines below stop everything
            pass
        server.stop()
        for pid in pids_with_argument(str(home / "runtime")):  # kernels: their connection files live there
            try:
                os.kill(pid, 9)
            except ProcessLookupError:
                pass


# The notebooks' "在 Colab 中打开" badge is an image on colab.research.google.com (aborted, like every remote request).
NOTEBOOK_REMOTE_IMAGES = ("https://colab.research.google.com/assets/colab-badge.svg",)
KERNEL_IDLE = re.compile(r"\| Idle$")


def _open_notebook(context, lab, name: str):
    context.watcher.allowed_remote = NOTEBOOK_REMOTE_IMAGES
    page = context.new_page()
    page.goto(f"{lab.url}/lab/tree/{name}?token={lab.token}&reset", wait_until="load")
    page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(state="visible", timeout=180_000)
    # The kernel is up once the status bar says "Python 3 (ipykernel) | Idle".
    page.get_by_role("button", name=KERNEL_IDLE).wait_for(state="visible", timeout=240_000)
    return page


def _run_all_cells(page) -> None:
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    # Done when every code cell has an execution number and the kernel is idle again.
    page.wait_for_function(
        """(error) => {
             const selector = '.jp-NotebookPanel .jp-CodeCell .jp-InputArea-prompt';
             const prompts = Array.from(document.querySelectorAll(selector));
             const failed = document.querySelector(error);  // Run All stops at a cell that raises
             return failed || (prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent)));
           }""",
        arg=ERROR_OUTPUT,
        polling=1000,
        timeout=NOTEBOOK_RUN_TIMEOUT_MS,
    )
    page.get_by_role("button", name=KERNEL_IDLE).wait_for(state="visible", timeout=NOTEBOOK_RUN_TIMEOUT_MS)


ERROR_OUTPUT = ".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"


def _cell_errors(page) -> list[str]:
    return page.locator(ERROR_OUTPUT).all_inner_texts()


@contextlib.contextmanager
def _explained_failure(context, lab, tmp_path: Path):
    """On failure, keep a screenshot of every page and show the end of the JupyterLab log."""
    try:
        yield
    except Exception as err:
        shots = []
        for number, page in enumerate(context.pages):
            shot = tmp_path / f"page{number}.png"
            with contextlib.suppress(Exception):
                page.screenshot(path=str(shot), full_page=True)
                shots.append(str(shot))
        raise AssertionError(f"{err}\n截图：{shots}\nJupyterLab 日志的末尾：\n{lab.log_tail(2000)}") from err


def test_quiz_widget_scores_answers_in_jupyterlab(context, jupyter_lab, tmp_path):
    with _explained_failure(context, jupyter_lab, tmp_path):
        check_quiz_widget(context, jupyter_lab)


def test_dataset_explorer_reacts_in_jupyterlab(context, jupyter_lab, tmp_path):
    with _explained_failure(context, jupyter_lab, tmp_path):
        check_dataset_explorer(context, jupyter_lab)


def check_quiz_widget(context, jupyter_lab):
    from course_utils.quiz import load_questions

    questions = load_questions()  # 08's quiz: every question, in file order
    page = _open_notebook(context, jupyter_lab, "08_recap_quiz.ipynb")
    _run_all_cells(page)
    assert not _cell_errors(page), f"运行全部单元格时出错：{_cell_errors(page)}"

    score = page.locator(".widget-html", has_text="当前得分：").first
    expect(score).to_have_text(re.compile(r"当前得分：0 / 0（已答 0 题，共 \d+ 题"), timeout=PAGE_TIMEOUT_MS)

    def card(number: int):
        title = page.locator(".widget-html", has_text=f"第 {number} 题（")
        return page.locator(".widget-vbox").filter(has=title).filter(has=page.get_by_role("button", name="提交")).last

    def answer(number: int, indices: set[int]):
        """Select exactly the options ``indices`` (0-based) of question ``number``, submit, return its feedback."""
        question = questions[number - 1]
        box = card(number)
        role = "checkbox" if question.multiple else "radio"
        for i, option in enumerate(question.options):
            control = box.get_by_role(role, name=option.text, exact=True)
            if question.multiple:
                control.set_checked(i in indices)
            elif i in indices:
                control.check()
        box.get_by_role("button", name="提交").click()
        return box.locator(".widget-html").last

    # A wrong answer to question 1: judged wrong, and the score counts it.
    first = questions[0]
    wrong = next(i for i, option in enumerate(first.options) if not option.correct)
    right_numbers = "、".join(str(i + 1) for i in first.correct_indices)
    expect(answer(1, {wrong})).to_contain_text(f"❌ 还不对。正确答案：{right_numbers}")
    expect(score).to_have_text(re.compile(r"当前得分：0 / 1（已答 1 题"))

    # The right answer to question 2 scores.
    expect(answer(2, set(questions[1].correct_indices))).to_contain_text("✅ 回答正确！")
    expect(score).to_have_text(re.compile(r"当前得分：1 / 2（已答 2 题"))

    # Question 1 again, right this time: judged right, but only its first answer counts.
    feedback = answer(1, set(first.correct_indices))
    expect(feedback).to_contain_text("✅ 回答正确！")
    expect(feedback).to_contain_text("第一次的作答已经计分")
    expect(score).to_have_text(re.compile(r"当前得分：1 / 2（已答 2 题"))
    assert_no_problems(context.watcher.take(), "JupyterLab 里的 08_recap_quiz")


def check_dataset_explorer(context, jupyter_lab):
    page = _open_notebook(context, jupyter_lab, "explore_dataset.ipynb")
    _run_all_cells(page)
    assert not _cell_errors(page), f"运行全部单元格时出错：{_cell_errors(page)}"

    view = page.locator(".widget-html", has_text="划分 ").last
    expect(view).to_contain_text("划分 train，第 0 行")
    expect(view).to_contain_text("sentence1")
    first = view.inner_text()

    # The 下标 slider: its readout is editable; a new value re-renders the example.
    readout = page.locator(".widget-slider .widget-readout").first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("5")
    page.keyboard.press("Enter")
    expect(view).to_contain_text("划分 train，第 5 行")
    fifth = view.inner_text()
    assert fifth != first

    # The 划分 dropdown: the same index of the validation split is shown.
    page.locator(".widget-dropdown select").first.select_option("validation")
    expect(view).to_contain_text("划分 validation，第 5 行")
    assert view.inner_text() not in (first, fifth)
    assert_no_problems(context.watcher.take(), "JupyterLab 里的数据集浏览器")


# ---------------------------------------------------------------- trackio's dashboard (lesson 04)

TRACKIO_PROJECT = "course-dashboard"
TRACKIO_RUN = "04-course-recipe"
# What a Trainer run with report_to="trackio" logs (transformers groups "loss" / "eval_*" as train/… and eval/…).
TRACKIO_LOG = """
import math
import trackio

trackio.init(project={project!r}, name={run!r})
for step in range(1, 31):
    trackio.log({{"train/loss": 0.7 * math.exp(-step / 12), "train/global_step": step}})
    if step % 10 == 0:
        trackio.log({{"eval/loss": 0.6 - step / 100, "eval/accuracy": 0.6 + step / 100, "train/global_step": step}})
trackio.finish()
"""


def _trackio_command() -> str:
    """The trackio CLI of this Python's environment (first), else the one on PATH."""
    found = shutil.which("trackio", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    assert found, "找不到 trackio 命令"
    return found


@pytest.fixture(scope="module")
def trackio_dashboard(tmp_path_factory):
    """`trackio show --project …` on 127.0.0.1 for one logged run, in a temporary TRACKIO_DIR; stopped afterwards."""
    try:
        import trackio  # noqa: F401
    except ImportError:
        pytest.skip("trackio 没有安装（pip install -r requirements-extras.txt），跳过实验看板的浏览器测试")
    home = tmp_path_factory.mktemp("trackio")
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("GRADIO_", "PYTEST_"))}
    env.update(
        TRACKIO_DIR=str(home / "trackio"),
        HF_HUB_OFFLINE="1",
        GRADIO_SERVER_NAME=LOCAL_HOST,  # loopback only, as the lesson says
        GRADIO_SERVER_PORT=str(port),
        BROWSER="true",  # trackio show opens a browser tab: here the `true` command, i.e. nothing
    )
    logged = subprocess.run(
        [sys.executable, "-c", TRACKIO_LOG.format(project=TRACKIO_PROJECT, run=TRACKIO_RUN)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert logged.returncode == 0, logged.stderr[-3000:]
    server = LocalServer(
        [_trackio_command(), "show", "--project", TRACKIO_PROJECT],
        port,
        hard_limit_s=120,  # the lesson's `timeout 120 trackio show …`: never left running
        env=env,
        cwd=home,
        log_path=home / "show.log",
    )
    try:
        server.wait_until_listening(90)
        yield server
    finally:
        server.stop()


def test_trackio_dashboard_draws_the_runs_curves_locally(context, trackio_dashboard, tmp_path):
    page = context.new_page()
    local_requests = []
    page.on("request", lambda request: local_requests.append(request.url) if is_local(request.url) else None)
    page.goto(f"{trackio_dashboard.url}/?project={TRACKIO_PROJECT}", wait_until="load")
    try:
        # The metrics are grouped by prefix, one plot per metric, each plot with the run in its legend.
        for group in ("train", "eval"):
            expect(page.get_by_text(re.compile(rf"^{group} \(\d+\)$")).first).to_be_visible(timeout=PAGE_TIMEOUT_MS)
        plots = page.locator(".plot-container")
        for metric in ("loss", "accuracy"):
            plot = plots.filter(has=page.get_by_text(metric, exact=True)).first
            expect(plot).to_be_visible()
            expect(plot).to_contain_text(TRACKIO_RUN)
            expect(plot.locator("canvas, svg").first).to_be_visible()
        expect(page.get_by_text(TRACKIO_RUN, exact=True).first).to_be_visible()
    except Exception as err:
        shot = tmp_path / "trackio.png"
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{err}\n截图：{shot}\ntrackio show 的输出：\n{trackio_dashboard.log_tail(2000)}") from err
    assert any(urlsplit(url).port == trackio_dashboard.port for url in local_requests), local_requests[:5]
    assert_no_problems(context.watcher.take(), "trackio 看板")
