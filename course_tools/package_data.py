"""Writing the JSON files that ``course_utils`` ships as package data (Colab reads them from the installed package).

The benchmarks write their results here: ``course_tools.benchmark --reference``
writes ``benchmark_reference.json`` (the course's quoted numbers) and
``course_tools.checkpoint_cost`` writes ``checkpoint_cost.json`` (what
``cu.setup()`` estimates from). A file is replaced in one step: a reader never
sees half of it, and a failed run leaves the old file as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

PACKAGE_DATA = Path(__file__).resolve().parents[1] / "course_utils"  # pyproject.toml ships its *.json


def write_json(path: Path, data) -> Path:
    """Write ``data`` as indented JSON (UTF-8, non-ASCII kept) to ``path`` atomically: temp file, then os.replace."""
    path = Path(path)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


def write_package_data(name: str, data) -> Path:
    """Replace ``course_utils/<name>`` (a ``.json`` file the package ships) with ``data``; returns its path."""
    if Path(name).name != name or not name.endswith(".json"):
        raise ValueError(f"package data is a .json file directly in course_utils/, not {name!r}")
    return write_json(PACKAGE_DATA / name, data)
