"""course_utils.plots / evaluation on a real (tiny) Trainer run.

A BERT with one small layer, built from a config (no download), trains for a
few steps on MRPC-format rows from the course's sample files, so the
log_history and predictions the helpers receive are the ones a Trainer makes.
"""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure
from sklearn.metrics import confusion_matrix

import course_utils as cu
from course_utils.checkpoint import packaged_checkpoint
from course_utils.data import SAMPLE_DIR, SAMPLE_LAYOUT, build_from_source_files

TRAIN_ROWS = 16
EPOCHS = 2
BATCH = 8


@pytest.fixture(scope="module")
def sample():
    """The course's MRPC-format sample (train/validation/test), built without any cache."""
    return build_from_source_files(SAMPLE_DIR, SAMPLE_LAYOUT)


@pytest.fixture(scope="module")
def tiny_run(sample, tmp_path_factory, tiny_bert):
    """Train a tiny BERT for 2 epochs with per-epoch evaluation; return (trainer, predictions)."""
    from transformers import (
        AutoTokenizer,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
    )

    tokenizer = AutoTokenizer.from_pretrained(packaged_checkpoint())
    model = tiny_bert(vocab_size=tokenizer.vocab_size)

    def tokenize_function(example):
        return tokenizer(example["sentence1"], example["sentence2"], truncation=True, max_length=128)

    tokenized = sample.map(tokenize_function, batched=True)
    metric = cu.load_metric("glue", "mrpc", announce=False)

    def compute_metrics(eval_preds):
        logits, labels = eval_preds
        return metric.compute(predictions=np.argmax(logits, axis=-1), references=labels)

    args = TrainingArguments(
        str(tmp_path_factory.mktemp("trainer")),
        num_train_epochs=EPOCHS,
        per_device_train_batch_size=BATCH,
        eval_strategy="epoch",
        logging_steps=1,
        save_strategy="no",
        disable_tqdm=True,
        use_cpu=True,
    )
    trainer = Trainer(
        model,
        args,
        train_dataset=tokenized["train"].select(range(TRAIN_ROWS)),
        eval_dataset=tokenized["validation"],
        data_collator=DataCollatorWithPadding(tokenizer=tokenizer),
        processing_class=tokenizer,
        compute_metrics=compute_metrics,
    )
    trainer.train()
    return trainer, trainer.predict(tokenized["validation"])


def _lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_training_history_plots_the_trainer_log(tiny_run):
    trainer, _ = tiny_run
    history = trainer.state.log_history
    fig = cu.plot_training_history(history)
    try:
        assert isinstance(fig, Figure)
        loss_ax, metric_ax = fig.axes
        train_line = _lines_by_label(loss_ax)["training loss"]
        train_logs = [e for e in history if "loss" in e]
        assert len(train_logs) == EPOCHS * TRAIN_ROWS // BATCH  # logging_steps=1
        assert list(train_line.get_xdata()) == [e["step"] for e in train_logs]
        assert list(train_line.get_ydata()) == pytest.approx([e["loss"] for e in train_logs])
        eval_line = _lines_by_label(loss_ax)["validation loss"]
        assert len(eval_line.get_xdata()) == EPOCHS
        metrics = _lines_by_label(metric_ax)
        assert set(metrics) == {"accuracy", "f1"}  # timings (eval_runtime, ...) are left out
        evals = [e for e in history if "eval_accuracy" in e]
        assert list(metrics["accuracy"].get_xdata()) == [e["epoch"] for e in evals]
        assert list(metrics["f1"].get_ydata()) == pytest.approx([e["eval_f1"] for e in evals])
    finally:
        plt.close(fig)


def test_training_history_without_evaluation_still_returns_a_figure():
    fig = cu.plot_training_history([{"loss": 0.7, "step": 10, "epoch": 0.5}, {"train_runtime": 1.0, "step": 20}])
    try:
        assert isinstance(fig, Figure)
        assert len(_lines_by_label(fig.axes[0])) == 1
        assert fig.axes[1].get_lines() == []
        assert "eval_strategy" in " ".join(text.get_text() for text in fig.axes[1].texts)
    finally:
        plt.close(fig)


def test_confusion_matrix_counts_match_sklearn(tiny_run, sample):
    _, predictions = tiny_run
    preds = np.argmax(predictions.predictions, axis=-1)
    labels = predictions.label_ids
    names = sample["validation"].features["label"].names
    fig = cu.plot_confusion_matrix(labels, preds, names)
    try:
        assert isinstance(fig, Figure)
        ax = fig.axes[0]
        shown = np.asarray(ax.images[0].get_array())
        np.testing.assert_array_equal(shown, confusion_matrix(labels, preds, labels=[0, 1]))
        assert [t.get_text() for t in ax.get_xticklabels()] == names
        assert int(shown.sum()) == len(sample["validation"])
    finally:
        plt.close(fig)


def test_confusion_matrix_keeps_a_class_that_never_occurs():
    labels, preds = [1, 1, 1], [1, 1, 1]  # e.g. a tiny subset with no "not_equivalent" pair at all
    fig = cu.plot_confusion_matrix(labels, preds, ["not_equivalent", "equivalent"])
    try:
        shown = np.asarray(fig.axes[0].images[0].get_array())
        np.testing.assert_array_equal(shown, [[0, 0], [0, 3]])
    finally:
        plt.close(fig)


def test_misclassified_returns_the_wrong_rows(sample):
    validation = sample["validation"]
    labels = np.array(validation["label"])
    preds = labels.copy()
    wrong = [1, 4, 7]
    preds[wrong] = 1 - preds[wrong]
    names = validation.features["label"].names

    table = cu.misclassified(validation, preds, n=2)
    assert list(table["row"]) == wrong[:2]
    assert list(table["sentence1"]) == [validation[i]["sentence1"] for i in wrong[:2]]
    assert list(table["sentence2"]) == [validation[i]["sentence2"] for i in wrong[:2]]
    assert list(table["gold"]) == [names[labels[i]] for i in wrong[:2]]
    assert list(table["predicted"]) == [names[1 - labels[i]] for i in wrong[:2]]

    assert list(cu.misclassified(validation, preds, n=None)["row"]) == wrong
    assert cu.misclassified(validation, labels).empty


def test_misclassified_on_real_predictions(tiny_run, sample):
    _, predictions = tiny_run
    preds = np.argmax(predictions.predictions, axis=-1)
    table = cu.misclassified(sample["validation"], preds, n=None)
    assert len(table) == int((preds != predictions.label_ids).sum())


def test_misclassified_rejects_misaligned_predictions(sample):
    with pytest.raises(ValueError, match="line up"):
        cu.misclassified(sample["validation"], [0, 1])


def test_training_history_by_step_marks_a_step(tiny_run):
    trainer, _ = tiny_run
    history = trainer.state.log_history
    evals = [e for e in history if "eval_accuracy" in e]
    fig = cu.plot_training_history(history, x="step", mark_step=evals[0]["step"], title="run")
    try:
        loss_ax, metric_ax = fig.axes
        assert list(_lines_by_label(metric_ax)["accuracy"].get_xdata()) == [e["step"] for e in evals]
        assert f"kept (step {evals[0]['step']})" in _lines_by_label(loss_ax)
        assert fig._suptitle.get_text() == "run"
    finally:
        plt.close(fig)
    with pytest.raises(ValueError):
        cu.plot_training_history(history, x="time")


def test_learning_curves_put_runs_side_by_side(tiny_run):
    trainer, _ = tiny_run
    history = trainer.state.log_history
    no_eval = [e for e in history if "eval_loss" not in e]
    fig = cu.plot_learning_curves({"a": history, "b": no_eval})
    try:
        axes = fig.axes
        assert len(axes) == 4
        assert axes[0].get_title() == "a: loss" and axes[3].get_title() == "b: validation metrics"
        metrics = _lines_by_label(axes[1])
        evals = [e for e in history if "eval_f1" in e]
        assert list(metrics["f1"].get_ydata()) == pytest.approx([e["eval_f1"] for e in evals])
        assert axes[3].get_lines() == [] and axes[3].texts  # says there is nothing to show
        assert axes[0].get_shared_y_axes().joined(axes[0], axes[2])  # same loss scale for every run
    finally:
        plt.close(fig)
    with pytest.raises(ValueError):
        cu.plot_learning_curves({})


def test_evaluation_after_training_is_not_a_point_of_the_curve():
    """The reloaded best model's evaluate() is logged after train() ended: not drawn, not summarized."""
    history = [
        {"eval_loss": 0.70, "eval_accuracy": 0.40, "step": 0, "epoch": 0},
        {"loss": 0.60, "step": 10, "epoch": 1.0},
        {"eval_loss": 0.50, "eval_accuracy": 0.75, "step": 10, "epoch": 1.0},
        {"loss": 0.20, "step": 20, "epoch": 2.0},
        {"eval_loss": 0.90, "eval_accuracy": 0.70, "step": 20, "epoch": 2.0},
        {"train_runtime": 1.0, "step": 20},
        {"eval_loss": 0.50, "eval_accuracy": 0.75, "step": 20, "epoch": 2.0},  # evaluate() after the reload
    ]
    train, evals, after = cu.split_history(history)
    assert [e["step"] for e in train] == [10, 20] and [e["step"] for e in evals] == [0, 10, 20]
    assert after == [history[-1]]
    fig = cu.plot_training_history(history, x="step", mark_step=10)
    try:
        loss_ax, metric_ax = fig.axes
        assert list(_lines_by_label(loss_ax)["validation loss"].get_ydata()) == [0.70, 0.50, 0.90]
        assert list(_lines_by_label(metric_ax)["accuracy"].get_xdata()) == [0, 10, 20]
        stars = [line for line in loss_ax.get_lines() if line.get_marker() == "*"]
        assert [(list(s.get_xdata()), list(s.get_ydata())) for s in stars] == [([10], [0.50])]
    finally:
        plt.close(fig)
    summary = cu.summarize_history(history)
    assert (summary.last_eval_loss, summary.first_eval_step, summary.first_accuracy) == (0.90, 0, 0.40)


def test_summarize_history_reads_the_curves():
    history = [
        {"loss": 0.70, "step": 5, "epoch": 0.5},
        {"eval_loss": 0.65, "eval_accuracy": 0.60, "step": 10, "epoch": 1.0},
        {"loss": 0.40, "step": 15, "epoch": 1.5},
        {"eval_loss": 0.55, "eval_accuracy": 0.70, "step": 20, "epoch": 2.0},
        {"loss": 0.10, "step": 25, "epoch": 2.5},
        {"eval_loss": 0.62, "eval_accuracy": 0.70, "step": 30, "epoch": 3.0},
        {"train_runtime": 1.0, "step": 30},
    ]
    summary = cu.summarize_history(history)
    assert (summary.first_train_loss, summary.last_train_loss) == (0.70, 0.10)
    assert (summary.best_eval_loss, summary.best_eval_loss_step, summary.last_eval_loss) == (0.55, 20, 0.62)
    assert (summary.best_accuracy, summary.last_accuracy, summary.accuracy_values) == (0.70, 0.70, 2)
    assert "第 20 步" in summary.text() and "0.700" in summary.text()
    with pytest.raises(ValueError, match="eval_strategy"):
        cu.summarize_history(history[:1])
