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


@dataclass(frozen=True)
class RunSummary:
    """The numbers to read off a run's learning curves (from ``trainer.state.log_history``)."""

    first_train_loss: float
    last_train_loss: float
    first_eval_loss: float
    best_eval_loss: float
    best_eval_loss_step: int
    last_eval_loss: float
    best_accuracy: float | None
    last_accuracy: float | None
    accuracy_values: int  # how many different accuracy values the evaluations produced

    def text(self) -> str:
        lines = [
            f"训练 loss：{self.first_train_loss:.3f} → {self.last_train_loss:.3f}",
            f"验证 loss：{self.first_eval_loss:.3f} → 最低 {self.best_eval_loss:.3f}"
            f"（第 {self.best_eval_loss_step} 步）→ 最后 {self.last_eval_loss:.3f}",
        ]
        if self.last_accuracy is not None:
            lines.append(
                f"验证 accuracy：最高 {self.best_accuracy:.3f}，最后 {self.last_accuracy:.3f}"
                f"（{self.accuracy_values} 个不同的值）"
            )
        return "\n".join(lines)


def summarize_history(log_history: Sequence[dict]) -> RunSummary:
    """First/last training loss, the validation loss's lowest point, and the accuracy's range.

    Raises ``ValueError`` when the log has no training loss or no evaluation
    (set ``logging_steps`` and ``eval_strategy``).
    """
    train = [entry["loss"] for entry in log_history if "loss" in entry and "step" in entry]
    evals = [entry for entry in log_history if "eval_loss" in entry]
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
        best_accuracy=max(accuracies) if accuracies else None,
        last_accuracy=accuracies[-1] if accuracies else None,
        accuracy_values=len({round(value, 6) for value in accuracies}),
    )
