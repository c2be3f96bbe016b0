"""course_utils.hub: the reachability probe is bounded and honours the HF variables."""

import http.server
import socket
import threading
import time

import pytest

from course_utils import hub


def test_offline_flag_skips_the_network():
    status = hub.hub_status()
    assert not status.reachable and "HF_HUB_OFFLINE" in status.reason


def test_closed_endpoint_is_unreachable_quickly(monkeypatch):
    with socket.socket() as sock:  # a free loopback port with nothing listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{port}")
    started = time.monotonic()
    status = hub.hub_status()
    assert not status.reachable
    assert f"127.0.0.1:{port}" in status.reason
    assert time.monotonic() - started < 10


class _NotFound(http.server.BaseHTTPRequestHandler):
    def do_HEAD(self):
        self.send_response(404)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def local_endpoint():
    server = http.server.HTTPServer(("127.0.0.1", 0), _NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_any_http_answer_counts_as_reachable(monkeypatch, local_endpoint):
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", local_endpoint + "/")
    status = hub.hub_status()
    assert status.reachable and status.endpoint == local_endpoint
