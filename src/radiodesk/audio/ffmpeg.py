"""Runs ffmpeg: finds the binary, builds argv, runs one process or a pipe of two, parses stderr.

The only module that starts processes. It knows ffmpeg's text output, not loudness targets.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import io
import logging
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal, NamedTuple

from radiodesk.errors import ToolError

log = logging.getLogger(__name__)

SIGPIPE = getattr(signal, "SIGPIPE", 13)  # Windows has no SIGPIPE; the value is never seen there
ProgressFn = Callable[[float], None]  # seconds of media done; called in the caller's thread
LineFn = Callable[[str], bool]  # sees each log line in a reader thread; True: consumed, not kept
OutputFn = Callable[[memoryview], None]  # a run's stdout in chunks (valid during the call)
_Events = queue.Queue[tuple[int, float] | None]  # (run number, media seconds); None: stderr closed

INSTALL_HINT = (
    "install ffmpeg with libmp3lame (e.g. `apt install ffmpeg`) or `pip install imageio-ffmpeg`"
)
REQUIRED_ENCODERS = frozenset({"libmp3lame"})
_MEASURING = {"ebur128", "volumedetect", "channelsplit", "pan", "asplit", "anullsink"}
REQUIRED_FILTERS = frozenset({*_MEASURING, "alimiter", "aformat", "aresample", "volume"})
# Progress comes from the stats line (`size=… time=…`), which av_log prints whole. `-progress
# pipe:2` would write through a second handle and can land in the middle of a log line.
COMMON_ARGS = ("-hide_banner", "-nostdin", "-loglevel", "info", "-stats", "-stats_period", "0.5")
TAIL_LINES = 20
HEAD_KEEP, TAIL_KEEP = 2000, 2000  # stderr lines kept in memory: flat even for a noisy 3 h file
CHECK_TIMEOUT_S = 30.0
PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size; 64 KiB otherwise
BACKGROUND_NICE = 10
WAV_PACKET_BYTES = 1 << 16
OUTPUT_CHUNK_BYTES = 1 << 20
MIN_VERSION = (5, 0)  # alimiter latency compensation, -stats_period
GENERIC_MESSAGES = frozenset({"Conversion failed!", "Exiting with exit code 1"})
# ffmpeg 5.x follows a filter's own error with these lines, which say nothing about the cause.
GENERIC_PREFIXES = (
    "video:",
    "Error reinitializing filters!",
    "Failed to inject frame into filter network",
    "Error while processing the decoded data for stream",
)
# ffmpeg's named channel layouts (libavutil/channel_layout.c) and their channel counts.
LAYOUT_CHANNELS = {
    "mono": 1, "stereo": 2, "downmix": 2, "2.1": 3, "3.0": 3, "3.0(back)": 3, "4.0": 4,
    "quad": 4, "quad(side)": 4, "3.1": 4, "5.0": 5, "5.0(side)": 5, "4.1": 5, "5.1": 6,
    "5.1(side)": 6, "6.0": 6, "6.0(front)": 6, "3.1.2": 6, "hexagonal": 6, "6.1": 7,
    "6.1(back)": 7, "6.1(front)": 7, "7.0": 7, "7.0(front)": 7, "7.1": 8, "7.1(wide)": 8,
    "7.1(wide-side)": 8, "5.1.2": 8, "7.1(top)": 8, "octagonal": 8, "cube": 8, "5.1.4": 10,
    "7.1.2": 10, "7.1.4": 12, "7.2.3": 12, "9.1.4": 14, "hexadecagonal": 16, "22.2": 24,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Ffmpeg:
    """A checked ffmpeg binary."""

    path: Path
    version: str


@dataclass(frozen=True, slots=True)
class Completed:
    """A finished ffmpeg run: its argv, its log (progress lines removed) and the last position."""

    argv: tuple[str, ...]
    stderr: str
    out_time_s: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioStream:
    """One audio stream as ffmpeg lists it for the input."""

    codec: str
    sample_rate_hz: int
    channels: int
    layout: str
    header_duration_s: float | None = None  # what the container claims; the file may be shorter
    container: str = ""  # the demuxer ffmpeg chose: "wav", "flac", "mov,mp4,m4a,3gp,3g2,mj2" ...


@dataclass(frozen=True, slots=True)
class InputProblem:
    """Why ffmpeg could not use an input file."""

    kind: Literal["no-audio-stream", "unreadable"]
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Ebur128Summary:
    """The summary the ebur128 filter prints when it closes (silence gives -70 LUFS, -inf dBTP)."""

    integrated_lufs: float
    lra_lu: float
    true_peak_dbtp: float | None  # None unless run with peak=true
    sample_peak_dbfs: float | None = None  # None unless run with peak=sample


@dataclass(frozen=True, slots=True, kw_only=True)
class VolumeStats:
    """What one volumedetect filter printed: RMS and sample peak (16-bit, floor -91 dB)."""

    mean_volume_db: float
    max_volume_db: float
    samples: int


# ---------------------------------------------------------------- the binary


def candidate_paths() -> list[Path]:
    """List ffmpeg binaries to try: the one on PATH, then the imageio-ffmpeg wheel's."""
    found = [Path(p) for p in (shutil.which("ffmpeg"),) if p]
    try:
        import imageio_ffmpeg

        found.append(Path(str(imageio_ffmpeg.get_ffmpeg_exe())))
    except (ImportError, RuntimeError):
        pass
    return found


@functools.cache
def find_ffmpeg() -> Ffmpeg:
    """Return the first usable ffmpeg (checked once per process), or raise ToolError."""
    candidates = candidate_paths()
    problems: list[str] = []
    for path in candidates:
        try:
            return check_ffmpeg(path)
        except ToolError as exc:
            problems.append(exc.message)
    detail = "; ".join(problems) if problems else "no ffmpeg on PATH and no imageio-ffmpeg binary"
    raise ToolError(f"no usable ffmpeg: {detail}", hint=INSTALL_HINT)


def check_ffmpeg(path: Path) -> Ffmpeg:
    """Check that `path` runs, is recent enough and has libmp3lame and the filters we use."""
    version = parse_version(_query(path, "-version"))
    if (number := version_number(version)) is not None and number < MIN_VERSION:
        raise ToolError(f"ffmpeg at {path} is version {version}; radiodesk needs 5.0 or later",
                        argv=(str(path),), hint=INSTALL_HINT)  # fmt: skip
    missing = sorted(REQUIRED_ENCODERS - parse_listing(_query(path, "-encoders")))
    missing += sorted(REQUIRED_FILTERS - parse_listing(_query(path, "-filters")))
    if missing:
        raise ToolError(
            f"ffmpeg at {path} lacks {', '.join(missing)}", argv=(str(path),), hint=INSTALL_HINT
        )
    log.debug("using ffmpeg %s at %s", version, path)
    return Ffmpeg(path=path, version=version)


def _query(path: Path, flag: str) -> str:
    argv = (str(path), "-hide_banner", flag)
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=CHECK_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolError(f"cannot run ffmpeg at {path}: {exc}", argv=argv) from exc
    if done.returncode != 0:
        raise ToolError(
            f"ffmpeg at {path} failed on {flag} (exit {done.returncode})",
            argv=argv,
            returncode=done.returncode,
            stderr_tail=_tail(done.stderr),
        )
    return done.stdout


# ---------------------------------------------------------------- argv builders (pure)


def _widen_pipe(fd: int) -> None:
    """Give a pipe 1 MiB (a minute of MP3, 3 s of float PCM) where Linux allows; 64 KiB else."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or above pipe-max-size
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


def build_argv(binary: Path, args: Sequence[str]) -> tuple[str, ...]:
    """Prefix `args` with the binary and the flags every run gets (quiet banner, progress)."""
    return (str(binary), *COMMON_ARGS, *args)


def file_url(path: Path) -> str:
    """Name a local file so that ffmpeg never reads a colon or a dash in it as a protocol."""
    return "file:" + str(path.absolute())


def tee_spec(*outputs: tuple[str, str]) -> str:
    """Build a `tee` muxer target from (options, url) pairs, escaping each url for the tee."""
    return "|".join(f"[{options}]{_tee_escape(url)}" for options, url in outputs)


def _tee_escape(url: str) -> str:
    # tee splits slaves with av_get_token: backslash, quote, `|` and edge spaces are special.
    return "".join("\\" + c if c in "\\'|" or c.isspace() else c for c in url)


# ---------------------------------------------------------------- running


def run(
    args: Sequence[str],
    *,
    timeout_s: float,
    on_progress: ProgressFn | None = None,
    check: bool = True,
) -> Completed:
    """Run ffmpeg with `args`; raise ToolError on a non-zero exit (if `check`) or a timeout."""
    argv = build_argv(find_ffmpeg().path, args)
    events: _Events = queue.Queue()
    proc = _Process(argv, stdin=subprocess.DEVNULL, events=events, report=True)
    _supervise([proc], events, timeout_s=timeout_s, on_progress=on_progress)
    return proc.result(check=check)


class PipelineRun(NamedTuple):
    """The finished runs of `run_pipeline`."""

    producer: Completed
    consumer: Completed
    alongside: Completed | None = None


def run_pipeline(
    producer: Sequence[str],
    consumer: Sequence[str],
    *,
    timeout_s: float,
    on_progress: ProgressFn | None = None,
    on_output: OutputFn | None = None,
    alongside: Sequence[str] | None = None,
) -> PipelineRun:
    """Run two ffmpegs at once, the first one's stdout feeding the second one's stdin.

    `on_output`, if given, sees the second one's stdout (written to `pipe:1`) as it comes.
    `alongside`, if given, is a third ffmpeg run at the same time, in the background.
    """
    binary = find_ffmpeg().path
    events: _Events = queue.Queue()
    output: _Output | None = None
    third: _Process | None = None
    first = _Process(
        build_argv(binary, producer),
        stdin=subprocess.DEVNULL,
        events=events,
        report=True,
        stdout=subprocess.PIPE,
    )
    try:
        if first.stdout is not None:
            _widen_pipe(first.stdout.fileno())
        # The producer is the critical path; the consumer only reads behind it, in the
        # background (see background_prefix). A wide pipe lets it fall behind for a while
        # (a minute of MP3) before the producer has to wait for it.
        second = _Process(
            build_argv(binary, consumer),
            stdin=first.stdout,
            events=events,
            report=False,
            background=True,
            stdout=subprocess.PIPE if on_output else subprocess.DEVNULL,
        )
        if on_output is not None and second.stdout is not None:
            _widen_pipe(second.stdout.fileno())  # the meter writes on while we read
            output = _Output(second.stdout, on_output)
        if alongside is not None:
            third = _Process(
                build_argv(binary, alongside),
                stdin=subprocess.DEVNULL,
                events=events,
                report=False,
                background=True,
            )
    except BaseException:
        first.stop()  # the consumer, if it started, then sees the end of its input
        raise
    finally:
        if first.stdout is not None:
            first.stdout.close()  # the consumer holds its own copy; EOF reaches it when we exit
    procs = [first, second] if third is None else [first, second, third]
    try:
        _supervise(procs, events, timeout_s=timeout_s, on_progress=on_progress)
    finally:
        if output is not None:
            output.finish()
    producer_code = first.popen.returncode
    if producer_code == -SIGPIPE or (producer_code and "Broken pipe" in first.log.text()):
        second.result(check=True)  # the consumer quit first: its error is the cause
    return PipelineRun(
        first.result(check=True),
        second.result(check=True),
        None if third is None else third.result(check=True),
    )


def run_parallel(
    runs: Sequence[Sequence[str]],
    *,
    timeout_s: float,
    on_progress: ProgressFn | None = None,
    on_line: Sequence[LineFn | None] = (),
) -> list[Completed]:
    """Run several ffmpegs at once (one per core); progress is the sum of their positions.

    `on_line[i]`, if given, sees run i's log lines as they come (frame logs too long to keep).
    """
    binary = find_ffmpeg().path
    events: _Events = queue.Queue()
    procs: list[_Process] = []
    try:
        for index, args in enumerate(runs):
            line_fn = on_line[index] if index < len(on_line) else None
            procs.append(
                _Process(
                    build_argv(binary, args),
                    stdin=subprocess.DEVNULL,
                    events=events,
                    report=True,
                    tag=index,
                    on_line=line_fn,
                )
            )
    except BaseException:
        for proc in procs:
            proc.stop()
        raise
    _supervise(procs, events, timeout_s=timeout_s, on_progress=on_progress)
    return [proc.result(check=True) for proc in procs]


def stream(args: Sequence[str], *, timeout_s: float, chunk_bytes: int = 1 << 16) -> Iterator[bytes]:
    """Run ffmpeg with `args` (output to `pipe:1`) and yield its stdout in chunks as it comes.

    Raise ToolError on a non-zero exit or a timeout, as `run` does. Closing the iterator early
    stops ffmpeg; the process never outlives the iterator.
    """
    argv = build_argv(find_ffmpeg().path, args)
    events: _Events = queue.Queue()  # unused: stderr is drained, not relayed
    proc = _Process(
        argv, stdin=subprocess.DEVNULL, events=events, report=False, stdout=subprocess.PIPE
    )
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        proc.popen.kill()  # unblocks the read below: the pipe reaches EOF

    timer = threading.Timer(timeout_s, expire)
    timer.daemon = True
    timer.start()
    try:
        if proc.stdout is not None:
            with proc.stdout:
                while chunk := proc.stdout.read(chunk_bytes):
                    yield chunk
        proc.stop()
        if expired.is_set():
            raise _timeout(proc, timeout_s)
        proc.result(check=True)
    finally:
        timer.cancel()
        proc.stop()


class _Process:
    """One running ffmpeg whose stderr a daemon thread drains into a bounded log."""

    def __init__(
        self,
        argv: tuple[str, ...],
        *,
        stdin: int | IO[bytes] | None,
        events: _Events,
        report: bool,
        stdout: int = subprocess.DEVNULL,
        tag: int = 0,
        on_line: LineFn | None = None,
        background: bool = False,
    ) -> None:
        self.argv = argv
        self.log = _Log()
        log.debug("running %s", subprocess.list2cmdline(argv))
        env = {**os.environ, "AV_LOG_FORCE_NOCOLOR": "1"}
        command = (*background_prefix(), *argv) if background else argv
        try:
            self.popen = subprocess.Popen(
                command, stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, env=env
            )
        except OSError as exc:
            raise ToolError(f"cannot start ffmpeg: {exc}", argv=argv, hint=INSTALL_HINT) from exc
        self.stdout = self.popen.stdout
        self.reader = threading.Thread(
            target=_drain,
            args=(self.popen.stderr, self.log, events, tag if report else None, on_line),
            daemon=True,
        )
        self.reader.start()

    def stop(self) -> None:
        """Kill the process if it still runs, and reap it."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        self.reader.join()

    def result(self, *, check: bool) -> Completed:
        """Return the finished run, raising ToolError if it failed and `check` is set."""
        self.stop()
        stderr = self.log.text()
        code = self.popen.returncode
        log.debug("ffmpeg exited with %s:\n%s", code, stderr)
        if check and code != 0:
            raise ToolError(
                f"ffmpeg failed (exit {code}): {last_message(stderr)}",
                argv=self.argv,
                returncode=code,
                stderr_tail=_tail(stderr),
            )
        return Completed(argv=self.argv, stderr=stderr, out_time_s=self.log.out_time_s)


def background_prefix() -> tuple[str, ...]:
    """Return the command that runs a process at a lower priority (`nice` execs it in place:
    the pid, signals and exit code stay ffmpeg's).

    Not SCHED_IDLE (`chrt --idle`), though it keeps a meter off the encoder's core better (an
    hour's add 2.3-6.4 s faster in three pairs): a process cannot leave that policy without
    privileges, and when other programs keep the cores busy it gets no CPU at all; the encoder,
    waiting for its meter, stalls with it (a 1-minute add took 199 s beside four busy loops,
    11 s at nice 10).
    """
    nice = shutil.which("nice")
    return (nice, "-n", str(BACKGROUND_NICE)) if nice else ()


def run_in_background() -> None:
    """Lower the calling thread's priority as `background_prefix` does a process's (Linux)."""
    if sys.platform == "linux":
        with contextlib.suppress(OSError):  # a thread id is only a process id on Linux
            thread = threading.get_native_id()
            nice = min(os.getpriority(os.PRIO_PROCESS, thread) + BACKGROUND_NICE, 19)
            os.setpriority(os.PRIO_PROCESS, thread, nice)


class _Output:
    """A daemon thread that hands a run's stdout to a callback; `finish` re-raises its error."""

    def __init__(self, stream: IO[bytes], on_output: OutputFn) -> None:
        self.stream = stream
        self.on_output = on_output
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        run_in_background()  # it works for the meter, behind the encoder
        # One buffer for the whole stream: a fresh megabyte per read costs page faults. Popen's
        # stdout is a BufferedReader, whose readinto fills the buffer unless the stream ends.
        buffer = memoryview(bytearray(OUTPUT_CHUNK_BYTES))
        try:
            with self.stream:
                while count := self.stream.readinto(buffer):  # type: ignore[attr-defined]
                    self.on_output(buffer[:count])
        except BaseException as exc:  # handed to the caller's thread by finish()
            self.error = exc
            with contextlib.suppress(OSError):
                self.stream.close()  # the writer sees a broken pipe and stops

    def finish(self) -> None:
        """Wait for the end of the stream (the process has exited) and re-raise any error."""
        self.thread.join()
        if self.error is not None:
            raise self.error


def _supervise(
    procs: Sequence[_Process],
    events: _Events,
    *,
    timeout_s: float,
    on_progress: ProgressFn | None,
) -> None:
    """Relay progress until every stderr closes; kill everything on a timeout or an exception."""
    deadline = time.monotonic() + timeout_s
    open_streams = len(procs)
    positions: dict[int, float] = {}
    try:
        while open_streams:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _timeout(procs[0], timeout_s)
            try:
                event = events.get(timeout=remaining)
            except queue.Empty:
                continue
            if event is None:
                open_streams -= 1
            elif on_progress is not None:
                positions[event[0]] = event[1]
                on_progress(sum(positions.values()))
        for proc in procs:
            proc.popen.wait(timeout=max(deadline - time.monotonic(), 1.0))
    except subprocess.TimeoutExpired as exc:
        raise _timeout(procs[0], timeout_s) from exc
    finally:
        for proc in procs:
            proc.stop()


def _timeout(proc: _Process, timeout_s: float) -> ToolError:
    return ToolError(
        f"ffmpeg did not finish within {timeout_s:.0f} s and was stopped",
        argv=proc.argv,
        stderr_tail=_tail(proc.log.text()),
    )


class _Log:
    """The first and last lines of a stderr stream, plus the last progress position."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail: deque[str] = deque(maxlen=TAIL_KEEP)
        self.dropped = 0
        self.out_time_s: float | None = None

    def add(self, line: str) -> None:
        if len(self.head) < HEAD_KEEP:
            self.head.append(line)
            return
        if len(self.tail) == TAIL_KEEP:
            self.dropped += 1
        self.tail.append(line)

    def text(self) -> str:
        gap = [f"[... {self.dropped} lines not kept ...]"] if self.dropped else []
        return "\n".join([*self.head, *gap, *self.tail])


def _drain(
    stream: IO[bytes],
    sink: _Log,
    events: _Events,
    tag: int | None,  # the run's number in progress events; None: report no progress
    on_line: LineFn | None,
) -> None:
    # Universal newlines: the stats line ends in a carriage return while it updates.
    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline=None)
    try:
        for line in text:
            if not line.startswith(("size=", "frame=")):
                if on_line is None or not on_line(line):
                    sink.add(line.rstrip("\n"))
            elif (seconds := parse_stats_line(line)) is not None:
                sink.out_time_s = seconds
                if tag is not None:
                    events.put((tag, seconds))
    finally:
        text.close()
        events.put(None)


def _tail(stderr: str) -> str:
    return "\n".join(stderr.splitlines()[-TAIL_LINES:])


# ---------------------------------------------------------------- parsers (pure)


def parse_version(text: str) -> str:
    """Return the version word of `ffmpeg -version`, e.g. `7.1` or `n9.0.2-17-g2a571b6068`."""
    match = re.search(r"^ffmpeg version (\S+)", text, re.MULTILINE)
    if match is None:
        raise ToolError(
            "the program does not look like ffmpeg (no version line)", hint=INSTALL_HINT
        )
    return match.group(1)


def version_number(version: str) -> tuple[int, int] | None:
    """Return (major, minor) of a release such as `6.1.1-3ubuntu5`; None for git builds."""
    match = re.match(r"n?(\d+)\.(\d+)", version)
    return (int(match.group(1)), int(match.group(2))) if match else None


def parse_listing(text: str) -> frozenset[str]:
    """Return the names listed by `ffmpeg -encoders` or `-filters` (flags, then the name).

    The legend above the list ("T.. = Timeline support") has "=" where a name would be; ffmpeg
    5.x draws no `------` rule under the legend of `-filters`.
    """
    _, rule, body = text.partition("------")
    rows = (line.split() for line in (body if rule else text).splitlines())
    return frozenset(fields[1] for fields in rows if len(fields) > 1 and fields[1] != "=")


def parse_stats_line(line: str) -> float | None:
    """Return the media seconds done in a stats line (`size=… time=00:01:02.50 …`), or None."""
    match = re.match(r"(?:size|frame)=.*?\btime=(-?)(\d+):(\d\d):(\d\d(?:\.\d+)?)\b", line)
    if match is None:
        return None
    sign, hours, minutes, seconds = match.groups()
    return 0.0 if sign else int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def last_message(stderr: str) -> str:
    """Return ffmpeg's last telling log line without its `[filter @ 0x…]` prefix."""
    for line in reversed(stderr.splitlines()):
        text = re.sub(r"^\[[^\]]*@ 0x[0-9a-f]+\]\s*", "", line).strip()
        if text and text not in GENERIC_MESSAGES and not text.startswith(GENERIC_PREFIXES):
            return text
    return "no message"


_DURATION_RE = re.compile(r"^\s+Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?),")
_STREAM_RE = re.compile(
    r"^\s+Stream #0:\d+\S*: Audio: (?P<codec>[^\s,]+).*?, (?P<rate>\d+) Hz, (?P<layout>[^,]+)"
)


def parse_audio_streams(stderr: str) -> list[AudioStream]:
    """Return the audio streams of the first input (`Input #0`) in ffmpeg's listing order."""
    streams: list[AudioStream] = []
    inside = False
    duration_s: float | None = None
    container = ""
    for line in stderr.splitlines():
        if line.startswith("Input #0,"):
            inside = True
            container = line.removeprefix("Input #0,").strip().partition(", from ")[0]
        elif inside and line and not line[0].isspace():
            break  # "Stream mapping:" or "Output #0" ends the input block
        elif inside and (match := _DURATION_RE.match(line)):
            hours, minutes, seconds = match.groups()
            duration_s = int(hours) * 3600 + int(minutes) * 60 + float(seconds)
        elif inside and (match := _STREAM_RE.match(line)):
            layout = match.group("layout").strip()
            streams.append(
                AudioStream(
                    codec=match.group("codec"),
                    sample_rate_hz=int(match.group("rate")),
                    channels=layout_channels(layout),
                    layout=layout,
                    header_duration_s=duration_s,
                    container=container,
                )
            )
    return streams


def demuxer_options(container: str) -> list[str]:
    """Input options that make a demuxer hand out bigger packets, where it has such an option.

    The WAV demuxer reads 4 KiB packets (20 ms of 48 kHz stereo), and every packet crosses
    ffmpeg's threads on its own: 64 KiB packets cut the measuring pass's CPU time by a quarter.
    The decoded samples, and so every output byte, stay the same.
    """
    return ["-max_size", str(WAV_PACKET_BYTES)] if container == "wav" else []


def layout_channels(layout: str) -> int:
    """Return the number of channels of an ffmpeg layout name such as `5.1` or `3 channels`."""
    match = re.match(r"(\d+) channels", layout)
    if match:
        return int(match.group(1))
    return LAYOUT_CHANNELS.get(layout, 0)


def parse_input_problem(stderr: str) -> InputProblem | None:
    """Say why ffmpeg could not open or map the input, if that is why it failed."""
    if re.search(r"^Stream map '.*' matches no streams", stderr, re.MULTILINE):
        return InputProblem("no-audio-stream", "it has no audio stream")
    if "Output file does not contain any stream" in stderr:
        return InputProblem("no-audio-stream", "it has no audio stream")
    match = re.search(r"Error opening input(?: file)?: (.+)$", stderr, re.MULTILINE)
    # ffmpeg 5.x says it as "<input URL>: <reason>"; our inputs are file: URLs (file_url).
    match = match or re.search(r"^file:.*: ([^:\n]+)$", stderr, re.MULTILINE)
    if match:
        return InputProblem("unreadable", match.group(1).strip())
    return None


_SUMMARY_RE = re.compile(r"\[(?P<instance>[^\[\]\s]+) @ 0x[0-9a-f]+\] Summary:")


def parse_ebur128(stderr: str, name: str | None = None) -> Ebur128Summary | None:
    """Return the last summary of the ebur128 filter `ebur128@name` (of any, if no name), or None.

    A meter with two named instances prints one summary after the other; each is read up to
    the next one.
    """
    found = [
        match
        for match in _SUMMARY_RE.finditer(stderr)
        if name is None or match.group("instance") == f"ebur128@{name}"
    ]
    if not found:
        return None
    begin = found[-1].end()
    following = _SUMMARY_RE.search(stderr, begin)
    summary = stderr[begin : following.start() if following else len(stderr)]
    # Other threads may log between the summary's lines; its own lines have no `[` prefix.
    own = "\n".join(line for line in summary.splitlines() if not line.startswith("["))
    integrated = re.search(r"^\s+I:\s+(\S+) LUFS", own, re.MULTILINE)
    lra = re.search(r"^\s+LRA:\s+(\S+) LU", own, re.MULTILINE)
    if integrated is None or lra is None:
        return None
    return Ebur128Summary(
        integrated_lufs=float(integrated.group(1)),
        lra_lu=float(lra.group(1)),
        true_peak_dbtp=_section_peak(own, "True peak"),
        sample_peak_dbfs=_section_peak(own, "Sample peak"),
    )


_FRAME_RE = re.compile(r"\] t: (\S+)\s+TARGET:\S+ LUFS\s+M:\s*(\S+) S:\s*(\S+)")


def parse_ebur128_frame(line: str) -> tuple[float, float, float] | None:
    """Return (momentary, short-term, time) of an ebur128 frame-log line (`framelog=info`).

    The time is the stream's at the block's end: it jumps where frames were left out.
    """
    match = _FRAME_RE.search(line)
    if match is None:
        return None
    return float(match.group(2)), float(match.group(3)), float(match.group(1))


def _section_peak(summary: str, section: str) -> float | None:
    match = re.search(rf"^\s+{section}:\s*\n\s+Peak:\s+(\S+) dBFS", summary, re.MULTILINE)
    return float(match.group(1)) if match else None


_VOLUME_RE = re.compile(
    r"^\[(?P<name>[^\s\]]+) @ 0x[0-9a-f]+\] (?P<key>n_samples|mean_volume|max_volume): "
    r"(?P<value>\S+)",
    re.MULTILINE,
)


def parse_volumedetect(stderr: str) -> dict[str, VolumeStats]:
    """Return each volumedetect filter's final figures, keyed by its instance name."""
    values: dict[str, dict[str, str]] = {}
    for match in _VOLUME_RE.finditer(stderr):
        name = match.group("name").removeprefix("volumedetect@")
        if match.group("key") == "n_samples":
            values[name] = {}  # a new report starts; graphs configured twice print twice
        values.setdefault(name, {})[match.group("key")] = match.group("value")
    return {
        name: VolumeStats(
            mean_volume_db=float(found["mean_volume"]),
            max_volume_db=float(found["max_volume"]),
            samples=int(found["n_samples"]),
        )
        for name, found in values.items()
        if {"n_samples", "mean_volume", "max_volume"} <= found.keys()
    }


_SILENCE_RE = re.compile(
    r"\] silence_(?P<edge>start|end): (?P<time>-?[0-9.]+(?:e-?\d+)?)", re.MULTILINE
)


def parse_silencedetect(stderr: str) -> list[tuple[float, float | None]]:
    """Return the silences silencedetect printed as (start, end) seconds; end None: to the end."""
    spans: list[tuple[float, float | None]] = []
    for match in _SILENCE_RE.finditer(stderr):
        time_s = max(float(match.group("time")), 0.0)
        if match.group("edge") == "start":
            spans.append((time_s, None))
        elif spans and spans[-1][1] is None:
            spans[-1] = (spans[-1][0], time_s)
    return spans
