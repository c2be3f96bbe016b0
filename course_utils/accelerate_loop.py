"""The 🤗 Accelerate training loop of lesson 06, in one place.

``scripts/train_mrpc.py`` (run with ``python`` or ``accelerate launch``) and
``notebooks/06_accelerate.ipynb`` (through ``notebook_launcher``) both import
:func:`training_function` from here, so the two never drift apart. The loop is
the plain PyTorch loop of lesson 05 with the Accelerate changes:
``Accelerator(mixed_precision=...)``, ``accelerator.prepare(...)``,
``accelerator.backward(loss)`` and ``accelerator.gather_for_metrics(...)``.

Every process runs the same function; the main process prints the results
and writes ``metrics.json``, the model and the tokenizer to ``output_dir``
(through a hidden staging folder renamed at the end, so an interrupted run
leaves no half-written output).
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import CourseError

MIXED_PRECISION_CHOICES = ("no", "fp16", "bf16")
METRICS_FILE = "metrics.json"


@dataclass
class TrainConfig:
    """Everything :func:`training_function` needs; the defaults are the course's recipe."""

    checkpoint: str | None = None  # None: cu.resolve_checkpoint("bert-base-uncased")
    epochs: int = 3
    batch_size: int = 8
    learning_rate: float = 5e-5
    seed: int = 42
    mixed_precision: str | None = None  # "no", "fp16", "bf16"; None: as accelerate launch / config says
    train_rows: int | None = None  # keep only this many training rows (quick mode); validation stays full
    output_dir: str | None = "outputs/train_mrpc"  # None: save nothing
    weight_decay: float = 0.0  # AdamW weight decay (the fast recipe: 0.01)
    warmup_ratio: float = 0.0  # fraction of the steps with a linear learning-rate warm-up (the fast recipe: 0.1)
    group_by_length: bool = False  # batches of similar lengths (transformers' LengthGroupedSampler)


def choose_mixed_precision() -> str:
    """fp16 on an NVIDIA GPU (every one supports it, Colab's T4 included), else "no".

    Only ``torch.cuda.is_available()`` is asked: querying the GPU's details would
    initialise CUDA, and ``notebook_launcher`` cannot fork workers after that.
    CPU and Apple mps train in full precision (fp32) here.
    """
    import torch

    return "fp16" if torch.cuda.is_available() else "no"


def staging_dir(output_dir: str | os.PathLike) -> Path:
    """The hidden folder beside ``output_dir`` that a run writes into before renaming it."""
    final = Path(output_dir).expanduser().resolve()
    return final.parent / f".{final.name}.partial"


def check_output_dir(output_dir: str | os.PathLike) -> Path:
    """Refuse to overwrite a folder that is not an earlier output of this loop (it holds metrics.json)."""
    final = Path(output_dir).expanduser().resolve()
    if final.exists() and (not final.is_dir() or (any(final.iterdir()) and not (final / METRICS_FILE).is_file())):
        raise CourseError(
            f"输出位置 {final} 已经存在，而且不是之前训练保存的结果（里面没有 {METRICS_FILE}），为安全起见不覆盖它。\n"
            f"(English: output_dir {final} exists and is not a previous training output.)",
            "换一个 --output-dir，或者先手动删除/改名这个文件夹。",
        )
    return final


def _check_processes(accelerator) -> None:
    """Catch the silent failure: launched as N processes, yet each one trains alone."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and accelerator.num_processes == 1:
        raise CourseError(
            f"启动了 {world_size} 个进程，但 Accelerate 没有把它们组成一组（每个进程都以为只有自己）。"
            "没有 GPU 时常见：进程默认找 GPU，找不到就各自单独训练。\n"
            f"(English: launched with WORLD_SIZE={world_size}, but Accelerator sees 1 process.)",
            "在 CPU 上多进程运行时设置 ACCELERATE_USE_CPU=true，例如：\n"
            "ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 scripts/train_mrpc.py",
        )


def build_dataloaders(tokenizer, batch_size: int, train_rows: int | None = None, group_by_length: bool = False):
    """Tokenized MRPC as in lessons 02-05: train (shuffled, maybe shrunk) and the full validation split.

    ``group_by_length=True`` draws the training batches with transformers' ``LengthGroupedSampler``
    (what ``TrainingArguments(train_sampling_strategy="group_by_length")`` uses): random, but
    each batch holds examples of similar length, so dynamic padding adds almost nothing.
    """
    from torch.utils.data import DataLoader
    from transformers import DataCollatorWithPadding
    from transformers.trainer_pt_utils import LengthGroupedSampler

    from .data import load_dataset

    raw_datasets = load_dataset("nyu-mll/glue", "mrpc")

    def tokenize_function(example):
        return tokenizer(example["sentence1"], example["sentence2"], truncation=True)

    tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
    tokenized_datasets = tokenized_datasets.remove_columns(["sentence1", "sentence2", "idx"])
    tokenized_datasets = tokenized_datasets.rename_column("label", "labels")
    tokenized_datasets.set_format("torch")
    train_dataset = tokenized_datasets["train"]
    if train_rows is not None:
        train_dataset = train_dataset.select(range(min(train_rows, len(train_dataset))))

    data_collator = DataCollatorWithPadding(tokenizer=tokenizer)
    if group_by_length:
        lengths = [len(ids) for ids in train_dataset["input_ids"]]
        sampler = LengthGroupedSampler(batch_size, lengths=lengths)
        train_dataloader = DataLoader(train_dataset, sampler=sampler, batch_size=batch_size, collate_fn=data_collator)
    else:
        train_dataloader = DataLoader(train_dataset, shuffle=True, batch_size=batch_size, collate_fn=data_collator)
    eval_dataloader = DataLoader(tokenized_datasets["validation"], batch_size=batch_size, collate_fn=data_collator)
    return train_dataloader, eval_dataloader


def evaluate_model(accelerator, model, eval_dataloader, metric) -> dict:
    """Accuracy and F1 on the whole validation set, each example counted once across processes."""
    import torch

    model.eval()
    examples = 0
    for batch in eval_dataloader:
        with torch.no_grad():
            outputs = model(**batch)
        predictions = outputs.logits.argmax(dim=-1)
        # Gathers from every process and drops the duplicates that padded the uneven last batch.
        predictions, references = accelerator.gather_for_metrics((predictions, batch["labels"]))
        examples += len(references)
        metric.add_batch(predictions=predictions, references=references)
    results = metric.compute()
    return {"eval_examples": examples, **{key: float(value) for key, value in results.items()}}


def save_outputs(accelerator, model, tokenizer, output_dir: str | os.PathLike, report: dict) -> Path:
    """Model + tokenizer + metrics.json, written to a staging folder and renamed to ``output_dir``."""
    final = Path(output_dir).expanduser().resolve()
    staging = staging_dir(final)
    accelerator.wait_for_everyone()
    if accelerator.is_main_process:
        shutil.rmtree(staging, ignore_errors=True)
        staging.parent.mkdir(parents=True, exist_ok=True)
    accelerator.wait_for_everyone()
    # save_model writes the weights (model.safetensors) from the main process only.
    accelerator.save_model(model, staging)
    if accelerator.is_main_process:
        accelerator.unwrap_model(model).config.save_pretrained(staging)  # config.json, needed by from_pretrained
        tokenizer.save_pretrained(staging)
        (staging / METRICS_FILE).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)  # an earlier output of this loop (check_output_dir ran before training)
        os.replace(staging, final)
    accelerator.wait_for_everyone()
    return final


def training_function(config: TrainConfig) -> dict:
    """Fine-tune on MRPC with Accelerate, evaluate on the full validation set, save; returns the report.

    Runs unchanged in one process (``python``), in several (``accelerate launch``,
    ``notebook_launcher``), on CPU, GPU or Apple silicon.
    """
    import torch
    from accelerate import Accelerator
    from tqdm.auto import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer, get_scheduler, set_seed

    from .checkpoint import resolve_checkpoint
    from .metrics import load_metric

    if config.output_dir is not None:
        check_output_dir(config.output_dir)
    accelerator = Accelerator(mixed_precision=config.mixed_precision)
    _check_processes(accelerator)
    set_seed(config.seed)
    main = accelerator.is_main_process
    if main:
        print(
            f"Accelerate：{accelerator.num_processes} 个进程 · 设备 {accelerator.device} · "
            f"分布式类型 {accelerator.distributed_type.value} · 混合精度 {accelerator.mixed_precision}",
            flush=True,
        )
    checkpoint = config.checkpoint or resolve_checkpoint("bert-base-uncased", announce=main)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    with accelerator.main_process_first():  # the main process builds the dataset cache, the others reuse it
        train_dataloader, eval_dataloader = build_dataloaders(
            tokenizer, config.batch_size, config.train_rows, group_by_length=config.group_by_length
        )
    train_examples = len(train_dataloader.dataset)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)

    train_dataloader, eval_dataloader, model, optimizer = accelerator.prepare(
        train_dataloader, eval_dataloader, model, optimizer
    )

    # After prepare, len(train_dataloader) counts the batches of *this* process.
    num_training_steps = config.epochs * len(train_dataloader)
    lr_scheduler = get_scheduler(
        "linear",
        optimizer=optimizer,
        num_warmup_steps=math.ceil(config.warmup_ratio * num_training_steps),
        num_training_steps=num_training_steps,
    )

    progress_bar = tqdm(range(num_training_steps), disable=not accelerator.is_local_main_process)
    losses = []
    model.train()
    for _epoch in range(config.epochs):
        for batch in train_dataloader:
            outputs = model(**batch)
            loss = outputs.loss
            accelerator.backward(loss)

            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
            progress_bar.update(1)
            losses.append(loss.item())
    progress_bar.close()

    metric = load_metric("glue", "mrpc", announce=main)
    results = evaluate_model(accelerator, model, eval_dataloader, metric)
    report = {
        "num_processes": accelerator.num_processes,
        "eval_examples": results["eval_examples"],
        "accuracy": results["accuracy"],
        "f1": results["f1"],
        "train_examples": train_examples,
        "steps_per_process": num_training_steps,
        "final_loss": losses[-1] if losses else None,
        "mixed_precision": accelerator.mixed_precision,
        "config": asdict(config),
    }
    if config.output_dir is not None:
        save_outputs(accelerator, model, tokenizer, config.output_dir, report)
        if main:
            print(f"模型、分词器和 {METRICS_FILE} 已保存到 {config.output_dir}", flush=True)
    if main:
        summary = {key: report[key] for key in ("num_processes", "eval_examples", "accuracy", "f1")}
        print(json.dumps(summary), flush=True)  # the last line: easy for scripts and tests to read
    accelerator.end_training()
    return report


__all__ = [
    "METRICS_FILE",
    "MIXED_PRECISION_CHOICES",
    "TrainConfig",
    "build_dataloaders",
    "check_output_dir",
    "choose_mixed_precision",
    "evaluate_model",
    "save_outputs",
    "staging_dir",
    "training_function",
]
