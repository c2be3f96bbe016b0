"""Prepare an offline pack for a classroom: everything the course downloads, in one folder.

    python -m course_utils.prefetch DIR [--checkpoint bert-base-uncased]

Run it on a machine that reaches the Hub (or an ``HF_ENDPOINT`` mirror). It
downloads both GLUE configs the course uses (MRPC, SST-2), the checkpoint and
the ``glue`` metric module into ``DIR/hf`` (a Hugging Face home folder), checks
them (split sizes, a tokenizer round-trip, the metric computes), writes
``DIR/course-pack.json``, reports the size and prints the environment lines
that make another machine use the pack fully offline. Copy ``DIR`` there (USB
stick, a share) and set those lines before starting Jupyter.

The downloads run in a child process: the Hugging Face libraries read
``HF_HOME`` when they are imported, so the pack's home must be set first.
Nothing is left half-written: the pack is assembled in ``DIR.partial`` and
renamed to ``DIR`` only when everything checked out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .checkpoint import COURSE_CHECKPOINT
from .data import TASKS
from .errors import CourseError

MARKER = "course-pack.json"
FIXED_PAIR = ("This is the first sentence.", "This is the second one.")


def env_lines(pack: Path, checkpoint: str) -> list[str]:
    """The environment another machine sets to use ``pack`` offline."""
    lines = [f'export HF_HOME="{pack / "hf"}"', "export HF_HUB_OFFLINE=1"]
    if checkpoint != COURSE_CHECKPOINT:
        lines.append(f"export COURSE_CHECKPOINT={checkpoint}")
    return lines


def folder_size(folder: Path) -> int:
    """Bytes of the files below ``folder`` (hub-cache symlinks counted once, through their blobs)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file() and not path.is_symlink())


def _download_and_check(checkpoint: str) -> dict:
    """In the child process (``HF_HOME`` already points into the pack): download, then verify."""
    import datasets
    import evaluate
    from transformers import AutoConfig, AutoTokenizer

    from .checkpoint import download_checkpoint

    report: dict = {"datasets": {}}
    for name, task in TASKS.items():
        loaded = datasets.load_dataset("nyu-mll/glue", name)
        sizes = {split: len(rows) for split, rows in loaded.items()}
        if sizes != task.sizes:
            raise CourseError(
                f"下载的 nyu-mll/glue/{name} 划分大小是 {sizes}，应为 {task.sizes}。",
                "检查 HF_ENDPOINT 指向的镜像是否完整。",
            )
        report["datasets"][name] = sizes
    folder = download_checkpoint(checkpoint)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = tokenizer(*FIXED_PAIR)["input_ids"]
    text = tokenizer.decode(ids, skip_special_tokens=True)
    if "".join(text.lower().split()) != "".join(" ".join(FIXED_PAIR).lower().split()):  # uncased; spaces may move
        raise CourseError(f"分词器往返检查失败：{FIXED_PAIR!r} 解码成了 {text!r}。", "换一个 checkpoint，或重新下载。")
    report["checkpoint"] = {"id": checkpoint, "model_type": AutoConfig.from_pretrained(folder).model_type}
    metric = evaluate.load("glue", "mrpc")
    result = metric.compute(predictions=[0, 1, 1, 1], references=[0, 1, 0, 1])
    if set(result) != {"accuracy", "f1"} or abs(result["accuracy"] - 0.75) > 1e-9:
        raise CourseError(
            f"指标模块算出了意外的结果：{result}。", "检查 HF_ENDPOINT 指向的镜像里的 evaluate-metric/glue。"
        )
    report["metric"] = result
    return report


def build(pack: Path, checkpoint: str = COURSE_CHECKPOINT) -> dict:
    """Download and verify into ``pack`` (via ``pack.partial``); returns the pack's description."""
    pack = pack.expanduser().resolve()
    if pack.exists() and not (pack / MARKER).is_file():
        raise CourseError(f"{pack} 已经存在，而且不是离线包（里面没有 {MARKER}）。", "换一个文件夹名，或先删除它。")
    partial = pack.with_name(pack.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("HF_HUB_OFFLINE", "HF_HUB_CACHE", "HF_DATASETS_CACHE")}
    env["HF_HOME"] = str(partial / "hf")
    command = [sys.executable, "-m", "course_utils.prefetch", "--child", checkpoint]
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            tail = (result.stderr or result.stdout)[-1500:]
            raise CourseError(
                f"准备离线包失败（下载或检查出错）：\n{tail}",
                "确认这台机器能访问 Hub 或 HF_ENDPOINT 指向的镜像，然后重试。",
            )
        report = json.loads(result.stdout.strip().splitlines()[-1])
        # Downloads that datasets and evaluate no longer need (extracted copies live in the caches).
        for scratch in ("hf/datasets/downloads", "hf/evaluate/downloads"):
            shutil.rmtree(partial / scratch, ignore_errors=True)
        report |= {
            "created": dt.datetime.now().isoformat(timespec="seconds"),
            "endpoint": os.environ.get("HF_ENDPOINT", "https://huggingface.co"),
            "checkpoint": checkpoint,
        }
        (partial / MARKER).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        if pack.exists():
            shutil.rmtree(pack)
        os.replace(partial, pack)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    report["size_bytes"] = folder_size(pack)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m course_utils.prefetch",
        description="为课堂准备离线包：下载课程需要的数据、模型和指标到一个文件夹。",
    )
    parser.add_argument("pack", nargs="?", type=Path, help="离线包文件夹（会新建）")
    parser.add_argument(
        "--checkpoint", default=COURSE_CHECKPOINT, help=f"要放进离线包的模型（默认 {COURSE_CHECKPOINT}）"
    )
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        try:
            print(json.dumps(_download_and_check(args.child), ensure_ascii=False))
        except CourseError as err:
            print(err, file=sys.stderr)
            return 1
        return 0
    if args.pack is None:
        parser.error("请给出离线包文件夹，例如 python -m course_utils.prefetch ./course-pack")
    print(f"正在准备离线包 {args.pack}（数据 nyu-mll/glue：{'、'.join(TASKS)}；模型 {args.checkpoint}；指标 glue）……")
    try:
        report = build(args.pack, args.checkpoint)
    except CourseError as err:
        print(f"错误：{err}", file=sys.stderr)
        return 1
    pack = args.pack.expanduser().resolve()
    sizes = "；".join(f"{name} {rows}" for name, rows in report["datasets"].items())
    print(f"已检查：{sizes}；分词器往返正常；指标 {report['metric']}")
    print(f"离线包大小：{report['size_bytes'] / 2**20:.1f} MiB（{pack}）")
    print("把这个文件夹复制到其他机器上，然后在启动 Jupyter 之前设置（路径按复制后的位置修改）：")
    for line in env_lines(pack, args.checkpoint):
        print(f"    {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
