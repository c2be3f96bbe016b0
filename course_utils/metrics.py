"""Load the GLUE MRPC metric with the arguments of ``evaluate.load("glue", "mrpc")``.

When the Hub is reachable the real module is downloaded; otherwise the
course's own evaluate-compatible module (``course_utils/glue_mrpc.py``)
is loaded from disk. Both give ``{"accuracy": ..., "f1": ...}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .errors import MetricError
from .hub import hub_status

LOCAL_MODULE = Path(__file__).resolve().parent / "glue_mrpc.py"


@dataclass(frozen=True)
class MetricSource:
    kind: str  # "hub" or "local"
    reason: str


def choose_metric_source() -> MetricSource:
    hub = hub_status()
    if hub.reachable:
        return MetricSource("hub", "Hub 可以访问")
    return MetricSource("local", "Hub 不可用，改用课程自带的同名模块（scikit-learn 计算）")


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
            metric = evaluate.load(path, config_name, **kwargs)
        except Exception as err:
            print(f"从 Hub 加载指标 glue/mrpc 失败（{type(err).__name__}: {err}），改用本地模块。", flush=True)
        else:
            if announce:
                print("评估指标：evaluate.load('glue', 'mrpc')（来自 Hub）", flush=True)
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
