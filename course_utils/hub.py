"""Is the Hugging Face Hub reachable from here? Asked once, answered quickly and truthfully.

"Reachable" means the endpoint answered *like a Hub*: JSON describing
``nyu-mll/glue``, or a Hub-style error (an ``X-Error-Code`` header such as
``RepoNotFound``, which a mirror that lacks the repo sends). Anything else is
named for what it is, so the status block never says "Hub 可以访问" behind:

* a proxy or firewall answering 403 / 407 to everything;
* a gateway or server error (5xx);
* a captive portal (school, hotel, café Wi-Fi) answering 200 with an HTML page;
* a timeout, a refused connection, a name that does not resolve.

The probe honours ``HF_HUB_OFFLINE`` (never touches the network when set),
``HF_ENDPOINT`` (mirrors such as hf-mirror.com, or a classroom's own) and the
usual proxy variables, and waits at most ``COURSE_HUB_TIMEOUT`` seconds (default 3).
"""

from __future__ import annotations

import functools
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass

from .envvars import env_flag

PROBE_REPO = "nyu-mll/glue"
DEFAULT_ENDPOINT = "https://huggingface.co"
_READ_LIMIT = 64 * 1024  # the probe's answer is small JSON; never read a whole page


@dataclass(frozen=True)
class HubStatus:
    reachable: bool
    endpoint: str
    reason: str  # Chinese, one short sentence
    cause: str = ""  # short machine-readable cause: "ok", "offline", "http-403", "html", "timeout", ...

    @property
    def summary(self) -> str:
        """A few words for the other status lines, e.g. "Hub 不可用（HTTP 403）"."""
        if self.reachable:
            return "Hub 可以访问"
        words = {"offline": "HF_HUB_OFFLINE=1", "html": "返回网页", "timeout": "超时", "unreachable": "连不上"}
        return f"Hub 不可用（{words.get(self.cause, self.cause.replace('http-', 'HTTP '))}）"


def hub_endpoint() -> str:
    """The Hub address in use: ``HF_ENDPOINT`` when set, else huggingface.co."""
    return (os.environ.get("HF_ENDPOINT", "").strip() or DEFAULT_ENDPOINT).rstrip("/")


def hub_offline_requested() -> bool:
    """True when the user asked the Hugging Face libraries to stay offline."""
    return env_flag("HF_HUB_OFFLINE")


def _describe_http(endpoint: str, status: int, content_type: str, body: bytes, error_code: str) -> HubStatus:
    """Classify one HTTP answer to ``GET /api/datasets/nyu-mll/glue``."""
    if error_code:  # only a Hub (or a Hub mirror) sends X-Error-Code
        return HubStatus(True, endpoint, f"Hub 可以访问（{endpoint}，回答 {status} {error_code}）", "ok")
    if status == 200:
        if "json" in content_type:
            try:
                payload = json.loads(body)
            except ValueError:
                payload = None
            if isinstance(payload, dict) and ("id" in payload or "sha" in payload):
                return HubStatus(True, endpoint, f"Hub 可以访问（{endpoint}）", "ok")
        return HubStatus(
            False,
            endpoint,
            f"{endpoint} 回答的是网页而不是 Hub 的数据（HTTP 200, {content_type or '无类型'}），"
            "多半是需要先登录的校园网/酒店 Wi-Fi 门户",
            "html",
        )
    if status in (401, 403, 407):
        return HubStatus(
            False,
            endpoint,
            f"{endpoint} 拒绝了访问（HTTP {status}），多半是学校/公司的代理或防火墙挡住了 Hub",
            f"http-{status}",
        )
    if status >= 500:
        return HubStatus(False, endpoint, f"{endpoint} 出错了（HTTP {status}：服务器或网关错误）", f"http-{status}")
    return HubStatus(False, endpoint, f"{endpoint} 的回答不像 Hub（HTTP {status}）", f"http-{status}")


def probe(endpoint: str, timeout: float) -> HubStatus:
    """Ask ``endpoint`` once about ``nyu-mll/glue`` and classify the answer (no caching)."""
    request = urllib.request.Request(f"{endpoint}/api/datasets/{PROBE_REPO}", headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            body = answer.read(_READ_LIMIT)
            return _describe_http(
                endpoint,
                answer.status,
                answer.headers.get("Content-Type", ""),
                body,
                answer.headers.get("X-Error-Code", ""),
            )
    except urllib.error.HTTPError as err:
        with err:
            return _describe_http(
                endpoint, err.code, err.headers.get("Content-Type", ""), b"", err.headers.get("X-Error-Code", "")
            )
    except TimeoutError:
        return HubStatus(False, endpoint, f"连接 {endpoint} 超时（{timeout:g} 秒内没有回答）", "timeout")
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        if isinstance(reason, TimeoutError) or "timed out" in str(reason):
            return HubStatus(False, endpoint, f"连接 {endpoint} 超时（{timeout:g} 秒内没有回答）", "timeout")
        return HubStatus(False, endpoint, f"连不上 Hub（{endpoint}：{reason}）", "unreachable")


@functools.lru_cache(maxsize=1)
def hub_status() -> HubStatus:
    """Probe the Hub once per process (cached; ``hub_status.cache_clear()`` resets)."""
    endpoint = hub_endpoint()
    if hub_offline_requested():
        return HubStatus(False, endpoint, "设置了 HF_HUB_OFFLINE=1，不访问 Hub", "offline")
    return probe(endpoint, float(os.environ.get("COURSE_HUB_TIMEOUT", "3")))
