"""Faults: runs killed at many points, stores that fail, fill up, vanish or refuse writes.

After every fault the show and the live feed are consistent (the feed points only at objects
that are there, at their stated length), the error is one line, and the next run completes the
job. Kill points are exact: the CLI runs in a subprocess with one function wrapped so that the
process SIGKILLs itself just before or after it. All traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import re
import resource
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import etree

from clirun import Run, run
from conftest import make_cover
from faultproxy import FaultProxy
from killswitch import killed_at
from media import ffmpeg_run, make_recording
from radiodesk.show import folders
from radiodesk.show.scaffold import create_show
from radiodesk.show.settings import Settings
from radiodesk.show.settings_file import load_settings
from s3server import ACCESS_KEY_ID, PREFIX, SECRET_ACCESS_KEY, Bucket, configure_s3, free_port
from showfiles import snapshot

SCRIPT = Path(sys.executable).with_name("radiodesk")
BASE_URL = "https://radio.example.org/podcast"
NS = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
}
EXPIRED_TOKEN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code>'
    b"<Message>The provided token has expired.</Message></Error>"
)
SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


# ----------------------------------------------------------------------------- helpers


def one_error_line(result: Run, *, hint: bool | None = None) -> str:
    """Return the one error line of a failed run; fail on a traceback or anything more."""
    assert result.status == 1, result
    assert "Traceback" not in result.err
    lines = [line for line in result.err.splitlines() if not line.startswith("radiodesk: hint:")]
    assert len(lines) == 1, result.err
    assert lines[0].startswith("radiodesk: error: ")
    if hint is not None:
        assert ("radiodesk: hint: " in result.err) is hint, result.err
    return lines[0]


def add(show: Settings, recording: Path, title: str, *extra: str | Path) -> str:
    day = 1 + len(folders.list_slugs(show.root))
    result = run("-C", show.root, "add", recording, "--title", title,
                 "--date", f"2026-01-{day:02d}T09:00:00+03:00", *extra)  # fmt: skip
    assert result.status == 0, result.err
    return result.out.strip().splitlines()[-1]


def publish(show: Settings, *extra: str) -> Run:
    result = run("-C", show.root, "publish", *extra)
    assert result.status == 0, result.err
    return result


def retitle(show: Settings, slug: str, title: str) -> None:
    path = show.root / "episodes" / slug / "episode.toml"
    text = path.read_text(encoding="utf-8")
    old = tomllib.loads(text)["title"]
    path.write_text(text.replace(f'title = "{old}"', f'title = "{title}"', 1), encoding="utf-8")


def feed_urls(feed: bytes) -> dict[str, int | None]:
    """Every URL the feed points listeners at, with the length it states (enclosures only)."""
    tree = etree.fromstring(feed)
    urls: dict[str, int | None] = {
        e.get("url"): int(e.get("length")) for e in tree.iter("enclosure")
    }
    others = tree.xpath(
        "//itunes:image/@href | //podcast:chapters/@url | //podcast:transcript/@url"
        " | /rss/channel/image/url/text() | /rss/channel/item/link/text()",
        namespaces=NS,
    )
    for url in others:
        urls.setdefault(str(url), None)
    return urls


def assert_local_feed_consistent(show: Settings) -> None:
    """The local store's live feed (if any) points only at objects present at their length."""
    feed = show.local_store / "feed.xml"
    if not feed.exists():
        return
    for url, length in feed_urls(feed.read_bytes()).items():
        path = show.local_store / url.removeprefix(BASE_URL + "/")
        assert path.is_file(), url
        assert length is None or path.stat().st_size == length, url


def stored_keys(show: Settings) -> set[str]:
    return {
        p.relative_to(show.local_store).as_posix()
        for p in show.local_store.rglob("*")
        if p.is_file()
    }


def assert_local_publish_complete(show: Settings, titles: set[str]) -> None:
    """The store holds exactly what the feed and pages need, no temp files, nothing stale."""
    feed = (show.local_store / "feed.xml").read_bytes()
    assert {e.findtext("title") for e in etree.fromstring(feed).iter("item")} == titles
    assert_local_feed_consistent(show)
    keys = stored_keys(show)
    media = {k for k in keys if k.startswith(("audio/", "images/", "chapters/", "transcripts/"))}
    wanted = {url.removeprefix(BASE_URL + "/") for url in feed_urls(feed)}
    assert media <= wanted, media - wanted  # no stale media
    assert not [k for k in keys if "/." in f"/{k}"]  # no temp files
    for slug in folders.list_slugs(show.root):
        derived = show.root / "episodes" / slug / "derived"
        assert len(list(derived.glob("*.mp3"))) == 1, list(derived.iterdir())
    assert publish(show).out.startswith(f"{len(titles)} episode(s) in the feed; nothing to do")


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("clips")
    make_recording(folder / "interview.wav", seconds=2, lufs=-24)
    make_recording(folder / "studio.flac", seconds=2, lufs=-20, channels=2)
    return folder


# ----------------------------------------------------------------------------- killed add


@pytest.mark.parametrize(
    "spec",
    [
        {"module": "radiodesk.ingest.masters", "name": "copy_master", "when": "after"},
        {"module": "radiodesk.audio.tags", "name": "write_tags", "when": "after"},
        {"module": "radiodesk.show.episode_file", "name": "write_episode", "when": "after"},
    ],
    ids=["master copied", "MP3 tagged", "episode.toml written"],
)
def test_add_killed_at_any_point_leaves_no_episode_and_reruns(
    show: Settings, clips: Path, tmp_path: Path, spec: dict[str, str]
) -> None:
    argv = ["-C", show.root, "add", clips / "studio.flac", "--title", "Выпуск"]
    done = killed_at(spec, *argv, tmp_path=tmp_path)
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert folders.list_slugs(show.root) == []
    assert run("-C", show.root, "list").status == 0
    assert run("-C", show.root, "publish").status == 0  # a show with a leftover still publishes
    result = run(*argv)
    assert result.status == 0, result.err
    assert result.out.strip() == "vypusk"  # the same slug: nothing half-made took it
    assert sorted(os.listdir(show.root / "episodes")) == ["vypusk"]  # the leftover is gone


# ----------------------------------------------------------------------------- killed publish


@pytest.fixture(scope="module")
def half_done(tmp_path_factory: pytest.TempPathFactory, clips: Path) -> Path:
    """A show published once, then given a second episode and a new title for the first."""
    folder = tmp_path_factory.mktemp("half-done")
    create_show(folder / "шоу", title="Радио", base_url=BASE_URL, description="", language="ru",
                author="Редакция", email="radio@example.org", category="News", explicit=False,
                image=make_cover(folder / "cover.jpg"))  # fmt: skip
    show = load_settings(folder / "шоу")
    first = add(show, clips / "interview.wav", "Первый")
    publish(show)
    add(show, clips / "studio.flac", "Второй")
    retitle(show, first, "Первый, исправленный")
    return show.root


LOCAL_STORE = {"module": "radiodesk.publish.storage.local", "owner": "LocalStorage"}
PUBLISH_KILL_POINTS = [
    pytest.param(
        {"module": "radiodesk.audio.tags", "name": "write_tags", "when": "after"},
        id="re-tagged MP3 written",
    ),
    pytest.param(
        {"module": "radiodesk.show.episode_file", "name": "write_episode", "when": "before"},
        id="before episode.toml switches",
    ),
    pytest.param(
        {**LOCAL_STORE, "name": "put", "when": "before", "match": "'audio/"},
        id="before the first media",
    ),
    pytest.param(
        {**LOCAL_STORE, "name": "put", "when": "after", "match": "'audio/vtoroi"},
        id="after a media",
    ),
    pytest.param(
        {**LOCAL_STORE, "name": "put", "when": "before", "match": "'episodes/"},
        id="before a page",
    ),
    pytest.param(
        {**LOCAL_STORE, "name": "put", "when": "before", "match": "'feed.xml'"},
        id="before the feed",
    ),
    pytest.param(
        {**LOCAL_STORE, "name": "put", "when": "after", "match": "'feed.xml'"},
        id="after the feed",
    ),
    pytest.param(
        {"module": "os", "name": "replace", "when": "before", "match": "feed.xml"},
        id="feed written, not renamed",
    ),
    pytest.param({**LOCAL_STORE, "name": "delete", "when": "before"}, id="before pruning"),
]


@pytest.mark.parametrize("spec", PUBLISH_KILL_POINTS)
def test_local_publish_killed_at_any_point_stays_consistent_and_reruns(
    half_done: Path, tmp_path: Path, spec: dict[str, str]
) -> None:
    shutil.copytree(half_done, tmp_path / "шоу", symlinks=True)
    show = load_settings(tmp_path / "шоу")
    done = killed_at(spec, "-C", show.root, "publish", tmp_path=tmp_path)
    assert done.returncode == -signal.SIGKILL, done.stdout + done.stderr

    assert_local_feed_consistent(show)
    assert run("-C", show.root, "list").status == 0  # every episode.toml still reads
    publish(show)
    assert_local_publish_complete(show, {"Первый, исправленный", "Второй"})


# ----------------------------------------------------------------------------- S3 faults


def fetch(url: str, method: str = "GET") -> tuple[int, bytes]:
    """Fetch a listener URL with plain http.client, as a podcast app would."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1", url
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, parts.path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def live_feed(bucket: Bucket) -> bytes | None:
    status, body = fetch(f"{bucket.endpoint}/{bucket.name}/{PREFIX}/feed.xml")
    return body if status == 200 else None


def assert_live_feed_served(bucket: Bucket) -> bytes | None:
    """The live feed, if any, points only at objects that are there, at the stated length."""
    feed = live_feed(bucket)
    if feed is None:
        return None
    for url, length in feed_urls(feed).items():
        if not url.startswith(bucket.endpoint):
            continue  # the show's web page link points at base_url, not at the store
        status, body = fetch(url)
        assert status == 200, url
        assert length is None or len(body) == length, url
    return feed


def bucket_keys(bucket: Bucket) -> set[str]:
    pages = bucket.client.get_paginator("list_objects_v2").paginate(Bucket=bucket.name)
    found = {item["Key"] for page in pages for item in page.get("Contents", ())}
    return {key.removeprefix(f"{PREFIX}/") for key in found}


def puts(proxy: FaultProxy, part: str) -> int:
    return sum(1 for s in proxy.seen() if s.method == "PUT" and part in s.path)


@pytest.mark.parametrize("hang_on", ["/images/", "/episodes/"])
def test_s3_publish_killed_while_hanging_keeps_the_live_feed_whole(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    tmp_path: Path,
    hang_on: str,
) -> None:
    first = add(s3_show, clips / "interview.wav", "Первый")
    if hang_on == "/episodes/":  # a second publish: a live feed exists while it hangs
        publish(s3_show)
        add(s3_show, clips / "studio.flac", "Второй")
        retitle(s3_show, first, "Первый, исправленный")
    old = live_feed(s3_bucket)
    rule = s3_proxy.add_rule(method="PUT", path_part=hang_on, hang=True)
    with (tmp_path / "out.txt").open("wb") as out:
        process = subprocess.Popen(
            [str(SCRIPT), "-C", str(s3_show.root), "publish"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "TMPDIR": str(tmp_path)},
        )
    try:
        arrived = rule.arrived.wait(60)
        assert arrived, (tmp_path / "out.txt").read_text("utf-8", "replace")
        for _ in range(3):  # what a listener's app sees while the publish hangs
            assert live_feed(s3_bucket) == old
            assert_live_feed_served(s3_bucket)
            time.sleep(0.1)
    finally:
        process.kill()
        process.wait(timeout=10)
    assert live_feed(s3_bucket) == old
    s3_proxy.reset()

    publish(s3_show)

    new = assert_live_feed_served(s3_bucket)
    assert new is not None
    assert new != old
    items = {e.findtext("title") for e in etree.fromstring(new).iter("item")}
    assert items == ({"Первый"} if old is None else {"Первый, исправленный", "Второй"})
    media = {k for k in bucket_keys(s3_bucket) if k.startswith(("audio/", "images/"))}
    wanted = {
        url.removeprefix(f"{s3_bucket.endpoint}/{s3_bucket.name}/{PREFIX}/")
        for url in feed_urls(new)
    }
    assert media <= wanted  # the rerun left nothing stale


class Relay:
    """A TCP relay on a fixed 127.0.0.1 port: `stop` drops every connection and refuses new ones
    (a store that went away mid-upload), `start` brings it back at the same address."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self.start()

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is None:
            return
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close won't
        self._listener.close()
        self._listener = None
        for sock in self._open:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # stopped
            server = socket.create_connection(self.upstream)
            self._open += [client, server]
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(1 << 16):
                target.sendall(data)
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


@pytest.fixture
def relay(s3_proxy: FaultProxy) -> Iterator[Relay]:
    """A relay in front of the recording proxy, so the store can vanish and come back."""
    relay = Relay(s3_proxy.url)
    yield relay
    relay.stop()


def test_s3_store_gone_mid_upload_is_one_line_and_the_rerun_completes_once_it_is_back(
    s3_show: Settings, s3_bucket: Bucket, s3_proxy: FaultProxy, relay: Relay, clips: Path
) -> None:
    show = configure_s3(s3_show, endpoint_url=relay.url, max_attempts=2)
    first = add(show, clips / "interview.wav", "Первый")
    publish(show)
    old = live_feed(s3_bucket)
    add(show, clips / "studio.flac", "Второй")
    retitle(show, first, "Первый, исправленный")
    held = s3_proxy.add_rule(method="PUT", path_part="/audio/", delay_s=2.0, times=1)
    results: list[Run] = []
    worker = threading.Thread(target=lambda: results.append(run("-C", show.root, "publish")))
    worker.start()
    try:
        assert held.arrived.wait(60)
        relay.stop()  # the store goes away with an upload in flight
    finally:
        worker.join(timeout=120)

    (result,) = results
    line = one_error_line(result, hint=True)
    assert line == f"radiodesk: error: cannot reach the S3 endpoint {relay.url}", result.err
    assert live_feed(s3_bucket) == old
    assert_live_feed_served(s3_bucket)

    relay.start()  # back at the same address
    s3_proxy.reset()
    publish(show)
    new = assert_live_feed_served(s3_bucket)
    assert {e.findtext("title") for e in etree.fromstring(new).iter("item")} == {
        "Первый, исправленный",
        "Второй",
    }


@pytest.mark.parametrize(
    "fault",
    [
        {"method": "PUT", "path_part": "/audio/", "status": 500, "times": 2},
        {"method": "PUT", "path_part": "/episodes/", "status": 503, "body": SLOW_DOWN, "times": 2},
        {"method": "GET", "path_part": "/", "status": 503, "body": SLOW_DOWN, "times": 1},
        {"method": "PUT", "path_part": "/audio/", "delay_s": 1.5},
    ],
    ids=["500 on media", "503 SlowDown on a page", "throttled listing", "slow responses"],
)
def test_transient_s3_faults_are_retried_or_waited_out(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    fault: dict[str, object],
) -> None:
    add(s3_show, clips / "interview.wav", "Выпуск")
    rule = s3_proxy.add_rule(**fault)

    publish(s3_show)

    assert rule.arrived.is_set()
    assert rule.times in (None, 0)  # every injected failure was answered, then retried
    feed = assert_live_feed_served(s3_bucket)
    assert feed is not None
    if fault["method"] == "PUT" and "times" in fault:
        assert puts(s3_proxy, str(fault["path_part"])) >= 3  # two failures, then the upload


def test_expired_credentials_are_one_line_with_the_fix_and_never_retried(
    s3_show: Settings, s3_bucket: Bucket, s3_proxy: FaultProxy, clips: Path
) -> None:
    first = add(s3_show, clips / "interview.wav", "Первый")
    publish(s3_show)
    old = live_feed(s3_bucket)
    retitle(s3_show, first, "Первый, исправленный")
    before = snapshot(s3_show.root / ".radiodesk")
    s3_proxy.reset()
    s3_proxy.add_rule(method="PUT", path_part="/audio/", status=400, body=EXPIRED_TOKEN)

    result = run("-vv", "-C", s3_show.root, "publish")

    lines = [line for line in result.err.splitlines() if line.startswith("radiodesk: error:")]
    assert result.status == 1
    assert len(lines) == 1, result.err
    assert lines[0].startswith("radiodesk: error: the session credentials have expired (s3://")
    assert "radiodesk: hint: renew them" in result.err
    assert "Traceback" not in result.err
    assert puts(s3_proxy, "/audio/") == 1  # retrying cannot help: not retried
    assert live_feed(s3_bucket) == old
    assert_live_feed_served(s3_bucket)
    assert snapshot(s3_show.root / ".radiodesk") == before
    for secret in (ACCESS_KEY_ID, SECRET_ACCESS_KEY):
        assert secret not in result.out + result.err


def test_credentials_stay_out_of_debug_output_when_the_store_keeps_failing(
    s3_show: Settings, s3_bucket: Bucket, s3_proxy: FaultProxy, clips: Path
) -> None:
    add(s3_show, clips / "interview.wav", "Выпуск")
    show = configure_s3(s3_show, max_attempts=2)
    s3_proxy.add_rule(method="PUT", path_part="/audio/", status=500)

    result = run("-vv", "-C", show.root, "publish")

    assert result.status == 1
    assert "Traceback" not in result.err
    errors = [line for line in result.err.splitlines() if line.startswith("radiodesk: error:")]
    assert len(errors) == 1, result.err
    assert "the S3 store failed on s3://" in errors[0]
    assert "radiodesk: running " in result.err  # -vv did show the debug output
    for secret in (ACCESS_KEY_ID, SECRET_ACCESS_KEY):
        assert secret not in result.out + result.err
    assert live_feed(s3_bucket) is None  # no feed was put up over missing media


# ----------------------------------------------------------------------------- full or read-only


@contextlib.contextmanager
def tmpfs(folder: Path, *options: str) -> Iterator[Path]:
    """Mount a small tmpfs at folder (root only); skip the test where mounting is not allowed."""
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", ",".join(options), "tmpfs", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def limit_file_size(limit_bytes: int) -> object:
    """Return a preexec_fn that caps every file the child writes (EFBIG, not a fatal signal)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return apply


def use_store(show: Settings, folder: Path) -> Settings:
    """Point the show's local store at `folder`."""
    path = show.root / "radiodesk.toml"
    text = path.read_text("utf-8")
    path.write_text(re.sub(r'(?m)^path = ".*"$', f'path = "{folder}"', text), encoding="utf-8")
    settings = load_settings(show.root)
    assert settings.local_store == folder.resolve()
    return settings


@pytest.mark.parametrize("how", ["tmpfs full (ENOSPC)", "file size limit (EFBIG)"])
def test_full_store_is_one_clear_error_and_nothing_half_written(
    show: Settings, clips: Path, tmp_path: Path, how: str
) -> None:
    add(show, clips / "studio.flac", "Выпуск")
    cover = (show.root / show.show.image).stat().st_size
    preexec = None
    with contextlib.ExitStack() as stack:
        if how.startswith("tmpfs"):
            store = stack.enter_context(tmpfs(tmp_path / "store", "size=256k"))
            free = os.statvfs(store).f_bavail * os.statvfs(store).f_frsize
            (store / ".filler").write_bytes(b"\0" * (free - cover - 8192))  # room for the cover
        else:
            store = tmp_path / "store"
            preexec = limit_file_size(cover + 1000)  # the MP3 embeds the cover: it is bigger
        settings = use_store(show, store)
        state = show.root / ".radiodesk" / "published.json"
        done = subprocess.run(
            [str(SCRIPT), "-C", str(show.root), "publish"],
            capture_output=True, text=True, check=False, timeout=120, preexec_fn=preexec,
        )  # fmt: skip

        line = one_error_line(Run(done.returncode, done.stdout, done.stderr))
        assert re.match(
            r"radiodesk: error: cannot write audio/vypusk-\w{12}\.mp3 to the local", line
        )
        assert re.search(r"No space left on device|File too large", line), line
        assert not (store / "feed.xml").exists()  # no feed over missing media
        written = sorted(p.relative_to(store).as_posix() for p in store.rglob("*") if p.is_file())
        assert [k for k in written if k != ".filler"] == [
            k for k in written if re.fullmatch(r"images/cover-\w{12}\.jpg", k)
        ]  # the cover only: no half-written audio, no temp file
        assert not state.exists() or "audio/" not in state.read_text("utf-8")
        (store / ".filler").unlink(missing_ok=True)  # room again
        publish(settings)
        assert_local_publish_complete(settings, {"Выпуск"})


def test_full_disk_during_add_leaves_no_episode(show: Settings, tmp_path: Path) -> None:
    # A small compressed master (fits) whose 64 kbit/s MP3 is bigger than the size limit.
    master = tmp_path / "фон.mp3"
    ffmpeg_run("-f", "lavfi", "-i", "anoisesrc=d=12:a=0.1:r=16000", "-ac", "1",
               "-c:a", "libmp3lame", "-b:a", "24k", str(master))  # fmt: skip
    before = snapshot(show.root)
    done = subprocess.run(
        [str(SCRIPT), "-C", str(show.root), "add", str(master), "--title", "Выпуск"],
        capture_output=True, text=True, check=False, timeout=120,
        preexec_fn=limit_file_size(master.stat().st_size + 4096),  # type: ignore[arg-type]
    )  # fmt: skip
    one_error_line(Run(done.returncode, done.stdout, done.stderr))
    assert snapshot(show.root) == before
    assert os.listdir(show.root / "episodes") == []
    result = run("-C", show.root, "add", master, "--title", "Выпуск")  # room again
    assert result.status == 0, result.err


@pytest.mark.parametrize("how", ["read-only mount", "store path under a file"])
def test_unwritable_store_is_one_clear_error_and_the_live_feed_stays(
    show: Settings, clips: Path, tmp_path: Path, how: str
) -> None:
    slug = add(show, clips / "studio.flac", "Выпуск")
    with contextlib.ExitStack() as stack:
        if how == "read-only mount":
            store = stack.enter_context(tmpfs(tmp_path / "store", "size=4m"))
            settings = use_store(show, store)
            publish(settings)
            subprocess.run(["mount", "-o", "remount,ro", str(store)], check=True)
            stack.callback(subprocess.run, ["mount", "-o", "remount,rw", str(store)], check=False)
        else:
            (tmp_path / "not-a-folder").write_text("a file where the store's parent should be")
            store = tmp_path / "not-a-folder" / "store"
            settings = use_store(show, store)
        retitle(settings, slug, "Исправленный выпуск")
        live = snapshot(store) if store.is_dir() else {}
        state = snapshot(show.root / ".radiodesk")

        line = one_error_line(run("-C", show.root, "publish"))

        assert re.match(r"radiodesk: error: cannot (write|list) .*local store", line), line
        assert re.search(r"Read-only file system|Not a directory", line), line
        assert (snapshot(store) if store.is_dir() else {}) == live
        assert snapshot(show.root / ".radiodesk") == state
        if how == "read-only mount":
            assert_local_feed_consistent(settings)
            subprocess.run(["mount", "-o", "remount,rw", str(store)], check=True)  # writable again
            publish(settings)
            assert_local_publish_complete(settings, {"Исправленный выпуск"})


# ----------------------------------------------------------------------------- listeners only


@pytest.mark.parametrize("backend", ["local", "s3"])
def test_only_what_listeners_need_reaches_the_store(
    request: pytest.FixtureRequest, clips: Path, tmp_path: Path, backend: str
) -> None:
    show: Settings = request.getfixturevalue("s3_show" if backend == "s3" else "show")
    chapters = tmp_path / "главы.txt"
    chapters.write_text("00:00 Начало\n00:01 Конец\n", encoding="utf-8")
    transcript = tmp_path / "t.vtt"
    transcript.write_text("WEBVTT\n\n00:00.000 --> 00:01.000\nДа.\n", encoding="utf-8")
    ready = add(show, clips / "interview.wav", "Готовый выпуск", "--chapters", chapters,
                "--transcript", transcript)  # fmt: skip
    draft = add(show, clips / "studio.flac", "Черновик-7f3a", "--draft")
    later = run("-C", show.root, "add", clips / "interview.wav", "--title", "Будущее-9c1e",
                "--date", "2999-01-01T00:00:00+00:00")  # fmt: skip
    assert later.status == 0, later.err
    publish(show)

    if backend == "s3":
        bucket: Bucket = request.getfixturevalue("s3_bucket")
        objects = {
            key: fetch(f"{bucket.endpoint}/{bucket.name}/{PREFIX}/{key}")[1]
            for key in bucket_keys(bucket)
        }
    else:
        objects = {key: (show.local_store / key).read_bytes() for key in stored_keys(show)}
    patterns = [
        r"feed\.xml", r"index\.html", r"site\.css", r"site\.js", rf"episodes/{ready}/index\.html",
        rf"audio/{ready}-[0-9a-f]{{12}}\.mp3", r"images/cover-[0-9a-f]{12}\.jpg",
        rf"chapters/{ready}-[0-9a-f]{{12}}\.json", rf"transcripts/{ready}-[0-9a-f]{{12}}\.vtt",
    ]  # fmt: skip
    unmatched = [k for k in objects if not any(re.fullmatch(p, k) for p in patterns)]
    assert unmatched == [], unmatched
    assert len(objects) == len(patterns)
    private = set()
    for slug in folders.list_slugs(show.root):
        folder = show.root / "episodes" / slug
        private |= {
            hashlib.sha256(p.read_bytes()).hexdigest() for p in (folder / "master").iterdir()
        }
        if slug != ready:
            private |= {
                hashlib.sha256(p.read_bytes()).hexdigest()
                for p in (folder / "derived").glob("*.mp3")
            }
    assert not {hashlib.sha256(data).hexdigest() for data in objects.values()} & private
    for data in objects.values():
        for secret in ("Черновик-7f3a", "Будущее-9c1e", draft, later.out.strip()):
            assert secret.encode() not in data


# ----------------------------------------------------------------------------- serve


def listening(port: int) -> set[str]:
    """Return the IPv4 and IPv6 addresses a local TCP socket listens on at `port`."""
    found: set[str] = set()
    for table, family, width in (
        ("/proc/net/tcp", socket.AF_INET, 8),
        ("/proc/net/tcp6", socket.AF_INET6, 32),
    ):
        with contextlib.suppress(FileNotFoundError):
            for row in Path(table).read_text().splitlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                address, _, port_hex = local.partition(":")
                if state != "0A" or int(port_hex, 16) != port:
                    continue
                raw = bytes.fromhex(address)
                words = b"".join(
                    struct.pack("<I", *struct.unpack(">I", raw[i : i + 4]))
                    for i in range(0, width // 2, 4)
                )
                found.add(socket.inet_ntop(family, words))
    return found


@pytest.mark.parametrize(
    ("extra", "address", "warned"),
    [([], "127.0.0.1", False), (["--host", "0.0.0.0"], "0.0.0.0", True)],
    ids=["default", "0.0.0.0"],
)
def test_serve_listens_on_loopback_unless_told_otherwise(
    show: Settings, extra: list[str], address: str, warned: bool
) -> None:
    show.local_store.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [str(SCRIPT), "-C", str(show.root), "serve", "--port", str(port), *extra],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not listening(port) and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert listening(port) == {address}
        assert fetch(f"http://127.0.0.1:{port}/")[0] in (200, 404)
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: serve stops cleanly
        out, err = process.communicate(timeout=10)
    warning = f"radiodesk: warning: listening on {address}: the store is visible to this network"
    assert (warning in err) is warned, err
    assert "web page: http://" in out
