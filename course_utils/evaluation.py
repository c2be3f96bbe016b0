"""Look at a model's results: the validation pairs it got wrong, and what a training run's log says."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def misclassified(dataset, preds: Sequence[int], n: int | None = 5):
    """The first ``n`` rows of ``dataset`` whose ``label`` differs from ``preds`` (all when ``n`` is None).

    ``dataset`` is a split with ``sentence1``, ``sentence2`` and ``label``
    (e.g. ``raw_datasets["validation"]``), in the order ``preds`` was made.
    Returns a pandas DataFrame with the row index, both sentences, and the
    gold and predicted labels by name (when ``label`` is a ClassLabel).
    """
    import pandas as pd

    labels = list(dataset["label"])
    if len(labels) != len(preds):
        raise ValueError(f"dataset has {len(labels)} rows but preds has {len(preds)}: they must line up")
    feature = dataset.features.get("label")
    names = getattr(feature, "names", None)

    def name(value):
        return names[int(value)] if names else int(value)

    wrong = [i for i, (gold, pred) in enumerate(zip(labels, preds, strict=True)) if int(gold) != int(pred)]
    if n is not None:
        wrong = wrong[:n]
    rows = dataset.select(wrong)
    return pd.DataFrame(
        {
            "row": wrong,
            "sentence1": list(rows["sentence1"]),
            "sentence2": list(rows["sentence2"]),
            "gold": [name(labels[i]) for i in wrong],
            "predicted": [name(preds[i]) for i in wrong],
        }
    )


def split_history(log_history: Sequence[dict]) -> tuple[list[dict], list[dict], list[dict]]:
    """A Trainer log split into training-loss entries, evaluations during training, and evaluations after it.

    ``Trainer.train()`` ends its log with a summary entry (``train_runtime``);
    an ``evaluate()`` called afterwards (e.g. on the checkpoint that
    ``load_best_model_at_end`` reloaded) appends an entry at the last step
    that is not a point of the training curve: it comes back third.
    """
    end = next((i for i, entry in enumerate(log_history) if "train_runtime" in entry), len(log_history))
    train = [entry for entry in log_history[:end] if "loss" in entry and "step" in entry]
    evals = [entry for entry in log_history[:end] if "eval_loss" in entry]
    after = [entry for entry in log_history[end:] if "eval_loss" in entry]
    return train, evals, after


@dataclass(frozen=True)
class RunSummary:
    """The numbers to read off a run's learning curves (from ``trainer.state.log_history``)."""

    first_train_loss: float
    last_train_loss: float
    first_eval_loss: float
    best_eval_loss: float
    best_eval_loss_step: int
    last_eval_loss: float
    first_accuracy: float | None
    best_accuracy: float | None
    last_accuracy: float | None
    accuracy_values: int  # how many different accuracy values the evaluations produced
    first_eval_step: int

    def text(self) -> str:
        lines = [
            f"训练 loss：{self.first_train_loss:.3f} → {self.last_train_loss:.3f}",
            f"验证 loss：{self.first_eval_loss:.3f}（第 {self.first_eval_step} 步）→ 最低 {self.best_eval_loss:.3f}"
            f"（第 {self.best_eval_loss_step} 步）→ 最后 {self.last_eval_loss:.3f}",
        ]
        if self.last_accuracy is not None:
            lines.append(
                f"验证 accuracy：{self.first_accuracy:.3f}（第 {self.first_eval_step} 步）"
                f"→ 最高 {self.best_accuracy:.3f}，最后 {self.last_accuracy:.3f}（{self.accuracy_values} 个不同的值）"
            )
        return "\n".join(lines)


def summarize_history(log_history: Sequence[dict]) -> RunSummary:
    """First/last training loss, the validation loss's lowest point, and the accuracy's range.

    Only evaluations made during training count (see ``split_history``).
    Raises ``ValueError`` when the log has no training loss or no evaluation
    (set ``logging_steps`` and ``eval_strategy``).
    """
    train_entries, evals, _ = split_history(log_history)
    train = [entry["loss"] for entry in train_entries]
    if not train or not evals:
        raise ValueError("log_history 里没有训练 loss 或评估记录：设置 logging_steps 和 eval_strategy 后再训练")
    best = min(evals, key=lambda entry: entry["eval_loss"])
    accuracies = [entry["eval_accuracy"] for entry in evals if "eval_accuracy" in entry]
    return RunSummary(
        first_train_loss=train[0],
        last_train_loss=train[-1],
        first_eval_loss=evals[0]["eval_loss"],
        best_eval_loss=best["eval_loss"],
        best_eval_loss_step=int(best["step"]),
        last_eval_loss=evals[-1]["eval_loss"],
        first_accuracy=accuracies[0] if accuracies else None,
        best_accuracy=max(accuracies) if accuracies else None,
        last_accuracy=accuracies[-1] if accuracies else None,
        accuracy_values=len({round(value, 6) for value in accuracies}),
        first_eval_step=int(evals[0]["step"]),
    )
