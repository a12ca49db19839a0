"""The threads beside a running ffmpeg: its stderr drained into a bounded log, its stdout handed on.

Starts no process (ffmpeg.py does); also lowers the priority of work done behind the encoder.
"""

from __future__ import annotations

import contextlib
import io
import os
import queue
import shutil
import sys
import threading
from collections import deque
from collections.abc import Callable
from typing import IO

from radiodesk.audio.ffmpeg_output import parse_stats_line

LineFn = Callable[[str], bool]  # sees each log line in a reader thread; True: consumed, not kept
OutputFn = Callable[[memoryview], None]  # a run's stdout in chunks (valid during the call)
Events = queue.Queue[tuple[int, float] | None]  # (run number, media seconds); None: stderr closed

HEAD_KEEP, TAIL_KEEP = 2000, 2000  # stderr lines kept in memory: flat even for a noisy 3 h file
OUTPUT_CHUNK_BYTES = 1 << 20
BACKGROUND_NICE = 10


class Log:
    """The first and last lines of a stderr stream, plus the last progress position."""

    def __init__(self) -> None:
        self.head: list[str] = []
        self.tail: deque[str] = deque(maxlen=TAIL_KEEP)
        self.dropped = 0
        self.out_time_s: float | None = None

    def add(self, line: str) -> None:
        """Keep a line: among the first HEAD_KEEP, else among the last TAIL_KEEP."""
        if len(self.head) < HEAD_KEEP:
            self.head.append(line)
            return
        if len(self.tail) == TAIL_KEEP:
            self.dropped += 1
        self.tail.append(line)

    def text(self) -> str:
        """Return the kept lines, with a note where lines were dropped."""
        gap = [f"[... {self.dropped} lines not kept ...]"] if self.dropped else []
        return "\n".join([*self.head, *gap, *self.tail])


def drain(
    stream: IO[bytes],
    sink: Log,
    events: Events,
    tag: int | None,  # the run's number in progress events; None: report no progress
    on_line: LineFn | None,
) -> None:
    """Read a stderr stream to its end: log lines into `sink`, stats lines as progress events."""
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


class Output:
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


def background_prefix() -> tuple[str, ...]:
    """Return the command that runs a process at a lower priority (`nice` execs it in place:
    the pid, signals and exit code stay ffmpeg's).

    Not SCHED_IDLE (`chrt --idle`): a process cannot leave that policy without privileges, and
    when other programs keep the cores busy it gets no CPU at all; the encoder, waiting for its
    meter, would stall with it.
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
