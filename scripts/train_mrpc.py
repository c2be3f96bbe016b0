"""Fine-tune a BERT-style model on GLUE MRPC with 🤗 Accelerate (chapter 3, lesson 06).

The training loop is written in the notebook ``notebooks/06_accelerate.ipynb``;
its ``#| export`` cells are copied to ``course_utils/accelerate_loop.py`` by
``python -m course_tools.export_loop`` (a test checks the two agree). This file only
reads the command line, checks it before anything is written, and calls the loop.

Run it (from the repository root):

    python scripts/train_mrpc.py --quick                 # one process, a short run
    python scripts/train_mrpc.py                         # the course recipe: 3 epochs, batch 8, lr 5e-5
    python scripts/train_mrpc.py --recipe fast           # the fast CPU recipe of course_utils/recipes.py
    accelerate launch scripts/train_mrpc.py              # as `accelerate config` set things up
    # Two CPU processes on a machine without GPU (one gloo process group):
    ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 scripts/train_mrpc.py --quick

The main process prints a line such as
``{"num_processes": 2, "eval_examples": 408, "accuracy": 0.8, "f1": 0.87}`` and
writes the model (which names its labels), the tokenizer, the full report
(metrics.json) and a model card (README.md) to ``--output-dir``, all at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

QUICK_TRAIN_ROWS = 64  # --quick: train on this many rows for one epoch; the validation set stays full


def _positive(kind):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"不是{'整数' if kind is int else '数字'}（not a valid number）：{text!r}"
            ) from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"必须大于 0（must be positive），收到 {text}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="train_mrpc.py",
        description="用 🤗 Accelerate 在 GLUE MRPC 上微调一个预训练模型（第 3 章第 06 课）。"
        " Fine-tune a pretrained model on GLUE MRPC with Accelerate.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--checkpoint",
        default=None,
        help="Hub 上的模型名或本地模型文件夹；不给时同课程：能连 Hub 用 bert-base-uncased，否则用离线备用的 MiniLM-L6",
    )
    parser.add_argument(
        "--recipe",
        choices=("course", "fast"),
        default="course",
        help="训练配方：course = 课程原配方（3 个 epoch、批大小 8、学习率 5e-5、fp32）；"
        "fast = course_utils/recipes.py 的快速 CPU 配方"
        "（3 个 epoch、批大小 16、学习率 5e-5 并预热、按长度分组，CPU 支持时用 bf16）。"
        "下面单独给出的参数优先于配方",
    )
    parser.add_argument("--epochs", type=_positive(int), default=None, help="训练的 epoch 数（默认取自 --recipe）")
    parser.add_argument("--batch-size", type=_positive(int), default=None, help="每个进程的批大小（默认取自 --recipe）")
    parser.add_argument(
        "--learning-rate", type=_positive(float), default=None, help="AdamW 的学习率（默认取自 --recipe）"
    )
    parser.add_argument("--seed", type=int, default=42, help="随机种子")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"快速模式（也可设 COURSE_QUICK=1）：只用 {QUICK_TRAIN_ROWS} 条训练数据训练 1 个 epoch，验证集仍然完整",
    )
    parser.add_argument(
        "--data-dir",
        default=None,
        help="MRPC 原始文件所在文件夹（不给时取环境变量 COURSE_DATA_DIR；都没有时从 Hub 加载）",
    )
    parser.add_argument(
        "--output-dir", default="outputs/train_mrpc", help="保存模型、分词器、metrics.json 和模型卡 README.md 的文件夹"
    )
    parser.add_argument(
        "--mixed-precision",
        choices=("no", "fp16", "bf16"),
        default=None,
        help="混合精度；不给时沿用 accelerate launch / accelerate config 的设置，否则为 no",
    )
    return parser


def fail(chinese: str, english: str, code: int = 2) -> None:
    print(f"错误：{chinese}\nError: {english}", file=sys.stderr, flush=True)
    sys.exit(code)


def check_arguments(args) -> None:
    """Everything that can be checked before any file is written (bad input exits here)."""
    import course_utils as cu
    from course_utils.checkpoint import use_checkpoint
    from course_utils.data import use_source_files
    from course_utils.glue_source import MRPC_LAYOUT
    from course_utils.precision import requested_precision

    if args.data_dir is not None:
        folder = Path(args.data_dir).expanduser()
        if not folder.is_dir():
            fail(
                f"数据文件夹 {folder} 不存在。请让 --data-dir（或 COURSE_DATA_DIR）指向 MRPC 原始文件所在的文件夹。",
                f"data directory not found: {folder}",
            )
        missing = [name for name in MRPC_LAYOUT.files if not (folder / name).is_file()]
        if missing:
            fail(
                f"数据文件夹 {folder} 里缺少 MRPC 原始文件：{', '.join(missing)}。",
                f"MRPC source files missing in {folder}: {', '.join(missing)}",
            )
        use_source_files("mrpc", folder)  # recorded as this process's MRPC route; cu.load_dataset reads it

    if args.checkpoint is not None:
        try:
            use_checkpoint(args.checkpoint)  # recorded as this process's checkpoint route
        except cu.CheckpointError as err:
            fail(
                f"找不到模型 {args.checkpoint!r}。{err.problem}\n"
                "怎么解决：检查 --checkpoint 的拼写；或让它指向用 save_pretrained() 保存的模型文件夹；"
                "或者去掉 --checkpoint，使用课程默认的模型。",
                f"unknown checkpoint {args.checkpoint!r}: not a model folder, and not on the Hub or in its cache",
            )

    if args.mixed_precision is not None:
        try:
            requested_precision(args.mixed_precision)  # the course's precision rules, e.g. fp16 needs a GPU
        except cu.CourseError as err:
            fail(f"--mixed-precision {args.mixed_precision}：{err}", f"mixed precision {args.mixed_precision} refused")

    try:
        cu.check_output_dir(args.output_dir)
    except cu.CourseError as err:
        fail(str(err), f"output_dir {args.output_dir} exists and is not a previous training output")


def recipe_settings(args) -> dict:
    """The chosen recipe's loop settings, with the options given on the command line taking precedence."""
    from course_utils.hardware import detect_device
    from course_utils.recipes import loop_settings

    settings = loop_settings(args.recipe, detect_device())
    if args.recipe == "course":
        settings["mixed_precision"] = None  # as before: what accelerate launch / accelerate config says
    for name in ("epochs", "batch_size", "learning_rate", "mixed_precision"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    return settings


def main(argv: list[str] | None = None) -> int:
    from course_utils.envvars import env_flag

    args = build_parser().parse_args(argv)
    args.data_dir = args.data_dir or os.environ.get("COURSE_DATA_DIR") or None
    args.quick = args.quick or env_flag("COURSE_QUICK")
    check_arguments(args)
    settings = recipe_settings(args)

    from course_utils.accelerate_loop import TrainConfig, training_function
    from course_utils.errors import CourseError
    from course_utils.runtime import quiet_warnings

    quiet_warnings()
    config = TrainConfig(  # --data-dir and --checkpoint reach the loop as recorded routes (check_arguments)
        epochs=1 if args.quick else settings["epochs"],
        batch_size=settings["batch_size"],
        learning_rate=settings["learning_rate"],
        weight_decay=settings["weight_decay"],
        warmup_ratio=settings["warmup_ratio"],
        group_by_length=settings["group_by_length"],
        seed=args.seed,
        mixed_precision=settings["mixed_precision"],
        train_rows=QUICK_TRAIN_ROWS if args.quick else None,
        output_dir=args.output_dir,
    )
    try:
        training_function(config)
    except CourseError as err:
        fail(str(err), f"{type(err).__name__}: training stopped (see the message above)", code=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
