"""Notebook hygiene: badge, install and setup cells first, clean JSON, nothing machine-specific.

nbval executes the notebooks themselves (see the root conftest.py); these
checks read the committed files.
"""

import json
import re
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from course_utils import links

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MACHINE_PATH = re.compile(r"(?<![\w.])/(?:work|tmp|root|home/\w+|Users/\w+)/|[A-Z]:\\\\Users")
PLACEHOLDER = re.compile(r"MEASURED_LINE|PLACEHOLDER|\bTODO\b|\bFIXME\b|\bXXX\b")
STALE_PROGRESS = re.compile(r"(^|\s)0%\|")
WIDGET_REPR = re.compile(r"^(HBox|VBox|Box|Output|Tab|Accordion|IntProgress|FloatProgress)\(")
ALLOWED_CELL_METADATA = {"tags", "slideshow"}  # slideshow: written by course_tools/mark_slides.py
# 📚 links point to a library's own documentation, nowhere else.
DOCS_MARK = "📚"
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]*)")  # the target of every [text](url), up to ")" or a space
HF_DOC_LIBRARIES = {
    "accelerate",
    "datasets",
    "diffusers",
    "evaluate",
    "hub",
    "huggingface_hub",
    "optimum",
    "peft",
    "safetensors",
    "tokenizers",
    "trackio",
    "transformers",
    "trl",
}
DOC_HOSTS = {  # host -> the path prefix its documentation lives under
    "docs.pytorch.org": "/docs/",
    "pytorch.org": "/docs/",
    "scikit-learn.org": "/stable/",
    "matplotlib.org": "/stable/",
    "ipywidgets.readthedocs.io": "/",
    "optuna.readthedocs.io": "/",
}
DOC_LINK_NOTEBOOKS = {
    "00_intro",
    "01_load_dataset",
    "02_preprocess",
    "03_dynamic_padding",
    "04_trainer",
    "05_training_loop",
    "06_accelerate",
    "07_learning_curves",
    "08_recap_quiz",
}


def _load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def _source(cell):
    return "".join(cell["source"])


def _code_cells(nb):
    return [cell for cell in nb["cells"] if cell["cell_type"] == "code"]


def test_notebooks_are_ordered_and_present():
    names = [path.stem for path in NOTEBOOKS]
    assert names[:3] == ["00_intro", "01_load_dataset", "02_preprocess"]
    assert all(re.fullmatch(r"\d\d_[a-z_]+", name) for name in names)
    assert names == sorted(names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_title_cell_has_the_colab_badge_for_its_own_path(path):
    first = _load(path)["cells"][0]
    assert first["cell_type"] == "markdown"
    text = _source(first)
    assert text.startswith("# ")
    assert links.colab_badge(f"notebooks/{path.name}") in text


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_install_then_setup_come_first(path):
    install, setup = _code_cells(_load(path))[:2]
    install_src = _source(install)
    assert 'if "google.colab" in sys.modules:' in install_src
    assert install_src == links.install_cell()  # one source for every notebook's install cell
    assert links.pip_source() in install_src
    # Colab keeps its own torch: the install cell never names it.
    assert not re.search(r"\btorch\b", install_src.split("sys.modules:", 1)[1])
    setup_src = _source(setup)
    assert "import course_utils as cu" in setup_src and "cu.setup(" in setup_src


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_clean_json(path):
    nbformat.validate(nbformat.read(path, as_version=4))  # the schema Jupyter itself checks
    nb = _load(path)
    assert nb["nbformat"] == 4
    assert set(nb["metadata"]) <= {"kernelspec", "language_info", "colab", "accelerator", "course_run"}
    counts = []
    for cell in nb["cells"]:
        assert set(cell.get("metadata", {})) <= ALLOWED_CELL_METADATA, cell.get("metadata")
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"stored error output: {output.get('ename')}"
        if cell["cell_type"] == "code" and cell["execution_count"] is not None:
            counts.append(cell["execution_count"])
    assert counts == sorted(counts) and len(set(counts)) == len(counts), "run the notebook top to bottom"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_machine_specific_paths(path):
    text = path.read_text(encoding="utf-8")
    assert not MACHINE_PATH.search(text), MACHINE_PATH.search(text)


def _output_text(output):
    return "".join(output.get("text", "")) + "".join(output.get("data", {}).get("text/plain", ""))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_outputs_have_no_placeholder_or_traceback(path):
    for index, cell in enumerate(_code_cells(_load(path))):
        for output in cell.get("outputs", []):
            text = _output_text(output)
            assert not PLACEHOLDER.search(text), f"code cell {index}: placeholder {PLACEHOLDER.search(text)[0]!r}"
            assert "Traceback (most recent call last)" not in text, f"code cell {index}: a stored traceback"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_widgets_have_a_readable_text_fallback(path):
    """GitHub and Colab's preview show a widget's text/plain: it must say something true."""
    for index, cell in enumerate(_code_cells(_load(path))):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "application/vnd.jupyter.widget-view+json" not in data:
                assert not STALE_PROGRESS.search(_output_text(output)), f"code cell {index}: a progress bar stuck at 0%"
                continue
            text = "".join(data.get("text/plain", ""))
            assert text.strip(), f"code cell {index}: a widget without a text fallback"
            assert not STALE_PROGRESS.search(text), f"code cell {index}: a progress bar stored at 0% (refresh outputs)"
            assert not WIDGET_REPR.match(text), f"code cell {index}: the fallback is only the widget class: {text[:40]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_ends_with_summary_and_exercises(path):
    last = _source(_load(path)["cells"][-1])
    assert "小结" in last and "练习" in last


def test_links_sync_is_a_no_op_on_committed_notebooks(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for path in NOTEBOOKS:
        (tmp_path / "notebooks" / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        assert not links.sync_notebook(tmp_path / "notebooks" / path.name, tmp_path), path.name


def test_links_sync_rewrites_a_stale_badge(tmp_path):
    (tmp_path / "notebooks").mkdir()
    target = tmp_path / "notebooks" / NOTEBOOKS[0].name
    target.write_text(
        NOTEBOOKS[0].read_text(encoding="utf-8").replace(links.GITHUB_REPO, "old/place"), encoding="utf-8"
    )
    assert links.sync_notebook(target, tmp_path)
    assert "old/place" not in target.read_text(encoding="utf-8")


def _mark_slides():
    from course_tools import mark_slides

    return mark_slides


def test_slide_metadata_follows_the_rules():
    assert _mark_slides().main(["--check"]) == 0, "运行 python -m course_tools.mark_slides"


def test_slide_check_fails_on_a_stale_cell_and_mark_fixes_it(tmp_path):
    mark_slides = _mark_slides()
    nb = nbformat.read(NOTEBOOKS[1], as_version=4)
    heading = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## "))
    nb.cells[heading].metadata["slideshow"] = {"slide_type": "-"}
    path = tmp_path / NOTEBOOKS[1].name
    nbformat.write(nb, path)
    assert mark_slides.differences(path) == [f"{path.name} 第 {heading} 格：slide_type 是 '-'，规则要求 'slide'"]
    assert mark_slides.main(["--check", str(path)]) == 1
    assert mark_slides.mark(path) is True
    assert mark_slides.differences(path) == []
    assert nbformat.read(path, as_version=4).cells[heading].source == nb.cells[heading].source


# ---------------------------------------------------------------- 📚 documentation links


def doc_link_problem(url: str) -> str | None:
    """Why ``url`` is not a well-formed https link into a library's own documentation, or None when it is."""
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as err:
        return f"{url!r}: not a URL ({err})"
    if parts.scheme != "https":
        return f"{url!r}: not https"
    if parts.username or parts.password or port is not None or not parts.hostname:
        return f"{url!r}: a docs link has a plain host, no user, password or port"
    host, path = parts.hostname, parts.path
    if host == "huggingface.co":
        segments = path.split("/")
        if len(segments) < 3 or segments[1] != "docs" or segments[2] not in HF_DOC_LIBRARIES:
            return (
                f"{url!r}: on huggingface.co only /docs/<library>/ pages count ({', '.join(sorted(HF_DOC_LIBRARIES))})"
            )
        return None
    if host not in DOC_HOSTS:
        return f"{url!r}: {host} is not a library documentation host"
    if not path.startswith(DOC_HOSTS[host]):
        return f"{url!r}: {host}'s documentation lives under {DOC_HOSTS[host]}"
    return None


def doc_link_problems(markdown: str) -> list[str]:
    """Every problem with the 📚 lines of one markdown cell (each needs at least one link, all of them docs)."""
    problems = []
    for line in markdown.splitlines():
        if DOCS_MARK not in line:
            continue
        urls = MARKDOWN_LINK.findall(line)
        if not urls:
            problems.append(f"a 📚 line without a [text](url) link: {line.strip()!r}")
        problems += [problem for url in urls if (problem := doc_link_problem(url))]
    return problems


def _doc_lines(path):
    cells = _load(path)["cells"]
    return [
        line
        for cell in cells
        if cell["cell_type"] == "markdown"
        for line in _source(cell).splitlines()
        if DOCS_MARK in line
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_doc_links_point_to_library_docs(path):
    problems = []
    for index, cell in enumerate(_load(path)["cells"]):
        if cell["cell_type"] == "markdown":
            problems += [f"cell {index}: {problem}" for problem in doc_link_problems(_source(cell))]
    assert problems == []


@pytest.mark.parametrize("stem", sorted(DOC_LINK_NOTEBOOKS))
def test_lessons_link_their_new_apis_to_the_docs(stem):
    lines = _doc_lines(ROOT / "notebooks" / f"{stem}.ipynb")
    assert lines and all(line.lstrip("- ").startswith("📚 文档：") for line in lines), lines


def test_next_steps_link_each_direction():
    nb = _load(ROOT / "notebooks" / "08_recap_quiz.ipynb")
    section = next(_source(cell) for cell in nb["cells"] if _source(cell).startswith("## 下一步"))
    for topic, url in [
        ("LoRA", "https://huggingface.co/docs/peft/index"),
        ("超参数搜索", "https://huggingface.co/docs/transformers/hpo_train"),
        ("梯度检查点", "https://huggingface.co/docs/transformers/perf_train_gpu_one#gradient-checkpointing"),
        ("量化", "https://huggingface.co/docs/transformers/main/quantization/overview"),
    ]:
        assert topic in section and f"({url})" in section, topic


@pytest.mark.parametrize(
    "url",
    [
        "https://huggingface.co/docs/datasets/process#map",
        "https://huggingface.co/docs/transformers/main_classes/data_collator#transformers.DataCollatorWithPadding",
        "https://docs.pytorch.org/docs/stable/generated/torch.optim.AdamW.html",
        "https://pytorch.org/docs/stable/data.html",
        "https://scikit-learn.org/stable/modules/model_evaluation.html",
        "https://optuna.readthedocs.io/en/stable/",
    ],
)
def test_doc_link_check_accepts_library_docs(url):
    assert doc_link_problem(url) is None
    assert doc_link_problems(f"📚 文档：[x]({url})") == []


@pytest.mark.parametrize(
    "url, why",
    [
        ("http://huggingface.co/docs/datasets/loading", "not https"),
        ("https://huggingface.co/blog/fine-tune", "/docs/<library>/"),
        ("https://huggingface.co/docs/", "/docs/<library>/"),
        ("https://huggingface.co/docs/no-such-library/index", "/docs/<library>/"),
        ("https://huggingface.co/datasets/nyu-mll/glue", "/docs/<library>/"),
        ("https://github.com/huggingface/transformers", "not a library documentation host"),
        ("https://huggingface.co.example.com/docs/transformers/index", "not a library documentation host"),
        ("https://user@huggingface.co/docs/transformers/index", "no user"),
        ("https://docs.pytorch.org/tutorials/beginner/basics.html", "lives under /docs/"),
        ("javascript:alert(1)", "not https"),
        ("https://[::1", "not a URL"),
    ],
)
def test_doc_link_check_rejects_anything_else(url, why):
    problem = doc_link_problem(url)
    assert problem is not None and why in problem, problem
    in_a_cell = doc_link_problems(f"📚 文档：[x]({url}) · [y](https://huggingface.co/docs/peft/index)")
    assert len(in_a_cell) == 1 and why in in_a_cell[0], in_a_cell


def test_doc_link_check_needs_a_link_on_a_docs_line():
    assert doc_link_problems("📚 文档：see the datasets docs") != []
    assert doc_link_problems("no docs mark here: [x](http://example.com)") == []
