"""course_tools.benchmark: result summaries, markdown/JSON output and a tiny tokenization run (no timing assertions)."""

import json
import re
from pathlib import Path

import pytest

from course_tools import benchmark

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    return benchmark


def assert_tables_are_rectangular(text: str) -> None:
    """Every markdown table row in ``text`` has as many cells as its header."""
    for block in text.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:
            assert len({row.count("|") for row in rows}) == 1, block


def fake_run(recipe, seed, train_s, accuracy, bf16=False, sampling=None):
    return {
        "recipe": recipe,
        "seed": seed,
        "bf16": bf16,
        "sampling": sampling or ("random" if recipe == "course" else "group_by_length"),
        "batch_size": 8 if recipe == "course" else 16,
        "learning_rate": 5e-5 if recipe == "course" else 1e-4,
        "epochs": 3 if recipe == "course" else 2,
        "steps": 10,
        "train_samples": 600,
        "train_s": train_s,
        "eval_s": 5.0,
        "samples_per_s": 600 / train_s,
        "accuracy": accuracy,
        "f1": accuracy + 0.05,
        "train_loss": 0.4,
        "peak_rss_mb": 1000.0 if recipe == "course" else 1500.0,
    }


@pytest.fixture
def results(bench):
    runs = [
        fake_run("course", 42, 600.0, 0.80),
        fake_run("fast", 42, 200.0, 0.82, bf16=True),
        fake_run("fast", 43, 300.0, 0.84, bf16=True),
        fake_run("fast without bf16", 42, 400.0, 0.83),
    ]
    return {
        "short": False,
        "machine": {
            "date": "2026-01-01T00:00:00",
            "cpu": "Test CPU",
            "cores": 2,
            "torch_threads": 2,
            "cpu_bf16": True,
            "cuda": False,
            "python": "3.11",
            "torch": "2.x",
            "transformers": "5.x",
        },
        "finetune": {**bench.finetune_summary(runs), "runs": runs},
        "padding": [
            {
                "strategy": "fixed",
                "padding_share": 0.5,
                "mean_width": 128.0,
                "steps": 4,
                "samples_per_s": 10.0,
                "ratio": 1.0,
            },
            {
                "strategy": "dynamic",
                "padding_share": 0.25,
                "mean_width": 70.0,
                "steps": 4,
                "samples_per_s": 20.0,
                "ratio": 2.0,
            },
        ],
        "tokenization": [{"variant": "map", "rows": 100, "seconds": 1.0, "rows_per_s": 100.0, "ratio": 1.0}],
        "tests": {"seconds": 120.0, "returncode": 0, "summary": "10 passed"},
    }


def test_summary_means_spreads_and_ratios(bench, results):
    summary = results["finetune"]
    fast = summary["recipes"]["fast"]
    assert fast["train_s"]["mean"] == pytest.approx(250.0)
    assert fast["train_s"]["n"] == 2 and fast["accuracy"]["std"] > 0
    assert summary["recipes"]["course"]["accuracy"]["std"] == 0.0
    assert summary["ratios"]["speedup_wall"] == pytest.approx(600.0 / 250.0)
    assert summary["ratios"]["peak_rss"] == pytest.approx(1.5)


def test_markdown_tables(bench, results):
    text = bench.format_markdown(results)
    assert text.startswith("# Benchmarks (full) — 2026-01-01")
    assert "Test CPU, 2 cores" in text
    assert "| fast | bf16 autocast | group_by_length | 16 | 0.0001 | 2 | 2 | 4.17 ± 1.18 |" in text
    assert "| course | fp32 | random | 8 | 5e-05 | 3 | 1 | 10.00 |" in text
    assert "| fast without bf16 | fp32 | group_by_length | 16 |" in text
    assert "2.40× less training wall time" in text
    assert "bf16: the full fast recipe is 1.60× faster than without it." in text
    assert "| dynamic | 25.0% | 70.0 | 20.0 | 2.00× |" in text
    assert "2.0 min, exit code 0: 10 passed" in text
    assert_tables_are_rectangular(text)


def test_parts_can_be_missing(bench, results):
    for part in ("finetune", "padding", "tokenization", "tests"):
        results.pop(part)
    assert "steps" not in results
    assert "## " not in bench.format_markdown(results)


def test_write_results(bench, results, tmp_path):
    path = bench.write_results(results, tmp_path / "out")
    assert json.loads(path.read_text(encoding="utf-8"))["machine"]["cpu"] == "Test CPU"
    assert (tmp_path / "out" / "latest.json").is_file()
    assert (tmp_path / "out" / "latest.md").read_text(encoding="utf-8") == bench.format_markdown(results)


def test_arguments(bench):
    args = bench.parse_args(["--short", "--skip-tests", "--only", "padding", "--seeds", "5"])
    assert args.short and args.skip_tests and args.only == ["padding"] and args.seeds == 5
    assert bench.parse_args([]).seeds == 3 and not bench.parse_args([]).short
    assert bench.parse_args(["--ablations"]).ablations and not bench.parse_args([]).ablations
    assert set(bench.ABLATIONS) == {"fast without bf16", "fast without grouping"}
    args = bench.parse_args(["--only", "steps", "--step-repetitions", "3", "--segment-steps", "4"])
    assert args.only == ["steps"] and args.step_repetitions == 3 and args.segment_steps == 4
    assert "steps" in bench.PARTS and bench.parse_args([]).step_repetitions is None


def with_flops(run, useful_gflops_per_s, share):
    return {**run, "useful_gflops_per_s": useful_gflops_per_s, "padding_compute_share": share}


PEAKS = {"fp32": 200.0, "bf16": 800.0, "n": 1024, "repeats": 10, "best_of": 5}


def fake_steps(bench):
    """Three interleaved repetitions: course 24, 20, 30 samples/s; fast 48 each → ratios 2.0, 2.4, 1.6."""

    def segment(samples, seconds, useful, padded):
        return {"samples": samples, "seconds": seconds, "useful_flops": useful, "padded_flops": padded}

    runs = [
        {"order": ["course", "fast"], "course": segment(96, 4.0, 2e11, 4e11), "fast": segment(192, 4.0, 4e11, 5e11)},
        {"order": ["fast", "course"], "course": segment(96, 4.8, 2e11, 4e11), "fast": segment(192, 4.0, 4e11, 5e11)},
        {"order": ["course", "fast"], "course": segment(96, 3.2, 2e11, 4e11), "fast": segment(192, 4.0, 4e11, 5e11)},
    ]
    recipes = {
        "course": {"precision": "fp32", "sampling": "random", "batch_size": 8, "optimizer": "adamw_torch_fused"},
        "fast": {
            "precision": "bf16",
            "sampling": "group_by_length",
            "batch_size": 16,
            "optimizer": "adamw_torch_fused",
        },
    }
    return {
        "repetitions": 3,
        "segment_steps": 12,
        "warmup_steps": 2,
        "recipes": recipes,
        "runs": runs,
        "summary": bench.interleaved_summary(runs, PEAKS, {"course": "fp32", "fast": "bf16"}),
        "cpu": "Test CPU",
        "cpu_flags": ["avx2", "avx512f", "avx512_bf16", "amx_tile"],
        "load_average_before": [0.5, 0.75, 1.0],
        "load_average_after": [2.25, 1.5, 1.0],
        "precision": {"mode": "bf16", "reason": "实测", "probe_ratio": 1.34, "margin": 1.15},
        "peaks": PEAKS,
    }


def test_interleaved_summary_median_ratio_and_spread(bench):
    summary = fake_steps(bench)["summary"]
    assert summary["ratios"] == pytest.approx([2.0, 2.4, 1.6])
    assert summary["ratio_median"] == pytest.approx(2.0)
    assert summary["ratio_spread"] == pytest.approx((2.4 - 1.6) / 2.0)
    assert "ratio_iqr" not in summary  # three repetitions have no meaningful quartiles
    course, fast = summary["recipes"]["course"], summary["recipes"]["fast"]
    assert course["samples_per_s"] == pytest.approx(24.0) and fast["samples_per_s"] == pytest.approx(48.0)
    # course: 2e11 FLOPs in 4.0, 4.8, 3.2 s → median 50 GFLOP/s = 25 % of the fp32 peak; no bf16 MFU for fp32
    assert course["useful_gflops_per_s"] == pytest.approx(50.0)
    assert course["mfu_fp32"] == pytest.approx(0.25) and course["mfu_bf16"] is None
    # fast (bf16): 100 GFLOP/s = 50 % of the fp32 peak, 12.5 % of the bf16 peak
    assert fast["mfu_fp32"] == pytest.approx(0.5) and fast["mfu_bf16"] == pytest.approx(0.125)
    assert course["padding_compute_share"] == pytest.approx(0.5) and fast["padding_compute_share"] == pytest.approx(0.2)
    assert bench.interleaved_summary(fake_steps(bench)["runs"])["recipes"]["fast"]["mfu_fp32"] is None  # no peak
    with pytest.raises(ValueError):
        bench.interleaved_summary([])


def test_interquartile_spread_ignores_one_noisy_repetition(bench):
    runs = [
        {name: {"samples": samples, "seconds": 1.0, "useful_flops": 1e9, "padded_flops": 1e9} for name, samples in pair}
        for pair in ([("course", 10), ("fast", fast)] for fast in (20, 21, 22, 23, 24, 40))
    ]
    summary = bench.interleaved_summary(runs)
    assert summary["ratio_median"] == pytest.approx(2.25)
    assert summary["ratio_spread"] == pytest.approx((4.0 - 2.0) / 2.25)  # the range follows the outlier
    quartiles = (2.1 + 0.25 * 0.1, 2.3 + 0.75 * 0.1)  # inclusive quartiles of 2.0, 2.1, 2.2, 2.3, 2.4, 4.0
    assert summary["ratio_iqr"] == pytest.approx((quartiles[1] - quartiles[0]) / 2.25)


def test_each_repetition_samples_the_whole_epoch(bench):
    plans = bench.spread_batches(100, 3, 4)
    assert len(plans) == 3 and all(len(plan) == 4 for plan in plans)
    picked = [index for plan in plans for index in plan]
    assert len(set(picked)) == 12  # no batch timed twice
    assert all(max(plan) - min(plan) >= 50 for plan in plans)  # each spans the epoch, not one stretch of it
    short = bench.spread_batches(5, 2, 4)  # fewer batches than needed: the epoch again
    assert [index for plan in short for index in plan] and all(0 <= i < 5 for plan in short for i in plan)


def test_finetune_summary_with_flops_and_peaks(bench):
    runs = [
        with_flops(fake_run("course", 42, 600.0, 0.80), 40.0, 0.30),
        with_flops(fake_run("fast", 42, 200.0, 0.82, bf16=True) | {"precision": "bf16"}, 100.0, 0.05),
    ]
    recipes = bench.finetune_summary(runs, PEAKS)["recipes"]
    assert recipes["course"]["mfu_fp32"] == pytest.approx(0.2) and recipes["course"]["mfu_bf16"] is None
    assert recipes["fast"]["mfu_fp32"] == pytest.approx(0.5) and recipes["fast"]["mfu_bf16"] == pytest.approx(0.125)
    assert "mfu_fp32" not in bench.finetune_summary([fake_run("course", 42, 600.0, 0.8)])["recipes"]["course"]


def test_markdown_shows_flops_peak_steps_load_and_flags(bench, results):
    runs = [
        with_flops(fake_run("course", 42, 600.0, 0.80), 40.0, 0.30),
        with_flops(fake_run("fast", 42, 200.0, 0.82, bf16=True) | {"precision": "bf16"}, 100.0, 0.05),
    ]
    results["machine"]["matmul_peak_gflops"] = PEAKS
    results["finetune"] = {**bench.finetune_summary(runs, PEAKS), "runs": runs}
    results["steps"] = fake_steps(bench)
    text = bench.format_markdown(results)
    assert "Matmul peak in this run (1024×1024, best of 5 × 10 calls): fp32 200.0 GFLOP/s, bf16 800.0 GFLOP/s." in text
    assert "| useful GFLOP/s | MFU (fp32 peak) | MFU (bf16 peak) | padding share of compute |" in text
    assert "| 1 | 10.00 | 1.0 | 0.800 | 0.850 | 1000 | 40.0 | 20.0% | - | 30.0% |" in text  # course row
    assert "| 1500 | 100.0 | 50.0% | 12.5% | 5.0% |" in text  # fast row
    assert "## 2. Training steps, course vs fast recipe, interleaved (3 repetitions × 12 steps per recipe)" in text
    assert "CPU: Test CPU; flags: avx2, avx512f, avx512_bf16, amx_tile." in text
    assert "Load average (1 / 5 / 15 min): before 0.50 / 0.75 / 1.00, after 2.25 / 1.50 / 1.00." in text
    assert "bf16 autocast at 1.34× fp32's speed, threshold 1.15" in text
    assert "| course | fp32 | random | 8 | adamw_torch_fused | 24.0 | 50.0 | 25.0% | - | 50.0% |" in text
    assert (
        "| fast | bf16 autocast | group_by_length | 16 | adamw_torch_fused | 48.0 | 100.0 | 50.0% | 12.5% | 20.0% |"
        in text
    )
    assert "| 2 | fast, course | 20.0 | 48.0 | 2.40× |" in text
    assert "Fast / course: median 2.00× samples/s, spread 40.0% ((max − min) / median over 3 repetitions)." in text
    assert_tables_are_rectangular(text)


def test_results_without_flops_print_as_before(bench, results):
    """The reference run has no FLOPs, peak or steps part: its tables must not change."""
    text = bench.format_markdown(results)
    assert "MFU" not in text and "Matmul peak" not in text and "Training steps" not in text


def test_tokenization_benchmark_runs(bench):
    rows = bench.tokenization_benchmark(short=True)
    assert [row["variant"] for row in rows][0] == "map (per example)"
    assert len(rows) == 3 and rows[0]["ratio"] == 1.0
    assert all(row["rows_per_s"] > 0 for row in rows)


def test_package_data_is_replaced_in_one_step(tmp_path, monkeypatch):
    from course_tools import package_data

    monkeypatch.setattr(package_data, "PACKAGE_DATA", tmp_path)
    (tmp_path / "cost.json").write_text("old", encoding="utf-8")
    path = package_data.write_package_data("cost.json", {"cpu": "测试 CPU", "cores": 2})
    assert path == tmp_path / "cost.json"
    assert path.read_text(encoding="utf-8") == '{\n  "cpu": "测试 CPU",\n  "cores": 2\n}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["cost.json"]  # no temporary file left behind
    with pytest.raises(TypeError):
        package_data.write_package_data("cost.json", {"not JSON": object()})
    assert json.loads(path.read_text(encoding="utf-8"))["cores"] == 2  # a failed write keeps the old file
    assert [p.name for p in tmp_path.iterdir()] == ["cost.json"]
    for wrong in ("../cost.json", "sub/cost.json", "cost.txt"):
        with pytest.raises(ValueError, match="package data"):
            package_data.write_package_data(wrong, {})


def test_the_benchmarks_write_the_files_their_readers_read():
    from course_tools import package_data
    from course_utils import reference, runtime

    assert reference.REFERENCE == package_data.PACKAGE_DATA / "benchmark_reference.json"
    assert runtime.COST_FILE == package_data.PACKAGE_DATA / "checkpoint_cost.json"


STEPS_RUNS = ROOT / "benchmarks" / "steps-2026-12-02"


def _steps_rows() -> dict[str, list[str]]:
    """The benchmarks/README.md table of interleaved step runs: result file name -> the row's cells."""
    rows = {}
    for line in (ROOT / "benchmarks" / "README.md").read_text(encoding="utf-8").splitlines():
        match = re.match(r"\| \[[^\]]+\]\(steps-2026-12-02/([\w-]+\.json)\) \|", line)
        if match:
            rows[match.group(1)] = [cell.strip() for cell in line.strip().strip("|").split("|")]
    return rows


def _rates(run: dict, recipe: str) -> list[float]:
    return [rep[recipe]["samples"] / rep[recipe]["seconds"] for rep in run["steps"]["runs"]]


def test_the_readme_table_of_step_runs_is_read_from_their_result_files():
    rows = _steps_rows()
    assert sorted(rows) == sorted(path.name for path in STEPS_RUNS.glob("*.json")), "every stored run has a row"
    for name, cells in rows.items():
        run = json.loads((STEPS_RUNS / name).read_text(encoding="utf-8"))
        steps, summary = run["steps"], run["steps"]["summary"]
        course, fast = summary["recipes"]["course"], summary["recipes"]["fast"]
        peaks = run["machine"]["matmul_peak_gflops"]
        iqr = f"{summary['ratio_iqr']:.1%}" if "ratio_iqr" in summary else "—"
        if fast["mfu_bf16"] is not None:
            fast_mfu = f"bf16 峰值的 {fast['mfu_bf16']:.1%}"
        else:
            fast_mfu = f"fp32 峰值的 {fast['mfu_fp32']:.1%}"
        assert cells[1:] == [
            f"{steps['repetitions']} × {steps['segment_steps']}",
            f"{run['total_s']:.0f}",
            f"{peaks['fp32']:.0f} / {peaks['bf16']:.0f}",
            f"{course['samples_per_s']:.1f}",
            f"{fast['samples_per_s']:.1f}",
            f"{summary['ratio_median']:.2f}×",
            f"{summary['ratio_spread']:.1%}",
            iqr,
            f"{course['mfu_fp32']:.1%}",
            fast_mfu,
            f"{course['padding_compute_share']:.1%} / {fast['padding_compute_share']:.1%}",
        ], name


def test_what_the_readme_reads_from_the_step_runs():
    """The sentences under the table: medians within a tenth, one IQR under 10 %, the drift of the full run."""
    runs = {path.stem: json.loads(path.read_text(encoding="utf-8")) for path in STEPS_RUNS.glob("*.json")}
    bf16 = {name: run for name, run in runs.items() if run["steps"]["precision"]["mode"] == "bf16"}
    medians = [run["steps"]["summary"]["ratio_median"] for run in bf16.values()]
    assert len(bf16) == 3 and max(medians) / min(medians) < 1.10  # "三次 bf16 运行 ... 相差不到一成"
    assert (round(min(medians), 2), round(max(medians), 2)) == (2.41, 2.49)
    assert [name for name, run in runs.items() if run["steps"]["summary"].get("ratio_iqr", 1) <= 0.10] == ["short-1"]
    assert all(run["steps"]["summary"]["ratio_spread"] > 0.10 for run in runs.values())  # 按极差一次也没有做到
    full = runs["full"]
    assert (round(min(_rates(full, "fast"))), round(max(_rates(full, "fast")))) == (35, 63)
    assert (round(min(_rates(full, "course")), 1), round(max(_rates(full, "course")), 1)) == (16.7, 25.5)
    fp32 = runs["short-fp32-per-repetition-draw"]["steps"]["summary"]["recipes"]["fast"]
    assert 0.55 < fp32["mfu_fp32"] < 0.60  # "快速配方用 fp32 时约 58%", short of the 60 % goal
