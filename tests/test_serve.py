"""The preview server over real HTTP: types, HEAD, ranges, validators, traversal, rewriting."""

from __future__ import annotations

import http.client
import logging
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from radiodesk.errors import RadiodeskError
from radiodesk.publish.preview_server import (
    PreviewServer,
    exposed,
    locate,
    make_server,
    parse_range,
    preview_url,
    rewrite,
)

PUBLIC = "https://radio.example.org/podcast"
SECRET = b"top secret, outside the store\n"
AUDIO = random.Random(5).randbytes(200_000)
FEED = (
    f'<rss><channel><link>{PUBLIC}</link><atom:link href="{PUBLIC}/feed.xml"/>'
    f'<enclosure url="{PUBLIC}/audio/a-0123456789ab.mp3"/>'
    f"<other>{PUBLIC}s-elsewhere/x</other></channel></rss>\n"
).encode()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store as publish leaves it, plus a secret next to it and hostile symlinks inside."""
    tmp_path = tmp_path_factory.mktemp("serve")
    (tmp_path / "secret.txt").write_bytes(SECRET)
    root = tmp_path / "public"
    files = {
        "feed.xml": FEED,
        "index.html": f'<!DOCTYPE html><a href="{PUBLIC}/feed.xml">RSS</a>\n'.encode(),
        "site.css": b"body{}",
        "site.js": b"void 0;",
        "audio/a-0123456789ab.mp3": AUDIO,
        "images/cover-0123456789ab.jpg": b"\xff\xd8\xff jpeg",
        "images/wave.png": b"\x89PNG",
        "images/wave.svg": b"<svg/>",
        "episodes/a/index.html": b"<!DOCTYPE html><p>episode</p>",
        "episodes/a/transcript.vtt": b"WEBVTT\n",
        "episodes/a/transcript.srt": b"1\n",
        "episodes/a/peaks.json": b"[0.5]",
        "episodes/a/notes.bin": b"\x00\x01",
        ".radiodesk/published.json": b"{}",
        "empty.mp3": b"",
    }
    for key, data in files.items():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        (root / key).write_bytes(data)
    (root / "out.txt").symlink_to(tmp_path / "secret.txt")
    (root / "outdir").symlink_to(tmp_path)
    (root / "alias.mp3").symlink_to(root / "audio" / "a-0123456789ab.mp3")
    (root / "loop").symlink_to(root / "loop")
    return root


def start(server: PreviewServer) -> Iterator[PreviewServer]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[PreviewServer]:
    yield from start(make_server(store, port=0))


@pytest.fixture(scope="module")
def rewriting(store: Path) -> Iterator[PreviewServer]:
    yield from start(make_server(store, port=0, public_base_url=PUBLIC + "/"))


def get(
    server: PreviewServer, path: str, method: str = "GET", **headers: str
) -> tuple[http.client.HTTPResponse, bytes]:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=10)
    try:
        conn.putrequest(method, path, skip_host="Host" in headers, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name.replace("_", "-"), value)
        conn.endheaders()
        response = conn.getresponse()
        return response, response.read()
    finally:
        conn.close()


def raw_status(server: PreviewServer, target: bytes) -> tuple[int, bytes]:
    """Send a request line http.client would refuse to build (NUL, spaces); return status, body."""
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/audio/a-0123456789ab.mp3", "audio/mpeg"),
        ("/feed.xml", "application/rss+xml; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
        ("/site.css", "text/css; charset=utf-8"),
        ("/site.js", "text/javascript; charset=utf-8"),
        ("/episodes/a/peaks.json", "application/json"),
        ("/episodes/a/transcript.vtt", "text/vtt; charset=utf-8"),
        ("/episodes/a/transcript.srt", "application/x-subrip"),
        ("/images/cover-0123456789ab.jpg", "image/jpeg"),
        ("/images/wave.png", "image/png"),
        ("/images/wave.svg", "image/svg+xml"),
        ("/episodes/a/notes.bin", "application/octet-stream"),
        ("/", "text/html; charset=utf-8"),
        ("/episodes/a/", "text/html; charset=utf-8"),
        ("/alias.mp3", "audio/mpeg"),  # a symlink that stays inside the store
    ],
)
def test_types(server: PreviewServer, store: Path, path: str, content_type: str) -> None:
    response, body = get(server, path)
    assert response.status == 200
    assert response.getheader("Content-Type") == content_type
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert int(response.getheader("Content-Length", "-1")) == len(body)
    key = path.strip("/") + ("/index.html" if path.endswith("/") else "")
    assert body == (store / key.strip("/")).read_bytes()


def test_head_has_the_get_headers_and_no_body(server: PreviewServer) -> None:
    got, body = get(server, "/audio/a-0123456789ab.mp3")
    head, nothing = get(server, "/audio/a-0123456789ab.mp3", "HEAD")
    assert head.status == 200
    assert nothing == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Accept-Ranges"):
        assert head.getheader(name) == got.getheader(name), name
    assert head.getheader("Content-Length") == str(len(AUDIO)) == str(len(body))


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-0", 0, 0),
        ("bytes=10-19", 10, 19),
        ("bytes=199990-", 199_990, 199_999),
        ("bytes=-5", 199_995, 199_999),
        ("bytes=-500000", 0, 199_999),
        ("bytes=100-999999999", 100, 199_999),
        ("BYTES = 7 - 8", 7, 8),
    ],
)
def test_range_gives_206_and_exact_bytes(
    server: PreviewServer, header: str, first: int, last: int
) -> None:
    response, body = get(server, "/audio/a-0123456789ab.mp3", Range=header)
    assert response.status == 206
    assert body == AUDIO[first : last + 1]
    assert response.getheader("Content-Range") == f"bytes {first}-{last}/{len(AUDIO)}"
    assert response.getheader("Content-Length") == str(last - first + 1)
    assert response.getheader("Accept-Ranges") == "bytes"
    assert server.served[-1].status == 206
    assert server.served[-1].range == header


@pytest.mark.parametrize("header", ["bytes=200000-", "bytes=300000-300001", "bytes=-0"])
def test_unsatisfiable_range_is_416(server: PreviewServer, header: str) -> None:
    response, _ = get(server, "/audio/a-0123456789ab.mp3", Range=header)
    assert response.status == 416
    assert response.getheader("Content-Range") == f"bytes */{len(AUDIO)}"


def test_range_of_an_empty_file_is_416(server: PreviewServer) -> None:
    response, _ = get(server, "/empty.mp3", Range="bytes=0-")
    assert response.status == 416
    assert response.getheader("Content-Range") == "bytes */0"


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-6", "bytes=abc", "bytes=5-2", "items=0-5", "bytes=-", "bytes=1" * 30]
)
def test_ignored_ranges_give_the_whole_file(server: PreviewServer, header: str) -> None:
    response, body = get(server, "/audio/a-0123456789ab.mp3", Range=header)
    assert response.status == 200
    assert body == AUDIO


def test_validators(server: PreviewServer) -> None:
    first, _ = get(server, "/audio/a-0123456789ab.mp3")
    tag, modified = first.getheader("ETag", ""), first.getheader("Last-Modified", "")
    assert tag.startswith('"')
    assert get(server, "/audio/a-0123456789ab.mp3", If_None_Match=tag)[0].status == 304
    assert get(server, "/audio/a-0123456789ab.mp3", If_Modified_Since=modified)[0].status == 304
    stale = get(server, "/audio/a-0123456789ab.mp3", Range="bytes=0-9", If_Range='"other"')
    assert stale[0].status == 200
    fresh = get(server, "/audio/a-0123456789ab.mp3", Range="bytes=0-9", If_Range=tag)
    assert fresh[0].status == 206
    assert get(server, "/feed.xml", If_Modified_Since="yesterday")[0].status == 200


@pytest.mark.parametrize(
    "target",
    [
        "/../secret.txt",
        "/audio/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E/%2e%2e/secret.txt",
        "/audio/..%2f..%2fsecret.txt",
        "/audio%2f..%2f..%2fsecret.txt",
        "/..%5csecret.txt",
        "/..\\secret.txt",
        "/%c0%ae%c0%ae/secret.txt",  # overlong UTF-8 dots
        "/out.txt",  # a symlink out of the store
        "/outdir/secret.txt",
        "/outdir/",
        "//secret.txt",
        "/.radiodesk/published.json",
        "/audio/",  # a folder without index.html: no listing
        "/audio",
        "/missing.mp3",
        "/feed.xml/",
        "http://127.0.0.1/secret.txt",
        "/%00",
        "/secret.txt%00.mp3",
    ],
)
def test_nothing_outside_the_store_is_served(server: PreviewServer, target: str) -> None:
    response, body = get(server, target)
    assert response.status in (400, 404)
    assert SECRET not in body
    assert b"published.json" not in body


@pytest.mark.parametrize("target", [b"/\x00", b"/..\x00/secret.txt", b"/%2e%2e%2fsecret.txt"])
def test_raw_hostile_targets(server: PreviewServer, target: bytes) -> None:
    status, body = raw_status(server, target)
    assert status in (400, 404)
    assert SECRET not in body


def test_folder_without_slash_redirects(server: PreviewServer) -> None:
    response, _ = get(server, "/episodes/a?x=1")
    assert response.status == 301
    assert response.getheader("Location") == "/episodes/a/?x=1"


@pytest.mark.parametrize(
    ("target", "status"),
    [
        ("/feed.xml", 200),
        ("/feed.xml?cache=1#frag", 200),
        ("/", 200),
        ("/episodes/a", 301),
        ("/episodes/a/index.html/", 404),
        ("/./feed.xml", 404),
        ("*", 400),
        ("/a\\b", 400),
        ("/%ff", 400),
        ("/%0a", 400),
    ],
)
def test_locate(store: Path, target: str, status: int) -> None:
    assert locate(store.resolve(), target).status == status


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        ("bytes=0-", 10, (0, 9)),
        ("bytes=-3", 10, (7, 9)),
        ("bytes=9-20", 10, (9, 9)),
        ("bytes=10-", 10, "unsatisfiable"),
        ("bytes=-1", 0, "unsatisfiable"),
        ("bytes=3-1", 10, None),
        ("bytes=0-1, 3-4", 10, None),
        ("bytes=" + "9" * 19 + "-", 10, None),
    ],
)
def test_parse_range(header: str, size: int, expected: object) -> None:
    assert parse_range(header, size) == expected


def test_preview_rewrites_public_urls(rewriting: PreviewServer) -> None:
    own = preview_url(rewriting).rstrip("/")
    response, body = get(rewriting, "/feed.xml")
    assert response.status == 200
    assert int(response.getheader("Content-Length", "-1")) == len(body)
    text = body.decode()
    assert f"<link>{own}</link>" in text
    assert f'href="{own}/feed.xml"' in text
    assert f'url="{own}/audio/a-0123456789ab.mp3"' in text
    assert f"{PUBLIC}s-elsewhere/x" in text  # only the whole prefix is replaced
    page = get(rewriting, "/", Host="192.168.1.20:8123")[1]  # a phone on the LAN
    assert b'href="http://192.168.1.20:8123/feed.xml"' in page
    tail = get(rewriting, "/feed.xml", Range="bytes=-7")
    assert tail[0].status == 206
    assert tail[1] == body[-7:]
    assert get(rewriting, "/audio/a-0123456789ab.mp3")[1] == AUDIO  # media are never touched


def test_rewrite_is_pure() -> None:
    assert rewrite(b"a https://x/p/f b https://x/pp", "https://x/p", "http://h:1") == (
        b"a http://h:1/f b https://x/pp"
    )


def test_preview_url_and_logging(
    server: PreviewServer,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert preview_url(server) == f"http://127.0.0.1:{server.server_address[1]}/"
    monkeypatch.setattr(logging.getLogger(), "handlers", [caplog.handler])  # other tests' CLI
    with caplog.at_level(logging.INFO, logger="radiodesk.publish.preview_server"):
        get(server, "/feed.xml")
        get(server, "/missing")
    assert capsys.readouterr().err == ""  # nothing printed: the CLI decides what is shown
    messages = [r.getMessage() for r in caplog.records]
    assert any('"GET /feed.xml HTTP/1.1" 200' in m for m in messages)
    assert any('"GET /missing HTTP/1.1" 404' in m for m in messages)


def test_unspecified_host_is_shown_as_a_reachable_address(store: Path) -> None:
    server = make_server(store, host="0.0.0.0", port=0)
    try:
        url = preview_url(server)
    finally:
        server.server_close()
    assert url.startswith("http://")
    assert not url.startswith("http://0.0.0.0")


def test_errors_are_radiodesk_errors(store: Path, server: PreviewServer) -> None:
    with pytest.raises(RadiodeskError, match="no store folder"):
        make_server(store / "missing")
    port = int(server.server_address[1])
    with pytest.raises(RadiodeskError, match=f"cannot listen on 127.0.0.1:{port}"):
        make_server(store, port=port)


def test_symlink_loop_is_404(server: PreviewServer) -> None:
    assert get(server, "/loop")[0].status == 404


@pytest.mark.parametrize(
    ("host", "visible"),
    [("127.0.0.1", False), ("127.0.0.2", False), ("::1", False), ("localhost", False),
     ("0.0.0.0", True), ("::", True), ("192.168.1.5", True), ("my-laptop.local", True)],
)  # fmt: skip
def test_exposed(host: str, visible: bool) -> None:
    assert exposed(host) is visible
