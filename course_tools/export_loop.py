"""Lesson 06 has one source: its notebook. This writes what is derived from it.

1. Every code cell of ``notebooks/06_accelerate.ipynb`` whose first line is
   ``#| export`` goes, in order, to ``course_utils/accelerate_loop.py`` (marked
   as generated), which ``scripts/train_mrpc.py`` imports.
2. The notebook's "05 → 06" diff cell (the markdown cell tagged ``loop-diff``)
   is rebuilt from the code of lesson 05 (its cells tagged ``course-loop``) and
   the exported functions of lesson 06.

Run it from the repository root after editing either notebook:

    python -m course_tools.export_loop          # rewrite the module and the diff cell
    python -m course_tools.export_loop --check  # exit 1 if either is stale (tests/test_export_loop.py)
"""

from __future__ import annotations

import argparse
import ast
import copy
import difflib
import io
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_05 = ROOT / "notebooks" / "05_training_loop.ipynb"
NOTEBOOK_06 = ROOT / "notebooks" / "06_accelerate.ipynb"
MODULE = ROOT / "course_utils" / "accelerate_loop.py"
EXPORT_MARK = "#| export"
LOOP_TAG = "course-loop"  # lesson 05's cells that the diff compares
DIFF_TAG = "loop-diff"  # lesson 06's generated diff cell
# Lesson 06's loop, in the order it runs: the functions that training_function calls are
# shown in place of the call, so the listing lines up with lesson 05's cells.
MAIN_FUNCTION = "training_function"
INLINED = ("build_dataloaders", "evaluate_model")
CONTEXT = 2  # unchanged statements shown around each change

MODULE_HEADER = '''"""Lesson 06's Accelerate training loop, GENERATED from notebooks/06_accelerate.ipynb: do not edit.

The notebook's code cells marked ``#| export`` are copied here, in order, by
``python -m course_tools.export_loop``; tests/test_export_loop.py fails when this file
and the notebook differ. Edit the notebook, run the command, and
``scripts/train_mrpc.py`` (which imports ``TrainConfig`` and ``training_function``
from here) follows.
"""
'''

DIFF_INTRO = (
    "## 改了哪几行\n\n"
    "下面是第 05 课的训练代码和本课训练函数的逐行对比"
    "（`-` 是删掉的行，`+` 是新加的行，`…` 表示中间省略了没有变的行）。"
    "本课把代码分成了几个函数，这里按运行的顺序把 `build_dataloaders` 和 `evaluate_model` 展开在调用它们的地方；"
    "只列出语句，不列注释、`print`，也不列默认设置下不运行的分支（快速模式、`--recipe fast`、保存模型）。"
    "`config.xxx` 的默认值就是第 05 课写的数。"
    "这一格由 `python -m course_tools.export_loop` 从两课的代码生成，测试会核对它没有过时。\n"
)


@dataclass(frozen=True)
class Statement:
    """One statement (or the header line of a block) of a training loop."""

    depth: int  # nesting level, for display
    text: str  # the source as written, comments removed, dedented
    key: str  # what is compared: the code with the settings' default values put in, as ast.unparse writes it


def _code_cells(path: Path) -> list[nbformat.NotebookNode]:
    return [cell for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"]


def exported_sources(path: Path = NOTEBOOK_06) -> list[str]:
    """The source of each ``#| export`` cell, without the mark."""
    sources = []
    for cell in _code_cells(path):
        first, _, rest = cell.source.partition("\n")
        if first.strip() == EXPORT_MARK:
            sources.append(rest.strip("\n"))
    return sources


def module_source(path: Path = NOTEBOOK_06) -> str:
    """What ``course_utils/accelerate_loop.py`` must contain."""
    return MODULE_HEADER + "\n" + "\n\n\n".join(exported_sources(path)) + "\n"


# ---------------------------------------------------------------- comparing lesson 05 and lesson 06


def _strip_comments(source: str) -> str:
    """``source`` with every ``#`` comment removed (line numbers and columns unchanged)."""
    lines = source.splitlines()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            row, col = token.start
            lines[row - 1] = lines[row - 1][:col].rstrip()
    return "\n".join(lines)


class _Substitute(ast.NodeTransformer):
    """Put a value in for ``owner.name`` (e.g. ``config.learning_rate`` -> ``5e-05``)."""

    def __init__(self, values: dict[tuple[str, str], ast.expr]):
        self.values = values

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if isinstance(node.value, ast.Name) and (node.value.id, node.attr) in self.values:
            return copy.deepcopy(self.values[(node.value.id, node.attr)])
        return self.generic_visit(node)


def _constant(node: ast.expr):
    """The value of an expression made of constants only (e.g. ``None is not None``); raises otherwise."""
    if any(isinstance(child, ast.Name) for child in ast.walk(node)):
        raise ValueError("not a constant expression")
    expression = ast.fix_missing_locations(ast.Expression(node))
    return eval(compile(expression, "<test>", "eval"), {"__builtins__": {}})


def _is_display(node: ast.stmt) -> bool:
    """A statement that only shows something: print(...), or a bare expression a notebook displays."""
    if not isinstance(node, ast.Expr):
        return False
    call = node.value
    if not isinstance(call, ast.Call):
        return not isinstance(call, ast.Constant)
    return isinstance(call.func, ast.Name) and call.func.id == "print"


def _header(node: ast.stmt) -> ast.stmt:
    """A compound statement with its body emptied, for comparing its first line."""
    head = copy.copy(node)
    head.body = [ast.Pass()]
    if hasattr(head, "orelse"):
        head.orelse = []
    return head


class _Flattener:
    """Statements of a loop, in running order, with the given settings substituted."""

    def __init__(self, source: str, values: dict[tuple[str, str], ast.expr], inline: dict[str, ast.FunctionDef]):
        self.lines = _strip_comments(source).splitlines()
        self.substitute = _Substitute(values)
        self.inline = inline

    def _text(self, node: ast.stmt, compound: bool) -> str:
        last = node.body[0].lineno - 1 if compound else node.end_lineno
        block = self.lines[node.lineno - 1 : last]
        indent = node.col_offset
        return "\n".join(line[indent:] for line in block).strip("\n")

    def statements(self, body: list[ast.stmt], depth: int, in_function: bool) -> list[Statement]:
        found = []
        for node in body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) or _is_display(node):
                continue
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # a docstring
            if isinstance(node, ast.Return) and in_function:
                continue  # how a function hands back its results; lesson 05 has them as variables
            called = node.value if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) else None
            if called is not None and isinstance(called.func, ast.Name) and called.func.id in self.inline:
                found += self.inline_statements(self.inline[called.func.id], depth)
                continue
            substituted = self.substitute.visit(copy.deepcopy(node))
            if isinstance(node, ast.If):
                try:
                    taken = _constant(substituted.test)
                except (ValueError, NameError, TypeError):
                    taken = None
                if taken is not None:  # a branch the default settings decide: keep only the side they take
                    found += self.statements(node.body if taken else node.orelse, depth, in_function)
                    continue
            compound = hasattr(node, "body") and not (isinstance(node, ast.If) and node.orelse)
            if compound:
                key = ast.unparse(_header(substituted)).splitlines()[0]
                found.append(Statement(depth, self._text(node, True), key))
                found += self.statements(node.body, depth + 1, in_function and not isinstance(node, ast.FunctionDef))
            else:
                found.append(Statement(depth, self._text(node, False), ast.unparse(substituted)))
        return found

    def inline_statements(self, function: ast.FunctionDef, depth: int) -> list[Statement]:
        return self.statements(function.body, depth, in_function=True)


def _functions(tree: ast.Module) -> dict[str, ast.FunctionDef]:
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _defaults(tree: ast.Module, owner: str = "config") -> dict[tuple[str, str], ast.expr]:
    """``config.<field>`` -> the default value written in the ``TrainConfig`` dataclass."""
    values = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "TrainConfig":
            for field in node.body:
                if isinstance(field, ast.AnnAssign) and field.value is not None:
                    values[(owner, field.target.id)] = field.value
    return values


def statements_06(path: Path = NOTEBOOK_06) -> list[Statement]:
    """Lesson 06's loop as it runs with the default ``TrainConfig``."""
    source = "\n\n\n".join(exported_sources(path))
    tree = ast.parse(source)
    functions = _functions(tree)
    flattener = _Flattener(source, _defaults(tree), {name: functions[name] for name in INLINED})
    return flattener.statements(functions[MAIN_FUNCTION].body, 0, in_function=True)


def statements_05(path: Path = NOTEBOOK_05) -> list[Statement]:
    """Lesson 05's loop (its cells tagged ``course-loop``) as it runs in full mode."""
    found = []
    full_mode = {("env", "quick"): ast.Constant(False)}
    for cell in _code_cells(path):
        if LOOP_TAG in cell.metadata.get("tags", []):
            found += _Flattener(cell.source, full_mode, {}).statements(ast.parse(cell.source).body, 0, False)
    return found


def _rendered(statement: Statement, mark: str) -> list[str]:
    pad = "    " * statement.depth
    return [f"{mark} {pad}{line}".rstrip() for line in statement.text.splitlines()]


def loop_diff(before: list[Statement], after: list[Statement], context: int = CONTEXT) -> list[str]:
    """A diff of the two loops, statement by statement, showing ``context`` unchanged statements around changes."""
    matcher = difflib.SequenceMatcher(None, [s.key for s in before], [s.key for s in after], autojunk=False)
    lines = []
    for group in matcher.get_grouped_opcodes(context):
        if lines:
            lines.append("  …")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                for statement in after[j1:j2]:
                    lines += _rendered(statement, " ")
                continue
            for statement in before[i1:i2]:
                lines += _rendered(statement, "-")
            for statement in after[j1:j2]:
                lines += _rendered(statement, "+")
    return lines


def diff_cell_source(path_05: Path = NOTEBOOK_05, path_06: Path = NOTEBOOK_06) -> str:
    body = "\n".join(loop_diff(statements_05(path_05), statements_06(path_06)))
    return f"{DIFF_INTRO}\n```diff\n{body}\n```"


# ---------------------------------------------------------------- writing


def _diff_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    cells = [cell for cell in notebook.cells if DIFF_TAG in cell.metadata.get("tags", [])]
    if len(cells) != 1:
        raise SystemExit(f"{NOTEBOOK_06.name}: expected one markdown cell tagged {DIFF_TAG!r}, found {len(cells)}")
    return cells[0]


def stale(path_05: Path = NOTEBOOK_05, path_06: Path = NOTEBOOK_06, module: Path = MODULE) -> list[str]:
    """What is out of date: [] when the module and the diff cell match the notebooks."""
    problems = []
    if not module.is_file() or module.read_text(encoding="utf-8") != module_source(path_06):
        problems.append(f"{module.name} differs from the #| export cells of {path_06.name}")
    if _diff_cell(nbformat.read(path_06, as_version=4)).source != diff_cell_source(path_05, path_06):
        problems.append(f"the {DIFF_TAG!r} cell of {path_06.name} differs from the 05 and 06 code")
    return problems


def export(path_05: Path = NOTEBOOK_05, path_06: Path = NOTEBOOK_06, module: Path = MODULE) -> None:
    module.write_text(module_source(path_06), encoding="utf-8")
    notebook = nbformat.read(path_06, as_version=4)
    cell = _diff_cell(notebook)
    source = diff_cell_source(path_05, path_06)
    if cell.source != source:
        cell.source = source
        nbformat.write(notebook, path_06)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is out of date (exit 1 if anything)")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for problem in problems:
            print(f"out of date: {problem}; run python -m course_tools.export_loop", file=sys.stderr)
        return 1 if problems else 0
    export()
    print(f"wrote {MODULE.relative_to(ROOT)} and the {DIFF_TAG!r} cell of {NOTEBOOK_06.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
