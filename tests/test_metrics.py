"""course_utils.metrics: the offline GLUE MRPC module agrees with scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

import course_utils as cu
from course_utils import metrics as cu_metrics


@pytest.fixture(scope="module")
def predictions():
    rng = np.random.default_rng(0)
    references = rng.integers(0, 2, size=408)
    flipped = rng.random(408) < 0.2
    return np.where(flipped, 1 - references, references), references


def test_offline_metric_agrees_with_sklearn(predictions, capsys):
    preds, refs = predictions
    metric = cu.load_metric("glue", "mrpc")
    assert "课程自带的 glue_mrpc" in capsys.readouterr().out
    result = metric.compute(predictions=preds, references=refs)
    assert set(result) == {"accuracy", "f1"}
    assert result["accuracy"] == pytest.approx(accuracy_score(refs, preds))
    assert result["f1"] == pytest.approx(f1_score(refs, preds))
    assert 0.7 < result["accuracy"] < 0.9  # 20% flipped: the arithmetic is not trivial


def test_add_batch_then_compute_matches_one_shot(predictions):
    preds, refs = predictions
    metric = cu.load_metric("glue", "mrpc", announce=False)
    for start in range(0, len(refs), 8):  # batches of 8 like the evaluation loop, last one uneven
        metric.add_batch(predictions=preds[start : start + 8], references=refs[start : start + 8])
    result = metric.compute()
    assert result == pytest.approx({"accuracy": accuracy_score(refs, preds), "f1": f1_score(refs, preds)})


def test_known_values():
    metric = cu_metrics.load_local_metric()
    assert metric.compute(predictions=[1, 1, 0, 0], references=[1, 0, 0, 1]) == {"accuracy": 0.5, "f1": 0.5}


def test_hub_failure_falls_back_to_local(hub_online, monkeypatch, capsys):
    import evaluate

    real_load = evaluate.load

    def hub_down(path, *args, **kwargs):
        if path == "glue":
            raise ConnectionError("Hub unreachable")
        return real_load(path, *args, **kwargs)

    monkeypatch.setattr(evaluate, "load", hub_down)
    metric = cu.load_metric("glue", "mrpc")
    out = capsys.readouterr().out
    assert (
        "从 Hub 加载指标 glue/mrpc 失败（ConnectionError: Hub unreachable）" in out
        and "课程自带的 glue_mrpc 模块" in out
    )
    assert metric.compute(predictions=[1], references=[1]) == {"accuracy": 1.0, "f1": 1.0}
