"""Helpers for the browser tests (tests/test_browser.py): local servers and a page watcher.

Every server started here listens on 127.0.0.1 only, on a free port, and
always stops by itself: the fixture stops it on teardown, and each one runs
under coreutils ``timeout`` so that even a killed test run cannot leave it
behind. The page watcher records what a page must never do: log a console
error, fail a request, get an HTTP error, or talk to any host but 127.0.0.1
(such requests are aborted, so a test never waits on the network).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
# Headless Chromium as root, with no call home (update checks, sync, QUIC probes to Google hosts).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOST = "127.0.0.1"


def browser_skip_reason() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return (
            f"浏览器测试需要 Chromium：没有找到 {CHROMIUM}"
            "（Debian/Ubuntu：apt-get install chromium；或用 COURSE_CHROMIUM 指定路径）"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "浏览器测试需要 playwright：pip install -r requirements-browser.txt（不需要运行 playwright install）"
    if shutil.which("timeout") is None:
        return "浏览器测试需要 coreutils 的 timeout 命令，用它保证测试启动的服务一定会停止"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOCAL_HOST, 0))
        return sock.getsockname()[1]


class LocalServer:
    """A server process on 127.0.0.1:port, killed after ``hard_limit_s`` seconds whatever happens."""

    def __init__(
        self,
        args: Sequence[str],
        port: int,
        *,
        hard_limit_s: int,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike | None = None,
        log_path: Path | None = None,
    ):
        self.port = port
        self.url = f"http://{LOCAL_HOST}:{port}"
        self.log_path = log_path
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL  # noqa: SIM115
        # timeout sends TERM after the limit and KILL 15 s later; a session of its own lets stop()
        # signal the whole process group.
        self.process = subprocess.Popen(
            ["timeout", "-k", "15", str(hard_limit_s), *args],
            env=dict(env) if env is not None else None,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_until_listening(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"服务在开始监听之前就退出了（退出码 {self.process.returncode}）：{self.log_tail()}")
            try:
                with socket.create_connection((LOCAL_HOST, self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"服务 {timeout_s:.0f} 秒内没有在 {self.url} 上监听：{self.log_tail()}")

    def log_tail(self, chars: int = 3000) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self, grace_s: float = 20) -> None:
        """TERM the process group, then KILL it if it has not exited within ``grace_s``."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(10)
        if self._log is not subprocess.DEVNULL:
            self._log.close()


def static_server(directory: Path, log_path: Path, hard_limit_s: int = 900) -> LocalServer:
    """``python -m http.server`` for ``directory``, on 127.0.0.1 only."""
    port = free_port()
    server = LocalServer(
        [sys.executable, "-m", "http.server", str(port), "--bind", LOCAL_HOST, "--directory", str(directory)],
        port,
        hard_limit_s=hard_limit_s,
        log_path=log_path,
    )
    server.wait_until_listening(30)
    return server


def pids_with_argument(text: str) -> list[int]:
    """Processes of this machine whose command line contains ``text`` (a unique temp path of ours)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry.name))
    return pids


def http_status(url: str, timeout_s: float = 10) -> int:
    """The HTTP status of a GET of ``url`` (a local URL)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:
            return response.status
    except urllib.error.HTTPError as err:
        return err.code


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "javascript", "chrome-extension"):
        return True
    return parts.hostname == LOCAL_HOST


@dataclass
class PageWatcher:
    """What went wrong on the pages of one browser context: console errors, failed and non-local requests."""

    problems: list[str] = field(default_factory=list)
    # Remote URLs (prefixes) that a page may ask for without it being a problem; they are still aborted.
    allowed_remote: tuple[str, ...] = ()

    def attach(self, context) -> PageWatcher:
        context.route("**/*", self._route)
        context.on("page", self._watch_page)
        for page in context.pages:
            self._watch_page(page)
        return self

    def _route(self, route) -> None:
        url = route.request.url
        if is_local(url):
            route.continue_()
            return
        if not url.startswith(self.allowed_remote):
            self.problems.append(f"请求了本机以外的地址：{url}")
        route.abort("blockedbyclient")

    def _watch_page(self, page) -> None:
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"页面脚本出错：{error}"))
        page.on("requestfailed", self._request_failed)
        page.on("response", self._response)
        page.on("websocket", self._websocket)

    def _console(self, message) -> None:
        if message.type != "error":
            return
        text = message.text
        location = message.location.get("url", "") if message.location else ""
        if "ERR_BLOCKED_BY_CLIENT" in text and (not is_local(location) or not location):
            return  # a remote request that _route aborted (and recorded unless allowed)
        self.problems.append(f"控制台错误：{text}（{location}）")

    def _request_failed(self, request) -> None:
        if not is_local(request.url):
            return  # already recorded (and aborted) by _route
        self.problems.append(f"请求失败：{request.url}（{request.failure}）")

    def _response(self, response) -> None:
        if response.status >= 400:
            self.problems.append(f"HTTP {response.status}：{response.url}")

    def _websocket(self, websocket) -> None:
        if not is_local(websocket.url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)):
            self.problems.append(f"WebSocket 连向本机以外的地址：{websocket.url}")

    def take(self) -> list[str]:
        """The problems recorded so far (and forget them)."""
        found, self.problems = self.problems, []
        return found
