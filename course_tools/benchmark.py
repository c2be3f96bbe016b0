"""Benchmarks of chapter 3 on the current machine, in one command.

    python -m course_tools.benchmark [--short] [--seeds 3] [--ablations] [--out benchmarks/results] [--skip-tests]
    python -m course_tools.benchmark --only steps [--short] [--step-repetitions 9] [--segment-steps 24]

Measures, and prints as markdown tables (and writes as JSON):

0. the machine's matmul peak in fp32 and bf16 (course_tools.flops.matmul_peak),
   measured at the start of the run and kept in its machine record, whenever
   part 1 or 2 runs: model FLOP utilisation (MFU) is measured against it;
1. fine-tuning the checkpoint on full MRPC: the course's recipe vs the fast
   CPU recipe (course_utils/recipes.py) — training wall time, training
   samples/s, validation accuracy and F1, peak memory, ratios; and, from the
   real and padded tokens of every batch the Trainer trained on (counted by the
   data collator as it collates them, see course_tools.flops.ShapeRecorder),
   useful training GFLOP/s, MFU and the padding share of compute. Each run is a
   separate subprocess, so its peak RSS is its own. ``--ablations`` adds the
   fast recipe without bf16 and without length grouping (one seed each), to
   show what each ingredient contributes;
2. ``steps``: course-recipe and fast-recipe training steps interleaved (segments
   of a fixed number of steps, alternating), each with its real batch size,
   sampler, precision and optimizer: samples/s per repetition, the median
   fast/course ratio and its spread, MFU of each; with the CPU model and flags,
   the load average before and after, and the precision decision with the
   probe's ratio. A ratio of whole fine-tuning runs made one after the other
   moves with the background load; this one is meant to survive it;
3. padding strategies (fixed max_length=128, dynamic, dynamic + length-grouped):
   padding share over one epoch of batches and training-step throughput;
4. tokenization: per-example ``map`` vs ``map(batched=True)`` vs ``num_proc=2``;
5. the test suite (``pytest -q -x``) wall time.

``--short`` is a smoke test (a few hundred training samples, one seed, 15 × 8
interleaved steps); its accuracy numbers mean nothing. Timing numbers depend on
whatever else runs: run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from course_tools import flops
from course_tools.package_data import write_package_data
from course_utils import hardware

ROOT = Path(__file__).resolve().parents[1]

PRECISION_WORDS = {"fp32": "fp32", "bf16": "bf16 autocast", "fp16": "fp16 autocast"}  # the table's precision column
SHORT_TRAIN_SAMPLES = 1600  # per recipe in --short mode (e.g. 200 steps of batch 8)


# --------------------------------------------------------------------------- machine


def peak_rss_mb() -> float:
    """Peak resident memory of this process in MiB (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


# --------------------------------------------------------------------------- shared data


def load_tokenized(tokenizer_only: bool = False):
    """The MRPC DatasetDict (via course_utils), the tokenizer, and the tokenized splits (no padding)."""
    from transformers import AutoTokenizer

    import course_utils as cu

    raw = cu.load_dataset("nyu-mll/glue", "mrpc")
    checkpoint = cu.resolve_checkpoint("bert-base-uncased", announce=False)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    if tokenizer_only:
        return raw, checkpoint, tokenizer, None

    def tokenize_function(example):
        return tokenizer(example["sentence1"], example["sentence2"], truncation=True)

    tokenized = raw.map(tokenize_function, batched=True, remove_columns=["sentence1", "sentence2", "idx"])
    tokenized = tokenized.rename_column("label", "labels")
    return raw, checkpoint, tokenizer, tokenized


# --------------------------------------------------------------------------- 1. fine-tuning (worker)


def finetune_worker(
    recipe_name: str, seed: int, max_samples: int | None, bf16: bool | None, override: dict | None = None
) -> dict:
    """Fine-tune once with a recipe and return timings, metrics and peak memory (runs in a subprocess)."""
    import numpy as np
    import transformers
    from transformers import (
        AutoModelForSequenceClassification,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    import course_utils as cu
    from course_utils.hardware import detect_device
    from course_utils.recipes import recipe, recipe_precision

    transformers.logging.set_verbosity_error()
    device = detect_device()
    _, checkpoint, tokenizer, tokenized = load_tokenized()
    kwargs = recipe(recipe_name, device, bf16=bf16)
    # Both recipes are timed the same way: training only, then one evaluation on the validation set.
    kwargs.update(eval_strategy="no", save_strategy="no", logging_strategy="no", disable_tqdm=True, seed=seed)
    kwargs.update(override or {})  # --override: try other settings (hyperparameter exploration)
    if max_samples:
        kwargs["max_steps"] = max(1, math.ceil(max_samples / kwargs["per_device_train_batch_size"]))
    set_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)
    metric = cu.load_metric("glue", "mrpc", announce=False)

    def compute_metrics(eval_preds):
        logits, labels = eval_preds
        return metric.compute(predictions=np.argmax(logits, axis=-1), references=labels)

    # Counts every training batch's real and padded tokens as the Trainer collates it (one mask sum per batch,
    # inside the timed training but negligible next to a training step): exactly the batches trained on.
    recorder = flops.ShapeRecorder(DataCollatorWithPadding(tokenizer=tokenizer))
    with tempfile.TemporaryDirectory() as output_dir:
        args = TrainingArguments(output_dir=output_dir, **kwargs)
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=tokenized["train"],
            eval_dataset=tokenized["validation"],
            data_collator=recorder,
            processing_class=tokenizer,
            compute_metrics=compute_metrics,
        )
        start = time.perf_counter()
        train_output = trainer.train()
        train_s = time.perf_counter() - start
        # The dataloader may collate one batch ahead of the loop; evaluation batches come after this point.
        trained = recorder.shapes[: train_output.global_step * args.gradient_accumulation_steps]
        start = time.perf_counter()
        metrics = trainer.evaluate()
        eval_s = time.perf_counter() - start
    steps = train_output.global_step
    # Full runs see every training example once per epoch; short runs stop after max_steps batches.
    epoch_samples = len(tokenized["train"]) * args.num_train_epochs
    samples = steps * args.per_device_train_batch_size if max_samples else epoch_samples
    counted = flops.flops_summary(model.config, trained)
    return {
        "recipe": recipe_name,
        "seed": seed,
        "override": override or {},
        "precision": recipe_precision(recipe_name, device, bf16).mode,  # the one precision value, not parsed back
        "bf16": recipe_precision(recipe_name, device, bf16).mode == "bf16",
        "sampling": kwargs.get("train_sampling_strategy", "random"),
        "batch_size": args.per_device_train_batch_size,
        "learning_rate": args.learning_rate,
        "epochs": args.num_train_epochs if not max_samples else None,
        "steps": steps,
        "train_samples": samples,
        "train_s": train_s,
        "eval_s": eval_s,
        "samples_per_s": samples / train_s,
        "accuracy": metrics["eval_accuracy"],
        "f1": metrics["eval_f1"],
        "train_loss": train_output.training_loss,
        "peak_rss_mb": peak_rss_mb(),
        # Model FLOPs over the batches trained on (course_tools.flops); MFU needs the run's matmul peak.
        "counted_batches": counted["batches"],
        "real_tokens": counted["real_tokens"],
        "padded_tokens": counted["padded_tokens"],
        "useful_flops": counted["useful_flops"],
        "padded_flops": counted["padded_flops"],
        "padding_compute_share": counted["padding_compute_share"],
        "useful_gflops_per_s": counted["useful_flops"] / train_s / 1e9,
    }


def run_finetune(
    recipe_name: str,
    seed: int,
    short: bool,
    bf16: bool | None = None,
    override: dict | None = None,
    label: str | None = None,
) -> dict:
    """Run ``finetune_worker`` in a fresh Python process (clean peak memory) and return its result.

    ``label`` names the row in the tables (default: the recipe's name), e.g. for an ablation.
    """
    with tempfile.TemporaryDirectory() as tmp:
        result_path = Path(tmp) / "result.json"
        command = [sys.executable, "-m", "course_tools.benchmark", "--worker", recipe_name, "--seed", str(seed)]
        command += ["--result", str(result_path)]
        if short:
            command.append("--short")
        if bf16 is not None:
            command.append("--bf16" if bf16 else "--no-bf16")
        if override:
            command += ["--override", json.dumps(override)]
        start = time.perf_counter()
        subprocess.run(command, check=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        result = json.loads(result_path.read_text(encoding="utf-8"))
        result["process_s"] = time.perf_counter() - start
    if label:
        result["recipe"] = label
    return result


# Ablations of the fast recipe (--ablations): each drops one ingredient, so its share of the gain shows.
ABLATIONS = {
    "fast without bf16": {"bf16": False, "override": None},
    "fast without grouping": {"bf16": None, "override": {"train_sampling_strategy": "random"}},
}


def summarize(values: list[float]) -> dict:
    """Mean, sample standard deviation (0 for one value), min and max."""
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }


def utilisations(useful_gflops_per_s: float, precision: str, peaks: dict | None) -> dict:
    """Model FLOP utilisation against the run's matmul peaks: fp32 always, bf16 for a bf16 row (else None)."""
    peaks = peaks or {}
    flop_rate = useful_gflops_per_s * 1e9
    return {
        "mfu_fp32": flops.utilisation(flop_rate, peaks.get("fp32")),
        "mfu_bf16": flops.utilisation(flop_rate, peaks.get("bf16")) if precision == "bf16" else None,
    }


def finetune_summary(runs: list[dict], peaks: dict | None = None) -> dict:
    """Per-recipe summaries of the fine-tuning runs, and fast-vs-course ratios of the means.

    Runs that counted their FLOPs also get the useful training GFLOP/s, the padding
    share of compute and, given the run's matmul ``peaks`` (GFLOP/s by dtype), the
    model FLOP utilisation of the mean useful GFLOP/s.
    """
    keys = ("train_s", "samples_per_s", "accuracy", "f1", "peak_rss_mb", "eval_s")
    flop_keys = ("useful_gflops_per_s", "padding_compute_share")
    by_recipe = {}
    for name in dict.fromkeys(run["recipe"] for run in runs):
        chosen = [run for run in runs if run["recipe"] == name]
        by_recipe[name] = {key: summarize([run[key] for run in chosen]) for key in keys}
        if all(key in run for run in chosen for key in flop_keys):
            by_recipe[name].update({key: summarize([run[key] for run in chosen]) for key in flop_keys})
            precision = chosen[0].get("precision", "bf16" if chosen[0]["bf16"] else "fp32")
            by_recipe[name].update(utilisations(by_recipe[name]["useful_gflops_per_s"]["mean"], precision, peaks))
        by_recipe[name]["bf16"] = chosen[0]["bf16"]
        by_recipe[name]["precision"] = chosen[0].get("precision", "bf16" if chosen[0]["bf16"] else "fp32")
        by_recipe[name]["sampling"] = chosen[0].get("sampling", "random")
        by_recipe[name]["batch_size"] = chosen[0]["batch_size"]
        by_recipe[name]["learning_rate"] = chosen[0]["learning_rate"]
        by_recipe[name]["epochs"] = chosen[0]["epochs"]
    ratios = {}
    if "course" in by_recipe and "fast" in by_recipe:
        course, fast = by_recipe["course"], by_recipe["fast"]
        ratios = {
            "speedup_wall": course["train_s"]["mean"] / fast["train_s"]["mean"],
            "samples_per_s": fast["samples_per_s"]["mean"] / course["samples_per_s"]["mean"],
            "peak_rss": fast["peak_rss_mb"]["mean"] / course["peak_rss_mb"]["mean"],
        }
    return {"recipes": by_recipe, "ratios": ratios}


# --------------------------------------------------------------------------- 2. training steps, interleaved


# (repetitions, steps per recipe per repetition): full run, and --short. See steps_benchmark for the time estimate.
STEP_SETTINGS = {"full": (21, 12), "short": (15, 8)}


def spread_batches(count: int, repetitions: int, steps: int) -> list[list[int]]:
    """Indices into an epoch of ``count`` batches: ``repetitions`` lists of ``steps`` indices each.

    The ``repetitions × steps`` picked batches are spread evenly over the epoch and
    dealt out in turn, so every repetition samples the whole epoch alike (a
    length-grouped epoch runs from long to short batches inside each mega-batch;
    consecutive batches would give each repetition a different mix of lengths).
    With fewer batches than needed, the epoch is used again from its start.
    """
    if count < 1 or repetitions < 1 or steps < 1:
        raise ValueError("count, repetitions and steps must be at least 1")
    needed = repetitions * steps
    stride = max(1, count // needed)
    picked = [(i * stride) % count for i in range(needed)]
    return [picked[r::repetitions] for r in range(repetitions)]


def interleaved_summary(runs: list[dict], peaks: dict | None = None, precisions: dict | None = None) -> dict:
    """Per-repetition samples/s and the fast/course ratio: its median and spread, and each recipe's MFU.

    ``runs`` holds one dict per repetition, ``{recipe: {"samples", "seconds",
    "useful_flops", "padded_flops"}}`` for "course" and "fast". The spread is
    ``(max − min) / median`` of the per-repetition ratios. Each recipe's useful
    GFLOP/s is the median over repetitions, its MFU that over the run's matmul
    ``peaks`` (fp32; bf16 too for a recipe whose ``precisions[name]`` is "bf16").
    """
    if not runs:
        raise ValueError("no repetitions to summarise")
    precisions = precisions or {}
    names = [name for name in runs[0] if isinstance(runs[0][name], dict)]
    rates = {name: [run[name]["samples"] / run[name]["seconds"] for run in runs] for name in names}
    recipes = {}
    for name in names:
        gflops = [run[name]["useful_flops"] / run[name]["seconds"] / 1e9 for run in runs]
        useful = sum(run[name]["useful_flops"] for run in runs)
        padded = sum(run[name]["padded_flops"] for run in runs)
        median_gflops = statistics.median(gflops)
        recipes[name] = {
            "samples_per_s": statistics.median(rates[name]),
            "samples_per_s_runs": rates[name],
            "useful_gflops_per_s": median_gflops,
            "padding_compute_share": flops.padding_compute_share(useful, padded),
            **utilisations(median_gflops, precisions.get(name, "fp32"), peaks),
        }
    summary = {"repetitions": len(runs), "recipes": recipes}
    if "course" in rates and "fast" in rates:
        ratios = [fast / course for fast, course in zip(rates["fast"], rates["course"], strict=True)]
        median = statistics.median(ratios)
        summary.update(ratios=ratios, ratio_median=median, ratio_spread=(max(ratios) - min(ratios)) / median)
        if len(ratios) >= 4:  # the middle half of the repetitions: one noisy segment does not move it
            quartiles = statistics.quantiles(ratios, n=4, method="inclusive")
            summary["ratio_iqr"] = (quartiles[2] - quartiles[0]) / median
    return summary


def load_averages() -> list[float] | None:
    """The 1-, 5- and 15-minute load averages (``os.getloadavg()``), None where unknown."""
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def precision_record(device: str) -> dict:
    """The fast recipe's precision decision (course_utils.precision) and the bf16 probe's measured ratio."""
    from course_utils.precision import BF16_MARGIN
    from course_utils.recipes import recipe_precision

    decision = recipe_precision("fast", device)
    probe_ratio = decision.measured_speedup
    if probe_ratio is None and device == "cpu":  # decided by COURSE_PRECISION: still record what the probe says
        from course_utils.precision_probe import cpu_bf16_speedup

        probe_ratio = cpu_bf16_speedup()["ratio"]
    return {"mode": decision.mode, "reason": decision.reason, "probe_ratio": probe_ratio, "margin": BF16_MARGIN}


def _recipe_stepper(name: str, device: str, checkpoint: str, tokenizer, train, seed: int, output_dir: str):
    """Recipe ``name``'s real training step, from a Trainer built with its settings (the Trainer never trains).

    The Trainer gives what the fine-tuning uses: its train dataloader (batch size,
    random or length-grouped sampler, dynamic padding) and its optimizer (``optim``,
    weight-decay groups). The forward pass runs under ``torch.autocast`` in the
    recipe's precision (``recipe_precision``: the course's one decision for the
    fast recipe, fp32 for the course's), as the Trainer's accelerator does. No
    learning-rate schedule (its cost per step is negligible) and, for fp16 on a
    GPU, no loss scaling. Returns (settings, one epoch of collated batches, step
    function, model config).
    """
    import torch
    from transformers import (
        AutoModelForSequenceClassification,
        DataCollatorWithPadding,
        Trainer,
        TrainingArguments,
        set_seed,
    )

    from course_utils.recipes import recipe, recipe_precision

    kwargs = recipe(name, device)
    kwargs.update(eval_strategy="no", save_strategy="no", logging_strategy="no", disable_tqdm=True, seed=seed)
    set_seed(seed)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)
    args = TrainingArguments(output_dir=output_dir, **kwargs)
    trainer = Trainer(
        model=model,
        args=args,
        train_dataset=train,
        data_collator=DataCollatorWithPadding(tokenizer=tokenizer),
        processing_class=tokenizer,
    )
    optimizer = trainer.create_optimizer()
    epoch = list(trainer.get_train_dataloader())  # collated once, before timing
    model = trainer.model.train()
    mode = recipe_precision(name, device).mode
    autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(mode)

    def step(batch) -> int:
        with torch.autocast(device, dtype=autocast_dtype, enabled=autocast_dtype is not None):
            loss = model(**batch).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        return len(batch["labels"])

    settings = {
        "precision": mode,
        "sampling": args.train_sampling_strategy,
        "batch_size": args.per_device_train_batch_size,
        "optimizer": str(getattr(args.optim, "value", args.optim)),
        "learning_rate": args.learning_rate,
        "weight_decay": args.weight_decay,
        "epoch_batches": len(epoch),
    }
    return settings, epoch, step, model.config


def steps_benchmark(
    short: bool, repetitions: int | None = None, steps: int | None = None, seed: int = 42, peaks: dict | None = None
) -> dict:
    """Course-recipe and fast-recipe training steps, interleaved: the fast/course ratio with its spread.

    Each recipe trains with its real batch size, sampling, precision and optimizer
    (:func:`_recipe_stepper`); a repetition times one segment of ``steps`` steps
    of each, in alternating order (course, fast | fast, course | ...), so that a
    change in background load hits both recipes alike. Per repetition: samples/s
    of each and their ratio; over repetitions: the median ratio and its spread
    ``(max − min) / median``, each recipe's useful GFLOP/s and MFU against the
    run's matmul ``peaks``. Collation happens before timing; everything in
    the optimizer step is timed.

    Every repetition times the same batches, so repetitions differ only by the
    machine; the summary gives the range and, from four repetitions on, the
    interquartile spread of the ratio.

    Measured on a 2-core AMD EPYC (bf16 chosen, probe cached): --short (15
    repetitions × 8 steps per recipe) 84-86 s for the whole command, the full
    setting (21 × 12) 190 s.
    """
    import torch

    default_reps, default_steps = STEP_SETTINGS["short" if short else "full"]
    repetitions, steps = repetitions or default_reps, steps or default_steps
    device = hardware.detect_device()
    load_before = load_averages()
    _, checkpoint, tokenizer, tokenized = load_tokenized()
    precision = precision_record(device)
    names = ("course", "fast")
    recipes, epochs, steppers, config = {}, {}, {}, None
    with tempfile.TemporaryDirectory() as output_dir:
        for name in names:
            recipes[name], epochs[name], steppers[name], config = _recipe_stepper(
                name, device, checkpoint, tokenizer, tokenized["train"], seed, output_dir
            )
    # Every repetition times the same batches (spread over the epoch): the repetitions then differ only by the
    # machine, not by which sentence lengths they drew (with a different draw per repetition, the one holding the
    # epoch's longest batch was clearly slower per FLOP, and the ratio's spread grew with it).
    plans = {name: spread_batches(len(epochs[name]), 1, steps) * repetitions for name in names}

    def synchronize():
        if device == "cuda":
            torch.cuda.synchronize()

    for name in names:  # warm-up, not timed: one pass over the segment's batches (every shape it will see)
        for index in plans[name][0]:
            steppers[name](epochs[name][index])
    runs = []
    for rep in range(repetitions):
        order = names if rep % 2 == 0 else names[::-1]
        run = {"order": list(order)}
        for name in order:
            batches = [epochs[name][index] for index in plans[name][rep]]
            counted = flops.flops_summary(config, (flops.batch_shape(batch) for batch in batches))
            synchronize()
            start = time.perf_counter()
            samples = sum(steppers[name](batch) for batch in batches)
            synchronize()
            run[name] = {
                "samples": samples,
                "seconds": time.perf_counter() - start,
                "useful_flops": counted["useful_flops"],
                "padded_flops": counted["padded_flops"],
            }
        runs.append(run)
        print(
            f"[benchmark]   repetition {rep + 1}/{repetitions}: "
            + ", ".join(f"{name} {run[name]['samples'] / run[name]['seconds']:.1f} samples/s" for name in names),
            flush=True,
        )
    precisions = {name: recipes[name]["precision"] for name in names}
    return {
        "repetitions": repetitions,
        "segment_steps": steps,
        "warmup_steps": steps,
        "device": device,
        "recipes": recipes,
        "runs": runs,
        "summary": interleaved_summary(runs, peaks, precisions),
        "cpu": hardware.cpu_model(),
        "cpu_flags": hardware.cpu_flags(),
        "load_average_before": load_before,
        "load_average_after": load_averages(),
        "precision": precision,
        "peaks": peaks,
    }


# --------------------------------------------------------------------------- 3. padding


def padding_benchmark(short: bool, steps: int | None = None, batch_size: int = 8, seed: int = 42) -> list[dict]:
    """Padding share over one epoch of batches, and fp32 training-step throughput, for three strategies."""
    import torch
    from torch.utils.data import DataLoader, RandomSampler
    from transformers import AutoModelForSequenceClassification, DataCollatorWithPadding, set_seed
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from course_utils.padding import padding_stats

    _, checkpoint, tokenizer, tokenized = load_tokenized()
    train = tokenized["train"]
    train.set_format("torch")
    lengths = [len(ids) for ids in train["input_ids"]]
    steps = steps or (8 if short else 40)
    strategies = {
        "fixed max_length=128": (DataCollatorWithPadding(tokenizer, padding="max_length", max_length=128), False),
        "dynamic": (DataCollatorWithPadding(tokenizer), False),
        "dynamic + group_by_length": (DataCollatorWithPadding(tokenizer), True),
    }
    results = []
    for name, (collator, grouped) in strategies.items():
        generator = torch.Generator().manual_seed(seed)
        sampler = (
            LengthGroupedSampler(batch_size, lengths=lengths, generator=generator)
            if grouped
            else RandomSampler(train, generator=generator)
        )
        loader = DataLoader(train, batch_size=batch_size, sampler=sampler, collate_fn=collator)
        batches = list(loader)  # one epoch of collated batches
        stats = padding_stats(batches)  # course_utils.padding: real vs padding tokens from the attention masks
        # Timed batches are spread evenly over the epoch (grouped batches are sorted inside each mega-batch).
        batches = batches[:: max(1, len(batches) // (steps + 2))][: steps + 2]
        set_seed(seed)
        model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)

        def step(batch, model=model, optimizer=optimizer):
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()

        for batch in batches[:2]:  # warm-up, not timed
            step(batch)
        start = time.perf_counter()
        for batch in batches[2 : steps + 2]:
            step(batch)
        elapsed = time.perf_counter() - start
        timed = sum(len(batch["labels"]) for batch in batches[2 : steps + 2])
        results.append(
            {
                "strategy": name,
                "padding_share": stats.share,
                "mean_width": stats.mean_width,
                "steps": steps,
                "samples_per_s": timed / elapsed,
            }
        )
    base = results[0]["samples_per_s"]
    for row in results:
        row["ratio"] = row["samples_per_s"] / base
    return results


# --------------------------------------------------------------------------- 4. tokenization


def tokenization_benchmark(short: bool) -> list[dict]:
    """Rows per second of ``Dataset.map``: one example at a time, batched, and batched with 2 processes."""
    from datasets import concatenate_datasets

    raw, _, tokenizer, _ = load_tokenized(tokenizer_only=True)
    rows = concatenate_datasets([raw["train"], raw["validation"], raw["test"]])
    if short:
        rows = rows.select(range(min(600, len(rows))))

    def tokenize_function(example):
        return tokenizer(example["sentence1"], example["sentence2"], truncation=True)

    variants = {
        "map (per example)": {},
        "map(batched=True)": {"batched": True},
        "map(batched=True, num_proc=2)": {"batched": True, "num_proc": 2},
    }
    results = []
    for name, options in variants.items():
        start = time.perf_counter()
        rows.map(tokenize_function, load_from_cache_file=False, keep_in_memory=True, **options)
        elapsed = time.perf_counter() - start
        results.append({"variant": name, "rows": len(rows), "seconds": elapsed, "rows_per_s": len(rows) / elapsed})
    base = results[0]["rows_per_s"]
    for row in results:
        row["ratio"] = row["rows_per_s"] / base
    return results


# --------------------------------------------------------------------------- 5. tests


def tests_benchmark() -> dict:
    """Wall time of the quick test suite (``pytest -q -x``) in a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COURSE_QUICK": "1"}
    start = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    lines = [line for line in completed.stdout.strip().splitlines() if line.strip()]
    return {"seconds": elapsed, "returncode": completed.returncode, "summary": lines[-1] if lines else ""}


# --------------------------------------------------------------------------- report


def _pm(summary: dict, digits: int, scale: float = 1.0) -> str:
    mean, std = summary["mean"] * scale, summary["std"] * scale
    return f"{mean:.{digits}f} ± {std:.{digits}f}" if summary["n"] > 1 else f"{mean:.{digits}f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def _loads(values: list[float] | None) -> str:
    return "unknown" if not values else " / ".join(f"{value:.2f}" for value in values)


FLOP_HEADER = "| useful GFLOP/s | MFU (fp32 peak) | MFU (bf16 peak) | padding share of compute |"


def format_steps(steps: dict) -> list[str]:
    """The interleaved training-step part as markdown lines (section 2)."""
    summary, precision = steps["summary"], steps["precision"]
    probe = precision.get("probe_ratio")
    lines = [
        "",
        f"## 2. Training steps, course vs fast recipe, interleaved ({steps['repetitions']} repetitions × "
        f"{steps['segment_steps']} steps per recipe)",
        "",
        f"CPU: {steps['cpu']}; flags: {', '.join(steps['cpu_flags']) or 'none of the listed ones'}.",
        f"Load average (1 / 5 / 15 min): before {_loads(steps['load_average_before'])}, "
        f"after {_loads(steps['load_average_after'])}.",
        f"Precision of the fast recipe: {precision['mode']} (bf16 probe: "
        + (f"bf16 autocast at {probe:.2f}× fp32's speed" if probe is not None else "not run")
        + f", threshold {precision['margin']:g}).",
        "",
        "| recipe | precision | batches | batch | optimizer | samples/s (median) " + FLOP_HEADER,
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, settings in steps["recipes"].items():
        row = summary["recipes"][name]
        lines.append(
            f"| {name} | {PRECISION_WORDS[settings['precision']]} | {settings['sampling']} "
            f"| {settings['batch_size']} | {settings['optimizer']} | {row['samples_per_s']:.1f} "
            f"| {row['useful_gflops_per_s']:.1f} | {_percent(row.get('mfu_fp32'))} "
            f"| {_percent(row.get('mfu_bf16'))} | {row['padding_compute_share']:.1%} |"
        )
    names = list(steps["recipes"])
    ratios = summary.get("ratios")
    lines += [
        "",
        "| repetition | order | "
        + " | ".join(f"{name} samples/s" for name in names)
        + (" | fast / course |" if ratios else " |"),
        "| --- | --- | " + " | ".join("---" for _ in names) + (" | --- |" if ratios else " |"),
    ]
    for index, run in enumerate(steps["runs"]):
        rates = " | ".join(f"{run[name]['samples'] / run[name]['seconds']:.1f}" for name in names)
        ratio = f" | {ratios[index]:.2f}× |" if ratios else " |"
        lines.append(f"| {index + 1} | {', '.join(run['order'])} | {rates}{ratio}")
    if ratios:
        lines += [
            "",
            f"Fast / course: median {summary['ratio_median']:.2f}× samples/s, spread {summary['ratio_spread']:.1%} "
            f"((max − min) / median over {summary['repetitions']} repetitions)"
            + (
                f", interquartile spread {summary['ratio_iqr']:.1%} ((Q3 − Q1) / median)."
                if "ratio_iqr" in summary
                else "."
            ),
        ]
    return lines


def format_markdown(results: dict) -> str:
    """The benchmark's results as markdown tables (pure function of the JSON-able results).

    Columns and lines that a run did not measure (FLOPs, matmul peak, the interleaved
    part) are left out, so older results (the reference run) print as they did.
    """
    machine = results["machine"]
    lines = [
        f"# Benchmarks ({'short' if results.get('short') else 'full'}) — {machine['date']}",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores ({machine['torch_threads']} torch threads), "
        f"native bf16: {'yes' if machine['cpu_bf16'] else 'no'}; "
        f"Python {machine['python']}, torch {machine['torch']}, transformers {machine['transformers']}.",
    ]
    peak = machine.get("matmul_peak_gflops")
    if peak:
        lines.append(
            f"Matmul peak in this run ({peak['n']}×{peak['n']}, best of {peak['best_of']} × {peak['repeats']} calls): "
            f"fp32 {peak['fp32']:.1f} GFLOP/s, bf16 {peak['bf16']:.1f} GFLOP/s. "
            "MFU = useful training FLOP/s ÷ this peak."
        )
    finetune = results.get("finetune")
    if finetune:
        with_flops = any("useful_gflops_per_s" in row for row in finetune["recipes"].values())
        lines += [
            "",
            "## 1. Fine-tuning on MRPC (train, then one evaluation on validation)",
            "",
            "| recipe | precision | batches | batch | lr | epochs | seeds | train wall (min) | train samples/s "
            "| val accuracy | val F1 | peak RSS (MiB) |" + (FLOP_HEADER[1:] if with_flops else ""),
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
            + (" --- | --- | --- | --- |" if with_flops else ""),
        ]
        for name, row in finetune["recipes"].items():
            precision = PRECISION_WORDS[row.get("precision", "bf16" if row["bf16"] else "fp32")]
            flop_cells = ""
            if with_flops and "useful_gflops_per_s" in row:
                flop_cells = (
                    f" {_pm(row['useful_gflops_per_s'], 1)} | {_percent(row.get('mfu_fp32'))} "
                    f"| {_percent(row.get('mfu_bf16'))} | {row['padding_compute_share']['mean']:.1%} |"
                )
            elif with_flops:
                flop_cells = " - | - | - | - |"
            lines.append(
                f"| {name} | {precision} | {row.get('sampling', 'random')} "
                f"| {row['batch_size']} "
                f"| {row['learning_rate']:g} | {row['epochs'] if row['epochs'] is not None else '-'} "
                f"| {row['train_s']['n']} | {_pm(row['train_s'], 2, 1 / 60)} | {_pm(row['samples_per_s'], 1)} "
                f"| {_pm(row['accuracy'], 3)} | {_pm(row['f1'], 3)} | {_pm(row['peak_rss_mb'], 0)} |" + flop_cells
            )
        ratios = finetune.get("ratios")
        if ratios:
            lines += [
                "",
                f"Fast vs course: {ratios['speedup_wall']:.2f}× less training wall time, "
                f"{ratios['samples_per_s']:.2f}× samples/s, {ratios['peak_rss']:.2f}× peak memory.",
            ]
        fast = finetune["recipes"].get("fast")
        for name, row in finetune["recipes"].items():
            if fast and name.startswith("fast without"):
                lines.append(
                    f"{name[len('fast without ') :]}: the full fast recipe is "
                    f"{row['train_s']['mean'] / fast['train_s']['mean']:.2f}× faster than without it."
                )
        runs = finetune.get("runs", [])
        if runs:
            lines += ["", "| run | seed | train (s) | samples/s | accuracy | F1 |"]
            lines += ["| --- | --- | --- | --- | --- | --- |"]
            for run in runs:
                lines.append(
                    f"| {run['recipe']} | {run['seed']} | {run['train_s']:.0f} | {run['samples_per_s']:.1f} "
                    f"| {run['accuracy']:.3f} | {run['f1']:.3f} |"
                )
    if results.get("steps"):
        lines += format_steps(results["steps"])
    padding = results.get("padding")
    if padding:
        lines += [
            "",
            f"## 3. Padding strategies (fp32 train steps, batch 8, {padding[0]['steps']} timed steps)",
            "",
            "| strategy | padding share | mean width | samples/s | ratio |",
            "| --- | --- | --- | --- | --- |",
        ]
        for row in padding:
            lines.append(
                f"| {row['strategy']} | {row['padding_share']:.1%} | {row['mean_width']:.1f} "
                f"| {row['samples_per_s']:.1f} | {row['ratio']:.2f}× |"
            )
    tokenization = results.get("tokenization")
    if tokenization:
        lines += [
            "",
            f"## 4. Tokenization ({tokenization[0]['rows']} rows)",
            "",
            "| variant | seconds | rows/s | ratio |",
            "| --- | --- | --- | --- |",
        ]
        for row in tokenization:
            lines.append(f"| {row['variant']} | {row['seconds']:.2f} | {row['rows_per_s']:.0f} | {row['ratio']:.2f}× |")
    tests = results.get("tests")
    if tests:
        lines += [
            "",
            "## 5. Test suite (`pytest -q -x`, quick mode)",
            "",
            f"{tests['seconds'] / 60:.1f} min, exit code {tests['returncode']}: {tests['summary']}",
        ]
    return "\n".join(lines) + "\n"


def write_results(results: dict, out_dir: Path) -> Path:
    """Write the results as JSON (timestamped, plus latest.json) and the table as latest.md."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["machine"]["date"].replace(":", "").replace("-", "")
    path = out_dir / f"benchmark-{'short' if results.get('short') else 'full'}-{stamp}.json"
    text = json.dumps(results, indent=2, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    (out_dir / "latest.json").write_text(text, encoding="utf-8")
    (out_dir / "latest.md").write_text(format_markdown(results), encoding="utf-8")
    return path


def write_reference(results: dict) -> Path:
    """Make this run the course's reference numbers (course_utils/benchmark_reference.json)."""
    from course_utils.reference import REFERENCE

    recipes = results.get("finetune", {}).get("recipes", {})
    if results.get("short") or not {"course", "fast"} <= set(recipes):
        raise SystemExit("--reference needs a full run (no --short) that fine-tunes both recipes")
    path = write_package_data(REFERENCE.name, results)
    print(f"[benchmark] reference numbers: {path} (now run: python -m course_tools.render_numbers)")
    return path


# --------------------------------------------------------------------------- main

PARTS = ("finetune", "steps", "padding", "tokenization", "tests")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Chapter-3 benchmarks on this machine (markdown + JSON).")
    parser.add_argument("--short", action="store_true", help="smoke test: few training samples, one seed")
    parser.add_argument("--seeds", type=int, default=3, help="seeds for the fast recipe (default 3)")
    parser.add_argument("--course-seeds", type=int, default=1, help="seeds for the course recipe (default 1)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    parser.add_argument(
        "--reference",
        action="store_true",
        help="also write the results to course_utils/benchmark_reference.json, the file the course quotes "
        "(then run python -m course_tools.render_numbers); needs a full run of both recipes",
    )
    parser.add_argument("--only", choices=PARTS, action="append", help="run only this part (repeatable)")
    parser.add_argument("--recipes", default="fast,course", help="recipes to fine-tune, comma-separated")
    parser.add_argument(
        "--step-repetitions",
        type=int,
        help=f"steps part: repetitions (default {STEP_SETTINGS['full'][0]}, --short {STEP_SETTINGS['short'][0]})",
    )
    parser.add_argument(
        "--segment-steps",
        type=int,
        help="steps part: timed steps per recipe per repetition "
        f"(default {STEP_SETTINGS['full'][1]}, --short {STEP_SETTINGS['short'][1]})",
    )
    parser.add_argument(
        "--ablations", action="store_true", help="also run the fast recipe without bf16 and without grouping (seed 42)"
    )
    # Internal: one fine-tuning run in this process.
    parser.add_argument("--worker", choices=("course", "fast"), help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=42, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--bf16", dest="bf16", action="store_true", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-bf16", dest="bf16", action="store_false", help=argparse.SUPPRESS)
    parser.add_argument("--override", type=json.loads, default=None, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    if args.worker:
        max_samples = SHORT_TRAIN_SAMPLES if args.short else None
        result = finetune_worker(args.worker, args.seed, max_samples, args.bf16, args.override)
        args.result.write_text(json.dumps(result), encoding="utf-8")
        return result

    import transformers

    transformers.logging.set_verbosity_error()
    parts = args.only or [part for part in PARTS if not (part == "tests" and args.skip_tests)]
    both_recipes = {"course", "fast"} <= set(args.recipes.split(","))
    if args.reference and (args.short or "finetune" not in parts or not both_recipes):
        raise SystemExit("--reference needs a full run (no --short) that fine-tunes both recipes")
    seeds = 1 if args.short else args.seeds
    course_seeds = 1 if args.short else args.course_seeds
    results = {"short": args.short, "machine": hardware.machine_record()}  # load_average: at the start
    started = time.perf_counter()
    peaks = None
    if {"finetune", "steps"} & set(parts):  # MFU compares with the peak measured in this same run
        print("[benchmark] matmul peak (fp32, bf16)", flush=True)
        peaks = results["machine"]["matmul_peak_gflops"] = flops.measure_peaks()
    if "finetune" in parts:
        runs = []
        for name in args.recipes.split(","):
            for seed in range(42, 42 + (course_seeds if name == "course" else seeds)):
                print(f"[benchmark] fine-tuning: recipe={name} seed={seed}", flush=True)
                runs.append(run_finetune(name, seed, args.short))
                print(f"[benchmark]   {json.dumps(runs[-1])}", flush=True)
        for label, change in ABLATIONS.items() if args.ablations else ():
            print(f"[benchmark] fine-tuning: {label} seed=42", flush=True)
            runs.append(run_finetune("fast", 42, args.short, change["bf16"], change["override"], label))
            print(f"[benchmark]   {json.dumps(runs[-1])}", flush=True)
        results["finetune"] = {**finetune_summary(runs, peaks), "runs": runs}
    if "steps" in parts:
        print("[benchmark] training steps, course vs fast recipe, interleaved", flush=True)
        results["steps"] = steps_benchmark(args.short, args.step_repetitions, args.segment_steps, peaks=peaks)
    if "padding" in parts:
        print("[benchmark] padding strategies", flush=True)
        results["padding"] = padding_benchmark(args.short)
    if "tokenization" in parts:
        print("[benchmark] tokenization", flush=True)
        results["tokenization"] = tokenization_benchmark(args.short)
    if "tests" in parts:
        print("[benchmark] test suite", flush=True)
        results["tests"] = tests_benchmark()
    results["total_s"] = time.perf_counter() - started
    results["machine"]["load_average_after"] = hardware.load_average()  # above the core count: other work ran too
    path = write_results(results, args.out)
    if args.reference:
        write_reference(results)
    print(format_markdown(results))
    print(f"[benchmark] JSON: {path}")
    return results


if __name__ == "__main__":
    main()
