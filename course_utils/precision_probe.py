"""Is bf16 autocast faster than fp32 on this CPU? Measured once per machine, then read from a cache.

Instruction flags do not predict it: the same AVX512-BF16 made the fast recipe
1.8× faster on one CPU and slower on another. So :func:`cpu_bf16_speedup`
times a fixed BERT-shaped training step — MiniLM-L6's shape (6 layers, hidden
384, intermediate 1536, 12 heads, random weights) at an MRPC batch shape (16 pairs of 64 tokens),
forward + backward + AdamW step — in fp32 and under bf16 autocast, the two
alternating so that a neighbour process slows both alike, and returns the
ratio of the medians (above 1: bf16 is faster). It is not the lesson's
checkpoint: the same workload everywhere, so the decision depends on the
machine only. It takes a few seconds and stops early when bf16 is clearly
slower.

The result is cached in ``$XDG_CACHE_HOME/course_utils/precision-probe.json``
(``~/.cache/...`` by default), keyed by the CPU model, its flags, the torch
version and :data:`PROBE_VERSION`; a stale key is measured again, and a
damaged file is ignored with a message (never a crash).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import time
from pathlib import Path

from . import hardware

PROBE_VERSION = 1
LAYERS, HIDDEN, INTERMEDIATE, HEADS = 6, 384, 1536, 12  # MiniLM-L6's shape (its weights do not matter)
BATCH, TOKENS, VOCAB = 16, 64, 30522  # an MRPC batch after dynamic padding; the uncased WordPiece vocabulary
MIN_PAIRS, MAX_PAIRS, BUDGET_S = 3, 7, 8.0  # interleaved (fp32, bf16) pairs; stop adding pairs after BUDGET_S


def cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or str(Path.home() / ".cache")
    return Path(base) / "course_utils" / "precision-probe.json"


def cache_key() -> dict:
    import torch

    return {
        "cpu": hardware.cpu_model(),
        "flags": hardware.cpu_flags(),
        "torch": torch.__version__,
        "probe": PROBE_VERSION,
    }


def _workload():
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=VOCAB,
        hidden_size=HIDDEN,
        num_hidden_layers=LAYERS,
        num_attention_heads=HEADS,
        intermediate_size=INTERMEDIATE,
        num_labels=2,
    )
    model = BertForSequenceClassification(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
    batch = {
        "input_ids": torch.randint(1000, VOCAB, (BATCH, TOKENS)),
        "attention_mask": torch.ones(BATCH, TOKENS, dtype=torch.long),
        "labels": torch.randint(0, 2, (BATCH,)),
    }

    def step(bf16: bool) -> float:
        start = time.perf_counter()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return time.perf_counter() - start

    return step


def measure() -> dict:
    """Time the workload in fp32 and bf16 autocast, alternating; ``ratio`` > 1 means bf16 is faster."""
    step = _workload()
    step(False), step(True)  # warm-up: first calls allocate and pick kernels
    fp32, bf16 = [], []
    started = time.perf_counter()
    while len(fp32) < MAX_PAIRS:
        fp32.append(step(False))
        bf16.append(step(True))
        elapsed, pairs = time.perf_counter() - started, len(fp32)
        clearly_slower = pairs >= 2 and min(bf16) > 2 * max(fp32)
        if clearly_slower or (pairs >= MIN_PAIRS and elapsed > BUDGET_S) or elapsed > 3 * BUDGET_S:
            break
    ratio = statistics.median(fp32) / statistics.median(bf16)
    return {"ratio": round(ratio, 3), "fp32_s": [round(t, 4) for t in fp32], "bf16_s": [round(t, 4) for t in bf16]}


def _read_cache(key: dict) -> dict | None:
    path = cache_file()
    if not path.is_file():
        return None
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        if saved["key"] == key:
            float(saved["ratio"])
            return saved
        return None  # another CPU, torch or probe: measure again
    except (OSError, ValueError, KeyError, TypeError) as err:
        print(
            f"注意：精度测速的缓存文件 {path} 读不出来（{type(err).__name__}），忽略它、重新测一次。",
            flush=True,
        )
        return None


def _write_cache(result: dict) -> None:
    path = cache_file()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: measure again next time, nothing else breaks


_MEMO: dict[str, dict] = {}


def cpu_bf16_speedup() -> dict:
    """The probe's result for this machine: from memory, the cache, or a new measurement (then cached).

    Returns ``{"key", "ratio", "fp32_s", "bf16_s", "measured", "cached"}``.
    """
    key = cache_key()
    memo_key = json.dumps(key, sort_keys=True)
    if memo_key in _MEMO:
        return _MEMO[memo_key]
    saved = _read_cache(key)
    if saved is not None:
        result = {**saved, "cached": True}
    else:
        result = {"key": key, **measure(), "measured": dt.datetime.now().isoformat(timespec="seconds")}
        _write_cache(result)
        result["cached"] = False
    _MEMO[memo_key] = result
    return result
