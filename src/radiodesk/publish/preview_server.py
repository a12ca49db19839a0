"""The preview server: serves the local store over HTTP as S3 or a CDN would, locally or on a LAN.

Read-only and never lists folders; only regular files under the store's root leave it.
Based on the standard library's `http.server`; logs through `logging`, never prints.
"""

from __future__ import annotations

import email.utils
import hashlib
import ipaddress
import logging
import os
import re
import socket
import sys
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, BinaryIO, Literal
from urllib.parse import quote, unquote

from radiodesk.errors import RadiodeskError

log = logging.getLogger(__name__)

MIME_TYPES: dict[str, str] = {
    ".mp3": "audio/mpeg",
    ".m4a": "audio/mp4",
    ".xml": "application/rss+xml; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".vtt": "text/vtt; charset=utf-8",
    ".srt": "application/x-subrip",
    ".txt": "text/plain; charset=utf-8",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".svg": "image/svg+xml",
    ".opml": "text/x-opml; charset=utf-8",  # a station's list of programme feeds
}
FALLBACK_TYPE = "application/octet-stream"
REWRITTEN_SUFFIXES = frozenset(
    {".xml", ".html", ".opml"}
)  # where public URLs become the preview's own
INDEX_NAME = "index.html"
CHUNK_BYTES = 1 << 16
SERVED_KEEP = 1000  # answered requests remembered for tests and diagnostics
IDLE_TIMEOUT_S = 30.0  # a keep-alive connection that says nothing for this long is closed
UNSPECIFIED_HOSTS = frozenset({"0.0.0.0", "::", ""})
# A Host header we are willing to echo into rewritten pages: a name or address and a port.
_HOST_RE = re.compile(r"(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?")
# One byte range (RFC 9110 §14.1.2); at most 18 digits, so int() stays cheap and exact.
_RANGE_RE = re.compile(r"bytes[ \t]*=[ \t]*(\d{0,18})[ \t]*-[ \t]*(\d{0,18})", re.IGNORECASE)

ByteRange = tuple[int, int] | Literal["unsatisfiable"] | None  # (first, last) inclusive


@dataclass(frozen=True, slots=True, kw_only=True)
class Served:
    """One answered request, as the server recorded it."""

    method: str
    path: str
    range: str | None
    status: int
    length: int  # body bytes sent (for HEAD: the bytes a GET would send)


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """Where a request target leads: a file to send, a redirect, or a refusal status."""

    status: int
    path: Path | None = None
    content_type: str = FALLBACK_TYPE
    location: str | None = None


class PreviewServer(ThreadingHTTPServer):
    """An HTTP server for one store folder; remembers the requests it answered in `served`."""

    daemon_threads = True

    def __init__(self, root: Path, address: tuple[str, int], public_base_url: str | None) -> None:
        self.root = root
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None
        self.served: deque[Served] = deque(maxlen=SERVED_KEEP)
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, PreviewHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Log a failed request through `logging`; a client hanging up is no error."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.debug("client %s went away: %s", client_address, error)
        else:
            log.exception("preview server: error answering %s", client_address)


def make_server(
    root: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    public_base_url: str | None = None,
) -> PreviewServer:
    """Bind a preview server for the store folder `root` (port 0: any free one); not started."""
    folder = root.resolve()
    if not folder.is_dir():
        raise RadiodeskError(
            f"there is no store folder at {root}", hint="run `radiodesk publish` first"
        )
    try:
        return PreviewServer(folder, (host, port), public_base_url)
    except OSError as exc:
        raise RadiodeskError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --port, or stop the program that uses this one",
        ) from exc


def preview_url(server: PreviewServer) -> str:
    """Return the server's base URL, ending in `/` (its LAN address if bound to all)."""
    host, port = str(server.server_address[0]), int(server.server_address[1])
    if host in UNSPECIFIED_HOSTS:
        host = lan_address(server.address_family)
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def exposed(host: str) -> bool:
    """Say whether binding to `host` makes the store visible to other machines."""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return True  # a host name: whatever it resolves to may be reachable


def lan_address(family: int) -> str:
    """Guess this machine's address on the local network; no packet is sent."""
    probe, fallback = ("2001:db8::1", "::1") if family == socket.AF_INET6 else ("192.0.2.1", "")
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((probe, 9))  # UDP connect only picks the route and the local address
            return str(sock.getsockname()[0])
    except OSError:
        return fallback or "127.0.0.1"


def locate(root: Path, target: str) -> Located:
    """Map a request target to a file under `root`, refusing anything that could leave it."""
    path, _, query = target.partition("#")[0].partition("?")
    if not path.startswith("/"):
        return Located(status=400)  # absolute-form or `*`: not for an origin server
    raw_names = path[1:].split("/")
    wants_folder = raw_names[-1] == ""
    names: list[str] = []
    for raw in raw_names[:-1] if wants_folder else raw_names:
        try:
            name = unquote(raw, errors="strict")
        except UnicodeDecodeError:
            return Located(status=400)
        if not name.isprintable() or any(c in name for c in "/\\"):
            return Located(status=400)  # NUL, control characters, encoded slashes, backslashes
        if not name or name.startswith("."):
            return Located(status=404)  # `..`, `.`, `//`, and hidden files (temp files, state)
        names.append(name)
    found = _inside(root, root.joinpath(*names))
    if found is not None and found.is_dir():
        index = _inside(root, found / INDEX_NAME)
        if index is None or not index.is_file():
            return Located(status=404)  # no listings
        if not wants_folder:  # relative links in the page need the slash
            location = "/" + "".join(quote(n) + "/" for n in names) + (f"?{query}" if query else "")
            return Located(status=301, location=location)
        return Located(status=200, path=index, content_type=MIME_TYPES[".html"])
    if found is None or wants_folder or not found.is_file():
        return Located(status=404)
    suffix = Path(names[-1]).suffix.lower()
    return Located(status=200, path=found, content_type=MIME_TYPES.get(suffix, FALLBACK_TYPE))


def _inside(root: Path, candidate: Path) -> Path | None:
    """Resolve symlinks; return the real path if it is still under `root`."""
    try:
        real = candidate.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
    return real if real.is_relative_to(root) else None


def parse_range(header: str, size: int) -> ByteRange:
    """Read a single-range `Range` header; None means: ignore it and send the whole file."""
    match = _RANGE_RE.fullmatch(header.strip())
    if match is None:
        return None  # another unit, several ranges or nonsense: RFC 9110 lets us ignore it
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            return "unsatisfiable"
        return (max(size - suffix, 0), size - 1)
    start = int(first)
    if last and int(last) < start:
        return None  # an invalid range: ignored, like a malformed one
    if start >= size:
        return "unsatisfiable"
    return (start, min(int(last), size - 1) if last else size - 1)


def rewrite(body: bytes, public_base_url: str, own_base_url: str) -> bytes:
    """Replace the public base URL (as a whole path prefix) with the preview server's own."""
    pattern = re.escape(public_base_url.encode()) + rb"(?=[/\"'<>\s?#]|$)"
    return re.sub(pattern, own_base_url.encode().replace(b"\\", b"\\\\"), body)


class PreviewHandler(BaseHTTPRequestHandler):
    """Answers GET and HEAD from the store folder: ranges, validators, MIME types."""

    server: PreviewServer
    protocol_version = "HTTP/1.1"  # keep-alive: players send many range requests
    server_version = "radiodesk-preview"
    sys_version = ""
    timeout = IDLE_TIMEOUT_S

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer(head=False)

    def do_HEAD(self) -> None:
        """Answer a HEAD: the GET's headers, no body."""
        self._answer(head=True)

    def log_message(self, format: str, *args: Any) -> None:
        """Log through `logging` instead of printing to stderr."""
        log.info("%s %s", self.address_string(), format % args)

    def _answer(self, *, head: bool) -> None:
        found = locate(self.server.root, self.path)
        if found.path is None:
            headers = {"Location": found.location} if found.location else {}
            self._refuse(found.status, head=head, headers=headers)
            return
        rewritten = found.path.suffix.lower() in REWRITTEN_SUFFIXES
        try:
            with found.path.open("rb") as file:
                self._send(file, found.content_type, rewritten=rewritten, head=head)
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            self._refuse(404, head=head)

    def _send(self, file: BinaryIO, content_type: str, *, rewritten: bool, head: bool) -> None:
        stat = os.fstat(file.fileno())
        body: bytes | None = None
        public = self.server.public_base_url
        if public and rewritten:
            body = rewrite(file.read(), public, self._own_base_url())
        size = stat.st_size if body is None else len(body)
        tag = (
            f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
            if body is None
            else f'"{hashlib.sha256(body).hexdigest()[:20]}"'
        )
        headers = {
            "Content-Type": content_type,
            "Accept-Ranges": "bytes",
            "ETag": tag,
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
            "Cache-Control": "no-cache",
            "X-Content-Type-Options": "nosniff",
        }
        if self._not_modified(tag, stat.st_mtime):
            self._reply(304, headers, length=0)
            return
        byte_range = self._range(tag, size)
        if byte_range == "unsatisfiable":
            self._refuse(416, head=head, headers={"Content-Range": f"bytes */{size}"})
            return
        start, end, status = (0, size - 1, 200) if byte_range is None else (*byte_range, 206)
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
        self._reply(status, headers, length=end - start + 1)
        if head:
            return
        if body is not None:
            self.wfile.write(body[start : end + 1])
        else:
            _copy(file, self.wfile, start, end - start + 1)

    def _range(self, tag: str, size: int) -> ByteRange:
        header = self.headers.get("Range")
        if header is None:
            return None
        if_range = self.headers.get("If-Range")
        if if_range is not None and if_range.strip() != tag:
            return None  # the client's copy is stale: send the whole new file
        return parse_range(header, size)

    def _not_modified(self, tag: str, mtime: float) -> bool:
        if (match := self.headers.get("If-None-Match")) is not None:
            return match.strip() == "*" or tag in (t.strip() for t in match.split(","))
        if (since := self.headers.get("If-Modified-Since")) is not None:
            try:
                moment = email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
            return int(mtime) <= moment.timestamp()
        return False

    def _own_base_url(self) -> str:
        host = self.headers.get("Host", "")
        if _HOST_RE.fullmatch(host):
            return f"http://{host}"  # the address this client used: right for a phone on the LAN
        return preview_url(self.server).rstrip("/")

    def _refuse(self, status: int, *, head: bool, headers: dict[str, str] | None = None) -> None:
        body = f"{status} {self.responses.get(status, ('',))[0]}\n".encode()
        all_headers = {"Content-Type": "text/plain; charset=utf-8", **(headers or {})}
        self._reply(status, all_headers, length=len(body))
        if not head:
            self.wfile.write(body)

    def _reply(self, status: int, headers: dict[str, str], *, length: int) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        self.server.served.append(
            Served(
                method=self.command,
                path=self.path,
                range=self.headers.get("Range"),
                status=status,
                length=length,
            )
        )


def _copy(file: BinaryIO, out: Any, start: int, length: int) -> None:
    """Send `length` bytes of the file from `start` in chunks."""
    file.seek(start)
    while length > 0 and (chunk := file.read(min(CHUNK_BYTES, length))):
        out.write(chunk)
        length -= len(chunk)
