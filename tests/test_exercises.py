"""The "试试看" self-checks: right answers pass, typical mistakes are named, placeholders say "not done".

The checks run on the course's embedded MRPC and SST-2 samples with the
packaged tokenizer and a tiny BERT, so they need no download. The notebooks'
reference solutions themselves run under nbval (see the root conftest.py);
here we check that every exercise has one and that it is extracted whole.
"""

import ast
import json
from pathlib import Path

import numpy as np
import pytest

import course_utils as cu
from course_utils import exercises
from course_utils.checkpoint import packaged_checkpoint
from course_utils.data import SAMPLE_DIR, SAMPLE_LAYOUT, SST2_SAMPLE_LAYOUT, build_from_source_files
from course_utils.exercises import GLUE_TASK_KEYS, ExerciseError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    """Checks report instead of raising, as in a learner's notebook (tests that want strict mode set it)."""
    monkeypatch.delenv(exercises.STRICT_ENV, raising=False)


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(packaged_checkpoint())


@pytest.fixture(scope="module")
def mrpc():
    return build_from_source_files(SAMPLE_DIR, SAMPLE_LAYOUT)


@pytest.fixture(scope="module")
def sst2():
    return build_from_source_files(SAMPLE_DIR, SST2_SAMPLE_LAYOUT, name="sst2")


def reference_preprocess(tokenizer):
    def preprocess_function(examples, task):
        first, second = GLUE_TASK_KEYS[task]
        if second is None:
            return tokenizer(examples[first], truncation=True)
        return tokenizer(examples[first], examples[second], truncation=True)

    return preprocess_function


def _failed_lines(report):
    return [message for good, message in report.lines if not good]


# ---------------------------------------------------------------- the report itself


def test_placeholders_mean_not_done_and_strict_mode_raises(mrpc, monkeypatch):
    report = cu.check_labels(mrpc, ..., 1)
    assert not report.passed and "还没有完成" in repr(report) and "train_label" in repr(report)
    assert "validation_label" not in report.unfinished
    monkeypatch.setenv(exercises.STRICT_ENV, "1")
    with pytest.raises(ExerciseError, match="自检没有通过"):
        cu.check_labels(mrpc, ..., ...)


def test_strict_mode_lets_a_right_answer_through(mrpc, monkeypatch):
    monkeypatch.setenv(exercises.STRICT_ENV, "1")
    v_index = exercises.validation_index(mrpc["validation"])
    report = cu.check_labels(mrpc, mrpc["train"][15]["label"], mrpc["validation"][v_index]["label"])
    assert report.passed and "全部正确" in repr(report)


# ---------------------------------------------------------------- 01


def test_labels_accept_ints_or_names(mrpc):
    names = mrpc["train"].features["label"].names
    v_index = exercises.validation_index(mrpc["validation"])
    train, validation = mrpc["train"][15]["label"], mrpc["validation"][v_index]["label"]
    assert cu.check_labels(mrpc, names[train], names[validation]).passed
    wrong = cu.check_labels(mrpc, 1 - train, validation)
    assert not wrong.passed
    assert any("raw_datasets['train'][15]" in line for line in _failed_lines(wrong))
    assert "小样本" in " ".join(wrong.notes)  # the sample has fewer than 88 validation rows


@pytest.mark.parametrize("bad", [True, 2, "same", 0.0])
def test_labels_that_are_not_labels_are_named(mrpc, bad):
    report = cu.check_labels(mrpc, bad, 0)
    assert any("不是一个标签" in line for line in _failed_lines(report))


# ---------------------------------------------------------------- 01: the dataset card and the task


def test_dataset_card_right_answer(mrpc):
    report = cu.check_dataset_card(mrpc, ["not_equivalent", "equivalent"], dict(mrpc.num_rows))
    assert report.passed
    assert "小样本" in " ".join(report.notes)  # the sample's sizes are not the Hub's


@pytest.mark.parametrize(
    "label_names, split_sizes, expected",
    [
        (["equivalent", "not_equivalent"], None, "顺序不对"),
        (["no", "yes"], None, "标签名不一样"),
        ("not_equivalent", None, "列表"),
        (None, [36, 12, 12], "应该是一个字典"),
        (None, {"train": 36, "validation": 12}, "缺少划分 'test'"),
        (None, {"train": 3668, "validation": 12, "test": 12}, "split_sizes['train'] = 3668 不对"),
        (None, {"train": "36", "validation": 12, "test": 12}, "写整数"),
        (None, {"train": 36, "validation": 12, "test": 12, "dev": 5}, "没有划分 ['dev']"),
    ],
)
def test_dataset_card_mistakes_are_named(mrpc, label_names, split_sizes, expected):
    label_names = ["not_equivalent", "equivalent"] if label_names is None else label_names
    split_sizes = dict(mrpc.num_rows) if split_sizes is None else split_sizes
    report = cu.check_dataset_card(mrpc, label_names, split_sizes)
    assert not report.passed
    assert any(expected in line for line in _failed_lines(report)), _failed_lines(report)


def test_dataset_card_placeholders(mrpc):
    assert "还没有完成" in repr(cu.check_dataset_card(mrpc, ..., {"train": 36}))


@pytest.mark.parametrize("task", ["句子对分类", "释义识别", " Paraphrase detection "])
def test_dataset_task_right_answers(mrpc, task):
    report = cu.check_dataset_task(mrpc, ["sentence2", "sentence1"], 2, task)
    assert report.passed
    assert "num_labels=2" in " ".join(report.notes)


@pytest.mark.parametrize(
    "text_columns, num_labels, task, expected",
    [
        (["sentence1", "idx"], 2, "句子对分类", "Value('string')"),
        ("sentence1", 2, "句子对分类", "列名组成的列表"),
        (["sentence1", "sentence2"], 3, "句子对分类", "num_labels = 3 不对"),
        (["sentence1", "sentence2"], True, "句子对分类", "num_labels = True 不对"),
        (["sentence1", "sentence2"], 2, "单句分类", "两个句子"),
        (["sentence1", "sentence2"], 2, "回归", "不是一个连续的分数"),
        (["sentence1", "sentence2"], 2, "命名实体识别", "不是每个 token 一个"),
        (["sentence1", "sentence2"], 2, "问答", "起止位置"),
        (["sentence1", "sentence2"], 2, "翻译", "从 2 个类别里选一个"),
        (["sentence1", "sentence2"], 2, "看不懂的任务", "不认识这个任务名"),
        (["sentence1", "sentence2"], 2, 2, "不认识这个任务名"),
    ],
)
def test_dataset_task_mistakes_are_named(mrpc, text_columns, num_labels, task, expected):
    report = cu.check_dataset_task(mrpc, text_columns, num_labels, task)
    assert not report.passed
    assert any(expected in line for line in _failed_lines(report)), _failed_lines(report)


def test_dataset_task_on_a_single_sentence_dataset(sst2):
    assert cu.check_dataset_task(sst2, ["sentence"], 2, "情感分析").passed
    wrong = cu.check_dataset_task(sst2, ["sentence"], 2, "句子对分类")
    assert not wrong.passed


def test_dataset_task_placeholders(mrpc):
    report = cu.check_dataset_task(mrpc, ..., 2, ...)
    assert "还没有完成" in repr(report) and "text_columns、task" in report.unfinished


# ---------------------------------------------------------------- 02


def test_pair_tokenization_right_and_explained(mrpc, tokenizer):
    element = mrpc["train"][15]
    separate = (tokenizer(element["sentence1"]), tokenizer(element["sentence2"]))
    pair = tokenizer(element["sentence1"], element["sentence2"])
    report = cu.check_pair_tokenization(tokenizer, mrpc, separate, pair)
    assert report.passed
    n1, n2 = len(separate[0]["input_ids"]), len(separate[1]["input_ids"])
    notes = " ".join(report.notes)
    assert f"{n1} + {n2} − 1 = {n1 + n2 - 1}" in notes and "token_type_ids" in notes


def test_pair_tokenization_mistakes(mrpc, tokenizer):
    element = mrpc["train"][15]
    one, two = tokenizer(element["sentence1"]), tokenizer(element["sentence2"])
    # a pair built by concatenating the strings, and the separate results swapped
    glued = tokenizer(element["sentence1"] + " " + element["sentence2"])
    report = cu.check_pair_tokenization(tokenizer, mrpc, (two, one), glued)
    assert len(_failed_lines(report)) == 3 and not report.notes
    not_a_pair = cu.check_pair_tokenization(tokenizer, mrpc, one, glued)
    assert "元组" in _failed_lines(not_a_pair)[0]


def test_sst2_preprocessing(sst2, tokenizer):
    right = sst2.map(lambda e: tokenizer(e["sentence"], truncation=True), batched=True)
    assert cu.check_sst2_preprocessing(right, tokenizer).passed

    padded = sst2.map(
        lambda e: tokenizer(e["sentence"], truncation=True, padding="max_length", max_length=64), batched=True
    )
    assert any("padding" in line for line in _failed_lines(cu.check_sst2_preprocessing(padded, tokenizer)))

    as_pairs = sst2.map(lambda e: tokenizer(e["sentence"], e["sentence"], truncation=True), batched=True)
    failed = _failed_lines(cu.check_sst2_preprocessing(as_pairs, tokenizer))
    assert any("第一行" in line for line in failed) and any("token_type_ids" in line for line in failed)

    only_train = cu.check_sst2_preprocessing({"train": right["train"]}, tokenizer)
    assert not only_train.passed and "三个划分" not in repr(only_train)


def test_glue_preprocessing_reference_passes_every_task(tokenizer):
    report = cu.check_glue_preprocessing(reference_preprocess(tokenizer), tokenizer)
    assert report.passed and len(report.lines) == len(GLUE_TASK_KEYS)


def test_glue_preprocessing_mistakes_are_per_task(tokenizer):
    keys = {task: keys for task, keys in GLUE_TASK_KEYS.items() if task != "qnli"}  # one task forgotten

    def forgets_qnli(examples, task):
        first, second = keys[task]
        return tokenizer(examples[first], examples[second], truncation=True) if second else tokenizer(examples[first])

    failed = _failed_lines(cu.check_glue_preprocessing(forgets_qnli, tokenizer))
    assert len(failed) == 1 and failed[0].startswith("qnli") and "KeyError" in failed[0]

    def first_sentence_only(examples, task):
        return tokenizer(examples[GLUE_TASK_KEYS[task][0]], truncation=True)

    failed = _failed_lines(cu.check_glue_preprocessing(first_sentence_only, tokenizer))
    pair_tasks = [task for task, (_, second) in GLUE_TASK_KEYS.items() if second]
    assert sorted(line.split("：")[0] for line in failed) == sorted(pair_tasks)


# ---------------------------------------------------------------- 04 / 05


def _trainer(tiny_bert, tmp_path, tokenizer, train, validation, labels=("negative", "positive"), train_it=True):
    from transformers import DataCollatorWithPadding, Trainer, TrainingArguments

    def compute_metrics(eval_preds):
        logits, gold = eval_preds
        return {"accuracy": float((np.argmax(logits, axis=-1) == gold).mean())}

    args = TrainingArguments(
        str(tmp_path),
        num_train_epochs=1,
        per_device_train_batch_size=8,
        eval_strategy="epoch",
        save_strategy="no",
        disable_tqdm=True,
        use_cpu=True,
    )
    trainer = Trainer(
        tiny_bert(labels),
        args,
        train_dataset=train,
        eval_dataset=validation,
        data_collator=DataCollatorWithPadding(tokenizer=tokenizer),
        processing_class=tokenizer,
        compute_metrics=compute_metrics,
    )
    if train_it:
        trainer.train()
    return trainer


def test_sst2_trainer_right(tiny_bert, tmp_path, sst2, tokenizer):
    tokenized = sst2.map(lambda e: tokenizer(e["sentence"], truncation=True), batched=True)
    report = cu.check_sst2_trainer(
        _trainer(tiny_bert, tmp_path, tokenizer, tokenized["train"], tokenized["validation"])
    )
    assert report.passed, repr(report)
    assert "基线" in " ".join(report.notes)


def test_sst2_trainer_on_mrpc_untrained_with_generic_labels(tiny_bert, tmp_path, mrpc, tokenizer):
    tokenized = mrpc.map(lambda e: tokenizer(e["sentence1"], e["sentence2"], truncation=True), batched=True)
    trainer = _trainer(
        tiny_bert,
        tmp_path,
        tokenizer,
        tokenized["train"],
        tokenized["validation"],
        labels=("LABEL_0", "LABEL_1"),
        train_it=False,
    )
    failed = " ".join(_failed_lines(cu.check_sst2_trainer(trainer)))
    assert "id2label" in failed and "MRPC" in failed and "还没有训练" in failed and "eval_accuracy" in failed


def _loader(dataset, tokenizer, drop=("sentence", "idx"), rename=True):
    from torch.utils.data import DataLoader
    from transformers import DataCollatorWithPadding

    tokenized = dataset.map(lambda e: tokenizer(e["sentence"], truncation=True), batched=True).remove_columns(
        list(drop)
    )
    if rename:
        tokenized = tokenized.rename_column("label", "labels")
    tokenized.set_format("torch")
    return DataLoader(tokenized, batch_size=4, collate_fn=DataCollatorWithPadding(tokenizer=tokenizer))


def test_sst2_loop_right_and_wrong(tiny_bert, sst2, tokenizer):
    model = tiny_bert(("negative", "positive")).eval()
    loader = _loader(sst2["train"], tokenizer)
    assert cu.check_sst2_loop(loader, model, {"accuracy": 0.5, "f1": 0.4}).passed

    failed = " ".join(
        _failed_lines(
            cu.check_sst2_loop(
                _loader(sst2["train"], tokenizer, drop=("sentence", "idx", "label"), rename=False), model.train(), None
            )
        )
    )
    assert "labels" in failed and "model.eval()" in failed and "metric.compute()" in failed
    assert "还没有完成" in repr(cu.check_sst2_loop(loader, ..., ...))


# ---------------------------------------------------------------- solutions stored in the notebooks


def _cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def _tagged(cells, tag):
    return [i for i, cell in enumerate(cells) if tag in cell.get("metadata", {}).get("tags", [])]


@pytest.mark.parametrize(
    "stem, count",
    [("01_load_dataset", 3), ("02_preprocess", 3), ("04_trainer", 1), ("05_training_loop", 1)],
)
def test_each_exercise_has_a_check_and_a_hidden_solution(stem, count):
    cells = _cells(ROOT / "notebooks" / f"{stem}.ipynb")
    solutions = exercises.exercise_solutions(cells)
    assert len(solutions) == count == len(_tagged(cells, "solution"))
    for index, code in solutions.items():
        exercise = cells[index]
        assert exercise["execution_count"] is None or "..." in "".join(exercise["source"])
        assert "= ..." in "".join(exercise["source"]), "the learner's cell holds placeholders, not the answer"
        check = "".join(cells[index + 1]["source"])
        assert cells[index + 1]["cell_type"] == "code" and "cu.check_" in check
        solution = "".join(cells[index + 2]["source"])
        assert solution.lstrip().startswith("<details>") and "<summary>" in solution  # collapsed until clicked
        ast.parse(code)  # valid Python, and each placeholder name is assigned by the solution
        assigned = {
            target.id
            for node in ast.walk(ast.parse(code))
            for target in getattr(node, "targets", [])
            if isinstance(target, ast.Name)
        } | {node.name for node in ast.walk(ast.parse(code)) if isinstance(node, ast.FunctionDef)}
        placeholders = {
            node.targets[0].id
            for node in ast.parse("".join(exercise["source"])).body
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and node.value.value is Ellipsis
        }
        assert placeholders and placeholders <= assigned, (stem, placeholders - assigned)


def test_no_other_notebook_has_exercise_tags():
    tagged = {path.stem for path in NOTEBOOKS if _tagged(_cells(path), "exercise") or _tagged(_cells(path), "solution")}
    assert tagged == {"01_load_dataset", "02_preprocess", "04_trainer", "05_training_loop"}


def test_solution_code_joins_fences_and_needs_details():
    text = "<details>\n<summary>答案</summary>\n\n```python\na = 1\n```\n\n说明\n\n```python\nb = a\n```\n</details>"
    assert exercises.solution_code(text) == "a = 1\nb = a\n"
    with pytest.raises(ExerciseError):
        exercises.solution_code("```python\na = 1\n```")


def test_an_exercise_without_a_solution_is_an_error():
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["exercise"]}, "source": ["x = ..."]},
        {"cell_type": "code", "metadata": {}, "source": ["cu.check_labels(...)"]},
    ]
    with pytest.raises(ExerciseError, match="参考答案"):
        exercises.exercise_solutions(cells)
