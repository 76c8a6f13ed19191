"""Serve a fake provider on a local port.

A fake is written once as a plain function ``httpx.Request -> httpx.Response``. In tests it plugs
into a client as ``httpx.MockTransport(fake.handle)``; for the demo, an end-to-end test or another
process it is served over real HTTP by :class:`LocalServer` (standard library only, one thread).
"""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


class ScriptedCalls:
    """What a payment fake shares: the log of calls (method, path, idempotency key), failures
    scripted with :meth:`fail_next` (a 5xx before acting, or after acting: the provider's "result
    unknown") and a ``delay`` before answering (a timeout). Call :meth:`_init_calls` from __init__."""

    def _init_calls(self, delay: float) -> None:
        self.delay = delay
        self.calls: list[tuple[str, str, str | None]] = []
        self._failures: list[tuple[int, bool]] = []
        self._lock = threading.RLock()

    def fail_next(self, count: int = 1, status: int = 500, *, after_acting: bool = False) -> None:
        with self._lock:
            self._failures.extend([(status, after_acting)] * count)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.calls if m == method and p == path)

    def _record(self, request: httpx.Request, key: str | None) -> tuple[int, bool] | None:
        """Log the call, wait ``delay`` and return the failure scripted for it, if any."""
        with self._lock:
            self.calls.append((request.method, request.url.path, key))
            failure = self._failures.pop(0) if self._failures else None
        if self.delay:
            time.sleep(self.delay)
        return failure


class LocalServer:
    """``with LocalServer(fake.handle) as server: server.base_url`` — http://127.0.0.1:<free port>."""

    def __init__(self, handle: Handler, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._handle = handle
        self._server = ThreadingHTTPServer((host, port), self._request_handler_class())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self._server.server_address[0]}:{self.port}"

    def start(self) -> "LocalServer":
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-provider", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:  # standalone use (python -m integrations.<vendor>.fake)
        self._server.serve_forever()

    def __enter__(self) -> "LocalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _request_handler_class(self):
        handle = self._handle

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                host = self.headers.get("Host") or "127.0.0.1"
                request = httpx.Request(self.command, f"http://{host}{self.path}",
                                        headers=list(self.headers.items()), content=body)
                response = handle(request)
                payload = b"".join(response.stream)  # as encoded (a gzipped answer stays gzipped)
                self.send_response(response.status_code)
                for name, value in response.headers.items():
                    if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
                    self.close_connection = True

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _any

            def log_message(self, *args) -> None:  # quiet
                pass

        return _Handler


def run_standalone(handle: Handler, *, name: str, default_port: int, note: str = "") -> None:  # pragma: no cover
    """``python -m integrations.<vendor>.fake [--port P]``: serve a fake until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(description=f"A fake {name} on a local port")
    parser.add_argument("--port", type=int, default=default_port)
    args = parser.parse_args()
    server = LocalServer(handle, port=args.port)
    print(f"fake {name} on {server.base_url} {note}".rstrip(), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
