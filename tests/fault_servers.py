"""Small servers on 127.0.0.1 that answer the way a learner's broken network does.

Each shape of fault a learner meets, reproduced locally:

* ``status``: every request answered with one HTTP status (403 / 407 from a
  school or company proxy, 502 from a failing gateway);
* ``portal``: a captive portal answering 200 with an HTML login page to every URL;
* ``silent``: accepts the connection and never answers (a black-holed route);
* ``drop``: forwards to a real (local) Hub, but cuts the first large file
  download midway (after the headers announced the full length), and from then
  on closes every file download without an answer: the connection went down
  and did not come back (a train entering a tunnel). Cutting every attempt at
  the same byte instead would make huggingface_hub retry for ever: it resets
  its retry count whenever a try brought new bytes.

Servers listen on 127.0.0.1 only, send traffic only there, and stop by
themselves after ``lifetime`` seconds even if a test forgets them.
"""

from __future__ import annotations

import http.client
import http.server
import threading
import time
import urllib.parse
from contextlib import contextmanager

PORTAL_PAGE = b"<!doctype html><html><head><title>Campus Wi-Fi login</title></head><body>Please log in.</body></html>"
DROP_SUFFIXES = (".parquet", ".safetensors", ".py")


def _handler(shape: str, status: int, upstream: str | None, silent_for: float):
    network_down = threading.Event()  # drop: set once the first download was cut

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _fault(self):
            if shape == "status":
                body = f"<html><body>HTTP {status}: blocked by proxy</body></html>".encode()
                self.send_response(status)
                if status == 407:
                    self.send_header("Proxy-Authenticate", 'Basic realm="school proxy"')
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
            elif shape == "portal":
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(PORTAL_PAGE)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(PORTAL_PAGE)
            elif shape == "silent":
                time.sleep(silent_for)  # bounded: the client gives up first
                self.close_connection = True
            else:
                self._forward()

        def _forward(self):
            is_download = self.command == "GET" and "/resolve/" in self.path
            if is_download and self.path.split("?")[0].endswith(DROP_SUFFIXES) and network_down.is_set():
                self.close_connection = True  # no answer at all: the client sees the connection closed
                return
            target = urllib.parse.urlsplit(upstream)
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            connection.request(self.command, self.path, body=body, headers=headers)
            answer = connection.getresponse()
            data = answer.read()
            cut = is_download and self.path.split("?")[0].endswith(DROP_SUFFIXES)
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            # HEAD answers announce the real size (the client checks downloads against it).
            self.send_header(
                "Content-Length", answer.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
            )
            if cut:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data[: len(data) // 2] if cut else data)
            if cut:
                self.wfile.flush()
                self.close_connection = True
                network_down.set()
            connection.close()

        def _answer(self):
            try:
                self._fault()
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up first: that is the point of some shapes

        do_GET = do_HEAD = do_POST = _answer

    return Handler


@contextmanager
def fault_server(shape: str, status: int = 403, upstream: str | None = None, lifetime: float = 900, silent_for=10.0):
    """Start one fault server; yields its ``http://127.0.0.1:PORT`` address."""
    if shape == "drop" and not upstream:
        raise ValueError("the drop shape forwards to an upstream Hub")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(shape, status, upstream, silent_for))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stopper = threading.Timer(lifetime, server.shutdown)
    stopper.daemon = True
    stopper.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stopper.cancel()
        server.shutdown()
        server.server_close()
