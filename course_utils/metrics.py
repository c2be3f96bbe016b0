"""Load the GLUE MRPC metric with the arguments of ``evaluate.load("glue", "mrpc")``.

Routes, in order: the Hub's module through ``evaluate.load`` when the Hub
answers; the module an earlier online run left in evaluate's module cache;
the course's own evaluate-compatible module (``course_utils/glue_mrpc.py``).
All give ``{"accuracy": ..., "f1": ...}``.
"""

from __future__ import annotations

from pathlib import Path

from . import cache, routes
from .errors import MetricError
from .hub import hub_status

LOCAL_MODULE = Path(__file__).resolve().parent / "glue_mrpc.py"


def _cached_route(why: str) -> routes.Route | None:
    cached = cache.cached_metric_module("glue")
    if cached is None:
        return None
    kind = routes.offline_kind()
    where = routes.KINDS[kind]
    return routes.Route("metric", kind, cached, f"{why}；使用{where}里的 glue 模块", f"{where}里的 glue 模块")


def _local_route(why: str) -> routes.Route:
    return routes.Route(
        "metric",
        "embedded",
        str(LOCAL_MODULE),
        f"{why}；改用课程自带的同名模块（scikit-learn 计算）",
        "课程自带的 glue_mrpc 模块",
    )


def choose_metric_source() -> routes.Route:
    """The metric's route in this process: decided once, then as recorded (after any fallback)."""

    def online() -> routes.Route:
        kind = routes.online_kind()
        return routes.Route("metric", kind, "glue", hub_status().reason, "evaluate.load('glue', 'mrpc')")

    return routes.decide("metric", online=online, cached=_cached_route, embedded=_local_route)


def load_local_metric(**kwargs):
    """The project's offline GLUE MRPC module, loaded through ``evaluate.load``."""
    import evaluate

    return evaluate.load(str(LOCAL_MODULE), **kwargs)


def load_metric(path: str = "glue", config_name: str | None = "mrpc", announce: bool = True, **kwargs):
    """``evaluate.load(path, config_name)``, falling back to the local MRPC module offline."""
    import evaluate

    if (path, config_name) != ("glue", "mrpc"):
        return evaluate.load(path, config_name, **kwargs)
    route = choose_metric_source()
    if route.kind in ("hub", "endpoint"):
        try:
            with cache.cleanup_on_failure(folder=Path(evaluate.config.HF_EVALUATE_CACHE)):
                metric = evaluate.load(path, config_name, **kwargs)
        except Exception as err:
            why = f"从 Hub 加载指标 glue/mrpc 失败（{type(err).__name__}: {str(err)[:200]}）"
            print(f"注意：{why}，改用下一条路线。", flush=True)
            route = routes.fall_back("metric", why, cached=_cached_route, embedded=_local_route)
        else:
            if announce:
                print(f"评估指标：evaluate.load('glue', 'mrpc')（来自 {hub_status().endpoint}）", flush=True)
            return metric
    if route.kind in ("cache", "pack"):
        try:
            metric = evaluate.load(route.location, config_name, **kwargs)
        except Exception as err:
            route = routes.record(_local_route(f"缓存里的 glue 模块加载失败（{type(err).__name__}: {err}）"))
        else:
            if announce:
                print(f"评估指标：{route.describe()}", flush=True)
            return metric
    try:
        metric = load_local_metric(**kwargs)
    except Exception as err:
        raise MetricError(
            "无法加载课程自带的 GLUE MRPC 指标模块。",
            "确认 evaluate 与 scikit-learn 已安装（pip install -r requirements.txt）。",
        ) from err
    if announce:
        print(f"评估指标：{route.describe()}", flush=True)
    return metric
