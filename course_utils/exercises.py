"""Self-checks for the chapter's "试试看" exercises, and how their solutions are stored.

Each exercise in a notebook is three cells: a code cell tagged ``exercise``
where the learner replaces the ``...`` placeholders, a code cell calling one
``check_*`` function below, and a markdown cell tagged ``solution`` holding the
reference code inside a collapsed ``<details>`` block. A check looks at the
learner's real objects (labels, encodings, datasets, a trained ``Trainer``,
a DataLoader) and returns a ``CheckReport`` that reads, in Chinese, what is
right and what is still wrong.

Tests never let a solution rot: the root ``conftest.py`` runs each notebook
with every ``exercise`` cell replaced by the code of the ``solution`` cell
after it (``solution_code``), and sets ``COURSE_EXERCISE_STRICT=1`` so that a
check that fails raises ``ExerciseError`` instead of only saying so.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from .errors import CourseError

STRICT_ENV = "COURSE_EXERCISE_STRICT"
EXERCISE_TAG = "exercise"
SOLUTION_TAG = "solution"
# The sentence keys of every GLUE task (ax, the diagnostic set, has no training data).
GLUE_TASK_KEYS: dict[str, tuple[str, str | None]] = {
    "cola": ("sentence", None),
    "sst2": ("sentence", None),
    "mrpc": ("sentence1", "sentence2"),
    "qqp": ("question1", "question2"),
    "stsb": ("sentence1", "sentence2"),
    "mnli": ("premise", "hypothesis"),
    "qnli": ("question", "sentence"),
    "rte": ("sentence1", "sentence2"),
    "wnli": ("sentence1", "sentence2"),
}
_SOLUTION_RE = re.compile(r"```python\n(.*?)```", re.S)


class ExerciseError(CourseError):
    """A self-check failed while ``COURSE_EXERCISE_STRICT`` is set (the tests run solutions that way)."""


@dataclass
class CheckReport:
    """The verdict of one self-check: a line per thing checked, ✅ or ❌, plus notes."""

    title: str
    lines: list[tuple[bool, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unfinished: str = ""

    def ok(self, condition: bool, good: str, bad: str) -> bool:
        self.lines.append((bool(condition), good if condition else bad))
        return bool(condition)

    def note(self, text: str) -> None:
        self.notes.append(text)

    @property
    def passed(self) -> bool:
        return not self.unfinished and bool(self.lines) and all(good for good, _ in self.lines)

    def text(self) -> str:
        if self.unfinished:
            return f"⏳ {self.title}：还没有完成。{self.unfinished}"
        head = "🎉 全部正确！" if self.passed else "还有地方不对，看看下面标 ❌ 的行："
        body = [f"  {'✅' if good else '❌'} {message}" for good, message in self.lines]
        notes = [f"  💡 {note}" for note in self.notes]
        return "\n".join([f"【{self.title}】{head}", *body, *notes])

    def __repr__(self) -> str:
        return self.text()

    def finish(self) -> CheckReport:
        """Return the report; in strict mode (the tests) a report that did not pass raises."""
        if os.environ.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"} and not self.passed:
            raise ExerciseError(f"练习「{self.title}」的自检没有通过", self.text())
        return self


def _placeholder(**values) -> str:
    """Names still holding the ``...`` placeholder, as a sentence; empty when all are filled in."""
    missing = [name for name, value in values.items() if value is Ellipsis]
    return f"把 {'、'.join(missing)} 的 ... 换成你的答案，再运行这一格。" if missing else ""


def _unfinished(title: str, **values) -> CheckReport | None:
    message = _placeholder(**values)
    return CheckReport(title, unfinished=message).finish() if message else None


# ---------------------------------------------------------------- 01: labels of two elements


def _label_id(value, names: Sequence[str]) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value < len(names):
        return value
    if isinstance(value, str) and value in names:
        return names.index(value)
    return None


def validation_index(dataset) -> int:
    """Element 87 of the validation split, or its last row when a small sample has fewer rows."""
    return 87 if len(dataset) > 87 else len(dataset) - 1


def check_labels(raw_datasets, train_label, validation_label) -> CheckReport:
    """01: the labels of training element 15 and validation element 87 (an int or the label's name)."""
    title = "训练集第 15 个、验证集第 87 个元素的标签"
    if report := _unfinished(title, train_label=train_label, validation_label=validation_label):
        return report
    names = raw_datasets["train"].features["label"].names
    report = CheckReport(title)
    v_index = validation_index(raw_datasets["validation"])
    for name, given, split, index in (
        ("train_label", train_label, "train", 15),
        ("validation_label", validation_label, "validation", v_index),
    ):
        expected = raw_datasets[split][index]["label"]
        got = _label_id(given, names)
        if got is None:
            report.ok(False, "", f"{name} = {given!r} 不是一个标签：写整数（0 或 1）或标签名（{' / '.join(names)}）")
            continue
        report.ok(
            got == expected,
            f"raw_datasets['{split}'][{index}] 的标签是 {expected}（{names[expected]}）",
            f"{name} = {given!r} 不对：再看看 raw_datasets['{split}'][{index}]['label']，"
            "并用 features['label'].int2str(...) 把数字换成名字",
        )
    if v_index != 87:
        report.note(f"当前的验证集只有 {len(raw_datasets['validation'])} 行（课程自带的小样本），所以看的是最后一行。")
    return report.finish()


# ---------------------------------------------------------------- 01: reading a dataset card

# The kinds of task a learner can name, with the words accepted for each (compared after strip + lower).
TASK_KINDS: dict[str, tuple[str, ...]] = {
    "单句分类": ("单句分类", "文本分类", "情感分析", "single-sentence classification", "sentiment analysis"),
    "句子对分类": (
        "句子对分类",
        "释义识别",
        "复述识别",
        "同义句识别",
        "sentence-pair classification",
        "sentence pair classification",
        "paraphrase detection",
        "paraphrase identification",
    ),
    "序列标注": ("序列标注", "命名实体识别", "token classification", "ner"),
    "抽取式问答": ("抽取式问答", "问答", "question answering"),
    "回归": ("回归", "句子对打分", "regression"),
    "翻译": ("翻译", "机器翻译", "translation"),
}
_WHY_NOT: dict[str, str] = {
    "单句分类": "每条样本有两个句子（{columns}），模型要比较这两句话，不是只读一句",
    "序列标注": "标签是整条样本一个（label 列每行只有一个数），不是每个 token 一个；序列标注的标签列每行是一串标签",
    "抽取式问答": "没有问题和上下文，也没有答案在原文里的起止位置",
    "回归": "label 是 ClassLabel（{n} 个类别），不是一个连续的分数（GLUE 里打分的是 STS-B）",
    "翻译": "输出不是一段文字，而是从 {n} 个类别里选一个",
}


def _task_kind(answer) -> str | None:
    if not isinstance(answer, str):
        return None
    text = answer.strip().lower()
    for kind, words in TASK_KINDS.items():
        if text in {word.lower() for word in words}:
            return kind
    return None


def _text_columns(features) -> list[str]:
    return [name for name, feature in features.items() if getattr(feature, "dtype", None) == "string"]


def check_dataset_card(raw_datasets, label_names, split_sizes) -> CheckReport:
    """01: what the card (or, offline, the loaded data's info) says: the label names and each split's size."""
    title = "数据集卡片：标签名和每个划分的大小"
    if report := _unfinished(title, label_names=label_names, split_sizes=split_sizes):
        return report
    report = CheckReport(title)
    names = list(raw_datasets["train"].features["label"].names)
    given = list(label_names) if isinstance(label_names, (list, tuple)) else None
    if given is None or not all(isinstance(name, str) for name in given):
        report.ok(
            False,
            "",
            f"label_names = {label_names!r} 应该是一个由标签名（字符串）组成的列表，按标签 id 0、1… 的顺序",
        )
    elif given == names:
        report.ok(True, f"标签名：{names}（下标就是标签的 id）", "")
    elif sorted(given) == sorted(names):
        report.ok(False, "", f"标签名对了，顺序不对：下标 0 应该是 {names[0]!r}。卡片里的 names 按 id 从 0 排起")
    else:
        report.ok(False, "", f"label_names = {given!r} 和卡片里的标签名不一样：再看看 label 那一列的 names")
    expected = {str(split): int(rows) for split, rows in dict(raw_datasets.num_rows).items()}
    if not isinstance(split_sizes, Mapping):
        report.ok(
            False,
            "",
            f"split_sizes 应该是一个字典，例如 {{'train': 行数, ...}}，现在是 {type(split_sizes).__name__}",
        )
    else:
        for split, rows in expected.items():
            got = split_sizes.get(split)
            if got is None:
                report.ok(False, "", f"split_sizes 里缺少划分 {split!r}")
            elif isinstance(got, bool) or not isinstance(got, int):
                report.ok(False, "", f"split_sizes[{split!r}] = {got!r}：写整数（行数）")
            else:
                report.ok(
                    got == rows,
                    f"{split}：{rows} 行",
                    f"split_sizes[{split!r}] = {got} 不对：再看看卡片的 splits（或 raw_datasets[{split!r}].num_rows）",
                )
        extra = sorted(str(key) for key in split_sizes if key not in expected)
        if extra:
            report.ok(False, "", f"这份数据没有划分 {extra}：只有 {list(expected)}")
    if report.passed and expected.get("train", 0) < 1000:
        report.note("当前用的是课程自带的小样本，所以行数很小；Hub 上的 MRPC 是 3668 / 408 / 1725 行。")
    return report.finish()


def check_dataset_task(raw_datasets, text_columns, num_labels, task) -> CheckReport:
    """01: which task the dataset is for, read from its features: the text columns, the classes, the task's kind."""
    title = "这个数据集是做什么任务的"
    if report := _unfinished(title, text_columns=text_columns, num_labels=num_labels, task=task):
        return report
    report = CheckReport(title)
    features = raw_datasets["train"].features
    columns = _text_columns(features)
    label = features.get("label")
    n_classes = getattr(label, "num_classes", None)
    given = list(text_columns) if isinstance(text_columns, (list, tuple)) else None
    if given is None:
        report.ok(False, "", f"text_columns = {text_columns!r} 应该是列名组成的列表，例如 ['列名1', '列名2']")
    else:
        report.ok(
            sorted(map(str, given)) == sorted(columns),
            f"模型要读的文本列：{columns}",
            f"text_columns = {given!r} 不对：看 features 里类型是 Value('string') 的列"
            "（idx 是编号、label 是答案，都不是文本）",
        )
    if n_classes is not None:
        report.ok(
            isinstance(num_labels, int) and not isinstance(num_labels, bool) and num_labels == n_classes,
            f"{n_classes} 个类别：{list(label.names)}",
            f"num_labels = {num_labels!r} 不对：label 是 ClassLabel，数一数它的 names（或看 num_classes）",
        )
    want = "句子对分类" if len(columns) == 2 and n_classes else "单句分类" if len(columns) == 1 and n_classes else None
    kind = _task_kind(task)
    if kind is None:
        choices = "、".join(f"{name!r}" for name in TASK_KINDS)
        report.ok(False, "", f"task = {task!r}：不认识这个任务名，从这几个里选一个：{choices}")
    elif want is not None:
        hint = _WHY_NOT.get(kind, "再看看有几个文本列、label 是什么类型")
        report.ok(
            kind == want,
            f"任务：{want}",
            f"task = {task!r} 不对：" + hint.format(columns="、".join(columns), n=n_classes),
        )
    if report.passed and want == "句子对分类":
        report.note(
            "所以第 02 节把两列一起交给分词器（tokenizer(sentence1, sentence2)），"
            f"第 04 节的模型用 AutoModelForSequenceClassification，num_labels={n_classes}。"
        )
    return report.finish()


# ---------------------------------------------------------------- 02: separate vs pair tokenization


def _ids(encoding) -> list[int] | None:
    try:
        ids = encoding["input_ids"]
    except (KeyError, TypeError, IndexError):
        return None
    ids = list(ids.tolist() if hasattr(ids, "tolist") else ids)
    if ids and isinstance(ids[0], list):  # a batch of one
        ids = ids[0] if len(ids) == 1 else None
    return ids


def check_pair_tokenization(tokenizer, raw_datasets, separate, pair) -> CheckReport:
    """02: training element 15's sentences tokenized one by one (``separate``, two encodings) and as a pair."""
    title = "分别分词 vs 作为句子对分词"
    if report := _unfinished(title, separate=separate, pair=pair):
        return report
    element = raw_datasets["train"][15]
    want_1 = tokenizer(element["sentence1"])["input_ids"]
    want_2 = tokenizer(element["sentence2"])["input_ids"]
    want_pair = tokenizer(element["sentence1"], element["sentence2"])
    report = CheckReport(title)
    if not report.ok(
        isinstance(separate, (tuple, list)) and len(separate) == 2,
        "separate 是两个分词结果",
        "separate 应该是两个分词结果组成的元组：(tokenizer(句子1), tokenizer(句子2))",
    ):
        return report.finish()
    got_1, got_2, got_pair = _ids(separate[0]), _ids(separate[1]), _ids(pair)
    report.ok(
        got_1 == want_1,
        f"句子 1 单独分词：{len(want_1)} 个 token",
        "separate[0] 不是训练集第 15 个元素的 sentence1 单独分词的结果（别加 padding 或 max_length）",
    )
    report.ok(
        got_2 == want_2,
        f"句子 2 单独分词：{len(want_2)} 个 token",
        "separate[1] 不是训练集第 15 个元素的 sentence2 单独分词的结果",
    )
    report.ok(
        got_pair == want_pair["input_ids"],
        f"作为句子对分词：{len(want_pair['input_ids'])} 个 token",
        "pair 不是 tokenizer(sentence1, sentence2) 的结果：把两个句子作为两个参数传给同一次调用",
    )
    if report.passed:
        cls, sep = tokenizer.cls_token, tokenizer.sep_token
        report.note(
            f"差别：单独分词时每句各有一个 {cls} 和一个 {sep}（{len(want_1)} + {len(want_2)} 个）；"
            f"句子对只在最前面放一个 {cls}，两句之间和末尾各一个 {sep}，"
            f"所以是 {len(want_1)} + {len(want_2)} − 1 = {len(want_pair['input_ids'])} 个。"
        )
        if "token_type_ids" in want_pair:
            types = want_pair["token_type_ids"]
            report.note(
                f"句子对的 token_type_ids 里有 {types.count(0)} 个 0（{cls}、句子 1 和第一个 {sep}）"
                f"和 {types.count(1)} 个 1（句子 2 和最后的 {sep}）；单独分词时全是 0，模型分不出哪句是哪句。"
            )
    return report.finish()


# ---------------------------------------------------------------- 02: SST-2 and any GLUE task


def _first_row_ids(dataset, tokenizer, key: str) -> tuple[list[int], list[int]]:
    row = dataset[0]
    return list(row["input_ids"]), tokenizer(row[key], truncation=True)["input_ids"]


def check_sst2_preprocessing(tokenized_sst2, tokenizer) -> CheckReport:
    """02: SST-2 tokenized with ``map(batched=True)``: single sentences, every split, no padding yet."""
    title = "SST-2 的预处理"
    if report := _unfinished(title, tokenized_sst2=tokenized_sst2):
        return report
    report = CheckReport(title)
    splits = set(getattr(tokenized_sst2, "keys", lambda: [])())
    if not report.ok(
        {"train", "validation", "test"} <= splits,
        "train / validation / test 三个划分都在",
        "tokenized_sst2 应该是对整个 DatasetDict 调用 map 的结果，包含 train、validation、test",
    ):
        return report.finish()
    train = tokenized_sst2["train"]
    columns = set(train.column_names)
    if not report.ok(
        {"sentence", "label", "input_ids", "attention_mask"} <= columns,
        "多了 input_ids、attention_mask 两列，原来的 sentence、label 还在",
        f"列不对：现在是 {sorted(columns)}；应该在 SST-2 的基础上多出 input_ids 和 attention_mask",
    ):
        return report.finish()
    got, want = _first_row_ids(train, tokenizer, "sentence")
    report.ok(
        got == want,
        "第一行等于 tokenizer(sentence, truncation=True)",
        "第一行的 input_ids 和 tokenizer(example['sentence'], truncation=True) 不一样：SST-2 只有一列 sentence",
    )
    sample = train.select(range(min(64, len(train))))["input_ids"]
    lengths = {len(ids) for ids in sample}
    report.ok(
        len(lengths) > 1,
        "没有提前填充：每条保持自己的长度，组批时再动态填充",
        "所有样本一样长：预处理时先别 padding，留给 DataCollatorWithPadding",
    )
    if "token_type_ids" in columns:
        report.ok(
            all(set(types) <= {0} for types in train.select(range(min(64, len(train))))["token_type_ids"]),
            "token_type_ids 全是 0：单句输入只有一个句子",
            "token_type_ids 里出现了 1：SST-2 是单句任务，不该传第二个句子",
        )
    return report.finish()


def _fake_batch(task: str) -> dict[str, list]:
    first, second = GLUE_TASK_KEYS[task]
    batch = {first: ["the cat sat on the mat .", "a short one"], "label": [0, 1], "idx": [0, 1]}
    if second:
        batch[second] = ["a cat was sitting on a mat .", "and another , slightly longer sentence"]
    return batch


def check_glue_preprocessing(preprocess_function: Callable, tokenizer) -> CheckReport:
    """02: one ``preprocess_function(examples, task)`` for every GLUE task, the sentence keys kept as data."""
    title = "适用于任何 GLUE 任务的预处理函数"
    if report := _unfinished(title, preprocess_function=preprocess_function):
        return report
    report = CheckReport(title)
    for task, (first, second) in GLUE_TASK_KEYS.items():
        batch = _fake_batch(task)
        want = (
            tokenizer(batch[first], batch[second], truncation=True)
            if second
            else tokenizer(batch[first], truncation=True)
        )
        try:
            got = preprocess_function(batch, task)
        except Exception as err:  # the learner's code: say what went wrong, keep going with the next task
            report.ok(
                False, "", f"{task}：调用 preprocess_function(examples, '{task}') 出错（{type(err).__name__}: {err}）"
            )
            continue
        keys = f"{first} + {second}" if second else first
        try:
            same = list(got["input_ids"]) == list(want["input_ids"])
        except (KeyError, TypeError):
            same = False
        report.ok(
            same, f"{task}（{keys}）", f"{task}：结果和 tokenizer({keys.replace(' + ', ', ')}, truncation=True) 不一样"
        )
    if report.passed:
        report.note("用法：raw.map(preprocess_function, batched=True, fn_kwargs={'task': 'sst2'})")
    return report.finish()


# ---------------------------------------------------------------- 04 / 05: fine-tuning on SST-2


def _single_sentence(rows: Sequence[Sequence[int]], sep_id: int | None) -> bool:
    return sep_id is not None and all(list(ids).count(sep_id) == 1 for ids in rows)


def _majority(labels: Sequence[int]) -> float:
    labels = [int(label) for label in labels]
    return max(labels.count(value) for value in set(labels)) / len(labels) if labels else 0.0


def check_sst2_trainer(trainer, tokenizer=None) -> CheckReport:
    """04: a ``Trainer`` fine-tuned on SST-2, evaluated on SST-2's validation split with accuracy."""
    title = "用 Trainer 在 SST-2 上微调"
    if report := _unfinished(title, sst2_trainer=trainer):
        return report
    report = CheckReport(title)
    tokenizer = tokenizer or getattr(trainer, "processing_class", None)
    sep_id = getattr(tokenizer, "sep_token_id", None)
    config = trainer.model.config
    report.ok(
        config.num_labels == 2, "模型有 2 个类别", f"模型有 {config.num_labels} 个类别，SST-2 是二分类：num_labels=2"
    )
    names = {str(name) for name in config.id2label.values()}
    report.ok(
        names == {"negative", "positive"},
        "id2label 用的是数据集里的标签名（negative / positive）",
        f"id2label 是 {config.id2label}：用 features['label'].names 建 id2label 和 label2id，预测结果才读得懂",
    )
    for split, dataset in (("train_dataset", trainer.train_dataset), ("eval_dataset", trainer.eval_dataset)):
        if not report.ok(
            dataset is not None and len(dataset) > 0,
            f"{split} 有 {len(dataset) if dataset else 0} 条",
            f"{split} 是空的",
        ):
            continue
        rows = dataset.select(range(min(32, len(dataset))))["input_ids"]
        report.ok(
            _single_sentence(rows, sep_id),
            f"{split} 是单句输入（每条只有一个 [SEP]）",
            f"{split} 不像 SST-2：每条应该只有一个句子（只有一个 [SEP]），是不是还在用 MRPC？",
        )
    if report.ok(
        trainer.state.global_step > 0, f"已训练 {trainer.state.global_step} 步", "还没有训练：调用 sst2_trainer.train()"
    ):
        runtimes = [entry["train_runtime"] for entry in trainer.state.log_history if "train_runtime" in entry]
        if runtimes:
            report.note(f"训练用时 {runtimes[-1]:.0f} 秒。")
    evals = [entry for entry in trainer.state.log_history if "eval_accuracy" in entry]
    if report.ok(
        bool(evals),
        "训练中在验证集上评估过，算出了 accuracy",
        "log_history 里没有 eval_accuracy：设置 eval_strategy，并给 Trainer 传 compute_metrics",
    ):
        accuracy = evals[-1]["eval_accuracy"]
        labels = trainer.eval_dataset["label"] if "label" in trainer.eval_dataset.column_names else []
        baseline = _majority(labels)
        report.note(f"最后一次评估：accuracy {accuracy:.3f}；全猜多数类的基线是 {baseline:.3f}。")
        if accuracy <= baseline + 0.05:
            report.note("准确率和基线差不多：训练数据太少或步数太少时就会这样（快速模式下正常），用更多数据再试。")
    return report.finish()


def check_sst2_loop(train_dataloader, model, eval_metrics: Mapping | None) -> CheckReport:
    """05: the plain PyTorch loop changed to SST-2: its batches, the model and the computed metrics."""
    title = "把训练循环改成在 SST-2 上微调"
    if report := _unfinished(title, train_dataloader=train_dataloader, model=model, eval_metrics=eval_metrics):
        return report
    report = CheckReport(title)
    batch = next(iter(train_dataloader))
    keys = set(batch.keys())
    report.ok(
        {"input_ids", "attention_mask", "labels"} <= keys,
        "每个批次有 input_ids、attention_mask、labels",
        f"批次的键是 {sorted(keys)}：记得把 label 改名为 labels",
    )
    report.ok(
        not keys & {"sentence", "idx", "label"},
        "文本列和 idx 都删掉了，批次里只剩张量",
        f"批次里还有 {sorted(keys & {'sentence', 'idx', 'label'})}：用 remove_columns 删掉 sentence 和 idx",
    )
    if "token_type_ids" in keys:
        report.ok(
            int(batch["token_type_ids"].max()) == 0,
            "token_type_ids 全是 0：单句输入",
            "token_type_ids 里有 1：这是句子对，SST-2 应该只有一个句子",
        )
    report.ok(model.config.num_labels == 2, "模型有 2 个类别", f"模型有 {model.config.num_labels} 个类别，应该是 2")
    report.ok(
        not model.training,
        "评估前调用了 model.eval()",
        "模型还在训练模式：评估前调用 model.eval()，关掉 dropout",
    )
    accuracy = eval_metrics.get("accuracy") if isinstance(eval_metrics, Mapping) else None
    if report.ok(
        isinstance(accuracy, float) and 0.0 <= accuracy <= 1.0,
        f"评估循环算出了 accuracy {accuracy:.3f}" if isinstance(accuracy, float) else "",
        "eval_metrics 应该是 metric.compute() 返回的字典，里面有 accuracy",
    ):
        report.note(f"训练用了 {len(train_dataloader.dataset)} 条样本、每个 epoch {len(train_dataloader)} 个批次。")
    return report.finish()


# ---------------------------------------------------------------- solutions stored in notebooks


def solution_code(markdown: str) -> str:
    """The reference code inside a solution cell's ``<details>`` block (its python fences, joined)."""
    blocks = _SOLUTION_RE.findall(markdown)
    if "<details>" not in markdown or not blocks:
        raise ExerciseError("参考答案单元格里没有找到 <details> 和 ```python 代码块", "按其他练习的格式写参考答案。")
    return "\n".join(block.rstrip("\n") for block in blocks) + "\n"


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def exercise_solutions(cells: Sequence[Mapping]) -> dict[int, str]:
    """Map each ``exercise`` code cell's index to the code of the first ``solution`` cell after it."""
    found: dict[int, str] = {}
    for index, cell in enumerate(cells):
        if cell["cell_type"] != "code" or EXERCISE_TAG not in _tags(cell):
            continue
        for later in cells[index + 1 :]:
            if later["cell_type"] == "markdown" and SOLUTION_TAG in _tags(later):
                found[index] = solution_code("".join(later["source"]))
                break
            if later["cell_type"] == "code" and EXERCISE_TAG in _tags(later):
                break
        if index not in found:
            raise ExerciseError(
                f"第 {index} 个单元格是练习，后面却没有参考答案", "在它后面加一个带 solution 标签的单元格。"
            )
    return found


__all__ = [
    "GLUE_TASK_KEYS",
    "CheckReport",
    "ExerciseError",
    "TASK_KINDS",
    "check_dataset_card",
    "check_dataset_task",
    "check_glue_preprocessing",
    "check_labels",
    "check_pair_tokenization",
    "check_sst2_loop",
    "check_sst2_preprocessing",
    "check_sst2_trainer",
    "exercise_solutions",
    "solution_code",
]
