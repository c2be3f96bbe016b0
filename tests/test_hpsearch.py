"""Lesson 04's hyperparameter search: Trainer.hyperparameter_search(backend="optuna") on a tiny model, the
optuna-missing message, the trials plot, and the guards that let the lesson skip the search without optuna.

The search runs a one-layer random BERT on a handful of made-up rows: it checks the plumbing the lesson
relies on (a fresh model per trial, the space, the objective, the study kept in a storage), not the scores.
"""

import json
from pathlib import Path

import pytest

from course_utils import search
from course_utils.plots import plot_search_trials

ROOT = Path(__file__).resolve().parents[1]
NO_OPTUNA = "没有安装 optuna（可选的超参数搜索包；pip install -r requirements-extras.txt 后再测）"

LEARNING_RATES = (1e-5, 1e-4)
BATCH_SIZES = [2, 4]
WARMUP = (0.0, 0.2)


def _hp_space(trial):
    """The lesson's space, with batch sizes that fit a dozen rows."""
    return {
        "learning_rate": trial.suggest_float("learning_rate", *LEARNING_RATES, log=True),
        "per_device_train_batch_size": trial.suggest_categorical("per_device_train_batch_size", BATCH_SIZES),
        "warmup_steps": trial.suggest_float("warmup_steps", *WARMUP),
    }


def _rows(n, seed):
    import random

    from datasets import Dataset

    rng = random.Random(seed)
    input_ids = [[rng.randrange(5, 100) for _ in range(8)] for _ in range(n)]
    labels = [i % 2 for i in range(n)]
    return Dataset.from_dict({"input_ids": input_ids, "attention_mask": [[1] * 8] * n, "labels": labels})


def _accuracy(eval_preds):
    import numpy as np

    logits, labels = eval_preds
    return {"accuracy": float(np.mean(np.argmax(logits, axis=-1) == labels))}


def _search_trainer(tmp_path, tiny_bert, calls, warmup_steps=0.0):
    from transformers import Trainer, TrainingArguments

    def model_init(trial):
        calls.append(trial)
        return tiny_bert(vocab_size=100)

    args = TrainingArguments(
        str(tmp_path),
        num_train_epochs=1,
        warmup_steps=warmup_steps,
        save_strategy="no",
        report_to="none",
        use_cpu=True,
        disable_tqdm=True,
    )
    return Trainer(
        model_init=model_init,
        args=args,
        train_dataset=_rows(12, seed=0),
        eval_dataset=_rows(6, seed=1),
        compute_metrics=_accuracy,
    )


def test_search_returns_the_best_run_within_the_space(tmp_path, tiny_bert):
    optuna = pytest.importorskip("optuna", reason=NO_OPTUNA)
    from transformers.trainer_utils import BestRun

    calls = []
    trainer = _search_trainer(tmp_path, tiny_bert, calls)
    storage = optuna.storages.InMemoryStorage()
    best = trainer.hyperparameter_search(
        hp_space=_hp_space,
        compute_objective=lambda metrics: metrics["eval_accuracy"],
        n_trials=2,
        direction="maximize",
        backend="optuna",
        sampler=optuna.samplers.TPESampler(seed=42),
        study_name="test",
        storage=storage,
    )

    assert isinstance(best, BestRun)
    params = best.hyperparameters
    assert set(params) == {"learning_rate", "per_device_train_batch_size", "warmup_steps"}
    assert LEARNING_RATES[0] <= params["learning_rate"] <= LEARNING_RATES[1]
    assert params["per_device_train_batch_size"] in BATCH_SIZES
    assert WARMUP[0] <= params["warmup_steps"] <= WARMUP[1]
    # The study kept in the storage is what the lesson tabulates: two finished trials, the best one returned.
    study = optuna.load_study(study_name="test", storage=storage)
    values = [trial.value for trial in study.trials if trial.state == optuna.trial.TrialState.COMPLETE]
    assert len(values) == 2 and 0.0 <= best.objective <= 1.0 and best.objective == max(values)
    assert study.trials[int(best.run_id)].params == params
    # model_init ran when the Trainer was built (no trial) and once more for each trial: a fresh model each time.
    assert calls[0] is None and len(calls) == 3 and all(trial is not None for trial in calls[1:])


@pytest.mark.parametrize("default, expected", [(0, 0), (0.0, 0.13)])
def test_a_trial_value_takes_the_type_of_the_arguments_value(tmp_path, tiny_bert, default, expected):
    """04 (搜索用的 Trainer): warmup_steps=0.0 must be a float, or a sampled 0.13 becomes the int 0."""
    pytest.importorskip("optuna", reason=NO_OPTUNA)
    trainer = _search_trainer(tmp_path, tiny_bert, [], warmup_steps=default)
    trainer.hyperparameter_search(
        hp_space=lambda trial: {"warmup_steps": trial.suggest_float("warmup_steps", 0.13, 0.13)},
        compute_objective=lambda metrics: metrics["eval_accuracy"],
        n_trials=1,
        direction="maximize",
        backend="optuna",
    )
    assert trainer.args.warmup_steps == expected and type(trainer.args.warmup_steps) is type(default)


def test_missing_optuna_is_explained_in_chinese(monkeypatch, capsys):
    monkeypatch.setattr(search, "BACKEND", "course_no_such_package")
    assert search.optuna_installed() is False
    out = capsys.readouterr().out
    assert "没有安装 optuna" in out and "pip install optuna" in out and "requirements-extras.txt" in out
    assert search.optuna_installed(verbose=False) is False
    assert capsys.readouterr().out == ""


def test_installed_optuna_is_found_silently(capsys):
    pytest.importorskip("optuna", reason=NO_OPTUNA)
    assert search.optuna_installed() is True
    assert capsys.readouterr().out == ""


def test_trials_plot_has_a_point_per_finished_trial():
    import pandas as pd

    trials = pd.DataFrame(
        {
            "number": [0, 1, 2, 3],
            "value": [0.70, 0.75, 0.68, None],
            "params_learning_rate": [1e-5, 3e-5, 8e-5, 2e-5],
            "params_per_device_train_batch_size": [8, 16, 8, 32],
            "params_warmup_steps": [0.0, 0.1, 0.2, 0.05],
            "state": ["COMPLETE", "COMPLETE", "COMPLETE", "FAIL"],
        }
    )
    fig = plot_search_trials(trials, baseline=0.68)
    ax = fig.axes[0]
    points = sorted(tuple(point) for collection in ax.collections for point in collection.get_offsets().tolist())
    assert points == [(1e-5, 0.70), (3e-5, 0.75), (8e-5, 0.68)]
    assert ax.get_xscale() == "log" and "3 trials" in ax.get_title()
    assert sorted(text.get_text() for text in ax.get_legend().get_texts()) == [
        "batch size 16",
        "batch size 8",
        "majority class 0.680",
    ]


def test_lesson_04_runs_the_search_only_when_optuna_is_there():
    """Every cell after the check that uses optuna or the search's results sits under `if search_available:`."""
    cells = json.loads((ROOT / "notebooks" / "04_trainer.ipynb").read_text(encoding="utf-8"))["cells"]
    sources = ["".join(cell["source"]) for cell in cells if cell["cell_type"] == "code"]
    start = next(i for i, source in enumerate(sources) if "cu.optuna_installed()" in source)
    needs_optuna = ("optuna.", "hyperparameter_search", "best_run", "trials", "best_trainer")
    using = [source for source in sources[start + 1 :] if any(name in source for name in needs_optuna)]
    assert any("search_trainer.hyperparameter_search(" in source for source in using)
    unguarded = [source for source in using if "if search_available:" not in source]
    assert unguarded == [], unguarded


def test_the_search_needs_model_init(tmp_path, tiny_bert):
    """Quiz model_init: without model_init, hyperparameter_search stops with a RuntimeError."""
    pytest.importorskip("optuna", reason=NO_OPTUNA)
    from transformers import Trainer, TrainingArguments

    trainer = Trainer(tiny_bert(vocab_size=100), TrainingArguments(str(tmp_path), report_to="none", use_cpu=True))
    with pytest.raises(RuntimeError, match="model_init"):
        trainer.hyperparameter_search(n_trials=1, backend="optuna")


def test_the_defaults_the_lesson_names():
    """04 (开始搜索): the default objective adds up the metrics; TPE samples at random for its first 10 trials."""
    import inspect

    optuna = pytest.importorskip("optuna", reason=NO_OPTUNA)
    from transformers.trainer_utils import default_compute_objective

    metrics = {"eval_loss": 0.5, "eval_accuracy": 0.75, "eval_f1": 0.5, "eval_runtime": 3.0, "epoch": 2.0}
    assert default_compute_objective(metrics) == 1.25
    assert inspect.signature(optuna.samplers.TPESampler).parameters["n_startup_trials"].default == 10
