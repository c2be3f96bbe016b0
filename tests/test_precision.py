"""One mixed-precision policy: choose_mixed_precision decides for the Trainer recipes, the loop and the status block."""

import subprocess

import pytest
import torch
from transformers import TrainingArguments

import course_utils as cu
from course_utils import hardware, precision, recipes

# (device, CUDA available, GPU compute capability, CPU has native bf16) -> the policy's answer
HARDWARE = {
    "H100": ("cuda", True, (9, 0), False, "bf16"),
    "A100": ("cuda", True, (8, 0), False, "bf16"),
    "T4": ("cuda", True, (7, 5), False, "fp16"),
    "GPU, nvidia-smi silent": ("cuda", True, None, False, "fp16"),
    "CPU with AVX512-BF16": ("cpu", False, None, True, "bf16"),
    "older CPU": ("cpu", False, None, False, "no"),
    "Apple mps": ("mps", False, None, True, "no"),
}


@pytest.fixture
def simulate(monkeypatch):
    """Pretend to run on the given hardware; asking torch for GPU details would fail the test."""

    def apply(cuda: bool, capability, cpu_bf16: bool) -> None:
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(hardware, "gpu_compute_capability", lambda: capability)
        monkeypatch.setattr(hardware, "cpu_supports_bf16", lambda: cpu_bf16)
        for name in ("get_device_capability", "is_bf16_supported", "get_device_name", "init"):
            monkeypatch.setattr(torch.cuda, name, _initialises_cuda)

    return apply


def _initialises_cuda(*args, **kwargs):
    raise AssertionError("this call would initialise CUDA before notebook_launcher")


@pytest.mark.parametrize("name", HARDWARE)
def test_the_policy(simulate, name):
    device, cuda, capability, cpu_bf16, expected = HARDWARE[name]
    simulate(cuda, capability, cpu_bf16)
    policy = precision.precision_policy(device)
    assert policy.accelerate == expected and policy.reason
    assert cu.choose_mixed_precision(device) == expected


@pytest.mark.parametrize("name", HARDWARE)
def test_every_consumer_follows_the_one_policy(simulate, name):
    device, cuda, capability, cpu_bf16, expected = HARDWARE[name]
    simulate(cuda, capability, cpu_bf16)
    trainer_args = cu.mixed_precision_args(device)
    fast = cu.fast_cpu_recipe(device)
    loop = recipes.loop_settings("fast", device)["mixed_precision"]
    as_trainer = "bf16" if trainer_args.get("bf16") else ("fp16" if trainer_args.get("fp16") else "no")
    as_recipe = "bf16" if fast.get("bf16") else ("fp16" if fast.get("fp16") else "no")
    assert as_trainer == as_recipe == loop == expected
    if device == "cpu" and expected == "bf16":
        assert trainer_args == {"bf16": True, "use_cpu": True}  # the Trainer refuses CPU bf16 without use_cpu


def test_the_status_block_states_the_choice(simulate, capsys):
    simulate(False, None, True)
    env = cu.setup(verbose=True)
    out = capsys.readouterr().out
    policy = precision.precision_policy(env.device)
    assert f"混合精度（用到时的选择）：{policy.label}（{policy.reason}）" in out


def test_overriding_bf16(simulate):
    simulate(False, None, True)
    assert cu.choose_mixed_precision("cpu", bf16=False) == "no"  # a CPU without bf16, simulated
    assert cu.choose_mixed_precision("cuda", bf16=False) == "fp16"
    assert cu.choose_mixed_precision("cuda", bf16=True) == "bf16"


def test_no_cuda_means_no_gpu_precision(simulate):
    simulate(False, None, False)
    assert cu.choose_mixed_precision("cuda") == "no"
    assert cu.mixed_precision_args("cuda") == {}


@pytest.mark.parametrize(("stdout", "expected"), [("8.6\n", (8, 6)), ("7.5\n9.0\n", (7, 5)), ("[N/A]\n", None)])
def test_compute_capability_from_nvidia_smi(monkeypatch, stdout, expected):
    def fake_run(command, **kwargs):
        assert command[0] == "nvidia-smi" and "--query-gpu=compute_cap" in command
        return subprocess.CompletedProcess(command, 0, stdout=stdout, stderr="")

    monkeypatch.setattr(subprocess, "run", fake_run)
    assert hardware.gpu_compute_capability() == expected


def test_compute_capability_without_nvidia_smi(monkeypatch):
    def missing(*args, **kwargs):
        raise FileNotFoundError("nvidia-smi")

    monkeypatch.setattr(subprocess, "run", missing)
    assert hardware.gpu_compute_capability() is None
    assert not torch.cuda.is_initialized()


@pytest.mark.parametrize("device", ["cpu", "mps", "cuda", None])
def test_trainer_accepts_the_choice_on_this_machine(device, tmp_path):
    args = cu.mixed_precision_args(device)
    assert args in ({}, {"use_cpu": True}, {"fp16": True}, {"bf16": True}, {"bf16": True, "use_cpu": True})
    training_args = TrainingArguments(str(tmp_path), **args)  # must not raise here
    assert training_args.bf16 == args.get("bf16", False) and training_args.fp16 == args.get("fp16", False)


def test_the_real_detectors_answer():
    assert isinstance(hardware.cpu_supports_bf16(), bool)
    assert cu.choose_mixed_precision() in ("no", "fp16", "bf16")
    assert not torch.cuda.is_initialized()


def test_one_decider_in_the_package():
    """No module but hardware.py (which asks) and precision.py (which decides) asks the hardware about bf16 or fp16."""
    from pathlib import Path

    package = Path(cu.__file__).parent
    for path in package.glob("*.py"):
        if path.name in ("precision.py", "hardware.py"):
            continue
        text = path.read_text(encoding="utf-8")
        calls = ("is_bf16_supported", "cpu_supports_bf16(", "_is_mkldnn_bf16_supported", "_is_amx_tile", "compute_cap")
        for call in calls:
            assert call not in text, f"{path.name} decides precision itself ({call})"


def test_cpu_bf16_means_the_native_instructions():
    """Linux lists the CPU's instruction sets; bf16 counts only with AVX512-BF16 or AMX-BF16."""
    from pathlib import Path

    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        pytest.skip("no /proc/cpuinfo on this system to compare with")
    flags = set(cpuinfo.read_text().split())
    assert hardware.cpu_supports_bf16() == bool({"avx512_bf16", "amx_bf16"} & flags)


def test_a_requested_precision_is_checked_against_the_device():
    assert precision.requested_precision("bf16", "cpu").trainer_kwargs() == {"bf16": True, "use_cpu": True}
    assert precision.requested_precision("no", "cuda").mode == "fp32"
    with pytest.raises(cu.CourseError, match="需要 GPU") as caught:
        precision.requested_precision("fp16", "cpu")
    assert "needs a GPU" in str(caught.value)
    with pytest.raises(cu.CourseError, match="不认识"):
        precision.requested_precision("fp8", "cuda")


def test_one_value_in_every_form():
    value = precision.Precision("bf16", "cuda", "test")
    assert (value.accelerate, value.trainer_kwargs(), value.label) == ("bf16", {"bf16": True}, "bf16 自动混合精度")
    assert precision.Precision("fp32", "cpu", "test").accelerate == "no"
    with pytest.raises(ValueError):
        precision.Precision("half", "cpu", "test")
