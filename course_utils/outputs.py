"""Where a training run of lesson 06 writes: checked first, staged, then renamed in one step.

The Accelerate loop (``accelerate_loop.py``, exported from the notebook) saves
the model and tokenizer into :func:`staging_dir`, adds ``metrics.json`` and a
model card with :func:`write_run_files`, then :func:`publish` renames the
staging folder to the output folder: an interrupted run leaves no half-written
output, and a folder this loop did not write is never overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from .checkpoint import PACKAGED_NAME, packaged_checkpoint
from .errors import CourseError

METRICS_FILE = "metrics.json"
CARD_FILE = "README.md"
DATASET = "nyu-mll/glue"  # config "mrpc"


def staging_dir(output_dir: str | os.PathLike, clear: bool = False) -> Path:
    """The hidden folder beside ``output_dir`` that a run writes into; ``clear=True`` empties a stale one."""
    final = Path(output_dir).expanduser().resolve()
    staging = final.parent / f".{final.name}.partial"
    if clear:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
    return staging


def check_output_dir(output_dir: str | os.PathLike) -> Path:
    """Refuse to overwrite a folder that is not an earlier output of this loop (it holds metrics.json)."""
    final = Path(output_dir).expanduser().resolve()
    if final.exists() and (not final.is_dir() or (any(final.iterdir()) and not (final / METRICS_FILE).is_file())):
        raise CourseError(
            f"输出位置 {final} 已经存在，而且不是之前训练保存的结果（里面没有 {METRICS_FILE}），为安全起见不覆盖它。\n"
            f"(English: output_dir {final} exists and is not a previous training output.)",
            "换一个 --output-dir（或 config.output_dir），或者先手动删除/改名这个文件夹。",
        )
    return final


def publish(staging: str | os.PathLike, output_dir: str | os.PathLike) -> Path:
    """Replace ``output_dir`` (an earlier output of this loop, if any) by the finished ``staging`` folder."""
    final = check_output_dir(output_dir)
    if final.exists():
        shutil.rmtree(final)
    os.replace(staging, final)
    return final


def base_model_name(checkpoint: str) -> str:
    """How a model card names the checkpoint a run started from (the packaged MiniLM by its package)."""
    try:
        if Path(checkpoint).expanduser().resolve() == Path(packaged_checkpoint()).resolve():
            return PACKAGED_NAME
    except CourseError:
        pass  # the package is not installed, so the checkpoint is not it
    return checkpoint


def data_origin(route: dict) -> str:
    """Where the training data came from, as the model card says it (``route``: a recorded route as plain data)."""
    return route["label"] + ("；仅演示，指标没有意义" if route["kind"] == "embedded" else "")


def model_card(report: dict) -> str:
    """A short model card (README.md) for a saved run: base model, data, recipe, metrics, date."""
    config = report["config"]
    labels = "、".join(f"{i} = {name}" for i, name in enumerate(report["label_names"]))
    base = base_model_name(report["checkpoint"])
    front = ["---", "library_name: transformers", "pipeline_tag: text-classification", "language: en"]
    front += ["datasets:", f"- {DATASET}", "metrics:", "- accuracy", "- f1"]
    if not Path(report["checkpoint"]).expanduser().exists():  # a Hub id, not a local folder
        front.append(f"base_model: {report['checkpoint']}")
    front.append("---")
    warmup = f"{config['warmup_ratio']:.0%} 的步数线性预热" if config["warmup_ratio"] else "无预热"
    grouping = "按长度分组" if config["group_by_length"] else "随机打乱"
    lines = [
        "",
        "# MRPC 句子对分类（复述识别）",
        "",
        "由 Hugging Face LLM 课程第 3 章第 06 课的 Accelerate 训练循环微调（scripts/train_mrpc.py 或笔记本 06）。",
        "",
        f"- 基础模型：{base}",
        f"- 数据：{DATASET}（mrpc），来源：{data_origin(report['routes']['data:mrpc'])}；"
        f"训练 {report['train_examples']} 条，验证 {report['eval_examples']} 条",
        f"- 配方：{config['epochs']} 个 epoch，每个进程批大小 {config['batch_size']}（{grouping}），"
        f"AdamW 学习率 {config['learning_rate']:g}、权重衰减 {config['weight_decay']:g}，线性衰减、{warmup}；"
        f"混合精度 {report['mixed_precision']}，{report['num_processes']} 个进程，随机种子 {config['seed']}",
        f"- 验证集指标：准确率 {report['accuracy']:.3f}，F1 {report['f1']:.3f}",
        f"- 标签：{labels}",
        f"- 日期：{report['date']}",
        "",
        "```python",
        "from transformers import pipeline",
        "",
        'classifier = pipeline("text-classification", model="这个文件夹")',
        'classifier({"text": "第一句", "text_pair": "第二句"})',
        "```",
    ]
    return "\n".join(front + lines) + "\n"


def write_run_files(folder: str | os.PathLike, report: dict) -> None:
    """``metrics.json`` (the whole report) and ``README.md`` (the model card) in ``folder``."""
    folder = Path(folder)
    (folder / METRICS_FILE).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / CARD_FILE).write_text(model_card(report), encoding="utf-8")
