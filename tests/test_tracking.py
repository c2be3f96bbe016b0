"""Experiment tracking (lesson 04): a Trainer run lands in trackio's local database, read back with trackio's CLI.

The run happens in a subprocess because trackio reads ``TRACKIO_DIR`` once, when
it is imported; the subprocess gets a temporary one, so nothing is written to the
learner's own dashboard and no network is used.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import course_utils as cu
import course_utils.tracking as tracking

TRACKIO_MISSING = "trackio 没有安装（pip install -r requirements-extras.txt），跳过实验跟踪的测试"
PROJECT = "course-test"
RUN = "tiny-run"

# A seeded one-layer BERT on 16 random sentences, trained 2 epochs with the lesson's settings that matter
# here: eval_strategy="epoch", a compute_metrics that returns accuracy, report_to="trackio", project, run_name.
TRAIN_SCRIPT = """
import json, sys
import numpy as np
import torch
from datasets import Dataset
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

torch.manual_seed(0)
config = BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                    intermediate_size=32, num_labels=2)
model = BertForSequenceClassification(config)
rng = np.random.default_rng(0)
data = Dataset.from_dict(
    {"input_ids": rng.integers(1, 50, (16, 8)).tolist(), "labels": rng.integers(0, 2, 16).tolist()}
)


def compute_metrics(eval_preds):
    logits, labels = eval_preds
    return {"accuracy": float((np.argmax(logits, axis=-1) == labels).mean())}


args = TrainingArguments(
    sys.argv[1], eval_strategy="epoch", logging_steps=1, save_strategy="no", num_train_epochs=2,
    per_device_train_batch_size=4, use_cpu=True, disable_tqdm=True,
    report_to="trackio", project=sys.argv[2], run_name=sys.argv[3],
)
trainer = Trainer(model, args, train_dataset=data, eval_dataset=data, compute_metrics=compute_metrics)
trainer.train()
print("LOG_HISTORY=" + json.dumps(trainer.state.log_history))
print("PREDICT=" + json.dumps(trainer.predict(data).metrics))  # 04 predicts after training, too
"""


def _trackio_env(trackio_dir) -> dict[str, str]:
    env = dict(os.environ)
    env.update(TRACKIO_DIR=str(trackio_dir), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def _trackio_cli(*args: str, env: dict[str, str]) -> dict:
    """One read-only ``trackio ... --json`` command (trackio's own way to read a project back).

    It runs trackio's console entry point with this interpreter, so the test reads the project with the trackio
    of the environment under test even when that environment's bin folder is not on PATH.
    """
    done = subprocess.run(
        [sys.executable, "-c", "import sys; from trackio.cli import main; sys.exit(main())", *args, "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def tracked_run(tmp_path_factory):
    """Train once with report_to="trackio" into a temporary TRACKIO_DIR, then predict.

    Returns (env, folder, the Trainer's log_history, the metrics of trainer.predict).
    """
    if not tracking.tracker_installed():
        pytest.skip(TRACKIO_MISSING)
    folder = tmp_path_factory.mktemp("tracking")
    env = _trackio_env(folder / "trackio")
    done = subprocess.run(
        [sys.executable, "-c", TRAIN_SCRIPT, str(folder / "out"), PROJECT, RUN],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    printed = dict(line.split("=", 1) for line in done.stdout.splitlines() if line.startswith(("LOG_", "PREDICT=")))
    return env, folder, json.loads(printed["LOG_HISTORY"]), json.loads(printed["PREDICT"])


def test_the_run_is_stored_in_trackio_dir(tracked_run):
    env, folder, _, _ = tracked_run
    assert (folder / "trackio" / f"{PROJECT}.db").is_file()
    assert _trackio_cli("list", "runs", "--project", PROJECT, env=env)["runs"] == [RUN]


def test_the_metrics_the_lesson_names_are_logged(tracked_run):
    """04 names train/loss, eval/loss and eval/accuracy (eval/f1 comes from the lesson's own metric)."""
    env, _, _, _ = tracked_run
    names = _trackio_cli("list", "metrics", "--project", PROJECT, "--run", RUN, env=env)["metrics"]
    assert {"train/loss", "eval/loss", "eval/accuracy"} <= set(names), names


LESSON_METRICS = [("train/loss", "loss"), ("eval/loss", "eval_loss"), ("eval/accuracy", "eval_accuracy")]


@pytest.mark.parametrize(("metric", "key"), LESSON_METRICS)
def test_logged_values_are_the_trainers_own(tracked_run, metric, key):
    """The dashboard's curve is the Trainer's log_history, value for value (2 epochs: 8 losses, 2 evaluations)."""
    env, _, history, _ = tracked_run
    expected = [entry[key] for entry in history if key in entry]
    assert len(expected) == (8 if key == "loss" else 2)
    values = _trackio_cli("get", "metric", "--project", PROJECT, "--run", RUN, "--metric", metric, env=env)["values"]
    assert [point["value"] for point in values] == pytest.approx(expected)


def test_predict_after_training_lands_in_the_same_run_as_test_metrics(tracked_run):
    """04: trainer.predict (on the validation set) after training is logged to the same run, under test/."""
    env, _, _, predicted = tracked_run
    assert _trackio_cli("list", "runs", "--project", PROJECT, env=env)["runs"] == [RUN]
    values = _trackio_cli("get", "metric", "--project", PROJECT, "--run", RUN, "--metric", "test/loss", env=env)
    assert [point["value"] for point in values["values"]] == pytest.approx([predicted["test_loss"]])


RESUME_SCRIPT = """
import trackio

for value in (1.0, 2.0):  # two runs under one name, as a rerun of the lesson with a fixed run_name would be
    trackio.init(project="resume-test", name="same-name", resume="allow")
    trackio.log({"train/loss": value})
    trackio.finish()
"""


def test_a_second_run_with_the_same_name_continues_the_first(tmp_path):
    """04 [实验看板]: resume="allow" (what the Trainer passes) appends to the run of the same name."""
    if not tracking.tracker_installed():
        pytest.skip(TRACKIO_MISSING)
    env = _trackio_env(tmp_path / "trackio")
    done = subprocess.run([sys.executable, "-c", RESUME_SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Resumed existing run: same-name" in done.stdout
    assert _trackio_cli("list", "runs", "--project", "resume-test", env=env)["runs"] == ["same-name"]
    values = _trackio_cli(
        "get", "metric", "--project", "resume-test", "--run", "same-name", "--metric", "train/loss", env=env
    )["values"]
    assert [point["value"] for point in values] == [1.0, 2.0]


# ---------------------------------------------------------------- cu.report_to()


def test_report_to_is_trackio_when_installed(capsys):
    if not tracking.tracker_installed():
        pytest.skip(TRACKIO_MISSING)
    assert cu.report_to() == "trackio"
    assert capsys.readouterr().out == ""


def test_report_to_without_trackio_says_so_and_trains_untracked(monkeypatch, capsys):
    monkeypatch.setattr(tracking, "tracker_installed", lambda: False)
    assert cu.report_to() == "none"
    out = capsys.readouterr().out
    assert "没有安装 trackio" in out and "pip install trackio" in out and '"none"' in out
    assert cu.report_to(verbose=False) == "none"
    assert capsys.readouterr().out == ""


def test_dashboard_command_names_the_project():
    assert cu.dashboard_command("chapter3-mrpc") == "trackio show --project chapter3-mrpc"
