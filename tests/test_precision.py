"""One mixed-precision policy: choose_mixed_precision decides for the Trainer recipes, the loop and the status block."""

import json
import subprocess

import pytest
import torch
from transformers import TrainingArguments

import course_utils as cu
from course_utils import hardware, precision, precision_probe, recipes

# (device, CUDA available, GPU compute capability, bf16's measured speed-up on the CPU) -> the policy's answer
HARDWARE = {
    "H100": ("cuda", True, (9, 0), 0.5, "bf16"),
    "A100": ("cuda", True, (8, 0), 0.5, "bf16"),
    "T4": ("cuda", True, (7, 5), 0.5, "fp16"),
    "GPU, nvidia-smi silent": ("cuda", True, None, 0.5, "fp16"),
    "CPU where bf16 measured 1.84x": ("cpu", False, None, 1.84, "bf16"),
    "CPU where bf16 measured 1.10x (under the margin)": ("cpu", False, None, 1.10, "no"),
    "CPU where bf16 is slower": ("cpu", False, None, 0.42, "no"),
    "Apple mps": ("mps", False, None, 1.84, "no"),
}


@pytest.fixture
def simulate(monkeypatch):
    """Pretend to run on the given hardware; asking torch for GPU details would fail the test."""

    def apply(cuda: bool, capability, speedup: float) -> None:
        monkeypatch.delenv("COURSE_PRECISION", raising=False)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(hardware, "gpu_compute_capability", lambda: capability)
        monkeypatch.setattr(precision_probe, "cpu_bf16_speedup", lambda: {"ratio": speedup})
        for name in ("get_device_capability", "is_bf16_supported", "get_device_name", "init"):
            monkeypatch.setattr(torch.cuda, name, _initialises_cuda)

    return apply


def _initialises_cuda(*args, **kwargs):
    raise AssertionError("this call would initialise CUDA before notebook_launcher")


@pytest.mark.parametrize("name", HARDWARE)
def test_the_policy(simulate, name):
    device, cuda, capability, speedup, expected = HARDWARE[name]
    simulate(cuda, capability, speedup)
    policy = precision.precision_policy(device)
    assert policy.accelerate == expected and policy.reason
    assert cu.choose_mixed_precision(device) == expected


@pytest.mark.parametrize("name", HARDWARE)
def test_every_consumer_follows_the_one_policy(simulate, name):
    device, cuda, capability, speedup, expected = HARDWARE[name]
    simulate(cuda, capability, speedup)
    trainer_args = cu.mixed_precision_args(device)
    fast = cu.fast_cpu_recipe(device)
    loop = recipes.loop_settings("fast", device)["mixed_precision"]
    as_trainer = "bf16" if trainer_args.get("bf16") else ("fp16" if trainer_args.get("fp16") else "no")
    as_recipe = "bf16" if fast.get("bf16") else ("fp16" if fast.get("fp16") else "no")
    assert as_trainer == as_recipe == loop == expected
    if device == "cpu" and expected == "bf16":
        assert trainer_args == {"bf16": True, "use_cpu": True}  # the Trainer refuses CPU bf16 without use_cpu


def test_the_status_block_states_the_choice(simulate, capsys):
    simulate(False, None, 1.84)
    env = cu.setup(verbose=True)
    out = capsys.readouterr().out
    policy = precision.precision_policy(env.device)
    assert f"混合精度（用到时的选择）：{policy.label}（{policy.reason}）" in out


def test_overriding_bf16(simulate):
    simulate(False, None, 1.84)
    assert cu.choose_mixed_precision("cpu", bf16=False) == "no"  # a CPU without bf16, simulated
    assert cu.choose_mixed_precision("cuda", bf16=False) == "fp16"
    assert cu.choose_mixed_precision("cuda", bf16=True) == "bf16"


def test_no_cuda_means_no_gpu_precision(simulate):
    simulate(False, None, 0.5)
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


# --- the CPU probe: bf16 by measurement, cached per machine, overridable


@pytest.fixture
def probe_cache(tmp_path, monkeypatch):
    """The probe's cache in a temporary folder, nothing remembered in memory, no override set."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_PRECISION", raising=False)
    monkeypatch.setattr(precision_probe, "_MEMO", {})
    calls = []

    def fake_measure():
        calls.append(1)
        return {"ratio": 1.5, "fp32_s": [0.3, 0.3, 0.3], "bf16_s": [0.2, 0.2, 0.2]}

    monkeypatch.setattr(precision_probe, "measure", fake_measure)
    return precision_probe.cache_file(), calls


@pytest.mark.parametrize(("fp32", "bf16", "expected"), [(0.30, 0.20, "bf16"), (0.30, 0.27, "fp32"), (0.3, 0.9, "fp32")])
def test_the_decision_from_fake_timings(monkeypatch, fp32, bf16, expected):
    """Medians of interleaved timings: bf16 only when it is at least BF16_MARGIN times faster."""
    monkeypatch.delenv("COURSE_PRECISION", raising=False)
    steps = iter([fp32, bf16] * 20)
    monkeypatch.setattr(precision_probe, "_workload", lambda: lambda use_bf16: next(steps))
    result = precision_probe.measure()
    assert result["ratio"] == pytest.approx(fp32 / bf16, rel=1e-3) and len(result["fp32_s"]) >= 2
    monkeypatch.setattr(precision_probe, "cpu_bf16_speedup", lambda: result)
    policy = precision.precision_policy("cpu")
    assert policy.mode == expected and policy.measured_speedup == result["ratio"]
    assert f"{result['ratio']:.2f}" in policy.reason and "实测" in policy.reason


def test_the_probe_is_cached_per_machine(probe_cache):
    path, calls = probe_cache
    first = precision_probe.cpu_bf16_speedup()
    assert calls == [1] and first["cached"] is False and path.is_file()
    precision_probe._MEMO.clear()
    again = precision_probe.cpu_bf16_speedup()  # a new process: read from the file, not measured
    assert calls == [1] and again["cached"] is True and again["ratio"] == 1.5


def test_a_stale_key_is_measured_again(probe_cache):
    path, calls = probe_cache
    precision_probe.cpu_bf16_speedup()
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["key"]["torch"] = "1.0.0"  # measured with another torch
    path.write_text(json.dumps(saved), encoding="utf-8")
    precision_probe._MEMO.clear()
    assert precision_probe.cpu_bf16_speedup()["cached"] is False and calls == [1, 1]


@pytest.mark.parametrize("damage", ["not json", "a list", "no ratio", "a ratio that is no number"])
def test_a_damaged_cache_is_ignored_with_a_message(probe_cache, capsys, damage):
    path, calls = probe_cache
    key = precision_probe.cache_key()
    content = {
        "not json": "{not json",
        "a list": "[]",
        "no ratio": json.dumps({"key": key}),
        "a ratio that is no number": json.dumps({"key": key, "ratio": "fast"}),
    }[damage]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content, encoding="utf-8")
    result = precision_probe.cpu_bf16_speedup()
    assert result["ratio"] == 1.5 and calls == [1]  # measured again, no crash
    assert "读不出来" in capsys.readouterr().out
    assert json.loads(path.read_text(encoding="utf-8"))["ratio"] == 1.5  # replaced by the new measurement


@pytest.mark.parametrize(("value", "mode"), [("fp32", "fp32"), ("bf16", "bf16"), ("BF16", "bf16")])
def test_course_precision_overrides_the_measurement(monkeypatch, value, mode):
    monkeypatch.setattr(precision_probe, "cpu_bf16_speedup", _must_not_measure)
    monkeypatch.setenv("COURSE_PRECISION", value)
    policy = precision.precision_policy("cpu")
    assert policy.mode == mode and "COURSE_PRECISION" in policy.reason


def _must_not_measure():
    raise AssertionError("an override must not run the probe")


def test_a_bad_override_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_PRECISION", "fp8")
    with pytest.raises(cu.CourseError, match="COURSE_PRECISION") as caught:
        precision.precision_policy("cpu")
    assert "可选 auto" in str(caught.value)
