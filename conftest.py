"""Root pytest configuration: how nbval runs the notebooks under notebooks/.

Notebook tests run the same code a learner runs, in quick mode (less data,
fewer steps) and offline (no Hub), in the current virtual environment. The
kernel that nbval starts inherits the environment variables set here.

Exercises ("试试看") are tested through their solutions: every code cell
tagged ``exercise`` runs the code of the ``solution`` cell that follows it
(course_utils.exercises.exercise_solutions), and COURSE_EXERCISE_STRICT=1
makes the self-check cell after it fail the test when that code is wrong.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent


NOTEBOOK_ENV: dict[str, str] = {}  # what every notebook kernel must see, fixed at start-up


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config):
    # Every notebook is executed; outputs are compared only in cells marked
    # "# NBVAL_CHECK_OUTPUT", after the sanitize file has masked volatile text.
    config.option.nbval_lax = True
    config.option.nbval_current_env = True
    config.option.nbval_sanitize_with = str(ROOT / "tests" / "nbval_sanitize.cfg")
    config.option.nbval_cell_timeout = int(os.environ.get("COURSE_CELL_TIMEOUT", "900"))

    os.environ["COURSE_QUICK"] = "1"
    # Offline unless a route test runs the notebooks against a local Hub (tests/test_routes.py).
    if os.environ.get("COURSE_NOTEBOOK_ROUTE") != "hub":
        os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["COURSE_EXERCISE_STRICT"] = "1"
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("MPLBACKEND", "Agg")
    # Runs that report to trackio (04) log into a throwaway folder, never the learner's own dashboard.
    trackio_dir = tempfile.mkdtemp(prefix="course-trackio-")
    config.add_cleanup(lambda: shutil.rmtree(trackio_dir, ignore_errors=True))
    os.environ["TRACKIO_DIR"] = trackio_dir
    # The kernel runs inside notebooks/, so relative data paths are made absolute here.
    for name in ("COURSE_DATA_DIR", "COURSE_SST2_DIR"):
        data_dir = os.environ.get(name)
        if data_dir:
            os.environ[name] = str(Path(data_dir).expanduser().resolve())
    for name in (
        "COURSE_QUICK",
        "HF_HUB_OFFLINE",
        "COURSE_EXERCISE_STRICT",
        "COURSE_DATA_DIR",
        "COURSE_SST2_DIR",
        "COURSE_CACHE_DIR",
        "HF_HOME",
        "TRACKIO_DIR",
    ):
        if name in os.environ:
            NOTEBOOK_ENV[name] = os.environ[name]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Each notebook's kernel starts with the settings above, whatever unit tests did before it."""
    if item.path.suffix == ".ipynb":
        os.environ.update(NOTEBOOK_ENV)


def pytest_collection_modifyitems(session, config, items):
    """Run each exercise cell with its reference solution, so solutions are executed and self-checked."""
    from course_utils.exercises import exercise_solutions

    solutions = {}  # notebook path -> {cell index in the notebook: solution code}
    for item in items:
        cell = getattr(item, "cell", None)
        if item.path.suffix != ".ipynb" or cell is None or "exercise" not in cell.get("metadata", {}).get("tags", []):
            continue
        notebook = item.parent.nb
        if item.path not in solutions:
            solutions[item.path] = exercise_solutions(notebook.cells)
        index = next(i for i, candidate in enumerate(notebook.cells) if candidate is cell)
        cell.source = solutions[item.path][index]
