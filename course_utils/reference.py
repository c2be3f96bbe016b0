"""The course's measured numbers, from one committed file.

``benchmark_reference.json`` is the JSON of one full benchmark run
(``python -m course_tools.benchmark --ablations --reference`` on an otherwise idle
machine). Everything that quotes those measurements reads it through
:func:`facts`: the recipe descriptions print them, and
``python -m course_tools.render_numbers`` writes them into the READMEs and the
notebooks' text between ``<!-- ref:NAME -->`` and ``<!-- /ref -->`` markers;
``--check`` (run by the tests) fails when the prose and the file disagree.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

REFERENCE = Path(__file__).with_name("benchmark_reference.json")


@lru_cache(maxsize=1)
def load() -> dict:
    """The reference run's results, as course_tools/benchmark.py wrote them."""
    return json.loads(REFERENCE.read_text(encoding="utf-8"))


def machine_line(machine: dict) -> str:
    """E.g. "2 核 Intel Xeon（支持 AVX512-BF16）"."""
    cpu = re.sub(r"\((?:R|TM)\)|\bProcessor\b|\bCPU\b|@.*$", "", machine["cpu"])
    cpu = re.sub(r"\s+\d+-Core\b", "", " ".join(cpu.split()))
    bf16 = "，支持原生 bf16" if machine.get("cpu_bf16") else "，没有原生 bf16"
    return f"{machine['cores']} 核 {cpu}（无 GPU{bf16}）" if not machine.get("cuda") else f"{cpu}（GPU）"


def facts(reference: dict | None = None) -> dict[str, str]:
    """The quoted numbers, formatted the way the prose quotes them."""
    ref = reference or load()
    finetune = ref["finetune"]
    recipes, ratios = finetune["recipes"], finetune["ratios"]
    course, fast = recipes["course"], recipes["fast"]
    values = {
        "machine": machine_line(ref["machine"]),
        "date": ref["machine"]["date"][:10],
        "torch": ref["machine"]["torch"],
        "transformers": ref["machine"]["transformers"],
        "course_seeds": str(course["train_s"]["n"]),
        "fast_seeds": str(fast["train_s"]["n"]),
        "course_min": f"{course['train_s']['mean'] / 60:.1f}",
        "fast_min": f"{fast['train_s']['mean'] / 60:.1f}",
        "course_s": f"{course['train_s']['mean']:.0f}",
        "fast_s": f"{fast['train_s']['mean']:.0f}",
        "speedup": f"{ratios['speedup_wall']:.2f}",
        "course_accuracy": f"{course['accuracy']['mean']:.3f}",
        "course_f1": f"{course['f1']['mean']:.3f}",
        "fast_accuracy": f"{fast['accuracy']['mean']:.3f}",
        "fast_f1": f"{fast['f1']['mean']:.3f}",
        "peak_ratio": f"{ratios['peak_rss']:.2f}",
    }
    for name, key in (("fast without bf16", "bf16_ratio"), ("fast without grouping", "grouping_ratio")):
        if name in recipes:
            values[key] = f"{recipes[name]['train_s']['mean'] / fast['train_s']['mean']:.2f}"
    return values


def summary_line(reference: dict | None = None) -> str:
    """One sentence with the reference run's recipe comparison (printed by describe_recipe)."""
    f = facts(reference)
    line = (
        f"实测（{f['machine']}，{f['date']}，完整 MRPC，快速配方 {f['fast_seeds']} 个随机种子、"
        f"课程配方 {f['course_seeds']} 个）：课程配方训练 {f['course_min']} 分钟，快速配方 {f['fast_min']} 分钟"
        f"（快 {f['speedup']} 倍）；验证集 accuracy {f['course_accuracy']} / {f['fast_accuracy']}，"
        f"F1 {f['course_f1']} / {f['fast_f1']}（课程 / 快速）。"
    )
    if "bf16_ratio" in f and "grouping_ratio" in f:
        line += f"去掉 bf16 会慢 {f['bf16_ratio']} 倍，去掉按长度分组会慢 {f['grouping_ratio']} 倍。"
    return line
