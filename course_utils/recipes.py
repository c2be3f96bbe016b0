"""Training recipes as ``TrainingArguments`` keyword dicts: the course's, and a fast one for CPUs.

``TrainingArguments(**cu.fast_cpu_recipe(env.device), output_dir=...)`` is the
whole integration: every choice is a plain library option (mixed precision,
length-grouped batches, batch size, learning-rate schedule), no custom kernels.
``RECIPE_NOTES`` explains each choice in Chinese; ``describe_recipe`` prints it.
course_tools/benchmark.py measures both recipes side by side; the measured numbers that
``describe_recipe`` prints come from the reference run in
``course_utils/benchmark_reference.json`` (course_utils.reference), never from
copies typed here.
"""

from __future__ import annotations

from . import reference
from .precision import BF16_MARGIN, Precision, precision_policy  # the course's one mixed-precision policy

# The course's defaults (the chapter trains with the TrainingArguments defaults).
COURSE = {
    "per_device_train_batch_size": 8,
    "per_device_eval_batch_size": 8,
    "learning_rate": 5e-5,
    "num_train_epochs": 3,
    "weight_decay": 0.0,
    "warmup_steps": 0,
    "lr_scheduler_type": "linear",
}

# Chosen for the small MiniLM-L6 checkpoint on a few CPU cores (measured by course_tools/benchmark.py):
# a larger batch, warm-up, weight decay, bf16 autocast, length-grouped batches (the course's learning rate).
FAST = {
    "per_device_train_batch_size": 16,
    "per_device_eval_batch_size": 64,
    "learning_rate": 5e-5,
    "num_train_epochs": 3,
    "weight_decay": 0.01,
    "warmup_steps": 0.1,  # a float below 1 is a fraction of the total steps (transformers 5)
    "lr_scheduler_type": "linear",
    "train_sampling_strategy": "group_by_length",
}

RECIPE_NOTES = {
    "course": [
        "批大小 8、学习率 5e-5、3 个 epoch、fp32：课程（TrainingArguments 默认值）的配方，作为对照基线。",
    ],
    "fast": [
        "批大小 16（评估 64）：每步的固定开销（优化器更新全部 2270 万参数）被更多样本分摊，"
        "3 个 epoch 里仍有约 690 次参数更新。",
        "学习率 5e-5（与课程相同）+ 10% 预热（warmup_steps=0.1，小于 1 的数表示占总步数的比例）"
        "+ 线性衰减 + 权重衰减 0.01："
        "调参时更高的学习率（1e-4、2e-4）没有更好，有的种子明显更差（记录见 benchmarks/README.md）；"
        "预热让随机初始化的分类头先稳定下来，再大步更新预训练权重。",
        "训练 3 个 epoch：调参时 2 个 epoch 的准确率明显更低，"
        "5 个 epoch 多花一半以上的时间也没有更好（记录见 benchmarks/README.md）。",
        "train_sampling_strategy='group_by_length'：把长度相近的句子对放进同一批，动态填充时几乎没有填充 token。",
        f"bf16 自动混合精度，只在 cu.setup() 的实测里 bf16 比 fp32 快至少 {BF16_MARGIN:g} 倍（中位数）时使用："
        "矩阵乘法用 bfloat16 计算，权重和优化器仍是 fp32；同样的指令集在不同 CPU 上测出过相反的结果，"
        "所以不按指令集判断；COURSE_PRECISION=fp32 或 fast_cpu_recipe(..., bf16=False) 可以关掉。",
        "use_cpu=True：Trainer 只有在明确指定 CPU 时才接受 bf16=True。",
        "线程数：PyTorch 默认用满物理核心，这里不改；没有用 torch.compile：每种新的批形状都可能触发重新编译，"
        "编译本身很花时间，本项目没有测到它在 2 核 CPU 上值得。",
        "只在训练结束后评估一次（eval_strategy='no'），需要曲线时再改回 'epoch'。",
        "准确率上不去（见上面的实测和 benchmarks/README.md 的调参记录），很可能是离线模型本身的限制："
        "MiniLM-L6（all-MiniLM-L6-v2）是句向量模型，"
        "训练时对所有 token 的向量取平均；"
        "分类模型用的 [CLS] pooler 层看起来从没训练过（偏置全为 0），只能在微调时从头学。"
        "调参记录见 benchmarks/README.md；课程原文用 bert-base-uncased 报告的是 0.86。",
    ],
}


def course_recipe() -> dict:
    """The course's recipe (batch 8, lr 5e-5, 3 epochs, fp32), evaluated after every epoch."""
    return {**COURSE, "eval_strategy": "epoch", "save_strategy": "no", "report_to": "none"}


def fast_cpu_recipe(device: str = "cpu", bf16: bool | None = None) -> dict:
    """A faster recipe for small checkpoints, with the course's mixed-precision policy for ``device``.

    Mixed precision is what ``precision.choose_mixed_precision`` decides (bf16 on a
    CPU only where it is native; on CUDA bf16 where supported, else fp16; fp32 on
    Apple MPS). ``bf16=True`` / ``False`` overrides the hardware's answer, e.g. to
    simulate a CPU without bf16.
    """
    kwargs = {**FAST, "eval_strategy": "no", "save_strategy": "no", "report_to": "none"}
    return {**kwargs, **precision_policy(device, bf16).trainer_kwargs()}


def recipe(name: str, device: str = "cpu", bf16: bool | None = None) -> dict:
    """``recipe("course")`` or ``recipe("fast", device)``."""
    if name == "course":
        return course_recipe()
    if name == "fast":
        return fast_cpu_recipe(device, bf16=bf16)
    raise ValueError(f"未知的配方 {name!r}：可选 'course' 或 'fast'")


def recipe_precision(name: str, device: str = "cpu", bf16: bool | None = None) -> Precision:
    """The precision recipe ``name`` trains in: the course's policy for the fast recipe, fp32 for the course's."""
    if name == "fast":
        return precision_policy(device, bf16)
    return Precision("fp32", device, "课程配方：fp32")


def describe_recipe(name: str, device: str = "cpu", bf16: bool | None = None) -> str:
    """The recipe's settings and the reason for each, in Chinese (printed by notebooks and the script)."""
    kwargs = recipe(name, device, bf16=bf16)
    precision = recipe_precision(name, device, bf16).label
    lines = [
        f"配方 {name}：批大小 {kwargs['per_device_train_batch_size']}，学习率 {kwargs['learning_rate']:g}，"
        f"{kwargs['num_train_epochs']} 个 epoch，精度 {precision}，"
        f"采样 {kwargs.get('train_sampling_strategy', 'random')}"
    ]
    if name == "fast":
        lines.append(f"  - {reference.summary_line()}")
    lines += [f"  - {note}" for note in RECIPE_NOTES[name]]
    return "\n".join(lines)


def loop_settings(name: str, device: str = "cpu", bf16: bool | None = None) -> dict:
    """The same recipe for a hand-written or Accelerate training loop (``scripts/train_mrpc.py --recipe``).

    Returns ``epochs``, ``batch_size``, ``learning_rate``, ``weight_decay``,
    ``warmup_ratio`` (fraction of the steps), ``group_by_length`` and
    ``mixed_precision`` ("no", "fp16" or "bf16", as ``Accelerator`` takes it).
    """
    kwargs = recipe(name, device, bf16=bf16)
    warmup = kwargs.get("warmup_steps", 0)
    return {
        "epochs": int(kwargs["num_train_epochs"]),
        "batch_size": kwargs["per_device_train_batch_size"],
        "learning_rate": kwargs["learning_rate"],
        "weight_decay": kwargs.get("weight_decay", 0.0),
        "warmup_ratio": warmup if warmup < 1 else 0.0,
        "group_by_length": kwargs.get("train_sampling_strategy") == "group_by_length",
        "mixed_precision": recipe_precision(name, device, bf16).accelerate,
    }


# Lesson 07's learning-curve regimes: the learning rate of each, per checkpoint (one place; the lesson looks up
# the checkpoint cu.resolve_checkpoint() returned). MiniLM-L6 (the packaged offline checkpoint) was measured on
# this project's 2-core CPUs (benchmarks/README.md, "学习曲线"). bert-base-uncased
# cannot be trained here (no Hub, and a 200-step run takes far too long on 2 cores): its rates come from the BERT
# paper's fine-tuning range, 2e-5 to 5e-5 (Devlin et al. 2019, "BERT: Pre-training of Deep Bidirectional
# Transformers for Language Understanding", appendix A.3), scaled for the other regimes by the factors measured
# on MiniLM. A checkpoint with no entry gets bert-base-uncased's rates.
CURVE_LEARNING_RATES = {
    "minilm": {
        "healthy": 1e-4,  # batch 8; the default 5e-5 stays near the baseline after one epoch (benchmarks/README.md)
        "overfitting": 1e-4,
        "underfitting": 5e-8,
        "erratic": 2e-4,  # with batch 4
        "early_stopping": 1e-4,
    },
    "bert-base-uncased": {
        "healthy": 3e-5,
        "overfitting": 3e-5,
        "underfitting": 1.5e-8,
        "erratic": 6e-5,
        "early_stopping": 3e-5,
    },
}
CURVE_SOURCES = {
    "minilm": "在本项目的 2 核 CPU 上实测（记录见 benchmarks/README.md 的“学习曲线”一节）",
    "bert-base-uncased": (
        "正常一次取 BERT 论文微调范围 2e-5～5e-5（Devlin et al. 2019，附录 A.3）里的 3e-5，"
        "其余几种按 MiniLM 上的倍数换算；"
        "本项目的机器连不上 Hub、CPU 也太慢，没有实测过"
    ),
}


def curve_checkpoint_key(checkpoint: str) -> str:
    """Which entry of ``CURVE_LEARNING_RATES`` a checkpoint (a Hub id or a folder) uses."""
    from pathlib import Path

    from .checkpoint import PACKAGED_NAME, packaged_checkpoint

    text = str(checkpoint)
    try:
        packaged = str(Path(packaged_checkpoint()).resolve())
    except Exception:  # the offline package is not installed: a Hub checkpoint is in use
        packaged = None
    if packaged and str(Path(text).resolve()) == packaged or text == PACKAGED_NAME or "minilm" in text.lower():
        return "minilm"
    return "bert-base-uncased"


def curve_learning_rates(checkpoint: str) -> dict[str, float]:
    """The learning rate of each lesson-07 regime for ``checkpoint`` (what ``cu.resolve_checkpoint()`` returned)."""
    return dict(CURVE_LEARNING_RATES[curve_checkpoint_key(checkpoint)])


def format_rate(rate: float) -> str:
    """A learning rate the way the course writes it: 1e-4, 2.5e-4, 5e-8."""
    mantissa, exponent = f"{rate:e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def describe_curve_learning_rates(checkpoint: str) -> str:
    """One Chinese line: which setting the lesson uses for ``checkpoint``, its rates, and where they come from."""
    key = curve_checkpoint_key(checkpoint)
    name = "MiniLM-L6（课程离线自带的模型）" if key == "minilm" else "bert-base-uncased"
    rates = "、".join(f"{regime} {format_rate(rate)}" for regime, rate in CURVE_LEARNING_RATES[key].items())
    return f"学习率设置：{name}——{rates}；{CURVE_SOURCES[key]}。"
