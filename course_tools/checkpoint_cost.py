"""How much slower bert-base-uncased trains than the packaged MiniLM-L6 on this CPU.

    python -m course_tools.checkpoint_cost [--steps 30] [--out FILE]   # default: course_utils/checkpoint_cost.json

``cu.setup()`` uses the result to tell a learner on a CPU roughly how long the
full-mode fine-tuning takes with ``bert-base-uncased`` (lessons 04–06: 3 epochs
of MRPC's 3,668 training pairs, the course recipe: fp32, batch 8).

bert-base-uncased's weights are not reachable here, so its *architecture* is
measured: ``BertConfig()``'s defaults are bert-base-uncased's (12 layers, hidden
768, 12 heads, vocabulary 30,522), and a training step costs the same whatever
the weights hold. Both models train for real (forward, backward, AdamW step) on
the same dynamically padded MRPC batches, taking turns step by step so that
background load hits both alike; the ratio is the robust number, the absolute
samples/s depend on the machine and on what else runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from pathlib import Path

from course_tools.package_data import write_json, write_package_data
from course_utils import hardware
from course_utils.runtime import COST_FILE  # package data: cu.setup() reads it

TRAIN_PAIRS, EPOCHS, BATCH = 3668, 3, 8  # the course recipe on full MRPC


def measure(steps: int) -> dict:
    import torch
    from torch.utils.data import DataLoader
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        BertConfig,
        BertForSequenceClassification,
        DataCollatorWithPadding,
    )

    import course_utils as cu
    from course_utils.checkpoint import packaged_checkpoint

    machine = hardware.machine_record()  # its load_average is taken here, before the timing
    torch.manual_seed(0)
    packaged = packaged_checkpoint()
    tokenizer = AutoTokenizer.from_pretrained(packaged)  # the same uncased WordPiece vocabulary as bert-base
    raw = cu.load_dataset("nyu-mll/glue", "mrpc")["train"]
    tokenized = raw.map(lambda b: tokenizer(b["sentence1"], b["sentence2"], truncation=True), batched=True)
    tokenized = tokenized.remove_columns(["sentence1", "sentence2", "idx"]).rename_column("label", "labels")
    collator = DataCollatorWithPadding(tokenizer)
    models = {
        "minilm": AutoModelForSequenceClassification.from_pretrained(packaged, num_labels=2),
        "bert_base": BertForSequenceClassification(BertConfig(num_labels=2)),
    }
    # Both models see the same batches, and they take turns a step each.
    iterators = {name: iter(DataLoader(tokenized, batch_size=BATCH, collate_fn=collator)) for name in models}
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=5e-5) for name, model in models.items()}
    seconds = dict.fromkeys(models, 0.0)
    samples = dict.fromkeys(models, 0)
    for model in models.values():
        model.train()
    for step in range(steps + 1):  # step 0 warms up
        for name, model in models.items():
            batch = next(iterators[name])
            start = time.perf_counter()
            loss = model(**batch).loss
            loss.backward()
            optimizers[name].step()
            optimizers[name].zero_grad()
            if step:
                seconds[name] += time.perf_counter() - start
                samples[name] += len(batch["input_ids"])
    speeds = {name: samples[name] / seconds[name] for name in models}
    params = {name: sum(p.numel() for p in model.parameters()) for name, model in models.items()}
    ratio = speeds["minilm"] / speeds["bert_base"]
    full_samples = TRAIN_PAIRS * EPOCHS
    return {
        "measured": dt.date.today().isoformat(),
        # 1-minute load averages before and after the timing: above the core count, other work shared the CPU.
        "machine": {**machine, "load_average_after": hardware.load_average()},
        "recipe": {"precision": "fp32", "batch_size": BATCH, "epochs": EPOCHS, "train_pairs": TRAIN_PAIRS},
        "steps_timed": steps,
        "parameters": params,
        "samples_per_second": {name: round(value, 2) for name, value in speeds.items()},
        "bert_base_slowdown": round(ratio, 2),
        "full_run_minutes": {name: round(full_samples / value / 60, 1) for name, value in speeds.items()},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per model (default 30)")
    parser.add_argument("--out", type=Path, help="write here instead of course_utils/checkpoint_cost.json")
    args = parser.parse_args(argv)
    result = measure(args.steps)
    print("| model | parameters | samples/s | full run (3 epochs, min) |")
    print("| --- | --- | --- | --- |")
    for name in ("minilm", "bert_base"):
        print(
            f"| {name} | {result['parameters'][name] / 1e6:.1f}M | {result['samples_per_second'][name]} | "
            f"{result['full_run_minutes'][name]} |"
        )
    print(f"bert-base is {result['bert_base_slowdown']}x slower per sample on {result['machine']['cpu']}")
    path = write_package_data(COST_FILE.name, result) if args.out is None else write_json(args.out, result)
    print(f"written: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
