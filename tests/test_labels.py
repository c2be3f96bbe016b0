"""Every model the course creates names its labels (id2label / label2id from the dataset's ClassLabel)."""

import ast
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
# The lessons that fine-tune a model (exercises included) and the training script. Lesson 03 and
# benchmarks/ only time training steps on models they never keep.
SOURCES = [ROOT / "notebooks" / f"{name}.ipynb" for name in ("04_trainer", "05_training_loop", "06_accelerate")] + [
    ROOT / "course_utils" / "accelerate_loop.py",
    ROOT / "scripts" / "train_mrpc.py",
]


def _code(path: Path) -> list[str]:
    """Python sources: each code cell of a notebook (IPython magics such as %pip made ``pass``), or the file."""
    if path.suffix != ".ipynb":
        return [path.read_text(encoding="utf-8")]
    cells = nbformat.read(path, as_version=4).cells
    sources = []
    for cell in cells:
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            lines = [
                line[: len(line) - len(line.lstrip())] + "pass" if line.lstrip().startswith("%") else line
                for line in lines
            ]
            sources.append("\n".join(lines))
    return sources


def _new_classifiers(path: Path) -> list[ast.Call]:
    """Calls creating a classification head: ``...ForSequenceClassification.from_pretrained(..., num_labels=...)``."""
    calls = []
    nodes = [node for source in _code(path) for node in ast.walk(ast.parse(source))]
    for node in nodes:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "from_pretrained":
            owner = ast.unparse(node.func.value)
            if owner.endswith("ForSequenceClassification") and any(k.arg == "num_labels" for k in node.keywords):
                calls.append(node)
    return calls


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_new_classification_heads_get_label_names(path):
    for call in _new_classifiers(path):
        keywords = {keyword.arg for keyword in call.keywords}
        assert {"id2label", "label2id"} <= keywords, f"{path.name}: {ast.unparse(call)}"


def test_the_lessons_that_train_do_create_models():
    found = {path.stem for path in SOURCES if _new_classifiers(path)}
    assert {"04_trainer", "05_training_loop", "accelerate_loop"} <= found


def test_06_ends_with_a_pipeline_on_a_sentence_pair():
    cells = nbformat.read(ROOT / "notebooks" / "06_accelerate.ipynb", as_version=4).cells
    source = next(c for c in cells if c.cell_type == "code" and 'pipeline("text-classification"' in c.source)
    assert '"text_pair"' in source.source and "config.output_dir" in source.source
    printed = "".join(output.get("text", "") for output in source.get("outputs", []))
    assert printed.count("'label': ") == 2, printed
    assert all(label in ("equivalent", "not_equivalent") for label in _labels(printed)), printed


def _labels(printed: str) -> list[str]:
    return [part.split("'")[0] for part in printed.split("'label': '")[1:]]
