"""Measure what padding costs: exact padding-token counts and training-step throughput.

Lesson 03 compares padding every batch to a fixed ``max_length`` with dynamic
padding (``DataCollatorWithPadding``), with and without length-grouped
batches. These helpers only count and time; the batches themselves come from
the library (samplers, ``DataLoader``, the data collator) in the notebook.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import islice


@dataclass(frozen=True)
class PaddingStats:
    """Real and padding tokens over a set of padded batches."""

    batches: int
    examples: int
    real_tokens: int
    padding_tokens: int

    @property
    def total_tokens(self) -> int:
        """Every position the model computes on: real tokens plus padding."""
        return self.real_tokens + self.padding_tokens

    @property
    def share(self) -> float:
        """Fraction of all positions that are padding (0.0 when there are none)."""
        return self.padding_tokens / self.total_tokens if self.total_tokens else 0.0

    @property
    def mean_width(self) -> float:
        """Average padded length per example, i.e. the mean width of the batches."""
        return self.total_tokens / self.examples if self.examples else 0.0

    def __add__(self, other: PaddingStats) -> PaddingStats:
        return PaddingStats(
            self.batches + other.batches,
            self.examples + other.examples,
            self.real_tokens + other.real_tokens,
            self.padding_tokens + other.padding_tokens,
        )


def padding_stats(batches: Iterable) -> PaddingStats:
    """Count padding in collated batches, from their ``attention_mask`` (0 marks a padding position).

    ``batches`` is anything that yields dicts with an ``attention_mask`` of shape
    (batch, width): a ``DataLoader`` with a data collator, or a list of collator outputs.
    """
    stats = PaddingStats(0, 0, 0, 0)
    for batch in batches:
        try:
            mask = batch["attention_mask"]
        except (KeyError, TypeError):
            raise ValueError("padding_stats 需要带 attention_mask 的批次（数据整理器的输出）") from None
        rows, width = mask.shape
        real = int(mask.sum())
        stats = stats + PaddingStats(1, rows, real, rows * width - real)
    return stats


def padding_from_lengths(
    lengths: Sequence[int], batches: Iterable[Sequence[int]], max_length: int | None = None
) -> PaddingStats:
    """Padding that batching ``lengths`` by ``batches`` (lists of indices) would add, without collating.

    Each batch is padded to its own longest sequence (dynamic padding), or to
    ``max_length`` when it is given (fixed padding, as ``padding="max_length"``).
    """
    stats = PaddingStats(0, 0, 0, 0)
    for indices in batches:
        batch_lengths = [lengths[i] for i in indices]
        if not batch_lengths:
            continue
        longest = max(batch_lengths)
        if max_length is not None and longest > max_length:
            raise ValueError(
                f"有序列长 {longest}，超过 max_length={max_length}：先截断（truncation=True, max_length=...）"
            )
        width = longest if max_length is None else max_length
        real = sum(batch_lengths)
        stats = stats + PaddingStats(1, len(batch_lengths), real, width * len(batch_lengths) - real)
    return stats


def _synchronize(device) -> None:
    import torch

    kind = torch.device(device).type
    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


def _trainer(model, device, optimizer):
    """Move ``model`` to ``device`` in train mode; return a function doing one optimizer step on a batch."""
    import torch

    model.to(device)
    model.train()
    if optimizer is None:
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)

    def train_step(batch) -> int:
        batch = {k: v.to(device) for k, v in batch.items()}
        loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return len(batch["input_ids"])

    return train_step


def compare_throughput(
    model, dataloaders: Mapping[str, Iterable], steps: int, device="cpu", optimizer=None, warmup: int = 1
) -> dict[str, float]:
    """Samples per second of real training steps on each dataloader, measured turn by turn.

    Each step is a full optimizer step (forward, loss, backward, ``optimizer.step()``),
    as in the training loop of lesson 05. The first ``warmup`` batches of each
    dataloader are run but not timed (first-call overhead); then up to ``steps``
    batches each are timed, including fetching and collating them. Without
    ``optimizer`` an ``AdamW(lr=5e-5)`` is created. Batches must carry ``labels``.
    The dataloaders take turns one step at a time (a, b, c, a, b, c, ...), so a
    change in background load while measuring hits every dataloader alike.
    """
    if steps < 1:
        raise ValueError("steps 至少为 1")
    train_step = _trainer(model, device, optimizer)
    iterators = {name: iter(loader) for name, loader in dataloaders.items()}
    for iterator in iterators.values():
        for batch in islice(iterator, warmup):
            train_step(batch)
    samples = dict.fromkeys(iterators, 0)
    seconds = dict.fromkeys(iterators, 0.0)
    active = dict(iterators)
    for _ in range(steps):
        for name, iterator in list(active.items()):
            _synchronize(device)
            start = time.perf_counter()
            batch = next(iterator, None)
            if batch is None:
                del active[name]
                continue
            samples[name] += train_step(batch)
            _synchronize(device)
            seconds[name] += time.perf_counter() - start
    empty = [name for name, timed in samples.items() if timed == 0]
    if empty:
        raise ValueError(
            f"数据加载器 {empty} 在热身的 {warmup} 步之后没有剩下的批次可以计时：多给几个批次，或减小 warmup"
        )
    return {name: samples[name] / seconds[name] for name in iterators}
