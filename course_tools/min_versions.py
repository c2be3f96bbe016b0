"""The lowest versions the course declares, as a pip constraints file, and a check that they were installed.

    python -m course_tools.min_versions constraints FILE   # write "name==floor" for every direct dependency
    python -m course_tools.min_versions check              # the installed versions equal the floors?

The minimum-versions leg of CI (``.ci/run``) installs ``requirements.txt`` with
these constraints into a second virtual environment and runs the unit tests and
the training lessons there, so the floors in requirements.txt are versions that
were really tested. torch is the one exception: its floor is what transformers
needs, while the leg installs :data:`TORCH_TESTED` (the oldest CPU wheel the
project's machines can install; older torch releases on PyPI are multi-GB CUDA
builds), and the README names the torch versions that were tested.
"""

from __future__ import annotations

import argparse
import re
import sys
from importlib import metadata
from pathlib import Path

from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
REQUIREMENTS = ROOT / "requirements.txt"
TORCH_TESTED = "2.13.0"
_LINE = re.compile(r"^(?P<name>[A-Za-z0-9_.\-]+)\s*(?P<spec>[^#;]*)")


def floors(path: Path = REQUIREMENTS) -> dict[str, str]:
    """``{package: lowest declared version}`` for every direct dependency with a ``>=`` floor."""
    found = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        match = _LINE.match(line)
        floor = re.search(r">=\s*([0-9][^,\s]*)", match["spec"])
        if floor is None:
            raise ValueError(f"requirements.txt: {line!r} declares no lowest version (>=); the floor must be tested")
        found[match["name"].lower()] = floor.group(1)
    return found


def constraints(path: Path = REQUIREMENTS) -> str:
    """The constraints file of the minimum-versions leg (torch at the tested wheel, not its floor)."""
    pins = {name: (TORCH_TESTED if name == "torch" else version) for name, version in floors(path).items()}
    return "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


def mismatches(path: Path = REQUIREMENTS) -> dict[str, tuple[str, str]]:
    """``{package: (declared floor, installed)}`` where this environment does not hold the floor itself."""
    found = {}
    for name, floor in floors(path).items():
        expected = TORCH_TESTED if name == "torch" else floor
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = "not installed"
        if installed == "not installed" or Version(installed.split("+")[0]) != Version(expected):
            found[name] = (expected, installed)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    write = sub.add_parser("constraints", help="write the constraints file")
    write.add_argument("file", type=Path)
    sub.add_parser("check", help="fail unless every direct dependency is installed at its floor")
    args = parser.parse_args(argv)
    if args.command == "constraints":
        args.file.write_text(constraints(), encoding="utf-8")
        print(f"wrote {args.file}")
        return 0
    wrong = mismatches()
    for name, (expected, installed) in wrong.items():
        print(f"{name}: floor {expected}, installed {installed}")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
