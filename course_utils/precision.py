"""Pick mixed-precision settings for ``TrainingArguments`` that the hardware can run.

``cu.mixed_precision_args(env.device)`` returns keyword arguments to spread
into ``TrainingArguments(...)``:

- CUDA GPU: ``{"fp16": True}`` (the course's choice; every CUDA GPU runs it);
- CPU with native bfloat16 (e.g. AVX512-BF16 / AMX): ``{"bf16": True, "use_cpu": True}``
  -- the Trainer refuses ``bf16=True`` on a machine without a bf16 GPU unless
  ``use_cpu=True`` says the CPU is meant;
- anything else (older CPU, Apple mps): ``{}``, i.e. ordinary fp32.
"""

from __future__ import annotations


def cpu_supports_bf16() -> bool:
    """True when the CPU has native bfloat16 instructions (oneDNN says so); False if unsure."""
    try:
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:
        return False


def mixed_precision_args(device: str | None = None) -> dict[str, bool]:
    """Keyword arguments for ``TrainingArguments`` enabling mixed precision on ``device``; never raises."""
    if device is None:
        from .runtime import detect_device

        device = detect_device()
    try:
        if device == "cuda":
            import torch

            if torch.cuda.is_available():
                return {"fp16": True}
            return {}
        if device == "cpu" and cpu_supports_bf16():
            return {"bf16": True, "use_cpu": True}
    except Exception:
        return {}
    return {}
