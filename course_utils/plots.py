"""Figures for the lessons: token-length histogram, training curves, learning curves side by side, a confusion matrix.

Each function takes plain data (a Trainer's ``state.log_history``, label
lists) and returns a matplotlib ``Figure``; the notebook displays it.
Figure text is English: stock matplotlib (and Colab) has no CJK font, so
Chinese would render as empty boxes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from .evaluation import split_history

# Keys in an evaluation log entry that are timings, not model quality.
_EVAL_TIMING_SUFFIXES = ("_runtime", "_samples_per_second", "_steps_per_second")


def _split_history(log_history: Sequence[dict]) -> tuple[list[dict], list[dict], list[str]]:
    """Training logs, evaluations during training, and the names of the evaluation metrics (timings left out).

    Evaluations after ``train()`` ended (e.g. of a reloaded best checkpoint) are not points of the curve.
    """
    train, evals, _ = split_history(log_history)
    metric_names = sorted(
        {
            key
            for entry in evals
            for key in entry
            if key.startswith("eval_") and key != "eval_loss" and not key.endswith(_EVAL_TIMING_SUFFIXES)
        }
    )
    return train, evals, metric_names


def _draw_loss(
    ax, train: list[dict], evals: list[dict], mark_step: int | None = None, baseline_loss: float | None = None
) -> None:
    if baseline_loss is not None:
        label = f"class-prior loss {baseline_loss:.3f}"
        ax.axhline(baseline_loss, color="gray", linestyle="--", linewidth=1, label=label)
    if train:
        ax.plot([e["step"] for e in train], [e["loss"] for e in train], label="training loss")
    if evals:
        ax.plot([e["step"] for e in evals], [e["eval_loss"] for e in evals], "o--", label="validation loss")
    if mark_step is not None:
        ax.axvline(mark_step, color="tab:green", linestyle=":", label=f"kept (step {mark_step})")
        kept = [e for e in evals if e["step"] == mark_step]
        if kept:
            ax.plot([mark_step], [kept[0]["eval_loss"]], "*", color="tab:green", markersize=14)
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if train or evals:
        ax.legend()
    else:
        ax.text(0.5, 0.5, "no training logs", ha="center", va="center", transform=ax.transAxes)


def plot_training_history(
    log_history: Sequence[dict],
    x: str = "epoch",
    mark_step: int | None = None,
    title: str | None = None,
    baseline_accuracy: float | None = None,
    baseline_loss: float | None = None,
):
    """Training/validation loss over steps, and validation metrics over epochs (or steps).

    ``log_history`` is ``trainer.state.log_history``: a list of dicts, with
    ``loss`` in training logs and ``eval_*`` keys in evaluation logs. ``x`` is
    the metric panel's axis: ``"epoch"`` for ``eval_strategy="epoch"``,
    ``"step"`` for ``eval_strategy="steps"``. ``mark_step`` draws a vertical
    line on both panels and a star on its validation loss (e.g. the checkpoint
    that early stopping kept). Evaluations logged after training ended (the
    reloaded best model's ``evaluate()``) are not drawn: they are not points of the run.
    ``baseline_accuracy`` / ``baseline_loss`` draw grey dashed lines: the majority class's
    accuracy, and the validation loss of a model that learned only the class balance.
    Returns a Figure with two panels; a panel says so when it has nothing to show.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    if x not in ("epoch", "step"):
        raise ValueError(f"x must be 'epoch' or 'step', not {x!r}")
    train, evals, metric_names = _split_history(log_history)
    fig, (loss_ax, metric_ax) = plt.subplots(1, 2, figsize=(11, 4))
    _draw_loss(loss_ax, train, evals, mark_step, baseline_loss)
    loss_ax.set_title("Loss")
    if baseline_accuracy is not None:
        metric_ax.axhline(
            baseline_accuracy, color="gray", linestyle="--", linewidth=1, label=f"majority {baseline_accuracy:.3f}"
        )

    for name in metric_names:
        points = [(e[x], e[name]) for e in evals if name in e]
        metric_ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label=name.removeprefix("eval_"))
    if mark_step is not None and x == "step":
        metric_ax.axvline(mark_step, color="tab:green", linestyle=":")
    metric_ax.set_xlabel(x)
    if x == "epoch":
        metric_ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    metric_ax.set_title("Validation metrics")
    if metric_names:
        metric_ax.legend(loc="lower right")
    else:
        message = "no evaluation metrics\n(set eval_strategy and compute_metrics)"
        metric_ax.text(0.5, 0.5, message, ha="center", va="center", transform=metric_ax.transAxes)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_learning_curves(
    runs: Mapping[str, Sequence[dict]],
    metrics: Sequence[str] = ("accuracy", "f1"),
    baseline_accuracy: float | None = None,
    baseline_loss: float | None = None,
):
    """Several runs side by side: one row per run, its loss curves on the left and its validation metrics right.

    ``runs`` maps a run's name to its ``trainer.state.log_history`` (logged with
    ``eval_strategy="steps"``). Loss panels share one y-axis, and so do the
    metric panels, so the runs compare at a glance. ``baseline_accuracy`` / ``baseline_loss``
    draw the same grey reference lines as ``plot_training_history``. Returns the Figure.
    """
    import matplotlib.pyplot as plt

    if not runs:
        raise ValueError("runs is empty: pass {name: trainer.state.log_history}")
    fig, axes = plt.subplots(len(runs), 2, figsize=(11, 2.8 * len(runs)), squeeze=False, sharey="col")
    for (name, history), (loss_ax, metric_ax) in zip(runs.items(), axes, strict=True):
        train, evals, _ = _split_history(history)
        _draw_loss(loss_ax, train, evals, baseline_loss=baseline_loss)
        loss_ax.set_title(f"{name}: loss")
        if baseline_accuracy is not None:
            metric_ax.axhline(baseline_accuracy, color="gray", linestyle="--", linewidth=1, label="majority")
        for metric in metrics:
            key = f"eval_{metric}"
            points = [(e["step"], e[key]) for e in evals if key in e]
            if points:
                metric_ax.plot([p[0] for p in points], [p[1] for p in points], "o-", label=metric)
        metric_ax.set_xlabel("step")
        metric_ax.set_title(f"{name}: validation metrics")
        if any(line.get_label() in metrics for line in metric_ax.lines):
            metric_ax.legend(loc="lower right")
        else:
            metric_ax.text(0.5, 0.5, "no evaluation metrics", ha="center", va="center", transform=metric_ax.transAxes)
    fig.tight_layout()
    return fig


def plot_confusion_matrix(labels: Sequence[int], preds: Sequence[int], label_names: Sequence[str]):
    """Confusion matrix of ``preds`` against gold ``labels`` (rows: gold, columns: predicted).

    Every class in ``label_names`` gets a row and a column, even when the
    predictions never use it. Returns the Figure.
    """
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    fig, ax = plt.subplots(figsize=(4.5, 4))
    ConfusionMatrixDisplay.from_predictions(
        list(labels),
        list(preds),
        labels=list(range(len(label_names))),
        display_labels=list(label_names),
        cmap="Blues",
        colorbar=False,
        ax=ax,
    )
    ax.set_xlabel("predicted label")
    ax.set_ylabel("gold label")
    ax.set_title("Validation confusion matrix")
    fig.tight_layout()
    return fig


def plot_length_histogram(lengths, max_length: int | None = None, bins: int = 40, title: str | None = None):
    """Histogram of tokenized lengths, with the longest one and an optional fixed ``max_length`` marked.

    The figure is closed in pyplot before it is returned, so a notebook shows it exactly
    once (as the cell's value) and nothing stays open between calls.
    """
    import matplotlib.pyplot as plt

    lengths = list(lengths)
    if not lengths:
        raise ValueError("lengths 为空：没有可画的长度")
    longest = max(lengths)
    fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
    ax.hist(lengths, bins=bins, color="tab:blue", alpha=0.8)
    ax.axvline(longest, color="tab:orange", linestyle="--", label=f"longest = {longest}")
    if max_length is not None:
        ax.axvline(max_length, color="tab:red", label=f"max_length = {max_length}")
        ax.set_xlim(0, max(longest, max_length) * 1.05)
    ax.set_xlabel("tokens per sentence pair")
    ax.set_ylabel("pairs")
    ax.set_title(title or f"Tokenized lengths of {len(lengths):,} pairs (mean {sum(lengths) / len(lengths):.1f})")
    ax.legend()
    plt.close(fig)
    return fig


def plot_search_trials(trials, objective: str = "accuracy", baseline: float | None = None):
    """Each trial of a hyperparameter search: its objective against its learning rate, coloured by batch size.

    ``trials`` is the table of ``optuna.Study.trials_dataframe()`` (columns ``value``,
    ``params_learning_rate``, ``params_per_device_train_batch_size``, ``params_warmup_steps``);
    trials that did not finish are left out. Each point is labelled with its trial number and
    warm-up fraction; ``baseline`` (e.g. the majority-class score of the search's evaluation set)
    is drawn as a dashed line. Returns the Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    done = trials[trials["state"] == "COMPLETE"] if "state" in trials else trials
    fig, ax = plt.subplots(figsize=(6, 4))
    for batch_size, group in done.groupby("params_per_device_train_batch_size"):
        ax.scatter(group["params_learning_rate"], group["value"], s=60, label=f"batch size {batch_size}")
        for _, row in group.iterrows():
            ax.annotate(
                f"#{row['number']} warm-up {row['params_warmup_steps']:.2f}",
                (row["params_learning_rate"], row["value"]),
                textcoords="offset points",
                xytext=(5, 4),
                fontsize=8,
            )
    if baseline is not None:
        ax.axhline(baseline, color="gray", linestyle="--", label=f"majority class {baseline:.3f}")
    ax.set_xscale("log")
    ax.xaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))  # 1e-05, 2e-05, 5e-05, 1e-04 ...
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.2g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.tick_params(axis="x", labelrotation=30)
    ax.margins(x=0.25, y=0.12)  # room for the labels next to the points
    ax.set_xlabel("learning rate (log scale)")
    ax.set_ylabel(f"{objective} on the search's held-out rows")
    ax.set_title(f"Hyperparameter search: {len(done)} trials")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
