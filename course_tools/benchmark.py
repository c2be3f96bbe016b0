"""Benchmarks of chapter 3 on the current machine, in one command.

    python -m course_tools.benchmark [--short] [--seeds 3] [--ablations] [--out benchmarks/results] [--skip-tests]

Measures, and prints as markdown tables (and writes as JSON):

1. fine-tuning the checkpoint on full MRPC: the course's recipe vs the fast
   CPU recipe (course_utils/recipes.py) — training wall time, training
   samples/s, validation accuracy and F1, peak memory, ratios. Each run is a
   separate subprocess, so its peak RSS is its own. ``--ablations`` adds the
   fast recipe without bf16 and without length grouping (one seed each), to
   show what each ingredient contributes;
2. padding strategies (fixed max_length=128, dynamic, dynamic + length-grouped):
   padding share over one epoch of batches and training-step throughput;
3. tokenization: per-example ``map`` vs ``map(batched=True)`` vs ``num_proc=2``;
4. the test suite (``pytest -q -x``) wall time.

``--short`` is a smoke test (a few hundred training samples, one seed); its
accuracy numbers mean nothing. Timing numbers depend on whatever else runs:
run it on an otherwise idle machine.
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

    with tempfile.TemporaryDirectory() as output_dir:
        args = TrainingArguments(output_dir=output_dir, **kwargs)
        trainer = Trainer(
            model=model,
            args=args,
            train_dataset=tokenized["train"],
            eval_dataset=tokenized["validation"],
            data_collator=DataCollatorWithPadding(tokenizer=tokenizer),
            processing_class=tokenizer,
            compute_metrics=compute_metrics,
        )
        start = time.perf_counter()
        train_output = trainer.train()
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        metrics = trainer.evaluate()
        eval_s = time.perf_counter() - start
    steps = train_output.global_step
    # Full runs see every training example once per epoch; short runs stop after max_steps batches.
    epoch_samples = len(tokenized["train"]) * args.num_train_epochs
    samples = steps * args.per_device_train_batch_size if max_samples else epoch_samples
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


def finetune_summary(runs: list[dict]) -> dict:
    """Per-recipe summaries of the fine-tuning runs, and fast-vs-course ratios of the means."""
    keys = ("train_s", "samples_per_s", "accuracy", "f1", "peak_rss_mb", "eval_s")
    by_recipe = {}
    for name in dict.fromkeys(run["recipe"] for run in runs):
        chosen = [run for run in runs if run["recipe"] == name]
        by_recipe[name] = {key: summarize([run[key] for run in chosen]) for key in keys}
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


# --------------------------------------------------------------------------- 2. padding


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


# --------------------------------------------------------------------------- 3. tokenization


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


# --------------------------------------------------------------------------- 4. tests


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


def format_markdown(results: dict) -> str:
    """The benchmark's results as markdown tables (pure function of the JSON-able results)."""
    machine = results["machine"]
    lines = [
        f"# Benchmarks ({'short' if results.get('short') else 'full'}) — {machine['date']}",
        "",
        f"Machine: {machine['cpu']}, {machine['cores']} cores ({machine['torch_threads']} torch threads), "
        f"native bf16: {'yes' if machine['cpu_bf16'] else 'no'}; "
        f"Python {machine['python']}, torch {machine['torch']}, transformers {machine['transformers']}.",
    ]
    finetune = results.get("finetune")
    if finetune:
        lines += [
            "",
            "## 1. Fine-tuning on MRPC (train, then one evaluation on validation)",
            "",
            "| recipe | precision | batches | batch | lr | epochs | seeds | train wall (min) | train samples/s "
            "| val accuracy | val F1 | peak RSS (MiB) |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name, row in finetune["recipes"].items():
            precision = PRECISION_WORDS[row.get("precision", "bf16" if row["bf16"] else "fp32")]
            lines.append(
                f"| {name} | {precision} | {row.get('sampling', 'random')} "
                f"| {row['batch_size']} "
                f"| {row['learning_rate']:g} | {row['epochs'] if row['epochs'] is not None else '-'} "
                f"| {row['train_s']['n']} | {_pm(row['train_s'], 2, 1 / 60)} | {_pm(row['samples_per_s'], 1)} "
                f"| {_pm(row['accuracy'], 3)} | {_pm(row['f1'], 3)} | {_pm(row['peak_rss_mb'], 0)} |"
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
    padding = results.get("padding")
    if padding:
        lines += [
            "",
            f"## 2. Padding strategies (fp32 train steps, batch 8, {padding[0]['steps']} timed steps)",
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
            f"## 3. Tokenization ({tokenization[0]['rows']} rows)",
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
            "## 4. Test suite (`pytest -q -x`, quick mode)",
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

PARTS = ("finetune", "padding", "tokenization", "tests")


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
        results["finetune"] = {**finetune_summary(runs), "runs": runs}
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
