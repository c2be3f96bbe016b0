"""One source for measured numbers: course_utils/benchmark_reference.json, rendered into the prose."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import course_utils as cu
from course_tools import render_numbers
from course_utils import reference

ROOT = Path(__file__).resolve().parents[1]


def stats(mean, n=1):
    return {"mean": mean, "std": 0.0, "min": mean, "max": mean, "n": n}


def small_results():
    recipe = lambda train_s, acc, f1, n: {  # noqa: E731
        "train_s": stats(train_s, n),
        "accuracy": stats(acc, n),
        "f1": stats(f1, n),
        "peak_rss_mb": stats(1000.0, n),
    }
    return {
        "machine": {
            "date": "2026-01-02T03:04:05",
            "cpu": "Intel(R) Xeon(R) Platinum 8480+",
            "cores": 2,
            "cpu_bf16": True,
            "cuda": False,
            "torch": "2.13.0+cpu",
            "transformers": "5.24.0",
        },
        "finetune": {
            "recipes": {
                "course": recipe(390.0, 0.8, 0.86, 1),
                "fast": recipe(130.0, 0.81, 0.87, 3),
                "fast without bf16": recipe(260.0, 0.8, 0.86, 1),
                "fast without grouping": recipe(195.0, 0.8, 0.86, 1),
            },
            "ratios": {"speedup_wall": 3.0, "samples_per_s": 3.0, "peak_rss": 1.0},
        },
    }


def test_facts_are_computed_from_the_results():
    facts = reference.facts(small_results())
    assert facts["machine"] == "2 核 Intel Xeon Platinum 8480+（无 GPU，支持原生 bf16）"
    assert (facts["course_min"], facts["fast_min"], facts["speedup"]) == ("6.5", "2.2", "3.00")
    assert (facts["bf16_ratio"], facts["grouping_ratio"]) == ("2.00", "1.50")
    assert (facts["fast_seeds"], facts["course_seeds"], facts["date"]) == ("3", "1", "2026-01-02")


def test_render_replaces_marked_values_and_refuses_unknown_names():
    facts = {"speedup": "2.50"}
    text = "快 <!-- ref:speedup -->9.99<!-- /ref --> 倍"
    assert render_numbers.render(text, facts, None, False) == "快 <!-- ref:speedup -->2.50<!-- /ref --> 倍"
    with pytest.raises(KeyError, match="nope"):
        render_numbers.render("<!-- ref:nope -->1<!-- /ref -->", facts, None, False)


def test_render_fills_the_tables_block():
    text = "a\n<!-- ref-tables -->\nold\n<!-- /ref-tables -->\nb"
    assert render_numbers.render(text, {}, "NEW\n", False) == "a\n<!-- ref-tables -->\nNEW\n<!-- /ref-tables -->\nb"


def test_the_prose_quotes_the_committed_reference_file():
    result = subprocess.run(
        [sys.executable, "-m", "course_tools.render_numbers", "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_prose_file_quotes_through_markers():
    facts = reference.facts()
    for path in render_numbers.FILES:
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".ipynb":  # the prose only: outputs print the file's numbers themselves
            cells = json.loads(text)["cells"]
            text = "\n".join("".join(cell["source"]) for cell in cells if cell["cell_type"] == "markdown")
        outside = render_numbers.VALUE.sub("", render_numbers.TABLES.sub("", text))
        for name in ("speedup", "bf16_ratio", "grouping_ratio"):
            if name in facts:
                typed = re.search(rf"(?<![\d.]){re.escape(facts[name])} 倍", outside)
                assert not typed, f"{path.name}: {name} typed by hand"


def test_describe_recipe_prints_the_reference_run():
    text = cu.describe_recipe("fast", "cpu")
    facts = reference.facts()
    assert reference.summary_line() in text
    assert f"快 {facts['speedup']} 倍" in text and facts["machine"] in text


def test_benchmark_refuses_a_reference_it_cannot_fill(tmp_path):
    """--reference needs a full fine-tuning run of both recipes; it says so before any work starts."""
    for args in (["--short"], ["--only", "padding"], ["--recipes", "fast"]):
        result = subprocess.run(
            [sys.executable, "-m", "course_tools.benchmark", "--reference", "--out", str(tmp_path), *args],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
        assert result.returncode != 0 and "--reference needs a full run" in result.stderr, args
    assert list(tmp_path.iterdir()) == []


def test_lesson_04_says_what_the_reference_speedup_shows():
    """04 explains a near-1× reference speed-up; that text must go when a new reference run is faster."""
    text = (ROOT / "notebooks" / "04_trainer.ipynb").read_text(encoding="utf-8")
    speedup = float(reference.facts()["speedup"])
    assert ("参考运行里快速配方几乎没有更快" in text) == (speedup < 1.2), speedup
