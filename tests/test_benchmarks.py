"""course_tools.benchmark: result summaries, markdown/JSON output and a tiny tokenization run (no timing assertions)."""

import json

import pytest

from course_tools import benchmark


@pytest.fixture(scope="module")
def bench():
    return benchmark


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
    # every table row has as many cells as its header
    for block in text.split("\n\n"):
        rows = [line for line in block.splitlines() if line.startswith("|")]
        if rows:
            assert len({row.count("|") for row in rows}) == 1, block


def test_parts_can_be_missing(bench, results):
    for part in ("finetune", "padding", "tokenization", "tests"):
        results.pop(part)
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
