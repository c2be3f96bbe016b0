"""The shape of the code: no import circle in course_utils, no module importing the package's front door,
no module loaded by file path, learner code apart from the maintainer tools."""

import ast
from pathlib import Path

import course_utils

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(course_utils.__file__).resolve().parent
SKIP_PARTS = {".git", "node_modules", "build", "__pycache__"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    return {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The course_utils modules that ``name`` imports anywhere in its file (lazy imports inside functions too)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "course_utils"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            if target.split(".")[0] != "course_utils":
                continue
            submodules = {f"{target}.{alias.name}" for alias in node.names} & set(modules)
            found |= submodules or {target}
    return found - {name}


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) & set(modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_circle_in_course_utils():
    assert _cycle(_graph()) is None, " → ".join(_cycle(_graph()) or [])


def test_the_circle_finder_finds_a_circle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_module_imports_the_package_front_door():
    graph = _graph()
    offenders = sorted(
        name for name, imported in graph.items() if name != "course_utils" and "course_utils" in imported
    )
    assert offenders == [], f"these modules import course_utils/__init__ (import the module they need): {offenders}"


def test_hardware_imports_nothing_of_the_package():
    assert _graph()["course_utils.hardware"] == set()


def test_the_front_door_check_can_fail(tmp_path):
    """The import reader sees a lazy ``import course_utils as cu`` inside a function."""
    fake = tmp_path / "fake.py"
    fake.write_text("def f():\n    import course_utils as cu\n    from . import routes\n", encoding="utf-8")
    assert _imports("course_utils.fake", fake, _modules()) == {"course_utils", "course_utils.routes"}


def _python_files():
    for path in ROOT.rglob("*.py"):
        parts = set(path.relative_to(ROOT).parts)
        if not parts & SKIP_PARTS and not any(part.startswith(".venv") for part in parts):
            yield path


# Written in two parts so that this file does not contain what it looks for.
FORBIDDEN = (
    "_".join(("spec", "from", "file", "location")),
    ".".join(("sys", "path", "insert")),
    ".".join(("sys", "path", "append")),
)


def test_nothing_is_loaded_by_file_path_and_sys_path_is_left_alone():
    """Only the conftest files may touch sys.path; tools are a package, run with python -m."""
    offenders = []
    for path in _python_files():
        if path.name == "conftest.py" or path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8")
        if any(needle in text for needle in FORBIDDEN):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_learner_code_does_not_depend_on_the_maintainer_tools():
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            names += [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            assert not any(name.split(".")[0] == "course_tools" for name in names), path.name


def test_the_colab_install_gets_course_utils_only():
    import tomllib

    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"]
    assert all(name.split(".")[0] == "course_utils" for name in packages), packages
