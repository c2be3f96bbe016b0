"""Lesson 06's Accelerate training loop, GENERATED from notebooks/06_accelerate.ipynb: do not edit.

The notebook's code cells marked ``#| export`` are copied here, in order, by
``python -m course_tools.export_loop``; tests/test_export_loop.py fails when this file
and the notebook differ. Edit the notebook, run the command, and
``scripts/train_mrpc.py`` (which imports ``TrainConfig`` and ``training_function``
from here) follows.
"""

import dataclasses
import datetime
import json
import math
import time

import torch
from accelerate import Accelerator
from torch.utils.data import DataLoader
from tqdm.auto import tqdm
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    get_scheduler,
    set_seed,
)
from transformers.trainer_pt_utils import LengthGroupedSampler

import course_utils as cu


@dataclasses.dataclass
class TrainConfig:
    """The settings of one run; the defaults are lesson 05's (the course's recipe)."""

    checkpoint: str = "bert-base-uncased"  # offline, cu.resolve_checkpoint picks the packaged MiniLM-L6 instead
    epochs: int = 3
    batch_size: int = 8  # per process
    learning_rate: float = 5e-5
    weight_decay: float = 0.0  # AdamW, as in lesson 05 (and the Trainer's default)
    seed: int = 42
    mixed_precision: str | None = None  # "no", "fp16" or "bf16"; None: as accelerate launch / config says
    train_rows: int | None = None  # quick mode: train on this many rows (validation stays whole)
    output_dir: str | None = None  # where to save the model; None: save nothing
    warmup_ratio: float = 0.0  # --recipe fast: linear warm-up over this fraction of the steps
    group_by_length: bool = False  # --recipe fast: batches of rows with similar lengths


def build_dataloaders(tokenizer, config):
    """Lesson 05's data pipeline: MRPC tokenized, tidied for the model, batched with dynamic padding."""
    raw_datasets = cu.load_dataset("nyu-mll/glue", "mrpc")

    def tokenize_function(example):
        return tokenizer(example["sentence1"], example["sentence2"], truncation=True)

    tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
    data_collator = DataCollatorWithPadding(tokenizer=tokenizer)
    tokenized_datasets = tokenized_datasets.remove_columns(["sentence1", "sentence2", "idx"])
    tokenized_datasets = tokenized_datasets.rename_column("label", "labels")
    tokenized_datasets.set_format("torch")

    train_dataset = tokenized_datasets["train"]
    if config.train_rows is not None:  # quick mode
        train_dataset = train_dataset.select(range(min(config.train_rows, len(train_dataset))))
    train_dataloader = DataLoader(train_dataset, shuffle=True, batch_size=config.batch_size, collate_fn=data_collator)
    eval_dataloader = DataLoader(
        tokenized_datasets["validation"], batch_size=config.batch_size, collate_fn=data_collator
    )
    if config.group_by_length:  # --recipe fast: each batch holds rows of similar length, so little padding
        sampler = LengthGroupedSampler(config.batch_size, lengths=[len(ids) for ids in train_dataset["input_ids"]])
        train_dataloader = DataLoader(
            train_dataset, sampler=sampler, batch_size=config.batch_size, collate_fn=data_collator
        )
    label_names = raw_datasets["train"].features["label"].names
    return train_dataloader, eval_dataloader, label_names


def training_function(config):
    """Lesson 05's training loop plus the Accelerate lines; every process runs it."""
    accelerator = Accelerator(mixed_precision=config.mixed_precision)
    cu.check_process_group(accelerator)  # N launched processes must form one group (see the CPU note below)
    set_seed(config.seed)
    checkpoint = cu.resolve_checkpoint(config.checkpoint, announce=accelerator.is_main_process)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    with accelerator.main_process_first():  # the main process fills the dataset cache first; the others reuse it
        train_dataloader, eval_dataloader, label_names = build_dataloaders(tokenizer, config)

    id2label = dict(enumerate(label_names))
    label2id = {name: i for i, name in id2label.items()}
    model = AutoModelForSequenceClassification.from_pretrained(
        checkpoint, num_labels=2, id2label=id2label, label2id=label2id
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)

    train_dataloader, eval_dataloader, model, optimizer = accelerator.prepare(
        train_dataloader, eval_dataloader, model, optimizer
    )

    num_epochs = config.epochs
    num_training_steps = num_epochs * len(train_dataloader)  # after prepare: the batches of *this* process
    lr_scheduler = get_scheduler(
        "linear",
        optimizer=optimizer,
        num_warmup_steps=math.ceil(config.warmup_ratio * num_training_steps),
        num_training_steps=num_training_steps,
    )

    progress_bar = tqdm(range(num_training_steps), disable=not accelerator.is_local_main_process)
    losses = []
    start = time.perf_counter()

    model.train()
    for epoch in range(num_epochs):
        for batch in train_dataloader:
            outputs = model(**batch)
            loss = outputs.loss
            accelerator.backward(loss)

            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
            progress_bar.update(1)
            losses.append(loss.item())

    train_seconds = time.perf_counter() - start
    results = evaluate_model(accelerator, model, eval_dataloader)
    report = make_report(accelerator, config, train_dataloader, results, losses, train_seconds)
    if config.output_dir is not None:
        save_outputs(accelerator, model, tokenizer, report, config.output_dir)
    accelerator.end_training()
    return report


def evaluate_model(accelerator, model, eval_dataloader):
    """Lesson 05's evaluation loop; gather_for_metrics first collects the predictions of every process."""
    metric = cu.load_metric("glue", "mrpc", announce=accelerator.is_main_process)
    model.eval()
    eval_examples = 0
    for batch in eval_dataloader:
        with torch.no_grad():
            outputs = model(**batch)

        logits = outputs.logits
        predictions = torch.argmax(logits, dim=-1)
        predictions, references = accelerator.gather_for_metrics((predictions, batch["labels"]))
        eval_examples += len(references)  # counts each validation example once, however many processes
        metric.add_batch(predictions=predictions, references=references)

    results = metric.compute()
    return {"eval_examples": eval_examples, **results}


def make_report(accelerator, config, train_dataloader, results, losses, train_seconds):
    """What the run did and reached; the main process prints the key numbers as one JSON line."""
    report = {
        "num_processes": accelerator.num_processes,
        **results,  # eval_examples, accuracy, f1
        "train_examples": len(train_dataloader.dataset),
        "steps_per_process": len(losses),
        "final_loss": losses[-1] if losses else None,
        "train_seconds": round(train_seconds, 1),
        "mixed_precision": accelerator.mixed_precision,
        "checkpoint": cu.resolve_checkpoint(config.checkpoint, announce=False),  # the one training_function used
        "data_source": cu.choose_data_source("mrpc").kind,
        "label_names": train_dataloader.dataset.features["labels"].names,
        "date": datetime.date.today().isoformat(),
        "config": dataclasses.asdict(config),
    }
    if accelerator.is_main_process:
        summary = {key: report[key] for key in ("num_processes", "eval_examples", "accuracy", "f1")}
        print(json.dumps(summary), flush=True)
    return report


def save_outputs(accelerator, model, tokenizer, report, output_dir):
    """Model, tokenizer, metrics.json and a model card, written to a staging folder and renamed at the end."""
    cu.check_output_dir(output_dir)  # never overwrite a folder this loop did not write
    staging = cu.staging_dir(output_dir, clear=accelerator.is_main_process)  # hidden folder beside output_dir
    accelerator.wait_for_everyone()
    accelerator.save_model(model, staging)  # model.safetensors, written by the main process only
    if accelerator.is_main_process:
        accelerator.unwrap_model(model).config.save_pretrained(staging)  # config.json, with id2label / label2id
        tokenizer.save_pretrained(staging)
        cu.write_run_files(staging, report)  # metrics.json (the report) and README.md (the model card)
        cu.publish(staging, output_dir)  # one rename replaces an earlier output of this loop
        print(f"模型、分词器、metrics.json 和模型卡 README.md 已保存到 {output_dir}", flush=True)
    accelerator.wait_for_everyone()
