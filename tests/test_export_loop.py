"""Lesson 06 has one source: the notebook's ``#| export`` cells, the module the script imports, the diff cell.

Also: lesson 06's loop is literally lesson 05's plus the Accelerate lines.
"""

import ast
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_tools import export_loop

ROOT = Path(__file__).resolve().parents[1]

# Lesson 05 statements that lesson 06 drops or rewrites, and why. Keys as ast.unparse writes them.
REPLACED_IN_05 = {
    # Accelerator chooses the device; prepare() moves the model and every batch there.
    "if torch.cuda.is_available():\n    device = torch.device('cuda')\nelif torch.backends.mps.is_available():\n"
    "    device = torch.device('mps')\nelse:\n    device = torch.device('cpu')": "Accelerator picks the device",
    "model.to(device)": "prepare() places the model",
    "batch = {key: value.to(device) for key, value in batch.items()}": "prepared dataloaders place each batch",
    "loss.backward()": "accelerator.backward(loss)",
    "metric.add_batch(predictions=predictions, references=batch['labels'])": "adds the gathered references",
    # Only the main process announces which checkpoint / metric it uses, and shows the progress bar.
    "checkpoint = cu.resolve_checkpoint('bert-base-uncased')": "announce=accelerator.is_main_process",
    "metric = cu.load_metric('glue', 'mrpc')": "announce=accelerator.is_main_process",
    "progress_bar = tqdm(range(num_training_steps))": "disable=not accelerator.is_local_main_process",
    # The fast recipe's warm-up; with the default warmup_ratio=0.0 it is 0 steps (checked below).
    "lr_scheduler = get_scheduler('linear', optimizer=optimizer, num_warmup_steps=0, "
    "num_training_steps=num_training_steps)": "num_warmup_steps from warmup_ratio",
}
# Lesson 06 statements that are neither lesson 05's nor name the accelerator, and why.
ADDED_IN_06 = {
    "set_seed(42)": "lesson 05 seeds in cu.setup(); every launched process must seed itself",
    "lr_scheduler = get_scheduler('linear', optimizer=optimizer, "
    "num_warmup_steps=math.ceil(0.0 * num_training_steps), num_training_steps=num_training_steps)": "warm-up",
    "eval_examples = 0": "counts the gathered examples: proves each is evaluated once",
    "eval_examples += len(references)": "counts the gathered examples",
    "metric.add_batch(predictions=predictions, references=references)": "the references gathered from all processes",
}


def _differences(before, after):
    """(statements of 05 that 06 drops, statements of 06 that 05 lacks), compared with the default settings."""
    matcher = export_loop.difflib.SequenceMatcher(None, [s.key for s in before], [s.key for s in after])
    removed, added = [], []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += [s.key for s in before[i1:i2]]
            added += [s.key for s in after[j1:j2]]
    return removed, added


def _names_accelerator(key: str) -> bool:
    """True when the statement (or block header, e.g. ``with ...:``) uses ``accelerator`` or ``Accelerator``."""
    tree = ast.parse(key + " pass" if key.endswith(":") else key)
    return any(isinstance(node, ast.Name) and node.id in ("accelerator", "Accelerator") for node in ast.walk(tree))


def unexplained(before, after) -> list[str]:
    removed, added = _differences(before, after)
    problems = [f"05 only: {key}" for key in removed if key not in REPLACED_IN_05]
    problems += [f"06 only: {key}" for key in added if key not in ADDED_IN_06 and not _names_accelerator(key)]
    return problems


def test_module_and_diff_cell_are_generated_from_the_notebooks():
    assert export_loop.stale() == [], "run: python -m course_tools.export_loop"


def test_the_check_fails_when_the_notebook_changes(tmp_path):
    notebook = tmp_path / "06.ipynb"
    module = tmp_path / "accelerate_loop.py"
    shutil.copy(export_loop.NOTEBOOK_06, notebook)
    module.write_text(export_loop.module_source(notebook), encoding="utf-8")
    assert export_loop.stale(export_loop.NOTEBOOK_05, notebook, module) == []

    nb = nbformat.read(notebook, as_version=4)
    cell = next(c for c in nb.cells if "def evaluate_model" in c.source)
    cell.source = cell.source.replace("gather_for_metrics", "gather")  # exercise 2, edited in the notebook only
    nbformat.write(nb, notebook)
    problems = export_loop.stale(export_loop.NOTEBOOK_05, notebook, module)
    assert len(problems) == 2 and "accelerate_loop.py" in problems[0] and "loop-diff" in problems[1]

    export_loop.export(export_loop.NOTEBOOK_05, notebook, module)
    assert "accelerator.gather((predictions" in module.read_text(encoding="utf-8")
    assert export_loop.stale(export_loop.NOTEBOOK_05, notebook, module) == []


class _WithoutAlias(ast.NodeTransformer):
    """``cu.NAME`` -> ``NAME``: what the exporter does to the notebook's code, written independently of it."""

    def visit_Attribute(self, node):
        if isinstance(node.value, ast.Name) and node.value.id == "cu":
            return ast.copy_location(ast.Name(node.attr, node.ctx), node)
        return self.generic_visit(node)


def _statements(source: str, transform=None) -> list[str]:
    """The statements of ``source`` (imports of course_utils left out), as ast.unparse writes them."""
    tree = ast.parse(source)
    if transform:
        tree = transform.visit(tree)
    kept = []
    for node in tree.body:
        if isinstance(node, ast.Import) and any(alias.name == "course_utils" for alias in node.names):
            continue
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
            continue
        kept.append(ast.unparse(node))
    return kept


def test_the_module_says_it_is_generated_and_from_which_notebook():
    lines = export_loop.MODULE.read_text(encoding="utf-8").splitlines()
    assert lines[0] == (
        "# AUTOGENERATED! DO NOT EDIT! File to edit: notebooks/06_accelerate.ipynb "
        "(run: python -m course_tools.export_loop)"
    )
    assert lines[1].startswith('"""Lesson 06') and "generated from notebooks/06_accelerate.ipynb" in lines[1]


def test_each_part_of_the_module_names_its_cell_and_holds_its_code():
    text = export_loop.MODULE.read_text(encoding="utf-8")
    parts = re.split(r"^# %% notebooks/06_accelerate\.ipynb, cell (\d+)\n", text, flags=re.MULTILINE)
    indices, chunks = [int(index) for index in parts[1::2]], parts[2::2]
    cells = nbformat.read(export_loop.NOTEBOOK_06, as_version=4).cells
    exported = [i for i, cell in enumerate(cells) if cell.source.startswith("#| export\n")]
    assert indices == exported and exported
    for index, chunk in zip(indices, chunks, strict=True):
        assert _statements(chunk) == _statements(cells[index].source, _WithoutAlias()), f"cell {index}"


def test_the_module_imports_each_helper_from_where_it_is_defined():
    import importlib

    import course_utils

    tree = ast.parse(export_loop.MODULE.read_text(encoding="utf-8"))
    assert not any(isinstance(node, ast.Name) and node.id == "cu" for node in ast.walk(tree))
    assert not any(isinstance(node, ast.Import) and "course_utils" in ast.unparse(node) for node in tree.body)
    helpers = [node for node in tree.body if isinstance(node, ast.ImportFrom) and "course_utils" in node.module]
    used = {
        node.attr
        for node in ast.walk(ast.parse("\n".join(export_loop.exported_sources())))
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "cu"
    }
    assert {alias.name for node in helpers for alias in node.names} == used >= {"COURSE", "resolve_checkpoint"}
    for node in helpers:
        assert node.module.startswith("course_utils.") and node.level == 0
        module = importlib.import_module(node.module)
        for alias in node.names:
            helper = getattr(course_utils, alias.name)
            assert getattr(module, alias.name) is helper
            assert getattr(helper, "__module__", node.module) == node.module, alias.name
    assert export_loop.defining_module("COURSE") == "course_utils.recipes"  # a dict: found without __module__
    assert export_loop.defining_module("precision_policy") == "course_utils.precision"


def test_only_the_alias_is_rewritten():
    source = 'a = cu.load_metric("cu.x")  # cu.load_metric\nb = other.cu.thing + cu . COURSE["x"]\n'
    rewritten, names = export_loop._without_alias(source)
    assert rewritten == 'a = load_metric("cu.x")  # cu.load_metric\nb = other.cu.thing + COURSE["x"]\n'
    assert names == ["load_metric", "COURSE"]


def test_the_module_holds_only_the_export_cells():
    text = export_loop.MODULE.read_text(encoding="utf-8")
    names = {node.name for node in ast.parse(text).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert names == {"TrainConfig", "build_dataloaders", "training_function", "evaluate_model"} | {
        "save_outputs",
        "make_report",
    }


def test_the_script_runs_the_exported_loop():
    script = (ROOT / "scripts" / "train_mrpc.py").read_text(encoding="utf-8")
    assert "from course_utils.accelerate_loop import TrainConfig, training_function" in script
    assert "def training_function" not in script


def test_06_is_05_plus_the_accelerate_lines():
    before, after = export_loop.statements_05(), export_loop.statements_06()
    assert unexplained(before, after) == []
    removed, added = _differences(before, after)
    assert set(removed) == set(REPLACED_IN_05)  # every listed reason still applies
    assert set(ADDED_IN_06) <= set(added)


def test_the_default_settings_are_the_course_recipe():
    from course_utils.accelerate_loop import TrainConfig
    from course_utils.recipes import COURSE

    config = TrainConfig()
    assert (config.epochs, config.batch_size) == (COURSE["num_train_epochs"], COURSE["per_device_train_batch_size"])
    assert (config.learning_rate, config.weight_decay) == (COURSE["learning_rate"], COURSE["weight_decay"])
    assert config.warmup_ratio == COURSE["warmup_steps"] == 0 and not config.group_by_length
    assert config.train_rows is None and config.output_dir is None


def test_the_notebook_names_the_module_it_is_exported_to():
    cells = nbformat.read(export_loop.NOTEBOOK_06, as_version=4).cells
    first = next(i for i, cell in enumerate(cells) if cell.source.startswith("#| export\n"))
    intro = "\n".join(cell.source for cell in cells[:first] if cell.cell_type == "markdown")
    for needed in ("#| export", "course_utils/accelerate_loop.py", "python -m course_tools.export_loop"):
        assert needed in intro, needed


def test_same_optimizer_and_data_pipeline_statement_by_statement():
    keys_05 = [s.key for s in export_loop.statements_05()]
    keys_06 = [s.key for s in export_loop.statements_06()]
    optimizer = "optimizer = torch.optim.AdamW(model.parameters(), lr=5e-05, weight_decay=0.0)"
    assert optimizer in keys_05 and optimizer in keys_06  # the same weight decay, written out in both
    pipeline = [
        "tokenizer = AutoTokenizer.from_pretrained(checkpoint)",
        "raw_datasets = cu.load_dataset('nyu-mll/glue', 'mrpc')",
        "tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)",
        "data_collator = DataCollatorWithPadding(tokenizer=tokenizer)",
        "tokenized_datasets = tokenized_datasets.remove_columns(['sentence1', 'sentence2', 'idx'])",
        "tokenized_datasets = tokenized_datasets.rename_column('label', 'labels')",
        "tokenized_datasets.set_format('torch')",
        "train_dataloader = DataLoader(train_dataset, shuffle=True, batch_size=8, collate_fn=data_collator)",
        "eval_dataloader = DataLoader(tokenized_datasets['validation'], batch_size=8, collate_fn=data_collator)",
        "model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2, "
        "id2label=id2label, label2id=label2id)",
    ]
    for statement in pipeline:
        assert keys_05.count(statement) == keys_06.count(statement) == 1, statement


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("lr=5e-5, weight_decay=0.0", "lr=5e-5"),  # torch's AdamW default is weight_decay=0.01
        ('["sentence1", "sentence2", "idx"]', '["sentence1", "sentence2"]'),
    ],
)
def test_a_difference_in_05_is_caught(tmp_path, old, new):
    notebook = tmp_path / "05.ipynb"
    nb = nbformat.read(export_loop.NOTEBOOK_05, as_version=4)
    cell = next(c for c in nb.cells if old in c.source)
    cell.source = cell.source.replace(old, new)
    nbformat.write(nb, notebook)
    assert unexplained(export_loop.statements_05(notebook), export_loop.statements_06())


def test_the_warm_up_is_zero_steps_by_default():
    import math

    from course_utils.accelerate_loop import TrainConfig

    assert all(math.ceil(TrainConfig().warmup_ratio * steps) == 0 for steps in (1, 459, 1377))


def test_the_diff_cell_shows_the_accelerate_changes():
    nb = nbformat.read(export_loop.NOTEBOOK_06, as_version=4)
    cell = next(c for c in nb.cells if export_loop.DIFF_TAG in c.metadata.get("tags", []))
    assert cell.cell_type == "markdown"
    for line in ("-         loss.backward()", "+         accelerator.backward(loss)", "- model.to(device)"):
        assert line in cell.source.splitlines(), line
    assert any(
        line.startswith("+ train_dataloader, eval_dataloader, model, optimizer = accelerator.prepare(")
        for line in cell.source.splitlines()
    )


def test_exercises_edit_the_notebook_not_an_installed_package():
    nb = nbformat.read(export_loop.NOTEBOOK_06, as_version=4)
    exercises = nb.cells[-1].source.split("## 练习", 1)[1]
    assert "accelerate_loop.py" not in exercises and "course_utils/" not in exercises
    assert "那一格里" in exercises and "python -m course_tools.export_loop" in exercises
    assert not any("inspect.getsource" in cell.source for cell in nb.cells)
