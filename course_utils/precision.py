"""The course's one mixed-precision policy, and its form for ``TrainingArguments``.

:func:`choose_mixed_precision` decides for every place that trains or reports:
the Trainer recipes (``mixed_precision_args``, ``recipes.fast_cpu_recipe``), the
Accelerate loop of lesson 06 (``Accelerator(mixed_precision=...)``) and the
status block of ``cu.setup()``. The policy and its reasons are in its docstring.
"""

from __future__ import annotations

import subprocess

NVIDIA_SMI_TIMEOUT = 10  # seconds


def cpu_supports_bf16() -> bool:
    """True when the CPU has native bfloat16 instructions (AVX512-BF16 or AMX); False if unsure.

    oneDNN's own check (``torch.ops.mkldnn._is_mkldnn_bf16_supported``) only asks
    for AVX-512, so it also says yes on AVX-512 CPUs without bf16 instructions
    (e.g. Skylake-SP), where bf16 is emulated and slower than fp32.
    """
    try:
        import torch

        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except Exception:
        return False


def gpu_compute_capability() -> tuple[int, int] | None:
    """Compute capability of the first NVIDIA GPU, read with nvidia-smi; None if it cannot tell.

    ``torch.cuda.get_device_capability()`` would initialise CUDA in this process,
    after which ``notebook_launcher`` can no longer fork its worker processes.
    """
    try:
        result = subprocess.run(
            ["nvidia-smi", "--query-gpu=compute_cap", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_TIMEOUT,
            check=True,
        )
        major, minor = result.stdout.strip().splitlines()[0].strip().split(".")
        return int(major), int(minor)
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def mixed_precision_choice(device: str | None = None, bf16: bool | None = None) -> tuple[str, str]:
    """The course's mixed-precision policy: ``("bf16" | "fp16" | "no", reason in Chinese)``.

    - CUDA: "bf16" where the GPU supports it (compute capability 8.0 or newer:
      A100, H100, RTX 30xx and later), else "fp16" (T4, V100: every CUDA GPU runs fp16).
      bf16 has fp32's range, so it needs no loss scaling.
    - CPU: "bf16" where the CPU has native bfloat16 instructions (AVX512-BF16 / AMX,
      :func:`cpu_supports_bf16`); ``benchmarks/run.py --ablations`` measures
      what it gives the fast recipe. Without them bf16 is emulated and slower: "no".
    - Apple MPS and anything else: "no" (fp32).

    ``bf16=True`` / ``False`` overrides what the hardware says about bf16 (e.g. to
    simulate a CPU without it; on "cuda" it then assumes a GPU is there). Never
    initialises CUDA: only ``torch.cuda.is_available()`` and nvidia-smi are asked.
    """
    device = device or _detect_device()
    if device == "cuda":
        if bf16 is None:
            import torch

            if not torch.cuda.is_available():
                return "no", "没有可用的 CUDA GPU，用 fp32"
            capability = gpu_compute_capability()
            bf16 = capability is not None and capability >= (8, 0)
        if bf16:
            return "bf16", "GPU 支持 bf16（计算能力 ≥ 8.0）"
        return "fp16", "GPU 不支持 bf16，用 fp16"
    if device == "cpu":
        if cpu_supports_bf16() if bf16 is None else bf16:
            return "bf16", "CPU 有原生 bf16 指令（AVX512-BF16/AMX）；是否真的更快因 CPU 而异，见第 04 节"
        return "no", "CPU 没有原生 bf16 指令，bf16 只是软件模拟、反而更慢，用 fp32"
    return "no", f"{device} 上用 fp32"


def choose_mixed_precision(device: str | None = None, bf16: bool | None = None) -> str:
    """``"bf16"``, ``"fp16"`` or ``"no"`` for ``device``, as ``Accelerator(mixed_precision=...)`` takes it."""
    return mixed_precision_choice(device, bf16)[0]


def mixed_precision_args(device: str | None = None, bf16: bool | None = None) -> dict[str, bool]:
    """The same choice as keyword arguments for ``TrainingArguments`` (``{}`` means fp32).

    On CPU, bf16 also needs ``use_cpu=True``: the Trainer refuses ``bf16=True`` on a
    machine without a bf16 GPU unless told the CPU is meant.
    """
    device = device or _detect_device()
    choice = choose_mixed_precision(device, bf16)
    if choice == "no":
        return {}
    if device == "cpu":
        return {"bf16": True, "use_cpu": True}
    return {choice: True}


def _detect_device() -> str:
    from .runtime import detect_device

    return detect_device()
