"""Experiment tracking for the lessons: trackio when it is installed, no tracker otherwise.

trackio (Hugging Face's local-first tracker, PyPI ``trackio``) keeps every run in a
SQLite file on the learner's machine (``$TRACKIO_DIR``, by default under the
Hugging Face cache) and serves its dashboard on 127.0.0.1: no account, no network.
It is optional: without it a lesson still trains and says why nothing is logged.
"""

from __future__ import annotations

import importlib.util

TRACKER = "trackio"
DASHBOARD_COMMAND = "trackio show --project {project}"
MISSING = (
    "没有安装 trackio（可选的实验看板，安装：pip install trackio）："
    '这次训练不记录到看板，report_to 用 "none"，训练照常进行。'
)


def tracker_installed() -> bool:
    """Whether the ``trackio`` package can be imported."""
    return importlib.util.find_spec(TRACKER) is not None


def report_to(verbose: bool = True) -> str:
    """The value for ``TrainingArguments(report_to=...)``: ``"trackio"`` when installed, else ``"none"``."""
    if tracker_installed():
        return TRACKER
    if verbose:
        print(MISSING)
    return "none"


def dashboard_command(project: str) -> str:
    """The shell command that opens ``project``'s dashboard on this machine."""
    return DASHBOARD_COMMAND.format(project=project)
