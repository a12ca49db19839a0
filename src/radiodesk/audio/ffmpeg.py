"""Runs ffmpeg: finds and checks the binary, runs one process, a pipe of two, or several at once.

The only module that starts processes. It knows how to run ffmpeg, not what the runs are for:
argv comes from the builders, what ffmpeg prints is read by ffmpeg_output.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, NamedTuple

from radiodesk.audio.ffmpeg_args import build_argv
from radiodesk.audio.ffmpeg_cache import BinaryCache, default_file
from radiodesk.audio.ffmpeg_output import (
    INSTALL_HINT,
    last_message,
    parse_listing,
    parse_version,
    version_number,
)
from radiodesk.audio.pipes import Events, LineFn, Log, Output, OutputFn, background_prefix, drain
from radiodesk.errors import ToolError

log = logging.getLogger(__name__)

SIGPIPE = getattr(signal, "SIGPIPE", 13)  # Windows has no SIGPIPE; the value is never seen there
ProgressFn = Callable[[float], None]  # seconds of media done; called in the caller's thread

REQUIRED_ENCODERS = frozenset({"libmp3lame"})
_MEASURING = {"ebur128", "volumedetect", "channelsplit", "pan", "asplit", "anullsink"}
REQUIRED_FILTERS = frozenset({*_MEASURING, "alimiter", "aformat", "aresample", "volume"})
TAIL_LINES = 20
CHECK_TIMEOUT_S = 30.0
PIPE_BYTES = 1 << 20  # Linux's default pipe-max-size; 64 KiB otherwise
MIN_VERSION = (5, 0)  # alimiter latency compensation, -stats_period


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


# ---------------------------------------------------------------- the binary


def candidate_paths(known: BinaryCache) -> Iterator[Path]:
    """Yield ffmpeg binaries to try: the one on PATH, then the imageio-ffmpeg wheel's."""
    if on_path := shutil.which("ffmpeg"):
        yield Path(on_path)
    try:
        import imageio_ffmpeg
    except ImportError:
        return
    # imageio-ffmpeg runs its binary to find it; a path it gave before, for the binary
    # checked then, needs no run (the same package, the same setting).
    key = f"{imageio_ffmpeg.__file__} {imageio_ffmpeg.__version__} "
    key += os.environ.get("IMAGEIO_FFMPEG_EXE", "")
    cached = known.wheel_path(key)
    if cached is not None and known.version_of(cached):
        yield cached
        return
    try:
        found = Path(str(imageio_ffmpeg.get_ffmpeg_exe()))
    except RuntimeError:
        return
    known.wheel_found(key, found)
    yield found


@functools.cache
def find_ffmpeg() -> Ffmpeg:
    """Return the first usable ffmpeg (checked once per process), or raise ToolError.

    A binary that passed the checks in an earlier run, and is still the same file, is not
    checked again (the answers are kept in the user's cache folder: ffmpeg_cache.py).
    """
    known = BinaryCache.load(default_file(), _requirements())
    problems: list[str] = []
    try:
        for path in candidate_paths(known):
            if version := known.version_of(path):
                log.debug("using ffmpeg %s at %s (checked before)", version, path)
                return Ffmpeg(path=path, version=version)
            try:
                found = check_ffmpeg(path)
            except ToolError as exc:
                problems.append(exc.message)
                continue
            known.passed(found.path, found.version)
            return found
    finally:
        known.save()
    detail = "; ".join(problems) if problems else "no ffmpeg on PATH and no imageio-ffmpeg binary"
    raise ToolError(f"no usable ffmpeg: {detail}", hint=INSTALL_HINT)


def _requirements() -> str:
    """Name what check_ffmpeg asks of a binary: a cached answer holds only for the same."""
    wanted = [*sorted(REQUIRED_ENCODERS), *sorted(REQUIRED_FILTERS)]
    return f"ffmpeg>={'.'.join(map(str, MIN_VERSION))}: {','.join(wanted)}"


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
    log.debug("running %s", subprocess.list2cmdline(argv))
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
    events: Events = queue.Queue()
    proc = _Process(argv, events, tag=0)
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
    events: Events = queue.Queue()
    procs, output = _start_pipeline(producer, consumer, events, on_output, alongside)
    try:
        _supervise(procs, events, timeout_s=timeout_s, on_progress=on_progress)
    finally:
        if output is not None:
            output.finish()
    first, second, *third = procs
    producer_code = first.popen.returncode
    if producer_code == -SIGPIPE or (producer_code and "Broken pipe" in first.log.text()):
        second.result(check=True)  # the consumer quit first: its error is the cause
    return PipelineRun(
        first.result(check=True),
        second.result(check=True),
        third[0].result(check=True) if third else None,
    )


def _start_pipeline(
    producer: Sequence[str],
    consumer: Sequence[str],
    events: Events,
    on_output: OutputFn | None,
    alongside: Sequence[str] | None,
) -> tuple[list[_Process], Output | None]:
    """Start the producer, the consumer on its stdout, and the run beside them (if any)."""
    binary = find_ffmpeg().path
    output: Output | None = None
    first = _Process(build_argv(binary, producer), events, tag=0, stdout=subprocess.PIPE)
    procs = [first]
    try:
        if first.stdout is not None:
            _widen_pipe(first.stdout.fileno())
        # The producer is the critical path; the consumer only reads behind it, in the
        # background (see background_prefix). A wide pipe lets it fall behind for a while
        # (a minute of MP3) before the producer has to wait for it.
        piped = subprocess.PIPE if on_output else subprocess.DEVNULL
        second = _Process(
            build_argv(binary, consumer), events, stdin=first.stdout, stdout=piped, background=True
        )
        procs.append(second)
        if on_output is not None and second.stdout is not None:
            _widen_pipe(second.stdout.fileno())  # the meter writes on while we read
            output = Output(second.stdout, on_output)
        if alongside is not None:
            procs.append(_Process(build_argv(binary, alongside), events, background=True))
    except BaseException:
        first.stop()  # the consumer, if it started, then sees the end of its input
        raise
    finally:
        if first.stdout is not None:
            first.stdout.close()  # the consumer holds its own copy; EOF reaches it when we exit
    return procs, output


def _widen_pipe(fd: int) -> None:
    """Give a pipe 1 MiB (a minute of MP3, 3 s of float PCM) where Linux allows; 64 KiB else."""
    with contextlib.suppress(AttributeError, OSError):  # not Linux, or above pipe-max-size
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_BYTES)


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
    events: Events = queue.Queue()
    procs: list[_Process] = []
    try:
        for index, args in enumerate(runs):
            line_fn = on_line[index] if index < len(on_line) else None
            procs.append(_Process(build_argv(binary, args), events, tag=index, on_line=line_fn))
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
    events: Events = queue.Queue()  # unused: stderr is drained, not relayed
    proc = _Process(argv, events, stdout=subprocess.PIPE)
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
        events: Events,
        *,
        tag: int | None = None,  # the run's number in progress events; None: report none
        stdin: int | IO[bytes] | None = subprocess.DEVNULL,
        stdout: int = subprocess.DEVNULL,
        on_line: LineFn | None = None,
        background: bool = False,
    ) -> None:
        self.argv = argv
        self.log = Log()
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
            target=drain,
            args=(self.popen.stderr, self.log, events, tag, on_line),
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


def _supervise(
    procs: Sequence[_Process],
    events: Events,
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


def _tail(stderr: str) -> str:
    return "\n".join(stderr.splitlines()[-TAIL_LINES:])
