"""Load the GLUE MRPC metric with the arguments of ``evaluate.load("glue", "mrpc")``.

Routes, in order: the Hub's module through ``evaluate.load`` when the Hub
answers; the module an earlier online run left in evaluate's module cache;
the course's own evaluate-compatible module (``course_utils/glue_mrpc.py``).
All give ``{"accuracy": ..., "f1": ...}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import cache
from .errors import MetricError
from .hub import hub_status

LOCAL_MODULE = Path(__file__).resolve().parent / "glue_mrpc.py"


@dataclass(frozen=True)
class MetricSource:
    kind: str  # "hub", "cache" or "local"
    reason: str
    location: str = ""  # the cached module's file (kind "cache")


def choose_metric_source() -> MetricSource:
    hub = hub_status()
    if hub.reachable:
        return MetricSource("hub", "Hub 可以访问")
    return _offline_source(hub.summary)


def _offline_source(why: str) -> MetricSource:
    cached = cache.cached_metric_module("glue")
    if cached is not None:
        return MetricSource("cache", f"{why}；使用本地缓存里的 glue 模块（from the local cache）", cached)
    return MetricSource("local", f"{why}；改用课程自带的同名模块（scikit-learn 计算）")


def load_local_metric(**kwargs):
    """The project's offline GLUE MRPC module, loaded through ``evaluate.load``."""
    import evaluate

    return evaluate.load(str(LOCAL_MODULE), **kwargs)


def load_metric(path: str = "glue", config_name: str | None = "mrpc", announce: bool = True, **kwargs):
    """``evaluate.load(path, config_name)``, falling back to the local MRPC module offline."""
    import evaluate

    if (path, config_name) != ("glue", "mrpc"):
        return evaluate.load(path, config_name, **kwargs)
    source = choose_metric_source()
    if source.kind == "hub":
        try:
            with cache.cleanup_on_failure(folder=Path(evaluate.config.HF_EVALUATE_CACHE)):
                metric = evaluate.load(path, config_name, **kwargs)
        except Exception as err:
            why = f"从 Hub 加载指标 glue/mrpc 失败（{type(err).__name__}: {str(err)[:200]}）"
            print(f"注意：{why}，改用下一条路线。", flush=True)
            source = _offline_source(why)
        else:
            if announce:
                print(f"评估指标：evaluate.load('glue', 'mrpc')（来自 Hub，{hub_status().endpoint}）", flush=True)
            return metric
    if source.kind == "cache":
        try:
            metric = evaluate.load(source.location, config_name, **kwargs)
        except Exception as err:
            source = MetricSource(
                "local", f"缓存里的 glue 模块加载失败（{type(err).__name__}: {err}）；改用课程自带的模块"
            )
        else:
            if announce:
                print(f"评估指标：glue 模块（{source.reason}）", flush=True)
            return metric
    try:
        metric = load_local_metric(**kwargs)
    except Exception as err:
        raise MetricError(
            "无法加载课程自带的 GLUE MRPC 指标模块。",
            "确认 evaluate 与 scikit-learn 已安装（pip install -r requirements.txt）。",
        ) from err
    if announce:
        print(f"评估指标：本地 glue_mrpc 模块（{source.reason}）", flush=True)
    return metric
