"""A small forwarding HTTP proxy for tests: records every request and injects faults.

It sits between boto3 (in-process or the CLI in a subprocess) and the S3 server, both on
127.0.0.1, so tests observe the real traffic on the wire instead of patching anything.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

# Hop-by-hop headers and those http.client recomputes from the body it is given.
DROPPED = {"connection", "keep-alive", "transfer-encoding", "expect", "te", "content-length"}


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as it arrived: `path` is URL-decoded, `body` is kept for POSTs only."""

    method: str
    path: str
    query: str
    body: bytes = b""


@dataclass(slots=True, kw_only=True)
class Rule:
    """What to do with requests whose method matches and whose path contains `path_part`."""

    method: str
    path_part: str
    delay_s: float = 0.0  # forward after this long
    status: int | None = None  # answer with this status instead of forwarding
    body: bytes = b""  # with `status`: the answer's body, e.g. an S3 error document
    hang: bool = False  # never forward; hold the connection until the proxy closes, then drop it
    times: int | None = None  # apply to this many matching requests, then step aside
    arrived: threading.Event = field(default_factory=threading.Event)

    def take(self, method: str, path: str) -> bool:
        """Return whether this rule applies to the request (and count it)."""
        if method != self.method or self.path_part not in path or self.times == 0:
            return False
        if self.times is not None:
            self.times -= 1
        self.arrived.set()
        return True


class FaultProxy:
    """Forward every request to `upstream` (http://127.0.0.1:PORT) and remember it."""

    def __init__(self, upstream: str, *, timeout_s: float = 30.0) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.timeout_s = timeout_s
        self.rules: list[Rule] = []
        self.closing = threading.Event()
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._server.proxy = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()

    def add_rule(self, **options: Any) -> Rule:
        """Add a fault rule (see `Rule`) and return it, so a test can wait on `arrived`."""
        rule = Rule(**options)
        with self._lock:
            self.rules.append(rule)
        return rule

    def seen(self) -> list[Seen]:
        """Return the requests so far, in order of arrival."""
        with self._lock:
            return list(self._seen)

    def reset(self) -> None:
        """Forget the requests seen and drop every rule."""
        with self._lock:
            self._seen.clear()
            self.rules.clear()

    def close(self) -> None:
        """Release hanging requests and stop serving."""
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()

    def _record(self, seen: Seen) -> Rule | None:
        with self._lock:
            self._seen.append(seen)
            return next((r for r in self.rules if r.take(seen.method, seen.path)), None)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and the automatic "100 Continue" botocore waits for
    timeout = 60  # an idle keep-alive connection is dropped after this long

    def _handle(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        # botocore always sends Content-Length (S3 signs the payload): no chunked bodies here.
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path, _, query = self.path.partition("?")
        post_body = body if self.command == "POST" else b""
        rule = proxy._record(Seen(self.command, unquote(path), query, post_body))
        if rule and rule.hang:
            proxy.closing.wait(proxy.timeout_s)
            self.close_connection = True
        elif rule and rule.status:
            self.send_response(rule.status)
            if rule.body:
                self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(rule.body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(rule.body)
        else:
            time.sleep(min(rule.delay_s if rule else 0.0, proxy.timeout_s))
            self._forward(proxy, body)

    def _forward(self, proxy: FaultProxy, body: bytes) -> None:
        # The Host header is passed on unchanged: it is part of the SigV4 signature.
        headers = {k: v for k, v in self.headers.items() if k.lower() not in DROPPED}
        sends_body = body or self.command in {"PUT", "POST"}
        upstream = http.client.HTTPConnection(*proxy.upstream, timeout=proxy.timeout_s)
        try:
            upstream.request(self.command, self.path, body if sends_body else None, headers)
            response = upstream.getresponse()
            data = response.read()
        finally:
            upstream.close()
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in DROPPED:
                self.send_header(name, value)
        length = response.getheader("Content-Length") if self.command == "HEAD" else len(data)
        self.send_header("Content-Length", str(length or 0))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle  # noqa: N815 (http.server's names)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests read `FaultProxy.seen()` instead."""
