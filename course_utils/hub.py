"""Is the Hugging Face Hub reachable from here? Asked once, answered quickly.

The probe honours ``HF_HUB_OFFLINE`` (never touches the network when it is
set) and ``HF_ENDPOINT`` (mirrors such as a company proxy), and waits at most
``COURSE_HUB_TIMEOUT`` seconds (default 3), so a blocked network never hangs
a notebook.
"""

from __future__ import annotations

import functools
import os
import urllib.error
import urllib.request
from dataclasses import dataclass

_TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class HubStatus:
    reachable: bool
    endpoint: str
    reason: str  # Chinese, one short sentence


def hub_endpoint() -> str:
    """The Hub address in use: ``HF_ENDPOINT`` when set, else huggingface.co."""
    return os.environ.get("HF_ENDPOINT", "https://huggingface.co").rstrip("/")


def hub_offline_requested() -> bool:
    """True when the user asked the Hugging Face libraries to stay offline."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in _TRUE


@functools.lru_cache(maxsize=1)
def hub_status() -> HubStatus:
    """Probe the Hub once per process (cached; ``hub_status.cache_clear()`` resets)."""
    endpoint = hub_endpoint()
    if hub_offline_requested():
        return HubStatus(False, endpoint, "设置了 HF_HUB_OFFLINE=1，不访问 Hub")
    timeout = float(os.environ.get("COURSE_HUB_TIMEOUT", "3"))
    request = urllib.request.Request(f"{endpoint}/api/datasets/nyu-mll/glue", method="HEAD")
    try:
        urllib.request.urlopen(request, timeout=timeout).close()
    except urllib.error.HTTPError:
        # Any HTTP answer (even 401/404) means a server is there.
        return HubStatus(True, endpoint, f"Hub 可以访问（{endpoint}）")
    except (urllib.error.URLError, OSError, ValueError) as err:
        reason = getattr(err, "reason", err)
        return HubStatus(False, endpoint, f"连不上 Hub（{endpoint}：{reason}）")
    return HubStatus(True, endpoint, f"Hub 可以访问（{endpoint}）")
