"""course_utils.runtime: the setup call and the environment it reports."""

import random

import numpy as np
import pytest
import torch

import course_utils as cu


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
        "本地 MRPC 镜像",
        "MiniLM",
        "glue_mrpc",
        "HF_HUB_OFFLINE",
    ):
        assert fragment in out, fragment
    assert env.quick and env.seed == 7 and env.data_source == "mirror" and env.metric_source == "local"
    assert env.device in {"cuda", "mps", "cpu"}
    assert env.device == cu.detect_device()


def test_setup_seeds_everything():
    cu.setup(seed=123, verbose=False)
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    cu.setup(seed=123, verbose=False)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first


@pytest.mark.parametrize(("value", "expected"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_quick_mode(monkeypatch, value, expected):
    monkeypatch.setenv("COURSE_QUICK", value)
    assert cu.quick_mode() is expected
    assert cu.setup(verbose=False).quick is expected


def test_full_mode_is_announced(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    cu.setup()
    out = capsys.readouterr().out
    assert "完整模式" in out and "小样本" in out


def test_colab_detection(monkeypatch):
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    assert not cu.in_colab()
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    assert cu.in_colab()


def test_gpu_name_never_initialises_cuda(monkeypatch):
    import subprocess

    from course_utils import runtime

    def no_nvidia_smi(*args, **kwargs):
        raise FileNotFoundError("nvidia-smi")

    monkeypatch.setattr(subprocess, "run", no_nvidia_smi)
    assert runtime._gpu_name() == "NVIDIA GPU"
    assert not torch.cuda.is_initialized()
