"""Look at a model's mistakes: the validation pairs it got wrong."""

from __future__ import annotations

from collections.abc import Sequence


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
