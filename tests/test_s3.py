"""S3 as a first-class store, against moto's server in its own process, over HTTP (s3server.py).

The CLI publishes through a recording proxy (faultproxy.py), so the tests see the real requests:
media before the feed, deletes after it, nothing at all when nothing changed.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import random
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from lxml import etree

from faultproxy import FaultProxy
from media import make_recording
from radiodesk.cli import main
from radiodesk.publish.storage import IMMUTABLE, SHORT, ObjectInfo
from radiodesk.publish.storage.s3 import S3Storage
from radiodesk.show.settings import Settings
from s3server import (
    ACCESS_KEY_ID,
    PREFIX,
    REGION,
    SECRET_ACCESS_KEY,
    Bucket,
    StrictServer,
    configure_s3,
    free_port,
)
from showfiles import snapshot

NS = {"itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd"}
FEED_TYPE = "application/rss+xml; charset=utf-8"
MIB = 1 << 20
Event = tuple[str, str]  # ("put" | "post" | "delete", key under the prefix)


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two short recordings: a mono interview and a stereo studio piece."""
    folder = tmp_path_factory.mktemp("clips")
    make_recording(folder / "interview.wav", seconds=3, lufs=-24)
    make_recording(folder / "studio.flac", seconds=3, lufs=-20, channels=2)
    return folder


# ----------------------------------------------------------------------------- helpers


READS = {"GET", "HEAD"}
SITE_SUFFIXES = (".html", ".css", ".js")


def run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def add(show: Settings, capsys: pytest.CaptureFixture[str], recording: Path, title: str) -> str:
    """Add an episode dated in the past (so it is ready) and return its slug."""
    day = 1 + len(list((show.root / "episodes").iterdir()))
    argv = ["-C", show.root, "add", recording, "--title", title]
    assert run(*argv, "--date", f"2026-01-{day:02d}T09:00:00+03:00") == 0
    return capsys.readouterr().out.strip().splitlines()[-1]


def publish(show: Settings, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Publish through the CLI; return its standard output."""
    assert run("-C", show.root, "publish", *extra) == 0, capsys.readouterr().err
    return capsys.readouterr().out


def retitle(show: Settings, slug: str, title: str) -> None:
    """Edit an episode's title the way a producer would: in its episode.toml."""
    path = show.root / "episodes" / slug / "episode.toml"
    text = path.read_text(encoding="utf-8")
    old = tomllib.loads(text)["title"]
    path.write_text(text.replace(f'title = "{old}"', f'title = "{title}"', 1), encoding="utf-8")


def writes(proxy: FaultProxy, bucket: str) -> list[Event]:
    """Return every request that changes the bucket, in order, as (verb, key) pairs."""
    events: list[Event] = []
    for seen in proxy.seen():
        if seen.method in {"GET", "HEAD"}:
            continue
        if seen.method == "POST" and "delete" in parse_qs(seen.query, keep_blank_values=True):
            keys = re.findall(r"<Key>([^<]*)</Key>", seen.body.decode("utf-8"))
            events += [("delete", key.removeprefix(f"{PREFIX}/")) for key in keys]
        else:
            events.append((seen.method.lower(), seen.path.removeprefix(f"/{bucket}/{PREFIX}/")))
    return events


def listing(bucket: Bucket) -> dict[str, str]:
    """Return key (under the prefix) -> ETag of everything in the bucket, asked directly."""
    pages = bucket.client.get_paginator("list_objects_v2").paginate(Bucket=bucket.name)
    found = {item["Key"]: item["ETag"] for page in pages for item in page.get("Contents", ())}
    assert all(key.startswith(f"{PREFIX}/") for key in found), found
    return {key.removeprefix(f"{PREFIX}/"): etag for key, etag in found.items()}


def live_feed(bucket: Bucket) -> bytes:
    body = bucket.client.get_object(Bucket=bucket.name, Key=f"{PREFIX}/feed.xml")["Body"]
    return bytes(body.read())


def fetch(url: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    """Fetch a listener URL with plain http.client, as a podcast app would (never via boto3)."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1", url
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request(method, parts.path, headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def referenced(feed: bytes) -> dict[str, int | None]:
    """Return every store URL the feed points at, with the length the feed states (if any)."""
    tree = etree.fromstring(feed)
    urls: dict[str, int | None] = {
        e.get("url"): int(e.get("length")) for e in tree.iter("enclosure")
    }
    for href in tree.xpath("//itunes:image/@href | /rss/channel/image/url/text()", namespaces=NS):
        urls.setdefault(str(href), None)
    return urls


def assert_all_served(feed: bytes) -> None:
    """Every URL in the feed answers HEAD and a Range GET with the exact length the feed states."""
    for url, length in referenced(feed).items():
        status, headers, _ = fetch(url, "HEAD")
        assert status == 200, url
        if length is None:
            continue
        assert int(headers["content-length"]) == length, url
        status, headers, body = fetch(url, Range="bytes=0-1")
        assert (status, headers["content-range"], len(body)) == (206, f"bytes 0-1/{length}", 2)


def one_line_error(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """Return the error line and the hint line; fail on a traceback or anything more."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert lines[0].startswith("radiodesk: error: ")
    assert lines[1].startswith("radiodesk: hint: ")
    return lines[0], lines[1]


# ----------------------------------------------------------------------------- publishing


def test_first_publish_serves_every_enclosure_at_its_stated_length(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slug = add(s3_show, capsys, clips / "interview.wav", "Интервью")
    out = publish(s3_show, capsys)

    audio_key = next(k for k in listing(s3_bucket) if k.startswith("audio/"))
    image_key = next(k for k in listing(s3_bucket) if k.startswith("images/"))
    page_key = f"episodes/{slug}/index.html"
    pages = [page_key, "index.html", "site.css", "site.js"]
    assert sorted(listing(s3_bucket)) == sorted([audio_key, "feed.xml", image_key, *pages])
    assert re.fullmatch(rf"audio/{slug}-[0-9a-f]{{12}}\.mp3", audio_key)
    assert re.fullmatch(r"images/cover-[0-9a-f]{12}\.jpg", image_key)
    # One listing, media first, then the pages that link to them, the feed last, no deletes.
    assert [s.method for s in s3_proxy.seen()] == ["GET"] + ["PUT"] * 7
    assert writes(s3_proxy, s3_bucket.name) == [
        ("put", image_key),
        ("put", audio_key),
        *(("put", key) for key in pages),
        ("put", "feed.xml"),
    ]
    assert f"uploaded {audio_key}" in out
    assert "7 uploaded, 0 deleted" in out

    expected = {
        audio_key: ("audio/mpeg", IMMUTABLE),
        image_key: ("image/jpeg", IMMUTABLE),
        "feed.xml": (FEED_TYPE, SHORT),
        page_key: ("text/html; charset=utf-8", SHORT),
        "index.html": ("text/html; charset=utf-8", SHORT),
    }
    for key, (content_type, cache_control) in expected.items():
        head = s3_bucket.client.head_object(Bucket=s3_bucket.name, Key=f"{PREFIX}/{key}")
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control), key
    assert IMMUTABLE == "public, max-age=31536000, immutable"
    assert SHORT == "public, max-age=300"

    # The feed URL the CLI prints is served as RSS, over plain HTTP.
    feed_url = re.search(r"^feed: (\S+)$", out, re.MULTILINE).group(1)  # type: ignore[union-attr]
    status, headers, feed = fetch(feed_url)
    assert (status, headers["content-type"], headers["cache-control"]) == (200, FEED_TYPE, SHORT)
    assert feed == live_feed(s3_bucket)

    # Done when: every enclosure answers HEAD and Range with the exact length the feed states.
    tree = etree.fromstring(feed)
    (enclosure,) = tree.iter("enclosure")
    length = int(enclosure.get("length"))
    (derived,) = (s3_show.root / "episodes" / slug / "derived").glob("*.mp3")
    assert length == derived.stat().st_size
    status, headers, _ = fetch(enclosure.get("url"), "HEAD")
    assert (status, int(headers["content-length"])) == (200, length)
    assert (headers["content-type"], headers["cache-control"]) == ("audio/mpeg", IMMUTABLE)
    status, headers, body = fetch(enclosure.get("url"), Range="bytes=0-1")
    assert (status, headers["content-range"]) == (206, f"bytes 0-1/{length}")
    assert body == derived.read_bytes()[:2] == b"ID"  # the ID3 tag opens the file
    assert fetch(enclosure.get("url"))[2] == derived.read_bytes()
    images = tree.xpath("//itunes:image/@href", namespaces=NS)
    assert len(images) == 2  # the channel's and the item's
    for href in images:
        status, headers, _ = fetch(str(href), "HEAD")
        assert (status, headers["content-type"]) == (200, "image/jpeg")
        assert int(headers["content-length"]) == (s3_show.root / "cover.jpg").stat().st_size
    assert_all_served(feed)


def test_second_publish_sends_nothing(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add(s3_show, capsys, clips / "interview.wav", "Первый")
    add(s3_show, capsys, clips / "studio.flac", "Второй")
    publish(s3_show, capsys)
    before = listing(s3_bucket)
    s3_proxy.reset()

    out = publish(s3_show, capsys)

    assert "nothing to do" in out
    # Exactly one request: the listing of the prefix. No PUT, POST or DELETE, no HEAD per object.
    (only,) = s3_proxy.seen()
    assert (only.method, parse_qs(only.query)["prefix"]) == ("GET", [f"{PREFIX}/"])
    assert listing(s3_bucket) == before


def test_changed_title_replaces_only_that_audio(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    changed = add(s3_show, capsys, clips / "interview.wav", "Старое название")
    add(s3_show, capsys, clips / "studio.flac", "Не трогать")
    publish(s3_show, capsys)
    before = listing(s3_bucket)
    (old_key,) = (k for k in before if k.startswith(f"audio/{changed}-"))
    retitle(s3_show, changed, "Новое название")
    s3_proxy.reset()

    out = publish(s3_show, capsys)

    after = listing(s3_bucket)
    (new_key,) = (k for k in after if k.startswith(f"audio/{changed}-"))
    assert new_key != old_key  # re-tagged bytes, a new content-addressed key
    # The new audio, the two pages that show the title, the feed; then the stale audio goes.
    assert writes(s3_proxy, s3_bucket.name) == [
        ("put", new_key),
        ("put", f"episodes/{changed}/index.html"),
        ("put", "index.html"),
        ("put", "feed.xml"),
        ("delete", old_key),
    ]
    assert "4 uploaded, 1 deleted" in out
    assert f"deleted {old_key}" in out
    rewritten = {old_key, "feed.xml", "index.html", f"episodes/{changed}/index.html"}
    unchanged = {k: v for k, v in before.items() if k not in rewritten}
    assert {k: after[k] for k in unchanged} == unchanged  # the other episode and the cover
    assert b"\xd0\x9d\xd0\xbe\xd0\xb2\xd0\xbe\xd0\xb5" in live_feed(s3_bucket)  # "Новое"
    assert_all_served(live_feed(s3_bucket))


def test_media_go_up_before_the_feed_and_stale_objects_go_after_it(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = add(s3_show, capsys, clips / "interview.wav", "Первый")
    publish(s3_show, capsys)
    add(s3_show, capsys, clips / "studio.flac", "Второй")
    retitle(s3_show, first, "Первый, исправленный")
    s3_proxy.reset()

    publish(s3_show, capsys)

    events = writes(s3_proxy, s3_bucket.name)
    feed_at = events.index(("put", "feed.xml"))
    media = [e for e in events if e[0] == "put" and e[1].startswith("audio/")]
    pages = [e for e in events if e[0] == "put" and e[1].endswith(".html")]
    deletes = [e for e in events if e[0] == "delete"]
    assert len(media) == 2  # the new episode's audio, the re-tagged one's
    assert len(pages) == 3  # both episode pages and the show page
    assert len(deletes) == 1  # the first episode's old audio
    # Media, then the pages that link to them, then the feed; stale objects after the feed.
    assert max(map(events.index, media)) < min(map(events.index, pages))
    assert max(map(events.index, pages)) < feed_at
    assert all(events.index(e) > feed_at for e in deletes)
    assert {verb for verb, _ in events} == {"put", "delete"}
    assert_all_served(live_feed(s3_bucket))


def test_dry_run_touches_nothing(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slug = add(s3_show, capsys, clips / "interview.wav", "Выпуск")
    before = snapshot(s3_show.root)

    out = publish(s3_show, capsys, "--dry-run")

    assert re.search(rf"^would upload audio/{slug}-[0-9a-f]{{12}}\.mp3$", out, re.MULTILINE)
    assert re.search(r"^would upload images/cover-[0-9a-f]{12}\.jpg$", out, re.MULTILINE)
    assert "would upload feed.xml" in out
    assert "7 to upload, 0 to delete" in out
    assert {s.method for s in s3_proxy.seen()} == {"GET"}  # the listing; no live feed yet
    assert listing(s3_bucket) == {}
    assert snapshot(s3_show.root) == before

    publish(s3_show, capsys)
    published = listing(s3_bucket)
    s3_proxy.reset()
    assert run("-C", s3_show.root, "remove", slug, "--dry-run") == 0
    out = capsys.readouterr().out
    assert f"would delete audio/{slug}-" in out
    assert "would upload feed.xml" in out
    assert {s.method for s in s3_proxy.seen()} <= READS  # the listing and the live feed
    assert listing(s3_bucket) == published


def test_dry_run_after_an_edit_reports_the_audio_it_would_replace(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slug = add(s3_show, capsys, clips / "interview.wav", "Старое название")
    publish(s3_show, capsys)
    (old_key,) = (k for k in listing(s3_bucket) if k.startswith("audio/"))
    retitle(s3_show, slug, "Новое название")
    before = snapshot(s3_show.root)
    s3_proxy.reset()

    out = publish(s3_show, capsys, "--dry-run")

    assert {s.method for s in s3_proxy.seen()} <= READS
    assert snapshot(s3_show.root) == before
    assert f"would delete {old_key}" in out  # what the real publish then does
    assert f"would upload audio/{slug}-" in out


def test_remove_takes_the_episode_out_of_the_feed_before_deleting_it(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    gone = add(s3_show, capsys, clips / "interview.wav", "Снять с публикации")
    kept = add(s3_show, capsys, clips / "studio.flac", "Оставить")
    publish(s3_show, capsys)
    (gone_key,) = (k for k in listing(s3_bucket) if k.startswith(f"audio/{gone}-"))
    (kept_key,) = (k for k in listing(s3_bucket) if k.startswith(f"audio/{kept}-"))
    s3_proxy.reset()

    assert run("-C", s3_show.root, "remove", gone, "--yes") == 0
    out = capsys.readouterr().out

    # The show page and feed without it first; then its audio and its page go.
    assert writes(s3_proxy, s3_bucket.name) == [
        ("put", "index.html"),
        ("put", "feed.xml"),
        ("delete", gone_key),
        ("delete", f"episodes/{gone}/index.html"),
    ]
    assert f"deleted {gone_key}" in out
    assert gone_key not in listing(s3_bucket)
    feed = live_feed(s3_bucket)
    enclosures = [e.get("url") for e in etree.fromstring(feed).iter("enclosure")]
    assert enclosures == [f"{s3_bucket.endpoint}/{s3_bucket.name}/{PREFIX}/{kept_key}"]
    assert_all_served(feed)
    folder = s3_show.root / "episodes" / gone
    assert [p.name for p in (folder / "master").iterdir()] == ["interview.wav"]  # master stays
    assert tomllib.loads((folder / "episode.toml").read_text("utf-8"))["removed"] is True

    s3_proxy.reset()
    assert run("-C", s3_show.root, "remove", kept, "--purge", "--yes") == 0
    assert f"deleted episodes/{kept} and its master" in capsys.readouterr().out
    assert not (s3_show.root / "episodes" / kept).exists()
    events = writes(s3_proxy, s3_bucket.name)
    puts = [key for verb, key in events if verb == "put"]
    assert puts[-1] == "feed.xml"
    assert events[: len(puts)] == [("put", key) for key in puts]  # every delete after the feed
    assert {verb for verb, _ in events[len(puts) :]} == {"delete"}
    assert sorted(listing(s3_bucket))[0] == "feed.xml"
    assert not [k for k in listing(s3_bucket) if k.startswith("audio/")]
    assert etree.fromstring(live_feed(s3_bucket)).find("channel/item") is None


def test_large_file_goes_up_multipart(
    s3_bucket: Bucket, s3_proxy: FaultProxy, tmp_path: Path
) -> None:
    client = boto3.client(
        "s3",
        endpoint_url=s3_proxy.url,
        region_name=REGION,
        config=Config(s3={"addressing_style": "path"}),
    )
    transfer = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB)
    storage = S3Storage(
        client, s3_bucket.name, base_url="http://unused.invalid", prefix=PREFIX, transfer=transfer
    )
    big = tmp_path / "big.mp3"
    big.write_bytes(random.Random(3).randbytes(12 * MIB + 12345))
    key = "audio/big-0123456789ab.mp3"
    sent: list[int] = []

    url = storage.put(big, key, "audio/mpeg", IMMUTABLE, on_bytes=sent.append)

    assert url == f"http://unused.invalid/{key}"
    assert sum(sent) == big.stat().st_size  # what the progress bar adds up
    got = s3_bucket.client.get_object(Bucket=s3_bucket.name, Key=f"{PREFIX}/{key}")
    assert (got["ContentType"], got["CacheControl"]) == ("audio/mpeg", IMMUTABLE)
    assert hashlib.sha256(got["Body"].read()).digest() == hashlib.sha256(big.read_bytes()).digest()
    requests = [
        (s.method, sorted(parse_qs(s.query, keep_blank_values=True))) for s in s3_proxy.seen()
    ]
    assert requests[0] == ("POST", ["uploads"])  # CreateMultipartUpload
    assert requests[1:4] == [("PUT", ["partNumber", "uploadId"])] * 3  # 5 + 5 + 2 MiB
    assert requests[4:] == [("POST", ["uploadId"])]  # CompleteMultipartUpload
    assert storage.list() == {key: ObjectInfo(key, big.stat().st_size)}


def test_transient_errors_are_retried_by_botocore(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    add(s3_show, capsys, clips / "interview.wav", "Выпуск")
    s3_proxy.add_rule(method="PUT", path_part="/feed.xml", status=503, times=2)

    publish(s3_show, capsys)

    assert writes(s3_proxy, s3_bucket.name).count(("put", "feed.xml")) == 3
    assert_all_served(live_feed(s3_bucket))


def test_failed_feed_upload_leaves_the_old_feed_live(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first = add(s3_show, capsys, clips / "interview.wav", "Первый")
    publish(s3_show, capsys)
    old = live_feed(s3_bucket)
    settings = configure_s3(s3_show, max_attempts=2)
    retitle(settings, first, "Первый, исправленный")
    s3_proxy.reset()
    s3_proxy.add_rule(method="PUT", path_part="/feed.xml", status=503)

    assert run("-C", settings.root, "publish") == 1

    line, hint = one_line_error(capsys)
    assert line == (
        f"radiodesk: error: the S3 store failed on s3://{s3_bucket.name}/{PREFIX}/feed.xml: "
        "Service Unavailable"
    )
    assert "publish again later" in hint
    assert writes(s3_proxy, s3_bucket.name).count(("put", "feed.xml")) == 2  # max_attempts
    assert live_feed(s3_bucket) == old
    assert_all_served(old)
    assert not [e for e in writes(s3_proxy, s3_bucket.name) if e[0] == "delete"]


@pytest.mark.parametrize("hang_on", ["/audio/", "/feed.xml"])
def test_killed_publish_leaves_the_old_feed_live_and_a_rerun_completes(
    s3_show: Settings,
    s3_bucket: Bucket,
    s3_proxy: FaultProxy,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    hang_on: str,
) -> None:
    first = add(s3_show, capsys, clips / "interview.wav", "Первый")
    publish(s3_show, capsys)
    old = live_feed(s3_bucket)
    add(s3_show, capsys, clips / "studio.flac", "Второй")
    retitle(s3_show, first, "Первый, исправленный")
    rule = s3_proxy.add_rule(method="PUT", path_part=hang_on, hang=True)

    script = Path(sys.executable).with_name("radiodesk")
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    with (tmp_path / "out.txt").open("wb") as out:
        process = subprocess.Popen(
            [str(script), "-C", str(s3_show.root), "publish"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        arrived = rule.arrived.wait(60)
    finally:
        process.kill()  # SIGKILL: no cleanup, no atexit, like a power cut
        process.wait(timeout=10)
    assert arrived, (tmp_path / "out.txt").read_text("utf-8", "replace")

    # The old feed is still live, and everything it points at is still there.
    assert live_feed(s3_bucket) == old
    assert_all_served(old)

    s3_proxy.reset()
    publish(s3_show, capsys)

    new = live_feed(s3_bucket)
    assert new != old
    assert len(list(etree.fromstring(new).iter("item"))) == 2
    assert_all_served(new)
    base = f"{s3_bucket.endpoint}/{s3_bucket.name}/{PREFIX}/"
    stored = {base + k for k in listing(s3_bucket) if not k.endswith(SITE_SUFFIXES)}
    assert stored == {*referenced(new), base + "feed.xml"}  # nothing stale is left behind
    if hang_on == "/feed.xml":  # all media made it before the kill: the rerun sends the feed only
        assert [e for e in writes(s3_proxy, s3_bucket.name) if e[0] == "put"] == [
            ("put", "feed.xml")
        ]


# ----------------------------------------------------------------------------- errors


def test_missing_bucket_is_one_line_that_names_it(
    s3_show: Settings, clips: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add(s3_show, capsys, clips / "interview.wav", "Выпуск")
    settings = configure_s3(s3_show, bucket="radiodesk-nowhere")
    before = snapshot(settings.root)

    assert run("-C", settings.root, "publish") == 1

    line, hint = one_line_error(capsys)
    assert line.startswith("radiodesk: error: the bucket 'radiodesk-nowhere' does not exist")
    assert "bucket" in hint
    assert snapshot(settings.root) == before


@pytest.mark.parametrize(
    ("which", "message", "fix"),
    [
        ("key", "does not know the access key", "AWS_ACCESS_KEY_ID"),
        ("secret", "rejected the request signature", "AWS_SECRET_ACCESS_KEY"),
    ],
)
def test_wrong_credentials_are_one_line_that_says_which(
    show: Settings,
    s3_strict: StrictServer,
    clips: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    which: str,
    message: str,
    fix: str,
) -> None:
    settings = configure_s3(
        show, backend="s3", bucket=s3_strict.bucket, prefix=PREFIX, endpoint_url=s3_strict.endpoint
    )
    add(settings, capsys, clips / "interview.wav", "Выпуск")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3_strict.access_key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3_strict.secret)
    assert run("-C", settings.root, "publish", "--dry-run") == 0  # the right keys are accepted
    capsys.readouterr()
    before = snapshot(settings.root)
    if which == "key":
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    else:
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")

    assert run("-C", settings.root, "publish") == 1

    line, hint = one_line_error(capsys)
    assert message in line
    assert fix in hint
    assert snapshot(settings.root) == before


def test_no_credentials_at_all(
    s3_show: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    before = snapshot(s3_show.root)

    assert run("-C", s3_show.root, "publish") == 1

    line, hint = one_line_error(capsys)
    assert line == "radiodesk: error: no credentials for the S3 store were found"
    assert "AWS_ACCESS_KEY_ID" in hint
    assert snapshot(s3_show.root) == before


def test_unreachable_endpoint_fails_fast_in_one_line(
    s3_show: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    settings = configure_s3(s3_show, endpoint_url=closed, max_attempts=1)
    before = snapshot(settings.root)
    started = time.monotonic()

    assert run("-C", settings.root, "publish") == 1

    assert time.monotonic() - started < 10
    line, hint = one_line_error(capsys)
    assert line == f"radiodesk: error: cannot reach the S3 endpoint {closed}"
    assert "endpoint_url" in hint
    assert snapshot(settings.root) == before


def test_unknown_profile_is_one_line(s3_show: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    settings = configure_s3(s3_show, profile="radio-nowhere")

    assert run("-C", settings.root, "publish") == 1

    line, hint = one_line_error(capsys)
    assert line == "radiodesk: error: the AWS profile 'radio-nowhere' does not exist"
    assert "profile" in hint


def test_credentials_never_reach_the_output_or_the_show_folder(
    s3_show: Settings, clips: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add(s3_show, capsys, clips / "interview.wav", "Выпуск")

    assert run("-v", "-C", s3_show.root, "publish") == 0
    assert run("-v", "-C", s3_show.root, "publish", "--dry-run") == 0
    out, err = capsys.readouterr()

    assert "uploaded feed.xml" in out
    assert "radiodesk: uploaded" in err  # -v did log
    for secret in (ACCESS_KEY_ID, SECRET_ACCESS_KEY):
        assert secret not in out + err
        for path in s3_show.root.rglob("*"):
            assert not path.is_file() or secret.encode() not in path.read_bytes(), path


def test_debug_logging_never_shows_credentials(
    s3_show: Settings, clips: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    add(s3_show, capsys, clips / "interview.wav", "Выпуск")

    assert run("-vv", "-C", s3_show.root, "publish") == 0
    out, err = capsys.readouterr()

    assert "radiodesk: uploaded feed.xml" in err
    assert ACCESS_KEY_ID not in out + err
    assert SECRET_ACCESS_KEY not in out + err
