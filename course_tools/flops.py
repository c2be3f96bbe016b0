"""How close training is to the hardware's limit: model FLOPs per token, useful vs padded FLOPs, matmul peak.

Used by ``course_tools.benchmark`` (the fine-tuning table and the interleaved
training-step part); importable on its own::

    from course_tools import flops
    flops.training_flops_per_token(model.config, seq_len=64)
    flops.matmul_peak("bf16")  # GFLOP/s of a square matmul on this machine

The formula (shared/notes/perf-floor.md): for a BERT-like encoder with
``layers`` layers, hidden size ``h`` and intermediate size ``i``, one token at
a padded sequence length ``s`` costs in the forward pass

    layers × (2·(4·h² + 2·h·i) + 4·s·h)

FLOPs: the four attention projections and the two feed-forward matrices (2
FLOPs per multiply-add), then the attention scores and the weighted sum.
Training costs about 3 × forward (the backward pass ≈ 2 × forward). Embedding
lookups and the classifier head are left out (negligible).

*Useful* FLOPs count the real tokens only, each at its batch's padded length
``s`` (a real token still attends over the padded width); *padded* FLOPs count
every position the model computes on, batch × padded length. The padding share
of compute is ``1 − useful / padded``. Model FLOP utilisation (MFU) is useful
FLOP/s divided by the measured matmul peak.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any, NamedTuple

from course_utils.padding import padding_stats

CONFIG_FIELDS = ("num_hidden_layers", "hidden_size", "intermediate_size")
DTYPES = ("fp32", "bf16")  # the precisions whose peak the benchmark measures


def _config_sizes(config) -> tuple[int, int, int]:
    """(layers, hidden size, intermediate size) of a transformers config (or a mapping with the same keys)."""
    try:
        if isinstance(config, Mapping):
            return tuple(int(config[name]) for name in CONFIG_FIELDS)
        return tuple(int(getattr(config, name)) for name in CONFIG_FIELDS)
    except (KeyError, AttributeError) as err:
        raise ValueError(f"a BERT-like config needs {', '.join(CONFIG_FIELDS)}; missing: {err}") from None


def forward_flops_per_token(config, seq_len: int) -> int:
    """Forward FLOPs of one token at padded sequence length ``seq_len``: layers × (2·(4h² + 2hi) + 4sh)."""
    layers, hidden, intermediate = _config_sizes(config)
    return layers * (2 * (4 * hidden * hidden + 2 * hidden * intermediate) + 4 * seq_len * hidden)


def training_flops_per_token(config, seq_len: int) -> int:
    """Training FLOPs (forward + backward ≈ 3 × forward) of one token at padded sequence length ``seq_len``."""
    return 3 * forward_flops_per_token(config, seq_len)


class BatchShape(NamedTuple):
    """One collated batch: its real tokens, its rows (examples) and its padded width."""

    real_tokens: int
    rows: int
    width: int

    @property
    def padded_tokens(self) -> int:
        """Every position the model computes on: rows × width."""
        return self.rows * self.width


def batch_shape(batch) -> BatchShape:
    """The shape of a collated batch, from its ``attention_mask`` (via ``course_utils.padding.padding_stats``)."""
    stats = padding_stats([batch])
    return BatchShape(stats.real_tokens, stats.examples, stats.total_tokens // max(1, stats.examples))


def useful_flops(config, shapes: Iterable[BatchShape]) -> int:
    """Training FLOPs on real tokens only, each at its batch's padded length."""
    return sum(shape.real_tokens * training_flops_per_token(config, shape.width) for shape in shapes)


def padded_flops(config, shapes: Iterable[BatchShape]) -> int:
    """Training FLOPs on every position, padding included (rows × padded length per batch)."""
    return sum(shape.padded_tokens * training_flops_per_token(config, shape.width) for shape in shapes)


def padding_compute_share(useful: float, padded: float) -> float:
    """The share of the computed FLOPs spent on padding: ``1 − useful / padded`` (0.0 when nothing ran)."""
    if useful < 0 or padded < 0 or useful > padded:
        raise ValueError(f"useful FLOPs ({useful}) must be between 0 and the padded FLOPs ({padded})")
    return 1.0 - useful / padded if padded else 0.0


def flops_summary(config, shapes: Iterable[BatchShape]) -> dict[str, Any]:
    """Tokens and FLOPs of a list of batches: real and padded tokens, useful and padded FLOPs, padding share."""
    shapes = list(shapes)
    useful, padded = useful_flops(config, shapes), padded_flops(config, shapes)
    return {
        "batches": len(shapes),
        "examples": sum(shape.rows for shape in shapes),
        "real_tokens": sum(shape.real_tokens for shape in shapes),
        "padded_tokens": sum(shape.padded_tokens for shape in shapes),
        "useful_flops": useful,
        "padded_flops": padded,
        "padding_compute_share": padding_compute_share(useful, padded),
    }


def utilisation(flops_per_s: float, peak_gflops: float | None) -> float | None:
    """Model FLOP utilisation: achieved FLOP/s over a peak given in GFLOP/s (None without a peak)."""
    if not peak_gflops:
        return None
    return flops_per_s / (peak_gflops * 1e9)


class ShapeRecorder:
    """A data collator that records the shape of every batch it collates, then returns the batch unchanged.

    ``Trainer(data_collator=ShapeRecorder(DataCollatorWithPadding(tokenizer)))``: after
    ``trainer.train()``, ``recorder.shapes`` lists the training batches in the order the
    dataloader made them (with ``dataloader_num_workers=0``, the default; worker
    processes would record in their own copies). The cost is one sum over the
    attention mask per batch. A dataloader may collate one batch ahead of the
    training loop, so take the first ``global_step × gradient_accumulation_steps``.
    """

    def __init__(self, collator: Callable):
        self.collator = collator
        self.shapes: list[BatchShape] = []

    def __call__(self, features):
        batch = self.collator(features)
        self.shapes.append(batch_shape(batch))
        return batch


def _torch_dtype(dtype):
    import torch

    names = {"fp32": torch.float32, "float32": torch.float32, "bf16": torch.bfloat16, "bfloat16": torch.bfloat16}
    if isinstance(dtype, str):
        if dtype not in names:
            raise ValueError(f"unknown dtype {dtype!r}; one of {', '.join(names)} or a torch.dtype")
        return names[dtype]
    return dtype


def matmul_peak(dtype="fp32", n: int = 1024, repeats: int = 10, best_of: int = 5, warmup: int = 3) -> float:
    """The practical matmul peak in GFLOP/s: an n × n by n × n ``torch.matmul`` in ``dtype`` ("fp32", "bf16").

    ``warmup`` untimed calls, then ``best_of`` timed runs of ``repeats`` calls each; the
    fastest run counts (2·n³ FLOPs per call). The peak is noisy on a shared machine:
    measure it in the same run as the training it is compared with. bf16 means
    ``torch.matmul`` on bf16 tensors (where the CPU has no bf16 instructions it is
    emulated, and slow).
    """
    import torch

    if n < 1 or repeats < 1 or best_of < 1:
        raise ValueError("n, repeats and best_of must be at least 1")
    dtype = _torch_dtype(dtype)
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(n, n, generator=generator).to(dtype)
    b = torch.randn(n, n, generator=generator).to(dtype)
    out = torch.empty(n, n, dtype=dtype)
    for _ in range(warmup):
        torch.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(best_of):
        start = time.perf_counter()
        for _ in range(repeats):
            torch.matmul(a, b, out=out)
        best = min(best, (time.perf_counter() - start) / repeats)
    return 2 * n**3 / best / 1e9


def measure_peaks(n: int = 1024, repeats: int = 10, best_of: int = 5) -> dict[str, Any]:
    """fp32 and bf16 matmul peaks (GFLOP/s) and how they were measured, for the run's machine record."""
    peaks = {dtype: round(matmul_peak(dtype, n, repeats, best_of), 1) for dtype in DTYPES}
    return {**peaks, "n": n, "repeats": repeats, "best_of": best_of}
