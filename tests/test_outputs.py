"""course_utils.outputs (a run's output folder and model card) and course_utils.envvars."""

import json

import pytest

import course_utils as cu
from course_utils import envvars, runtime
from course_utils.outputs import model_card

REPORT = {
    "num_processes": 2,
    "eval_examples": 408,
    "accuracy": 0.8,
    "f1": 0.86,
    "train_examples": 3668,
    "mixed_precision": "bf16",
    "checkpoint": "bert-base-uncased",
    "routes": {
        "data:mrpc": {
            "resource": "data:mrpc",
            "kind": "source",
            "location": "/data/glue-mrpc",
            "reason": "环境变量 COURSE_DATA_DIR 指向本地 MRPC 原始文件",
            "label": "MRPC 原始文件",
        }
    },
    "label_names": ["not_equivalent", "equivalent"],
    "date": "2026-11-26",
    "config": {
        "epochs": 3,
        "batch_size": 8,
        "learning_rate": 5e-5,
        "weight_decay": 0.0,
        "warmup_ratio": 0.1,
        "group_by_length": True,
        "seed": 42,
    },
}


def test_model_card_names_base_data_recipe_metrics_and_date():
    card = model_card(REPORT)
    front, body = card.split("---\n")[1], card.split("---\n", 2)[2]
    assert "base_model: bert-base-uncased" in front and "- nyu-mll/glue" in front
    assert "pipeline_tag: text-classification" in front
    for fragment in (
        "基础模型：bert-base-uncased",
        "训练 3668 条，验证 408 条",
        "来源：MRPC 原始文件；",
        "3 个 epoch，每个进程批大小 8（按长度分组）",
        "学习率 5e-05、权重衰减 0",
        "10% 的步数线性预热",
        "混合精度 bf16，2 个进程，随机种子 42",
        "准确率 0.800，F1 0.860",
        "0 = not_equivalent、1 = equivalent",
        "日期：2026-11-26",
        '"text_pair"',
    ):
        assert fragment in body, fragment


def test_model_card_of_a_local_checkpoint_has_no_hub_base_model(tmp_path):
    card = model_card({**REPORT, "checkpoint": str(tmp_path)})
    assert "base_model:" not in card and f"基础模型：{tmp_path}" in card


def test_the_packaged_checkpoint_is_named_by_its_package():
    from course_utils.checkpoint import PACKAGED_NAME, packaged_checkpoint

    card = model_card({**REPORT, "checkpoint": packaged_checkpoint()})
    assert f"基础模型：{PACKAGED_NAME}" in card and "base_model:" not in card


def test_staged_files_appear_in_one_step(tmp_path):
    output = tmp_path / "run"
    staging = cu.staging_dir(output, clear=True)
    assert staging.is_dir() and staging.parent == tmp_path and staging.name == ".run.partial"
    cu.write_run_files(staging, REPORT)
    assert not output.exists()
    cu.publish(staging, output)
    assert json.loads((output / "metrics.json").read_text(encoding="utf-8")) == REPORT
    assert (output / "README.md").read_text(encoding="utf-8") == model_card(REPORT)
    assert not staging.exists()

    # A second run replaces the first one's folder; a stale staging folder is emptied first.
    staging = cu.staging_dir(output, clear=True)
    (staging / "leftover.txt").write_text("from an interrupted run", encoding="utf-8")
    staging = cu.staging_dir(output, clear=True)
    assert list(staging.iterdir()) == []
    cu.write_run_files(staging, {**REPORT, "accuracy": 0.9})
    cu.publish(staging, output)
    assert json.loads((output / "metrics.json").read_text(encoding="utf-8"))["accuracy"] == 0.9


def test_a_folder_the_loop_did_not_write_is_never_replaced(tmp_path):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine", encoding="utf-8")
    staging = cu.staging_dir(mine, clear=True)
    with pytest.raises(cu.CourseError, match="不覆盖"):
        cu.publish(staging, mine)
    assert [path.name for path in mine.iterdir()] == ["keep.txt"]


class _Accelerator:
    num_processes = 1


def test_a_launch_whose_processes_do_not_meet_is_refused(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(cu.CourseError, match="ACCELERATE_USE_CPU=true"):
        cu.check_process_group(_Accelerator())
    monkeypatch.setenv("WORLD_SIZE", "1")
    cu.check_process_group(_Accelerator())


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), (" TRUE ", True), ("yes", True), ("On", True), ("0", False), ("", False)]
)
def test_env_flag(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_TEST_FLAG", value)
    assert envvars.env_flag("COURSE_TEST_FLAG") is expected
    monkeypatch.setenv("COURSE_QUICK", value)
    assert runtime.quick_mode() is expected


def test_env_flag_unset(monkeypatch):
    monkeypatch.delenv("COURSE_TEST_FLAG", raising=False)
    assert envvars.env_flag("COURSE_TEST_FLAG") is False


def test_a_download_that_fails_after_the_probe_is_recorded_as_the_fallback(hub_online, monkeypatch, capsys):
    """The probe said the Hub answers, the download broke: the record, the card and the run record name the sample."""
    import datasets

    def dropped(*args, **kwargs):
        raise ConnectionError("connection reset mid-download")

    monkeypatch.setattr(datasets, "load_dataset", dropped)
    assert cu.choose_data_source("mrpc").kind == "hub"  # the plan, before loading
    raw = cu.load_dataset("nyu-mll/glue", "mrpc")
    assert len(raw["train"]) == 36  # the embedded sample
    used = cu.routes_used()["data:mrpc"]
    assert used["kind"] == "embedded" and "ConnectionError" in used["reason"]
    assert cu.choose_data_source("mrpc").kind == "embedded"  # every later reader gets what was really used
    card = model_card({**REPORT, "routes": cu.routes_used()})
    data_line = next(line for line in card.splitlines() if line.startswith("- 数据："))
    assert "小样本" in data_line and "Hub" not in data_line
