"""Where the data, the checkpoint and the metric come from: one route type, one ladder, one record.

Every resource the lessons load (a GLUE config, the checkpoint, the metric)
goes down the same ladder: a route the user named explicitly (source files,
``COURSE_CHECKPOINT``), then the Hub (or the ``HF_ENDPOINT`` mirror) when the
probe of :mod:`course_utils.hub` says it answers, then the Hugging Face cache
(which may be an instructor's offline pack), then what the course itself
carries. :func:`decide` walks it; the loaders in ``data``, ``checkpoint`` and
``metrics`` supply each step.

The decision is remembered for the process in one record. A loader that has
to fall back (a download that fails after a probe that said the Hub answers)
replaces the record with the route it really used, so everything that reports
a run afterwards — ``cu.setup()``'s status block, the model card and
``metrics.json`` of lesson 06, the run record of refreshed notebooks — reads
:func:`used` and names the route that really served the run.

The route kinds have one set of names and Chinese labels, :data:`KINDS`; the
README's route table is rendered from them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from .hub import DEFAULT_ENDPOINT, hub_endpoint, hub_status

# kind -> Chinese label. "source" is GLUE's original files (COURSE_DATA_DIR / COURSE_SST2_DIR), never "mirror":
# a mirror (镜像) is only ever the HF_ENDPOINT kind.
KINDS = {
    "hub": "Hugging Face Hub",
    "endpoint": "HF_ENDPOINT 镜像站",
    "cache": "本地缓存",
    "pack": "讲师的离线包",
    "source": "GLUE 原始文件",
    "embedded": "课程自带",
    "override": "COURSE_CHECKPOINT 指定",
}
# The order of the ladder as the README's route table shows it (override is a setting, not a row).
LADDER = ("hub", "endpoint", "cache", "pack", "source", "embedded")
PACK_MARKER = "course-pack.json"  # written by course_utils.prefetch beside the pack's HF_HOME


@dataclass(frozen=True)
class Route:
    """One resource's route: what kind, where from, why, and how learners read it."""

    resource: str  # "data:mrpc", "data:sst2", "checkpoint" or "metric"
    kind: str  # a key of KINDS
    location: str  # what the loader reads: a repo id, a folder, a file
    reason: str  # Chinese: why this route
    label: str  # Chinese: what it is, e.g. "Hub 上的 nyu-mll/glue（mrpc）"

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown route kind {self.kind!r}; one of {', '.join(KINDS)}")

    @property
    def kind_label(self) -> str:
        return KINDS[self.kind]

    def describe(self) -> str:
        """One line for a status block or a model card: "label（reason）"."""
        return f"{self.label}（{self.reason}）"


_USED: dict[str, Route] = {}


def record(route: Route) -> Route:
    """Remember ``route`` as the one its resource uses in this process (replacing an earlier one)."""
    _USED[route.resource] = route
    return route


def used(resource: str) -> Route | None:
    """The route ``resource`` uses in this process: the decision, or what a loader fell back to; None if not asked."""
    return _USED.get(resource)


def forget() -> None:
    """Drop every recorded route (tests; a learner never needs it)."""
    _USED.clear()


def run_record() -> dict[str, dict[str, str]]:
    """Every route recorded in this process, as plain data (what a run record or ``metrics.json`` stores)."""
    return {resource: asdict(route) for resource, route in sorted(_USED.items())}


def pack_info() -> dict | None:
    """The marker of the instructor's offline pack when ``HF_HOME`` lies in one, else None."""
    home = os.environ.get("HF_HOME", "").strip()
    if not home:
        return None
    marker = Path(home).expanduser().resolve().parent / PACK_MARKER
    try:
        info = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {**info, "folder": str(marker.parent)} if isinstance(info, dict) else None


def online_kind() -> str:
    """ "endpoint" when ``HF_ENDPOINT`` names a mirror, else "hub"."""
    return "hub" if hub_endpoint() == DEFAULT_ENDPOINT else "endpoint"


def offline_kind() -> str:
    """ "pack" when the Hugging Face cache is an instructor's offline pack, else "cache"."""
    return "pack" if pack_info() is not None else "cache"


Step = Callable[[str], "Route | None"]  # takes the reason so far, returns a route or None


def decide(
    resource: str,
    *,
    explicit: Callable[[], Route | None] | None = None,
    online: Callable[[], Route],
    cached: Step,
    embedded: Callable[[str], Route],
) -> Route:
    """Walk the ladder once for ``resource`` and record the result; a recorded decision is returned as it is.

    ``explicit`` is a route the user named (source files, ``COURSE_CHECKPOINT``);
    ``online`` is taken when the Hub probe says the Hub answers; otherwise
    ``cached`` (None when the cache lacks it) and finally ``embedded``.
    """
    known = used(resource)
    if known is not None:
        return known
    route = explicit() if explicit is not None else None
    if route is None:
        hub = hub_status()
        route = online() if hub.reachable else (cached(hub.summary) or embedded(hub.summary))
    return record(route)


def fall_back(resource: str, why: str, *, cached: Step, embedded: Callable[[str], Route]) -> Route:
    """After the online route failed for ``why``: the cache, else what the course carries; recorded as used."""
    return record(cached(why) or embedded(why))
