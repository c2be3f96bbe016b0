"""The course's one mixed-precision policy, as one value that every consumer uses as it is.

:func:`precision_policy` decides; the :class:`Precision` it returns carries the
decision in every form a consumer needs: ``trainer_kwargs()`` for
``TrainingArguments`` (the recipes), ``accelerate`` for
``Accelerator(mixed_precision=...)`` (lesson 06 and ``scripts/train_mrpc.py``),
``label`` and ``reason`` for the status block of ``cu.setup()`` and the
benchmark table. Nobody parses keyword dicts back into a mode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from . import hardware

MODES = ("fp32", "bf16", "fp16")
ACCELERATE_NAMES = {"fp32": "no", "bf16": "bf16", "fp16": "fp16"}


@dataclass(frozen=True)
class Precision:
    """One precision decision: ``mode`` is "fp32", "bf16" or "fp16" on ``device``, for ``reason``."""

    mode: str
    device: str
    reason: str  # Chinese, one sentence
    measured_speedup: float | None = None  # on CPU: bf16 autocast's measured speed over fp32 (the probe)

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"unknown precision mode {self.mode!r}; one of {', '.join(MODES)}")

    @property
    def accelerate(self) -> str:
        """The form ``Accelerator(mixed_precision=...)`` takes: "no", "bf16" or "fp16"."""
        return ACCELERATE_NAMES[self.mode]

    @property
    def label(self) -> str:
        """How a learner reads it, e.g. "bf16 自动混合精度"."""
        return {"fp32": "fp32", "bf16": "bf16 自动混合精度", "fp16": "fp16 自动混合精度"}[self.mode]

    def trainer_kwargs(self) -> dict[str, bool]:
        """Keyword arguments for ``TrainingArguments`` (``{}`` means fp32).

        On CPU they always say ``use_cpu=True`` (the one place that sets it): the
        Trainer refuses ``bf16=True`` on a machine without a bf16 GPU unless told
        the CPU is meant, and a CPU precision should train on the CPU anyway.
        """
        kwargs = {self.mode: True} if self.mode != "fp32" else {}
        return {**kwargs, "use_cpu": True} if self.device == "cpu" else kwargs


BF16_MARGIN = 1.15  # on a CPU, bf16 only when the probe measured it at least this much faster than fp32
OVERRIDES = ("auto", "fp32", "bf16")  # COURSE_PRECISION


def _override() -> str:
    value = os.environ.get("COURSE_PRECISION", "").strip().lower() or "auto"
    if value not in OVERRIDES:
        from .errors import CourseError

        raise CourseError(
            f"环境变量 COURSE_PRECISION={value!r} 不认识（English: unknown COURSE_PRECISION {value!r}）。",
            "可选 auto（默认：在 CPU 上实测 bf16 是否更快）、fp32 或 bf16；或者删掉这个变量。",
        )
    return value


def cpu_precision() -> Precision:
    """bf16 on this CPU only when the probe measured it ≥ BF16_MARGIN × faster than fp32 (cached per machine)."""
    from .precision_probe import cpu_bf16_speedup

    result = cpu_bf16_speedup()
    ratio = result["ratio"]
    if ratio >= BF16_MARGIN:
        return Precision(
            "bf16", "cpu", f"实测 bf16 自动混合精度比 fp32 快 {ratio:.2f} 倍（门槛 {BF16_MARGIN}），用 bf16", ratio
        )
    speed = f"快 {ratio:.2f} 倍，不到门槛 {BF16_MARGIN}" if ratio >= 1 else f"只有 fp32 的 {ratio:.2f} 倍速度"
    return Precision("fp32", "cpu", f"实测 bf16 自动混合精度{speed}，用 fp32", ratio)


def precision_policy(device: str | None = None, bf16: bool | None = None) -> Precision:
    """The course's mixed-precision policy for ``device`` (detected when None).

    - ``COURSE_PRECISION=fp32`` / ``bf16`` decides on any device (``auto``, the
      default, leaves it to the rules below; another value is a clear error).
    - CUDA: bf16 where the GPU supports it (compute capability 8.0 or newer:
      A100, H100, RTX 30xx and later), else fp16 (T4, V100: every CUDA GPU runs fp16).
      bf16 has fp32's range, so it needs no loss scaling.
    - CPU: measured, not inferred from instruction flags: bf16 when
      :mod:`course_utils.precision_probe` found bf16 autocast at least
      :data:`BF16_MARGIN` times faster than fp32 on this machine, else fp32.
    - Apple MPS and anything else: fp32.

    ``bf16=True`` / ``False`` overrides the hardware's answer (e.g. to simulate a
    CPU without it; on "cuda" it then assumes a GPU is there). Never initialises
    CUDA: only ``torch.cuda.is_available()`` and nvidia-smi are asked.
    """
    device = device or hardware.detect_device()
    override = _override()
    if bf16 is None and override != "auto":
        return Precision(override, device, f"环境变量 COURSE_PRECISION={override} 指定")
    if device == "cuda":
        if bf16 is None:
            import torch

            if not torch.cuda.is_available():
                return Precision("fp32", device, "没有可用的 CUDA GPU，用 fp32")
            capability = hardware.gpu_compute_capability()
            bf16 = capability is not None and capability >= (8, 0)
        if bf16:
            return Precision("bf16", device, "GPU 支持 bf16（计算能力 ≥ 8.0）")
        return Precision("fp16", device, "GPU 不支持 bf16，用 fp16")
    if device == "cpu":
        if bf16 is None:
            return cpu_precision()
        return Precision("bf16" if bf16 else "fp32", device, "按参数 bf16=" + str(bf16))
    return Precision("fp32", device, f"{device} 上用 fp32")


def choose_mixed_precision(device: str | None = None, bf16: bool | None = None) -> str:
    """``"bf16"``, ``"fp16"`` or ``"no"`` for ``device``, as ``Accelerator(mixed_precision=...)`` takes it."""
    return precision_policy(device, bf16).accelerate


def mixed_precision_args(device: str | None = None, bf16: bool | None = None) -> dict[str, bool]:
    """The same choice as keyword arguments for ``TrainingArguments`` (``{}`` means fp32)."""
    return precision_policy(device, bf16).trainer_kwargs()


def requested_precision(accelerate_name: str, device: str | None = None) -> Precision:
    """A precision the user asked for by its Accelerate name ("no", "bf16", "fp16"), checked against ``device``.

    Raises :class:`course_utils.errors.CourseError` (in Chinese, with the English kept) when
    the device cannot run it: fp16 autocast needs a GPU (CUDA or Apple MPS).
    """
    from .errors import CourseError

    device = device or hardware.detect_device()
    modes = {name: mode for mode, name in ACCELERATE_NAMES.items()}
    if accelerate_name not in modes:
        raise CourseError(
            f"不认识的混合精度 {accelerate_name!r}（English: unknown mixed precision {accelerate_name!r}）。",
            "可选 no、bf16 或 fp16。",
        )
    if accelerate_name == "fp16" and device == "cpu":
        raise CourseError(
            "fp16 混合精度需要 GPU；这台机器只有 CPU（English: fp16 mixed precision needs a GPU; none was found）。",
            "CPU 上请用 no，或者 bf16（需要 CPU 支持）。",
        )
    return Precision(modes[accelerate_name], device, "命令行参数指定")
