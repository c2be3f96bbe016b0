"""Regenerate the stored outputs of the lessons: one command, a clean kernel per notebook.

    python -m course_tools.refresh_outputs [--quick] [notebooks ...]
    python -m course_tools.refresh_outputs --quick --times-only site/quick_run.json

Each notebook runs top to bottom in a fresh kernel inside ``notebooks/``, in
full mode (``--quick`` for a fast trial run), the way a learner runs it: the
exercise cells stay empty and their self-checks say so. Then:

* progress bars become plain text: a tqdm bar is an ipywidget whose stored
  text is the state it started in ("0%") and whose widget state GitHub and
  Colab's preview never render, so the script stores the text of the bar's
  final state (tqdm's own left and right text, read from the widget state
  the run ends with); bars closed during the run (``leave=False``) are
  dropped, as they vanish in a live notebook too. Other widgets keep their
  output and its text fallback (the course's explorers and quiz print a
  readable one);
* every ``transformers.Trainer`` the run leaves in the notebook's globals has
  its ``state.log_history`` written to ``NN_slug.histories.json`` beside the
  notebook (keyed by variable name, first name per trainer), from the very run
  whose outputs are stored: tests check the lessons' claims about their runs
  against it (tests/test_learning_curves.py). Both files carry the run's
  ``finished`` time, so a test can tell that they come from the same run;
* a run that reports to trackio (04) logs into ``notebooks/outputs/trackio``
  (git-ignored; the kernel sees the relative path, so no machine folder is
  printed), and the dashboard trackio embeds in a Jupyter cell (an iframe on
  127.0.0.1 with a write token, dead once the kernel stops) is stored as a
  line of text saying so;
* the notebook's metadata gets a ``course_run`` record: when, on which machine
  (``course_utils.hardware.machine_record()``: CPU model, cores, GPU, load
  average at the start, ...), with which library versions, which mode, how long it took, and which data / checkpoint /
  metric route the lesson's ``cu.setup()`` reported.

``--times-only FILE`` runs the notebooks exactly the same way but writes
nothing into them: it records each notebook's run record (wall time, machine,
versions, mode, routes) under ``notebooks`` in the JSON file FILE (the
instructor guide's quick-mode times come from ``site/quick_run.json``). Naming
notebooks updates only their entries; with none, the file is written anew.

A notebook is written only when every cell ran; a failing cell leaves the
committed file untouched and the script exits with status 1. Run it on an
otherwise idle machine: the timings in the outputs are part of the course.
"""

from __future__ import annotations

import argparse
import datetime
import html
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from course_utils import hardware

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
# Environment variables of the test suite that a learner's run does not have.
TEST_ONLY_VARIABLES = ("COURSE_QUICK", "COURSE_EXERCISE_STRICT", "MPLBACKEND", "COURSE_NOTEBOOK_ROUTE")
# Appended to the notebook for the run, then removed: the routes the lesson really used (course_utils.routes),
# after any fallback during the run, not only what cu.setup() planned. A route's ``location`` (a folder or file
# on this machine) stays out of the record: committed notebooks hold no machine paths; kind, label and reason
# name the route.
ROUTE_PROBE = (
    "import json as _json\n"
    "from course_utils.routes import routes_used as _routes_used\n"
    "_used = {_k: {_f: _v for _f, _v in _r.items() if _f != 'location'} for _k, _r in _routes_used().items()}\n"
    "print(_json.dumps({'device': env.device, 'quick': env.quick, 'data': _used['data:mrpc']['kind'],"
    " 'checkpoint': _used['checkpoint']['label'], 'metric': _used['metric']['kind'], 'used': _used},"
    " ensure_ascii=False))"
)
# Appended too (before the route probe), then removed: the log_history of every Trainer the lesson left in its
# globals, under the first variable name that holds it (a loop variable reusing a trainer adds nothing).
HISTORY_PROBE = (
    "import json as _json, sys as _sys\n"
    "_Trainer = getattr(_sys.modules['transformers'], 'Trainer', None) if 'transformers' in _sys.modules else None\n"
    "_histories, _seen = {}, set()\n"
    "for _name, _value in list(globals().items()):\n"
    "    if _Trainer is not None and isinstance(_value, _Trainer) and not _name.startswith('_') "
    "and id(_value) not in _seen:\n"
    "        _seen.add(id(_value))\n"
    "        _histories[_name] = _value.state.log_history\n"
    "print(_json.dumps(_histories))"
)


# Where a refresh's trackio runs go, relative to the kernel's folder (notebooks/): inside the ignored outputs/.
TRACKIO_DIR = "outputs/trackio"
# trackio.init() in a notebook embeds its local dashboard: <iframe src="http://127.0.0.1:PORT?project=...&write_token=...">.
TRACKIO_IFRAME = re.compile(r"<iframe src=\"http://(127\.0\.0\.1|localhost):\d+/?\?[^\"]*write_token=")
DASHBOARD_NOTE = (
    "[trackio 的看板：运行时嵌在这里（本机 127.0.0.1 上的网页）；看板服务随内核停止，存储的输出不保留它。"
    "重新打开：trackio show --project 项目名]"
)


def replace_dashboards(nb) -> int:
    """Store trackio's embedded dashboards (dead links once the kernel stops) as a line of text; returns how many."""
    replaced = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        for index, output in enumerate(cell.outputs):
            if TRACKIO_IFRAME.search(output.get("data", {}).get("text/html", "")):
                cell.outputs[index] = nbformat.v4.new_output("display_data", data={"text/plain": DASHBOARD_NOTE})
                replaced += 1
    return replaced


def portable_location(value: str) -> str:
    """A route's location without this machine's folders: a path inside site-packages is kept from there on, one
    inside the project relative to it, one beside it (../shared) relative to the project's parent; any other
    absolute path keeps only its last two parts."""
    if not value.startswith("/") and not (len(value) > 2 and value[1:3] == ":\\"):
        return value  # a Hub repo id or a relative path
    path = Path(value)
    if "site-packages" in path.parts:
        return str(Path(*path.parts[path.parts.index("site-packages") :]))
    for base in (ROOT, ROOT.parent):  # the project's files relative to it; ../shared as shared/...
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return str(Path(*path.parts[-2:]))


def portable_routes(routes: dict) -> dict:
    """The route probe's answer with every ``location`` made portable (stored notebooks name no local folders)."""
    used = {
        name: {**route, "location": portable_location(route["location"])} if "location" in route else route
        for name, route in routes["used"].items()
    }
    return {**routes, "used": used}


def histories_path(notebook: Path) -> Path:
    """Where the refresh writes a lesson's training histories: ``NN_slug.histories.json`` beside it."""
    return notebook.with_name(notebook.stem + ".histories.json")


def probe_output(cell) -> str:
    """The last line a probe cell printed."""
    return "".join(out.get("text", "") for out in cell.outputs).strip().splitlines()[-1]


class RefreshClient(NotebookClient):
    """nbclient's executor that also notes which widgets were closed during the run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.closed_widgets: set[str] = set()

    def handle_comm_msg(self, outs, msg, cell_index):
        if msg["msg_type"] == "comm_close":
            self.closed_widgets.add(msg["content"]["comm_id"])
        super().handle_comm_msg(outs, msg, cell_index)


def progress_text(model_id: str, state: dict) -> str | None:
    """The text of a tqdm notebook bar in its final state, or None when the widget is not a tqdm bar."""
    box = state.get(model_id, {})
    if box.get("_model_name") != "HBoxModel" or len(box.get("children", [])) != 3:
        return None
    left, bar, right = (state.get(child.removeprefix("IPY_MODEL_"), {}) for child in box["children"])
    kinds = (left.get("_model_name"), bar.get("_model_name"), right.get("_model_name"))
    if kinds != ("HTMLModel", "FloatProgressModel", "HTMLModel"):
        return None
    width = 10
    filled = round(width * bar["value"] / bar["max"]) if bar.get("max") else 0
    meter = "█" * filled + " " * (width - filled)
    text = f"{html.unescape(left.get('value', ''))}|{meter}|{html.unescape(right.get('value', ''))}"
    return text.replace("\u2007", " ")  # tqdm pads with figure spaces for HTML


def plain_progress(nb, state: dict, closed: set[str]) -> None:
    """Store tqdm bars as the text of their final state; drop bars closed during the run."""
    for cell in nb.cells:
        kept = []
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                kept.append(output)
                continue
            model_id = view["model_id"]
            text = progress_text(model_id, state)
            if text is None:
                kept.append(output)  # one of the course's widgets: its text fallback stays
            elif model_id not in closed:
                kept.append(nbformat.v4.new_output("display_data", data={"text/plain": text}))
        if cell.cell_type == "code":
            cell.outputs = kept


def kernel_environment(quick: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    if quick:
        env["COURSE_QUICK"] = "1"
    for name in ("COURSE_DATA_DIR", "COURSE_SST2_DIR", "COURSE_CACHE_DIR", "HF_HOME"):
        if env.get(name):  # the kernel runs inside notebooks/
            env[name] = str(Path(env[name]).expanduser().resolve())
    env["TRACKIO_DIR"] = TRACKIO_DIR  # relative to notebooks/: trackio prints it, so it must name no machine folder
    return env


def execute(path: Path, quick: bool, cell_timeout: int, command: str) -> tuple[nbformat.NotebookNode, dict]:
    """Execute one notebook in a clean kernel; returns the executed notebook (outputs cleaned) and its run record."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells.append(nbformat.v4.new_code_cell(HISTORY_PROBE))
    nb.cells.append(nbformat.v4.new_code_cell(ROUTE_PROBE))
    record = {
        "command": command,
        "mode": "quick" if quick else "full",
        "machine": hardware.machine_record(),  # its load_average is taken here, at the start
        "versions": hardware.library_versions(),
    }
    client = RefreshClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        store_widget_state=True,
        record_timing=False,
    )
    started = time.monotonic()
    client.execute(env=kernel_environment(quick))  # handed to the kernel launcher
    record["wall_s"] = round(time.monotonic() - started, 1)
    record["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    record["routes"] = portable_routes(json.loads(probe_output(nb.cells.pop())))
    record["histories"] = json.loads(probe_output(nb.cells.pop()))

    state = {
        model_id: entry["state"]
        for model_id, entry in nb.metadata.pop("widgets", {}).get(WIDGET_STATE, {}).get("state", {}).items()
    }
    plain_progress(nb, state, client.closed_widgets)
    replace_dashboards(nb)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
    return nb, record


def refresh(path: Path, quick: bool, cell_timeout: int) -> dict:
    """Execute one notebook in a clean kernel and write it back; returns its run record."""
    command = "python -m course_tools.refresh_outputs" + (" --quick" if quick else "")
    nb, record = execute(path, quick, cell_timeout, command)
    histories = record.pop("histories")
    target = histories_path(path)
    if histories:
        record["histories"] = target.name
        data = {"notebook": path.name, "finished": record["finished"], "mode": record["mode"], "runs": histories}
        partial_histories = target.with_name(target.name + ".partial")
        partial_histories.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        partial_histories.replace(target)
    elif target.exists():
        target.unlink()  # the lesson no longer trains: an old file would describe a run that is not stored
    nb.metadata["course_run"] = record
    partial = path.with_suffix(".ipynb.partial")
    nbformat.write(nb, partial)
    partial.replace(path)
    return record


def stored_times(times: Path) -> dict:
    """The times file as it is (empty when it does not exist yet)."""
    return json.loads(times.read_text(encoding="utf-8")) if times.is_file() else {}


def time_only(path: Path, quick: bool, cell_timeout: int, times: Path, fresh: bool) -> dict:
    """Execute one notebook like ``refresh`` but store only its run record, in the JSON file ``times``."""
    command = "python -m course_tools.refresh_outputs" + (" --quick" if quick else "") + f" --times-only {times}"
    _, record = execute(path, quick, cell_timeout, command)
    record.pop("histories")
    data = {} if fresh else stored_times(times)
    data["mode"] = record["mode"]
    data.setdefault("notebooks", {})[path.stem] = record
    data["notebooks"] = dict(sorted(data["notebooks"].items()))
    partial = times.with_name(times.name + ".partial")
    partial.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    partial.replace(times)
    return record


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebook files or names like 04_trainer (default: all lessons)")
    parser.add_argument("--quick", action="store_true", help="quick mode (a trial run; commit full-mode outputs)")
    parser.add_argument(
        "--times-only",
        type=Path,
        metavar="FILE",
        help="write nothing into the notebooks; record each run (wall time, machine, versions) in the JSON file FILE",
    )
    parser.add_argument("--cell-timeout", type=int, default=3600, help="seconds one cell may run (default 3600)")
    args = parser.parse_args(argv)

    paths = [
        Path(name) if Path(name).is_file() else NOTEBOOKS / (Path(name).stem + ".ipynb") for name in args.notebooks
    ] or sorted(NOTEBOOKS.glob("0*.ipynb"))
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    fresh = not args.notebooks  # all lessons: the times file starts anew
    mode = "quick" if args.quick else "full"
    if args.times_only and not fresh and stored_times(args.times_only).get("mode", mode) != mode:
        parser.error(
            f"{args.times_only} 里记录的是 {stored_times(args.times_only)['mode']} 模式的用时，不能混入 {mode} 模式："
            "请换一个文件，或不指定笔记本、全部重跑"
        )
    failed = []
    for path in paths:
        print(f"{path.name}: running ({'quick' if args.quick else 'full'} mode) ...", flush=True)
        try:
            if args.times_only:
                record = time_only(path, args.quick, args.cell_timeout, args.times_only, fresh)
                fresh = False
            else:
                record = refresh(path, args.quick, args.cell_timeout)
        except CellExecutionError as err:
            failed.append(path.name)
            print(f"{path.name}: a cell failed, nothing was written for it\n{str(err)[-2000:]}", file=sys.stderr)
            continue
        routes = record["routes"]
        print(f"{path.name}: {record['wall_s']:.0f} s · data {routes['data']} · {routes['checkpoint']}", flush=True)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
