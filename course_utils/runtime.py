"""The one setup call every notebook makes: seeds, device, mode, and a status block.

``cu.setup()`` prints, in Chinese, what a learner or an instructor needs to
know before running a lesson: library versions, the device, quick or full
mode, and where the data, the checkpoint and the metric will come from and why.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import warnings
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .checkpoint import choose_checkpoint
from .data import choose_data_source
from .envvars import env_flag
from .hardware import detect_device, gpu_name, library_versions
from .hub import hub_status
from .metrics import choose_metric_source
from .precision import Precision, precision_policy
from .routes import pack_info

# The ranges of requirements.txt for the libraries the lessons depend on
# (tests/test_repo.py keeps the two in step).
REQUIRED = {
    "torch": ">=2.6,<3",
    "transformers": ">=5.2,<6",
    "datasets": ">=5.0,<6",
    "accelerate": ">=1.3,<2",
    "evaluate": ">=0.4.6,<0.5",
    "scikit-learn": ">=1.5",
    "matplotlib": ">=3.9",
    "ipywidgets": ">=8.1,<9",
}


@dataclass(frozen=True)
class CourseEnv:
    """What ``setup()`` found; notebooks read ``env.device`` and ``env.quick``."""

    device: str  # "cuda", "mps" or "cpu"
    quick: bool
    colab: bool
    seed: int
    data_source: str  # the route kind of MRPC (course_utils.routes.KINDS)
    checkpoint: str  # what to pass to from_pretrained
    checkpoint_label: str
    metric_source: str  # the route kind of the metric
    precision: Precision  # the course's mixed-precision decision for this device


def quick_mode() -> bool:
    """True when ``COURSE_QUICK`` asks for the short version of each lesson."""
    return env_flag("COURSE_QUICK")


def in_colab() -> bool:
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "未安装"


def version_problems() -> dict[str, tuple[str, str]]:
    """The course's libraries whose installed version is outside its range: ``{package: (installed, range)}``."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    problems = {}
    for package, spec in REQUIRED.items():
        installed = _version(package)
        try:
            fits = installed != "未安装" and Version(installed.split("+")[0]) in SpecifierSet(spec)
        except InvalidVersion:
            fits = False
        if not fits:
            problems[package] = (installed, spec)
    return problems


def fix_command(problems: dict[str, tuple[str, str]]) -> str:
    """The exact pip command that brings ``problems`` into the course's ranges."""
    return "pip install -U " + " ".join(f'"{package}{spec}"' for package, (_, spec) in problems.items())


def version_warning(problems: dict[str, tuple[str, str]]) -> str:
    """A learner-facing message (Chinese) naming each library out of range and the command that fixes it."""
    found = "；".join(
        f"{package} {installed}（课程需要 {spec}）"
        if installed != "未安装"
        else f"{package} 没有安装（课程需要 {spec}）"
        for package, (installed, spec) in problems.items()
    )
    return (
        f"注意：这些库的版本不符合课程的要求：{found}。\n"
        f"请在终端（Colab / Jupyter 里在命令前加 %）运行：\n    {fix_command(problems)}\n"
        "然后重启内核（Colab：代码执行程序 → 重启会话），再从头运行这个笔记本。"
    )


def check_versions(verbose: bool = True) -> dict[str, bool]:
    """Compare installed versions with the course's ranges; True means it fits (prints a table and the fix)."""
    problems = version_problems()
    if verbose:
        for package, spec in REQUIRED.items():
            mark = "✗" if package in problems else "✓"
            print(f"{package:<14}{_version(package):<16}需要 {spec:<14}{mark}")
        if problems:
            print(version_warning(problems))
    return {package: package not in problems for package in REQUIRED}


def check_restart(packages: tuple[str, ...] = (*REQUIRED, "tokenizers", "huggingface_hub")) -> list[str]:
    """After an install cell: the libraries this kernel imported before pip replaced them (a restart is needed).

    Prints, in Chinese, which ones and what to do; returns their names (empty: carry on, no restart).
    """
    import sys

    stale = []
    for package in packages:
        module = sys.modules.get(package.replace("-", "_").replace("scikit_learn", "sklearn"))
        loaded = getattr(module, "__version__", None)
        if loaded is not None and loaded != _version(package):
            stale.append(f"{package} {loaded} → {_version(package)}")
    if stale:
        print(
            "注意：这些库在安装之前已经导入，内核里还是旧版本：" + "；".join(stale) + "。\n"
            "请重启会话（Colab 菜单：代码执行程序 → 重启会话），然后从下一格接着运行（不用再运行这一格）。",
            flush=True,
        )
    return stale


def quiet_warnings() -> None:
    """Silence warnings that say nothing useful to a learner (no library is patched)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", message=".*pin_memory.*no accelerator.*")


def check_process_group(accelerator) -> None:
    """Catch the silent failure of a launch: N processes started, yet each one trains alone."""
    from .errors import CourseError

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and accelerator.num_processes == 1:
        raise CourseError(
            f"启动了 {world_size} 个进程，但 Accelerate 没有把它们组成一组（每个进程都以为只有自己）。"
            "没有 GPU 时常见：进程默认找 GPU，找不到就各自单独训练。\n"
            f"(English: launched with WORLD_SIZE={world_size}, but Accelerator sees 1 process.)",
            "在 CPU 上多进程运行时设置 ACCELERATE_USE_CPU=true，例如：\n"
            "ACCELERATE_USE_CPU=true accelerate launch --multi_gpu --num_processes 2 scripts/train_mrpc.py",
        )


def _device_line(device: str, colab: bool) -> str:
    import torch

    if device == "cuda":
        # Asking torch for the GPU's name would initialise CUDA, after which
        # notebook_launcher can no longer start worker processes; nvidia-smi can tell instead.
        return f"GPU（{gpu_name() or 'NVIDIA GPU'}，共 {torch.cuda.device_count()} 块）"
    if device == "mps":
        return "Apple 芯片 GPU（mps）"
    hint = "在 Colab 里可以用「代码执行程序 → 更改运行时类型」选 GPU" if colab else "没有 GPU，也能跑完，只是训练慢一些"
    return f"CPU（{os.cpu_count()} 核；{hint}）"


BERT_BASE_IDS = ("bert-base-uncased", "google-bert/bert-base-uncased")
COST_FILE = Path(__file__).resolve().parent / "checkpoint_cost.json"  # written by course_tools/checkpoint_cost.py


def cpu_time_estimate(device: str, quick: bool, checkpoint_label: str) -> str | None:
    """A learner-facing estimate of the full-mode fine-tuning time of bert-base-uncased on a CPU, or None.

    From the measurement in ``checkpoint_cost.json`` (samples/s of bert-base's
    architecture on a reference CPU, course recipe), scaled by this machine's
    core count; an estimate, and said to be one.
    """
    if device != "cpu" or quick or not checkpoint_label.startswith(BERT_BASE_IDS):
        return None
    try:
        cost = json.loads(COST_FILE.read_text(encoding="utf-8"))
        speed = cost["samples_per_second"]["bert_base"]
        recipe, machine = cost["recipe"], cost["machine"]
    except (OSError, ValueError, KeyError):
        return None
    cores = os.cpu_count() or 1
    samples = recipe["train_pairs"] * recipe["epochs"]
    minutes = samples / (speed * max(cores, 1) / machine["cores"]) / 60
    return (
        f"估计：在这台 {cores} 核 CPU 上用 bert-base-uncased 完整训练一次（{recipe['epochs']} 个 epoch × "
        f"{recipe['train_pairs']} 条，批大小 {recipe['batch_size']}）约需 {minutes:.0f} 分钟"
        f"（按 {machine['cores']} 核 {machine['cpu']} 上实测的 {speed:g} 样本/秒、按核数折算，仅供参考）。"
        "想快一些：设置 COURSE_QUICK=1 用快速模式，或设置 "
        "COURSE_CHECKPOINT=sentence-transformers/all-MiniLM-L6-v2 换成小约 5 倍的模型。"
    )


def pack_line() -> str | None:
    """Names the instructor's offline pack when ``HF_HOME`` lies in one (see course_utils.prefetch)."""
    info = pack_info()
    if info is None:
        return None
    return f"离线包：{info['folder']}（{info.get('created', '?')} 准备，checkpoint {info.get('checkpoint', '?')}）"


def setup(seed: int = 42, verbose: bool = True) -> CourseEnv:
    """Seed everything, detect the environment and print the status block."""
    problems = version_problems()
    if problems and verbose:  # say which library is too old and how to fix it, before anything fails on it
        print(version_warning(problems), flush=True)
    from transformers import set_seed

    quiet_warnings()
    set_seed(seed)
    colab = in_colab()
    device = detect_device()
    data = choose_data_source()
    ckpt = choose_checkpoint()
    metric = choose_metric_source()
    precision = precision_policy(device)
    env = CourseEnv(
        device=device,
        quick=quick_mode(),
        colab=colab,
        seed=seed,
        data_source=data.kind,
        checkpoint=ckpt.location,
        checkpoint_label=ckpt.label,
        metric_source=metric.kind,
        precision=precision,
    )
    if verbose:
        versions = " · ".join(f"{name} {version}" for name, version in library_versions().items() if name != "python")
        mode = "快速模式（COURSE_QUICK=1：同样的代码，更少的数据/步数）" if env.quick else "完整模式"
        lines = [
            "── 课程环境 ──────────────────────────────",
            f"Python {platform.python_version()} · {versions}",
            f"运行平台：{'Google Colab' if colab else '本地'} · 设备：{_device_line(device, colab)}",
            f"运行模式：{mode} · 随机种子：{seed}",
            f"混合精度（用到时的选择）：{precision.label}（{precision.reason}）",
            f"Hub：{hub_status().reason}",
            f"数据：{data.describe()}",
            f"模型：{ckpt.describe()}",
            f"指标：{metric.describe()}",
        ]
        extra = [pack_line(), cpu_time_estimate(device, env.quick, ckpt.label)]
        lines += [line for line in extra if line]
        lines.append("──────────────────────────────────────────")
        print("\n".join(lines), flush=True)
    return env
