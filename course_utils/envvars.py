"""Reading the course's yes/no environment variables the same way everywhere."""

from __future__ import annotations

import os

TRUE_VALUES = frozenset({"1", "true", "yes", "on"})


def env_flag(name: str) -> bool:
    """True when the variable ``name`` is set to 1 / true / yes / on (any case)."""
    return os.environ.get(name, "").strip().lower() in TRUE_VALUES
