"""Repository-level checks: dependency lists agree, nothing from the shared data is copied in."""

import re
from pathlib import Path

from course_utils.runtime import REQUIRED

ROOT = Path(__file__).resolve().parents[1]


def _requirement_lines(lines):
    found = {}
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-e"):
            found[line] = ""
            continue
        name, spec = re.match(r"([A-Za-z0-9_.\-]+)\s*(.*)", line).groups()
        found[name.lower()] = spec.replace(" ", "")
    return found


def _environment_pip_lines():
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    pip_block = text.split("- pip:", 1)[1]
    return [line.strip()[2:] for line in pip_block.splitlines() if line.strip().startswith("- ")]


def test_environment_yml_and_requirements_txt_list_the_same_packages():
    requirements = _requirement_lines((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    environment = _requirement_lines(_environment_pip_lines())
    assert requirements == environment
    assert "python=3.11" in (ROOT / "environment.yml").read_text(encoding="utf-8")


def test_setup_check_uses_the_requirement_ranges():
    requirements = _requirement_lines((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    for package, spec in REQUIRED.items():
        assert requirements[package] == spec, package


def test_core_stack_versions():
    requirements = _requirement_lines((ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines())
    assert requirements["transformers"].startswith(">=5") and requirements["datasets"].startswith(">=5")
    assert requirements["accelerate"].startswith(">=1")
    assert "==" not in requirements["torch"], "torch stays a range so Colab keeps its own build"


def test_no_copy_of_the_shared_mrpc_files_in_the_tree():
    for path in ROOT.rglob("*"):
        if ".git" in path.parts or any(part.startswith(".venv") for part in path.parts):
            continue
        assert not path.name.startswith("msr_paraphrase"), path
        assert path.name != "dev_ids.tsv", path
