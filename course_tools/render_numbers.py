"""Write the course's measured numbers into its prose, from course_utils/benchmark_reference.json.

    python -m course_tools.render_numbers [--check]

In the READMEs and the notebooks' markdown, a quoted measurement is written
between markers, ``<!-- ref:speedup -->2.75<!-- /ref -->``, and this script
replaces what is between them with the value of that name in
``course_utils.reference.facts()``. ``benchmarks/README.md`` also carries the
reference run's full tables between ``<!-- ref-tables -->`` and
``<!-- /ref-tables -->``, and README.md the route table of ``course_utils.routes``
between ``<!-- route-table -->`` and ``<!-- /route-table -->``. ``--check`` changes nothing and exits with status 1
when a file is out of date (the tests run it).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from course_tools import benchmark, min_versions
from course_utils import reference, routes

ROOT = Path(__file__).resolve().parents[1]

FILES = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted((ROOT / "notebooks").glob("0*.ipynb"))]
VALUE = re.compile(r"<!-- ref:(?P<name>[a-z0-9_]+) -->(?P<value>.*?)<!-- /ref -->")
TABLES = re.compile(r"(<!-- ref-tables -->\n)(.*?)(<!-- /ref-tables -->)", re.S)
FLOORS = re.compile(r"<!-- floors -->.*?<!-- /floors -->")
ROUTE_TABLE = re.compile(r"(<!-- route-table -->\n)(.*?)(<!-- /route-table -->)", re.S)


def benchmark_tables(results: dict) -> str:
    """The reference run's tables, as ``python -m course_tools.benchmark`` prints them."""
    return benchmark.format_markdown(results)


def render(text: str, facts: dict[str, str], tables: str | None, json_string: bool) -> str:
    def value(match: re.Match) -> str:
        name = match["name"]
        if name not in facts:
            raise KeyError(f"unknown reference number {name!r}; known: {', '.join(sorted(facts))}")
        return f"<!-- ref:{name} -->{facts[name]}<!-- /ref -->"

    text = VALUE.sub(value, text)
    if tables is not None and not json_string:
        text = TABLES.sub(lambda m: m[1] + tables + m[3], text)
    if not json_string:  # the tested lowest versions, from requirements.txt (torch: see the README's note)
        text = FLOORS.sub(lambda _: f"<!-- floors -->{floors_line()}<!-- /floors -->", text)
    if "<!-- route-table -->" in text:  # the route table, from the one set of route names (course_utils.routes)
        text = render_route_table(text, json_string)
    return text


def floors_line() -> str:
    """The declared lowest versions but torch's, as the README lists them."""
    return "、".join(f"{name} {version}" for name, version in sorted(min_versions.floors().items()) if name != "torch")


def render_route_table(text: str, json_string: bool) -> str:
    """Fill the route table between its markers; in a notebook, inside the markdown cell that holds them."""

    def fill(source: str) -> str:
        return ROUTE_TABLE.sub(lambda m: m[1] + routes.route_table_markdown() + "\n" + m[3], source)

    if not json_string:
        return fill(text)
    notebook = json.loads(text)
    for cell in notebook["cells"]:
        source = "".join(cell["source"])
        if ROUTE_TABLE.search(source):
            cell["source"] = fill(source).splitlines(keepends=True)
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; fail when a file is out of date")
    args = parser.parse_args(argv)

    results = reference.load()
    facts = reference.facts(results)
    if any(ch in value for value in facts.values() for ch in '"\\\n'):
        raise ValueError("a reference value needs JSON escaping; the notebooks are edited as text")
    tables = benchmark_tables(results)
    stale = []
    for path in FILES:
        text = path.read_text(encoding="utf-8")
        new = render(text, facts, tables, json_string=path.suffix == ".ipynb")
        if new != text:
            stale.append(path.relative_to(ROOT))
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(f"{'out of date' if args.check else 'updated'}: {path}")
    if args.check and stale:
        print("run: python -m course_tools.render_numbers", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
