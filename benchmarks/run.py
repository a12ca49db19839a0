"""Benchmark radiodesk against ffmpeg alone (issue 6): speed, memory, parallelism, feed, publish.

Makes its own inputs under benchmarks/.work/ (speech-like 48 kHz stereo WAVs, a show of 2,000
episodes), runs radiodesk and the reference commands side by side, checks every published MP3
with an independent ebur128 meter, prints one table and exits 1 if a target fails.

    .venv/bin/python benchmarks/run.py            # 10/60/180-minute recordings (< 15 min)
    .venv/bin/python benchmarks/run.py --quick    # 2/10-minute recordings, fewer repeats (< 3 min)

Ratios measured side by side in one run are what count: other load on the machine moves the
absolute times, so every comparison interleaves its runs and takes medians.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import boto3
import psutil
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))  # the tests' signal maker, meter and S3 server

import radiodesk  # noqa: E402
from faultproxy import FaultProxy  # noqa: E402
from media import make_recording, measure  # noqa: E402
from radiodesk.audio import ffmpeg  # noqa: E402
from radiodesk.audio.mp3 import PIPELINE_VERSION  # noqa: E402
from radiodesk.ingest.refresh import up_to_date_episodes  # noqa: E402
from radiodesk.publish.bundle import build_bundle  # noqa: E402
from radiodesk.publish.feed_model import FEED_KEY  # noqa: E402
from radiodesk.publish.plan import Prepared, Request  # noqa: E402
from radiodesk.publish.run import publish  # noqa: E402
from radiodesk.publish.storage import Storage, show_storage  # noqa: E402
from radiodesk.publish.storage.local import LocalStorage  # noqa: E402
from radiodesk.show import episode_file, folders  # noqa: E402
from radiodesk.show.settings import CONFIG_FILE  # noqa: E402
from radiodesk.show.settings_file import load_settings  # noqa: E402
from s3server import REGION, configure_s3, moto_server  # noqa: E402

RADIODESK = Path(sys.executable).with_name("radiodesk")
SAMPLE_S = 0.05  # process-tree memory sampling period
SHOW_SIZE = 2000
TOLERANCE_LU, CEILING_DBTP = 0.5, -1.0
ACCESS = {"AWS_ACCESS_KEY_ID": "AKIABENCHMARK0000000", "AWS_SECRET_ACCESS_KEY": "bench"}


@dataclass(frozen=True, slots=True)
class Mode:
    """How long the recordings are and how often each comparison repeats."""

    speed_min: int  # the recording of the wall-time comparison
    memory_min: tuple[int, ...]  # lengths whose peak memory must be flat
    repeats: int
    batch: tuple[int, int]  # recordings in the batch, minutes each


FULL = Mode(speed_min=60, memory_min=(10, 60, 180), repeats=3, batch=(4, 5))
QUICK = Mode(speed_min=10, memory_min=(10, 15), repeats=2, batch=(2, 2))
# Three in both modes (a publish is seconds): the first after the seed also settles the caches
# of the files the seed had just written, and with two runs the median would be their mean.
NOOP_PUBLISHES = 3
LIST_BUCKET = """import sys, boto3
pages = boto3.client("s3", endpoint_url=sys.argv[1]).get_paginator("list_objects_v2")
print(sum(len(page.get("Contents", ())) for page in pages.paginate(Bucket=sys.argv[2])))
"""


@dataclass(frozen=True, slots=True)
class Run:
    """One command: wall and CPU time (it and its children), peak RSS of its process tree."""

    wall_s: float
    cpu_s: float
    rss_mb: float


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table."""

    name: str
    run: Run | None = None
    media_s: float = 0.0  # for x-realtime
    ratio: str = ""
    target: str = ""
    ok: bool | None = None  # None: for reference only


# ---------------------------------------------------------------- running and sampling


def timed(argv: Sequence[str | Path], *, env: dict[str, str] | None = None) -> Run:
    """Run a command to the end, sampling the summed RSS of it and all its descendants."""
    with tempfile.TemporaryFile() as errors:
        start = time.monotonic()
        proc = subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=env,
        )
        peak = [0]
        done = threading.Event()
        sampler = threading.Thread(target=_sample_tree, args=(proc.pid, done, peak), daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)  # rusage covers the children it waited for
        wall = time.monotonic() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
        if proc.returncode != 0:
            errors.seek(0)
            raise SystemExit(
                f"failed: {' '.join(map(str, argv))}\n{errors.read().decode()[-3000:]}"
            )
    return Run(wall, usage.ru_utime + usage.ru_stime, peak[0] / 2**20)


def _sample_tree(pid: int, done: threading.Event, peak: list[int]) -> None:
    try:
        root = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not done.is_set():
        total = 0
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            tree = []
        for proc in tree:
            with suppress(psutil.NoSuchProcess, psutil.ZombieProcess):
                total += proc.memory_info().rss
        peak[0] = max(peak[0], total)
        done.wait(SAMPLE_S)


def median_run(runs: Sequence[Run]) -> Run:
    """Median of each figure (peak memory: the largest)."""
    return Run(
        statistics.median(r.wall_s for r in runs),
        statistics.median(r.cpu_s for r in runs),
        max(r.rss_mb for r in runs),
    )


def paired_ratios(floors: Sequence[Run], runs: Sequence[Run]) -> list[float]:
    """Wall time of each run over that of the floor run just before it."""
    return [run.wall_s / floor.wall_s for floor, run in zip(floors, runs, strict=True)]


def interleaved(commands: dict[str, Callable[[], Run]], repeats: int) -> dict[str, list[Run]]:
    """Run each command `repeats` times, taking turns, so that load drifts hit them alike."""
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    for _ in range(repeats):
        for name, command in commands.items():
            runs[name].append(command())
            print(f"  {name}: {runs[name][-1].wall_s:.1f} s", flush=True)
    return runs


# ---------------------------------------------------------------- inputs


def speech(work: Path, minutes: int) -> Path:
    """A speech-like 48 kHz stereo WAV: one generated minute (-24 LUFS), looped."""
    path = work / f"speech-{minutes}min.wav"
    if path.exists():
        return path
    minute = work / "speech-1min.wav"
    if not minute.exists():
        make_recording(minute, seconds=60, lufs=-24.0, channels=2, sample_rate=48000)
    tmp = path.with_suffix(".part.wav")
    subprocess.run(
        [ffmpeg.find_ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
         "-stream_loop", str(minutes - 1), "-i", minute, "-c", "copy", tmp],
        check=True,
    )  # fmt: skip
    tmp.rename(path)
    return path


def new_show(work: Path, name: str) -> Path:
    """A fresh show made by `radiodesk init`, with artwork, so that publish checks pass."""
    root = work / "shows" / name
    shutil.rmtree(root, ignore_errors=True)
    root.parent.mkdir(parents=True, exist_ok=True)
    cover = work / "cover.jpg"
    if not cover.exists():
        Image.new("RGB", (1400, 1400), "navy").save(cover, "JPEG")
    subprocess.run(
        [RADIODESK, "-q", "init", root, "--title", "Benchmark show", "--base-url",
         "https://radio.example.org/bench", "--author", "Bench", "--email", "bench@example.org",
         "--description", "Generated by benchmarks/run.py", "--image", cover],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    return root


def add(show: Path, recordings: Sequence[Path], jobs: int | None = None) -> Run:
    """Time `radiodesk add` as a user runs it (the installed console script)."""
    title = ["--title", "Benchmark episode"] if len(recordings) == 1 else []
    threads = ["-j", str(jobs)] if jobs else []
    return timed([RADIODESK, "-q", "-C", show, "add", *recordings, *title, *threads])


class Checker:
    """The independent meter over every MP3 radiodesk published in this run."""

    def __init__(self) -> None:
        self.checked = 0
        self.failures: list[str] = []

    def check(self, show: Path, slugs: Sequence[str] | None = None) -> None:
        """Measure the episodes' MP3s (ebur128 with true peak) against their own target."""
        for slug in slugs if slugs is not None else folders.list_slugs(show):
            folder = folders.episode_dir(show, slug)
            record = episode_file.load_episode(folder).audio
            assert record is not None, slug
            lufs, peak = measure(folder / record.file)
            self.checked += 1
            if abs(lufs - record.target_lufs) > TOLERANCE_LU or peak > CEILING_DBTP:
                self.failures.append(f"{slug}: {lufs:.1f} LUFS, {peak:.1f} dBTP")


# ---------------------------------------------------------------- the audio benchmarks


def floor_cmd(wav: Path, out: Path) -> list[str | Path]:
    """ffmpeg alone: decode the recording, encode the same MP3 settings (issue 6's floor)."""
    binary = ffmpeg.find_ffmpeg().path
    return [binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", wav,
            "-c:a", "libmp3lame", "-b:a", "128k", out]  # fmt: skip


def bench_speed(
    work: Path, mode: Mode, checker: Checker
) -> tuple[list[Row], Run, dict[str, list[Run]]]:
    """radiodesk add against the floor, interleaved; reference meters once each."""
    wav = speech(work, mode.speed_min)
    seconds = mode.speed_min * 60.0
    shows: list[Path] = []

    def one_add() -> Run:
        show = new_show(work, f"speed-{len(shows)}")
        shows.append(show)
        return add(show, [wav])

    binary = ffmpeg.find_ffmpeg().path
    meter: list[str | Path] = [binary, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", wav]
    runs = interleaved(
        {
            "floor": lambda: timed(floor_cmd(wav, work / "floor.mp3")),
            "radiodesk add": one_add,
        },
        mode.repeats,
    )
    references = {
        "ebur128=peak=true pass": timed([*meter, "-af", "ebur128=peak=true", "-f", "null", "-"]),
        "ebur128 pass (no peak)": timed([*meter, "-af", "ebur128", "-f", "null", "-"]),
    }
    for show in shows:
        checker.check(show)
    floor, radiodesk = median_run(runs["floor"]), median_run(runs["radiodesk add"])
    ratio = radiodesk.wall_s / floor.wall_s
    rows = [
        Row(
            f"floor: ffmpeg -i wav -c:a libmp3lame -b:a 128k, {mode.speed_min} min", floor, seconds
        ),
        Row(
            f"radiodesk add, {mode.speed_min} min (wall vs floor)",
            radiodesk,
            seconds,
            f"{ratio:.2f}x",
            "<= 1.25x",
            ratio <= 1.25,
        ),
        Row(
            "  radiodesk CPU vs floor CPU",
            None,
            ratio=f"{radiodesk.cpu_s / floor.cpu_s:.2f}x",
        ),
        # Each add ran right after its floor: the median of those pairs' ratios shows how
        # much of the ratio above is a drift of the machine between runs (not the target's).
        Row(
            "  median of each add / the floor just before it",
            None,
            ratio=f"{statistics.median(paired_ratios(runs['floor'], runs['radiodesk add'])):.2f}x",
        ),
    ]
    for name, run in references.items():
        rows.append(Row(f"  reference: {name}", run, seconds, f"{run.wall_s / floor.wall_s:.2f}x"))
    return rows, radiodesk, runs


# Short clips (issue 17): the fixed cost of one add. A 30 s clip may take the floor + 0.5 s, a
# 10-minute recording 1.30x the floor; the 2-minute clip is shown between them, without a target.
SHORT_CLIPS_S = (30, 120, 600)
SHORT_REPEATS = {30: 5, 120: 3, 600: 2}  # quick: the 10-minute pairs are the speed test's


def clip_of(work: Path, seconds: int) -> Path:
    """The speech recording cut (or looped) to `seconds`."""
    if seconds % 60 == 0:
        return speech(work, seconds // 60)
    path = work / f"speech-{seconds}s.wav"
    if not path.exists():
        tmp = path.with_suffix(".part.wav")
        subprocess.run(
            [ffmpeg.find_ffmpeg().path, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
             "-i", speech(work, 1), "-t", str(seconds), "-c", "copy", tmp],
            check=True,
        )  # fmt: skip
        tmp.rename(path)
    return path


def bench_short(
    work: Path, mode: Mode, checker: Checker, speed: dict[str, list[Run]] | None = None
) -> list[Row]:
    """radiodesk add of short clips against the floor, pair by pair, after one warm-up add."""
    # The warm-up is what a producer's second add meets: the capability checks of this ffmpeg
    # cached, the bytecode compiled.
    add(new_show(work, "short-warm-up"), [clip_of(work, 30)])
    rows: list[Row] = []
    for seconds in SHORT_CLIPS_S:
        if speed is not None and seconds == mode.speed_min * 60:
            runs = speed  # the speed test measured this length already
        else:
            runs = _short_pairs(work, seconds, checker)
        rows += _short_rows(seconds, runs)
    return rows


def _short_pairs(work: Path, seconds: int, checker: Checker) -> dict[str, list[Run]]:
    """The floor and an add (into a fresh show) of one clip, in turns."""
    wav, shows = clip_of(work, seconds), []

    def one_add() -> Run:
        show = new_show(work, f"short-{seconds}-{len(shows)}")
        shows.append(show)
        return add(show, [wav])

    runs = interleaved(
        {
            "floor": lambda: timed(floor_cmd(wav, work / "floor-short.mp3")),
            "radiodesk add": one_add,
        },
        SHORT_REPEATS[seconds],
    )
    for show in shows:
        checker.check(show)
    return runs


def _short_rows(seconds: int, runs: dict[str, list[Run]]) -> list[Row]:
    floor, radiodesk = median_run(runs["floor"]), median_run(runs["radiodesk add"])
    pairs = paired_ratios(runs["floor"], runs["radiodesk add"])
    over = statistics.median(
        r.wall_s - f.wall_s for f, r in zip(runs["floor"], runs["radiodesk add"], strict=True)
    )
    length = f"{seconds} s" if seconds < 60 else f"{seconds // 60} min"
    if seconds <= 30:
        target, ok = "<= floor + 0.5 s", over <= 0.5
    elif seconds >= 600:
        target, ok = "<= 1.30x", statistics.median(pairs) <= 1.30
    else:
        target, ok = "", None
    return [
        Row(f"short clip: floor, {length}", floor, seconds),
        Row(
            f"short clip: radiodesk add, {length} (pairs: median over floor)",
            radiodesk,
            seconds,
            f"+{over:.2f} s, {statistics.median(pairs):.2f}x",
            target,
            ok,
        ),
    ]


def bench_memory(work: Path, mode: Mode, known: Run, checker: Checker) -> list[Row]:
    """Peak RSS of radiodesk and its children for each length: bounded and flat."""
    peaks: dict[int, Run] = {}
    for minutes in mode.memory_min:
        if minutes == mode.speed_min:
            peaks[minutes] = known
            continue
        show = new_show(work, f"memory-{minutes}")
        peaks[minutes] = add(show, [speech(work, minutes)])
        print(f"  add {minutes} min: {peaks[minutes].wall_s:.1f} s", flush=True)
        checker.check(show)
        shutil.rmtree(show)  # a 3-hour master is 2 GB
    rows = [
        Row(f"memory: radiodesk add, {m} min", run, m * 60.0) for m, run in sorted(peaks.items())
    ]
    longest = max(peaks)
    rss = [run.rss_mb for run in peaks.values()]
    spread = (max(rss) - min(rss)) / min(rss)
    rows.append(
        Row(
            f"  peak RSS at {longest} min",
            ratio=f"{peaks[longest].rss_mb:.0f} MB",
            target="<= 200 MB" + ("" if longest >= 180 else " (3 h: full run)"),
            ok=peaks[longest].rss_mb <= 200,
        )
    )
    rows.append(
        Row(
            f"  flat over {', '.join(map(str, sorted(peaks)))} min",
            ratio=f"{spread * 100:.0f} % spread",
            target="<= 10 %",
            ok=spread <= 0.10,
        )
    )
    return rows


def bench_batch(work: Path, mode: Mode, checker: Checker) -> list[Row]:
    """Several recordings in one `add`: one at a time (-j 1) against the default (every core)."""
    count, minutes = mode.batch
    folder = work / f"batch-{count}x{minutes}"
    folder.mkdir(exist_ok=True)
    recordings = []
    for index in range(count):
        path = folder / f"take-{index + 1}.wav"
        if not path.exists():
            os.link(speech(work, minutes), path)
        recordings.append(path)
    shows: list[Path] = []

    def batch(jobs: int | None) -> Run:
        show = new_show(work, f"batch-{len(shows)}")
        shows.append(show)
        return add(show, recordings, jobs)

    floors = folder / "floors"
    floors.mkdir(exist_ok=True)

    def floor_batch(at_once: int) -> Run:
        """The floor on every recording, `at_once` at a time: how this machine scales."""
        commands = [
            shlex.join(map(str, floor_cmd(r, floors / f"{r.stem}.mp3"))) for r in recordings
        ]
        waves = [commands[i : i + at_once] for i in range(0, len(commands), at_once)]
        script = "; ".join(" & ".join(wave) + " & wait" for wave in waves)
        return timed(["bash", "-c", script])

    runs = interleaved(
        {
            "-j 1": lambda: batch(1),
            "default": lambda: batch(None),
            "floor, one at a time": lambda: floor_batch(1),
            "floor, one per core": lambda: floor_batch(os.cpu_count() or 1),
        },
        max(1, mode.repeats - 1),
    )
    for show in shows:
        checker.check(show)
    one, every = median_run(runs["-j 1"]), median_run(runs["default"])
    floor_one = median_run(runs["floor, one at a time"])
    floor_all = median_run(runs["floor, one per core"])
    gain = one.wall_s / every.wall_s
    media = count * minutes * 60.0
    cores = os.cpu_count() or 1
    return [
        Row(f"batch: add {count} x {minutes} min, -j 1", one, media),
        Row(
            f"batch: add {count} x {minutes} min, default ({cores} cores)",
            every,
            media,
            f"{gain:.2f}x throughput",
            ">= 1.7x",
            gain >= 1.7,
        ),
        # One add already runs its meter beside its encoder: all the work of a batch takes at
        # least its CPU time spread over every core, so the gain can't pass cores * wall / CPU.
        Row(
            f"  ceiling: {cores} x wall / CPU of -j 1",
            None,
            ratio=f"{cores * one.wall_s / one.cpu_s:.2f}x",
        ),
        Row("  cores busy, default", None, ratio=f"{every.cpu_s / every.wall_s / cores:.0%}"),
        # The same batch of plain ffmpeg encodes: what this machine gives work run side by side.
        Row("  reference: floor, one at a time", floor_one, media),
        Row(
            f"  reference: floor, {cores} at once",
            floor_all,
            media,
            f"{floor_one.wall_s / floor_all.wall_s:.2f}x throughput",
        ),
    ]


# ---------------------------------------------------------------- the show of 2,000 episodes


def grow_show(work: Path, size: int) -> tuple[Path, Path]:
    """A show of `size` episodes, hard-linked from a pristine copy made once per pipeline."""
    clip = work / "clip.wav"
    if not clip.exists():
        make_recording(clip, seconds=2, lufs=-20.0, channels=1, sample_rate=44100)
    stamp = f"{size} episodes, radiodesk {radiodesk.__version__}, pipeline {PIPELINE_VERSION}\n"
    pristine = work / f"pristine-{size}"
    if not (pristine / "stamp").is_file() or (pristine / "stamp").read_text() != stamp:
        shutil.rmtree(pristine, ignore_errors=True)
        _write_show(new_show(work, f"pristine-{size}"), clip, size)
        (work / "shows" / f"pristine-{size}").rename(pristine)
        (pristine / "stamp").write_text(stamp)
    show = work / "shows" / f"show-{size}"
    shutil.rmtree(show, ignore_errors=True)
    # Hard links are safe for what radiodesk writes (a temp file, then a rename); the settings
    # file is rewritten in place below, so it gets a copy of its own.
    shutil.copytree(pristine, show, copy_function=os.link)
    (show / CONFIG_FILE).unlink()
    shutil.copyfile(pristine / CONFIG_FILE, show / CONFIG_FILE)
    return show, clip


def _write_show(show: Path, clip: Path, size: int) -> None:
    """One real `add` of a short clip, cloned by the catalog writer, tags brought up to date."""
    subprocess.run(
        [RADIODESK, "-q", "-C", show, "add", clip, "--title", "Seed", "--slug", "seed",
         "--date", "2020-01-01T00:00:00+00:00"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    seed_dir = folders.episode_dir(show, "seed")
    seed = episode_file.load_episode(seed_dir)
    assert seed.audio is not None
    start = datetime(2020, 1, 1, tzinfo=UTC)
    for number in range(1, size):
        slug = f"episode-{number:04d}"
        folder = folders.episode_dir(show, slug)
        for sub in (folders.MASTER_DIR, folders.DERIVED_DIR):
            (folder / sub).mkdir(parents=True)
        os.link(seed_dir / seed.master.file, folder / seed.master.file)
        derived = f"{folders.DERIVED_DIR}/{slug}.mp3"
        shutil.copyfile(seed_dir / seed.audio.file, folder / derived)
        if seed.audio.provenance:  # a record without its sidecar counts as stale: re-encoded
            shutil.copyfile(seed_dir / seed.audio.provenance, folder / seed.audio.provenance)
        episode = dataclasses.replace(
            seed,
            slug=slug,
            guid=str(uuid.uuid4()),
            title=f"Episode {number}: an interview",
            description=f"Notes of episode {number}.",
            date=start + timedelta(hours=number),
            number=number,
            audio=dataclasses.replace(seed.audio, file=derived),
        )
        episode_file.write_episode(folder, episode)
    up_to_date_episodes(load_settings(show))  # re-tags the clones, as a publish would


class _ParallelPuts:
    """A store whose uploads run 16 at a time as plain PUTs: seeds the bucket for the timed
    publishes (radiodesk's own uploads go one by one through s3transfer)."""

    def __init__(self, storage: Storage, client: Any, bucket: str) -> None:
        self.storage = storage
        self.client = client
        self.bucket = bucket
        self.pool = ThreadPoolExecutor(max_workers=16)
        self.pending: list[Future[object]] = []

    def __getattr__(self, name: str) -> object:
        return getattr(self.storage, name)

    def put(self, path: Path, key: str, content_type: str, cache_control: str, *_: object) -> str:
        if key == FEED_KEY:  # the feed comes last: everything it points at must be there
            self.wait()  # (and before publish returns and removes its work folder)
        meta = {"ContentType": content_type, "CacheControl": cache_control}
        self.pending.append(
            self.pool.submit(
                self.client.put_object, Bucket=self.bucket, Key=key, Body=path.read_bytes(), **meta
            )
        )
        return self.storage.url(key)

    def wait(self) -> None:
        for future in self.pending:
            future.result()
        self.pending.clear()


def seed_bucket(show: Path, client: Any, bucket: str) -> None:
    """Publish the whole show once, in-process, with parallel uploads (setup, not timed).

    It prepares the show as `radiodesk publish` does, so the timed publishes find what a
    producer's next publish finds: the show as the last publish left it.
    """
    settings = load_settings(show)
    store = _ParallelPuts(show_storage(settings), client, bucket)
    with folders.locked(settings.root):

        def prepare(only: frozenset[str] | None) -> Prepared:
            return Prepared(up_to_date_episodes(settings, only=only))

        publish(settings, cast(Storage, store), Request(now=datetime.now(UTC), prepare=prepare))
    store.wait()
    store.pool.shutdown()


@contextmanager
def s3_server(work: Path) -> Iterator[tuple[str, FaultProxy]]:
    """moto's S3 server as its own process on 127.0.0.1, behind a request-recording proxy."""
    with moto_server(work / "moto.log") as url:
        proxy = FaultProxy(url)
        try:
            yield url, proxy
        finally:
            proxy.close()


def bench_show(work: Path, mode: Mode, checker: Checker) -> list[Row]:
    """Feed build time in-process, then S3 publishes: nothing changed, and one new episode."""
    started = time.monotonic()
    show, clip = grow_show(work, SHOW_SIZE)
    print(f"  {SHOW_SIZE} episodes written in {time.monotonic() - started:.1f} s", flush=True)
    env = {
        **os.environ,
        **ACCESS,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    rows: list[Row] = []
    with s3_server(work) as (url, proxy):
        bucket = f"bench-{uuid.uuid4().hex[:8]}"
        client = boto3.client("s3", endpoint_url=url, region_name=REGION, **_keys())
        client.create_bucket(Bucket=bucket)
        configure_s3(
            load_settings(show),
            backend="s3",
            bucket=bucket,
            region=REGION,
            endpoint_url=proxy.url,
            public_base_url=f"{url}/{bucket}",
            addressing_style="path",
        )
        started = time.monotonic()
        with _environment(env):
            seed_bucket(show, client, bucket)
        print(f"  bucket seeded in {time.monotonic() - started:.1f} s", flush=True)
        rows += _feed_rows(show, mode.repeats - 1 or 1)
        proxy.reset()
        # The first publish after the seed also settles the caches of files the seed wrote
        # (a file younger than 2 s is never cached): every run is printed, the median counts.
        noops = [
            timed([RADIODESK, "-q", "-C", show, "publish"], env=env) for _ in range(NOOP_PUBLISHES)
        ]
        print(f"  no-op publishes: {', '.join(f'{r.wall_s:.2f} s' for r in noops)}", flush=True)
        noop = median_run(noops)
        puts = [s for s in proxy.seen() if s.method == "PUT"]
        rows.append(
            Row(
                f"publish, {SHOW_SIZE} episodes, nothing changed (S3)",
                noop,
                ratio=f"{len(puts)} PUT",
                target="< 3 s, 0 PUT",
                ok=noop.wall_s < 3.0 and not puts,
            )
        )
        # What a no-op publish cannot go below: a fresh Python listing the same bucket with
        # boto3 and nothing else, through the same proxy.
        bare = [
            timed([sys.executable, "-c", LIST_BUCKET, proxy.url, bucket], env=env)
            for _ in range(NOOP_PUBLISHES)
        ]
        bare_run = median_run(bare)
        listed = len(client_keys(client, bucket))
        print(f"  boto3 listings alone: {', '.join(f'{r.wall_s:.2f} s' for r in bare)}", flush=True)
        rows.append(Row(f"  reference: boto3 listing of the bucket alone, {listed} keys", bare_run))
        subprocess.run(
            [RADIODESK, "-q", "-C", show, "add", clip, "--title", "New", "--slug", "new-one"],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        proxy.reset()
        one = timed([RADIODESK, "-q", "-C", show, "publish"], env=env)
        keys = sorted(
            {s.path.split(f"/{bucket}/", 1)[-1] for s in proxy.seen() if s.method == "PUT"}
        )
        strays = [k for k in keys if not _belongs_to_new_episode(k)]
        rows.append(
            Row(
                "publish, one new episode (S3)",
                one,
                ratio=f"{len(keys)} objects",
                target="its objects + feed + pages",
                ok=any(k.startswith("audio/") for k in keys) and not strays,
            )
        )
        print(f"  uploaded: {', '.join(keys)}", flush=True)
        if strays:
            print(f"  not the new episode's: {', '.join(strays)}", flush=True)
    checker.check(show, ["new-one"])
    return rows


def client_keys(client: Any, bucket: str) -> list[str]:
    """Every key in the bucket (the test server's own count, for the table)."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return [item["Key"] for page in pages for item in page.get("Contents", ())]


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": ACCESS["AWS_ACCESS_KEY_ID"],
            "aws_secret_access_key": ACCESS["AWS_SECRET_ACCESS_KEY"]}  # fmt: skip


def _belongs_to_new_episode(key: str) -> bool:
    """Keys a new episode may touch: its own objects, the feed (and its pages), the web pages."""
    if "new-one" in key:
        return True
    return key.startswith("feed") or key.endswith((".html", ".xml")) or "/" not in key


def _feed_rows(show: Path, repeats: int) -> list[Row]:
    """Generate the feed of every episode in-process, as publish's plan does; then with pages."""
    settings = load_settings(show)
    storage = LocalStorage(settings.local_store, settings.show.base_url)
    loads, feeds, bundles = [], [], []
    for _ in range(repeats):
        started = time.monotonic()
        episodes = [
            e for e in episode_file.load_episodes(show) if e.status(datetime.now(UTC)) == "ready"
        ]
        loads.append(time.monotonic() - started)
        for times, pages in ((feeds, False), (bundles, True)):
            with tempfile.TemporaryDirectory() as scratch:
                started = time.monotonic()
                # reuse=False: generate everything, as if no feed or page had been built before
                build_bundle(
                    settings, storage.url, episodes, Path(scratch), with_pages=pages, reuse=False
                )
                times.append(time.monotonic() - started)
    load, feed, bundle = (statistics.median(t) for t in (loads, feeds, bundles))
    return [
        Row(
            f"feed for {len(episodes)} episodes (catalog read {load:.2f} s)",
            Run(feed, feed, 0.0),
            ratio=f"{feed:.2f} s",
            target="< 1 s",
            ok=feed < 1.0,
        ),
        Row(f"  feed + web pages for {len(episodes)} episodes", Run(bundle, bundle, 0.0)),
    ]


# ---------------------------------------------------------------- the table


def print_table(rows: Sequence[Row]) -> None:
    """Print the results as a Markdown table (it goes into benchmarks/README.md as it is)."""
    head = ("measurement", "wall s", "CPU s", "peak RSS MB", "x realtime", "ratio", "target", "")
    lines = [head]
    for row in rows:
        run = row.run
        verdict = "" if row.ok is None else ("PASS" if row.ok else "FAIL")
        lines.append(
            (
                row.name,
                f"{run.wall_s:.2f}" if run else "",
                f"{run.cpu_s:.2f}" if run and run.cpu_s else "",
                f"{run.rss_mb:.0f}" if run and run.rss_mb else "",
                f"{row.media_s / run.wall_s:.0f}x" if run and row.media_s else "",
                row.ratio,
                row.target,
                verdict,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    for index, line in enumerate(lines):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def keep_bytecode(work: Path) -> None:
    """Let the radiodesk processes keep their compiled bytecode (outside the source tree).

    An installed radiodesk has it (pip compiles it at install); under PYTHONDONTWRITEBYTECODE
    this editable install would compile every module it imports on every run, in every row.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(work / "pycache")


def main(argv: Sequence[str] | None = None) -> int:
    """Run every benchmark; return 1 if any target fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2/10-minute inputs, fewer repeats")
    parser.add_argument("--work", type=Path, default=HERE / ".work", help="scratch folder")
    parser.add_argument(
        "--only",
        choices=("audio", "show", "short"),
        help="run the audio benchmarks, the show's, or the short clips' only",
    )
    options = parser.parse_args(argv)
    mode = QUICK if options.quick else FULL
    work: Path = options.work
    work.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(work / "shows", ignore_errors=True)
    keep_bytecode(work)
    started = time.monotonic()
    binary = ffmpeg.find_ffmpeg()
    load = os.getloadavg()[0]
    print(f"ffmpeg {binary.version} ({binary.path}); {os.cpu_count()} cores; load {load:.2f}")
    checker = Checker()
    rows: list[Row] = []
    if options.only == "short":
        print("short clips:", flush=True)
        rows += bench_short(work, mode, checker)
    elif options.only != "show":
        print("speed:", flush=True)
        rows, speed_run, speed_runs = bench_speed(work, mode, checker)
        print("short clips:", flush=True)
        rows += bench_short(work, mode, checker, speed_runs)
        print("memory:", flush=True)
        rows += bench_memory(work, mode, speed_run, checker)
        print("batch:", flush=True)
        rows += bench_batch(work, mode, checker)
    if options.only in (None, "show"):
        print("show:", flush=True)
        rows += bench_show(work, mode, checker)
    rows.append(
        Row(
            f"loudness of every output ({checker.checked} MP3s, independent ebur128)",
            ratio=f"{len(checker.failures)} off target",
            target="±0.5 LU, <= -1 dBTP",
            ok=not checker.failures,
        )
    )
    shutil.rmtree(work / "shows", ignore_errors=True)
    print()
    print_table(rows)
    for failure in checker.failures:
        print(f"off target: {failure}")
    elapsed = time.monotonic() - started
    print(f"\n{'quick' if options.quick else 'full'} run: {elapsed / 60:.1f} min; "
          f"load average {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end")  # fmt: skip
    return 0 if all(row.ok is not False for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
