"""What this machine is: the device to train on, the CPU and its instruction flags, the GPU, and one machine record.

Everything that asks about the hardware asks here: ``cu.setup()``'s status
block, the precision policy (:mod:`course_utils.precision`), the run record of
the maintainer tools (refreshed notebooks, benchmarks). This module imports
nothing else of the package, so any module may import it.

CUDA is never initialised here: asking torch for a GPU's name or compute
capability would initialise it, after which ``notebook_launcher`` can no longer
start worker processes; ``nvidia-smi`` answers instead.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path

NVIDIA_SMI_TIMEOUT = 10  # seconds
CPUINFO = Path("/proc/cpuinfo")
# The CPU flags that decide how fast training can be (vector width, bf16 and matrix instructions).
RELEVANT_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "avx512_vnni", "amx_tile", "amx_bf16")
# The libraries a run record names.
LIBRARIES = ("torch", "transformers", "datasets", "accelerate", "evaluate")


def detect_device() -> str:
    """``"cuda"``, then Apple ``"mps"``, then ``"cpu"``."""
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def nvidia_smi(query: str) -> list[str]:
    """``nvidia-smi --query-gpu=QUERY`` as one line per GPU; ``[]`` when it cannot tell."""
    try:
        result = subprocess.run(
            ["nvidia-smi", f"--query-gpu={query}", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_TIMEOUT,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in result.stdout.strip().splitlines() if line.strip()]


def gpu_name() -> str | None:
    """Name of the first NVIDIA GPU, or None."""
    names = nvidia_smi("name")
    return names[0] if names else None


def gpu_compute_capability() -> tuple[int, int] | None:
    """Compute capability of the first NVIDIA GPU, or None if it cannot tell."""
    lines = nvidia_smi("compute_cap")
    try:
        major, minor = lines[0].split(".")
        return int(major), int(minor)
    except (IndexError, ValueError):
        return None


@lru_cache(maxsize=1)
def _cpuinfo() -> tuple[str, frozenset[str]]:
    model, flags = "", frozenset()
    try:
        for line in CPUINFO.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and not model:
                model = value.strip()
            elif key.strip() in ("flags", "Features") and not flags:
                flags = frozenset(value.split())
            if model and flags:
                break
    except OSError:
        pass
    return model or platform.processor() or platform.machine(), flags


def cpu_model() -> str:
    """The CPU's model name, e.g. "AMD EPYC 9R14" (``/proc/cpuinfo``, else what ``platform`` says)."""
    return _cpuinfo()[0]


def cpu_flags() -> list[str]:
    """Which of :data:`RELEVANT_FLAGS` this CPU reports (empty where ``/proc/cpuinfo`` does not exist)."""
    flags = _cpuinfo()[1]
    return [flag for flag in RELEVANT_FLAGS if flag in flags]


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


def library_versions() -> dict[str, str]:
    """Python and the course's libraries, as installed ("not installed" when missing)."""
    found = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def load_average() -> float | None:
    """The 1-minute load average (above the core count, other work shares the CPU); None where unknown."""
    try:
        return round(os.getloadavg()[0], 2)
    except (AttributeError, OSError):
        return None


def machine_record() -> dict:
    """The one record of the machine a run used, with the same keys wherever a run is recorded.

    ``load_average`` is taken when the record is made; a tool that also wants it
    at the end of a run adds ``load_average_after`` itself.
    """
    try:
        import torch

        threads = torch.get_num_threads()
        cuda = torch.cuda.is_available()
    except ImportError:
        threads, cuda = None, False
    return {
        "date": dt.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cpu_flags": cpu_flags(),
        "cpu_bf16": cpu_supports_bf16(),
        "cores": os.cpu_count(),
        "torch_threads": threads,
        "cuda": cuda,
        "gpu": gpu_name() if cuda else None,
        "os": platform.platform(terse=True),
        "load_average": load_average(),
        **library_versions(),
    }
