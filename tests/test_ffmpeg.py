"""ffmpeg.py: binary discovery, and real runs: one process, a pipe of two, several at once."""

from __future__ import annotations

import contextlib
import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from media import ffmpeg_exe
from radiodesk.audio import ffmpeg, pipes
from radiodesk.audio.ffmpeg_args import file_url
from radiodesk.audio.ffmpeg_output import parse_ebur128
from radiodesk.errors import ToolError

# ---------------------------------------------------------------- the binary


def test_the_tests_own_ffmpeg_is_accepted() -> None:
    # Whichever ffmpeg runs the suite (Debian's 5.1 on PATH, or the wheel's), radiodesk takes it.
    assert ffmpeg.find_ffmpeg().path == Path(ffmpeg_exe())


def test_find_ffmpeg_returns_a_checked_binary() -> None:
    found = ffmpeg.find_ffmpeg()
    assert found.path.is_file()
    assert found.version
    assert ffmpeg.find_ffmpeg() is found  # checked once per process


def fake_ffmpeg(folder: Path, version: str) -> Path:
    """Write a shell script that answers -version, -encoders and -filters like a thin build."""
    fake = folder / "ffmpeg"
    fake.write_text(
        "#!/bin/sh\n"
        'case "$2" in\n'
        f"  -version) echo 'ffmpeg version {version} Copyright (c) 2000-2024' ;;\n"
        "  -encoders) printf ' ------\\n A..... aac AAC\\n' ;;\n"
        "  -filters) printf ' ------\\n .. ebur128 A->N x\\n .. alimiter A->A y\\n' ;;\n"
        "esac\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return fake


def test_check_ffmpeg_rejects_a_build_without_libmp3lame(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="lacks libmp3lame") as caught:
        ffmpeg.check_ffmpeg(fake_ffmpeg(tmp_path, "6.1.1-3ubuntu5"))
    assert caught.value.hint is not None
    assert "imageio-ffmpeg" in caught.value.hint


def test_check_ffmpeg_rejects_an_old_release(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match=r"version 4.4.2-0ubuntu0.22.04.1; radiodesk needs 5.0"):
        ffmpeg.check_ffmpeg(fake_ffmpeg(tmp_path, "4.4.2-0ubuntu0.22.04.1"))


def test_check_ffmpeg_reports_a_missing_binary(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="cannot run ffmpeg"):
        ffmpeg.check_ffmpeg(tmp_path / "nothing-here")


# ---------------------------------------------------------------- running


def test_failing_command_raises_tool_error_with_tail(tmp_path: Path) -> None:
    missing = tmp_path / "missing.wav"
    with pytest.raises(ToolError) as caught:
        ffmpeg.run(["-i", file_url(missing), "-f", "null", "-"], timeout_s=30)
    error = caught.value
    assert error.returncode not in (0, None)
    assert "No such file or directory" in error.stderr_tail
    assert "No such file or directory" in error.message
    assert "\n" not in error.message
    assert error.argv[-4:] == ("-i", file_url(missing), "-f", "null", "-")[-4:]
    assert len(error.stderr_tail.splitlines()) <= ffmpeg.TAIL_LINES


def test_run_reports_progress_and_keeps_the_log() -> None:
    seen: list[float] = []
    done = ffmpeg.run(
        ["-f", "lavfi", "-i", "sine=d=3", "-af", "ebur128=framelog=verbose", "-f", "null", "-"],
        timeout_s=30,
        on_progress=seen.append,
    )
    assert seen
    assert seen[-1] == pytest.approx(3.0, abs=0.05)
    assert done.out_time_s == seen[-1]
    summary = parse_ebur128(done.stderr)
    assert summary is not None
    assert summary.integrated_lufs < -10
    assert not [line for line in done.stderr.splitlines() if line.startswith("size=")]


def test_run_times_out_and_stops_ffmpeg() -> None:
    with pytest.raises(ToolError, match="did not finish within 1 s"):
        ffmpeg.run(["-re", "-f", "lavfi", "-i", "sine=d=30", "-f", "null", "-"], timeout_s=1)


def test_pipeline_meters_what_the_encoder_writes() -> None:
    seen: list[float] = []
    encoder = ["-f", "lavfi", "-i", "sine=d=20", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]
    meter = ["-f", "mp3", "-i", "pipe:0", "-af", "ebur128=peak=true:framelog=verbose"]
    first, second, beside = ffmpeg.run_pipeline(
        encoder, [*meter, "-f", "null", "-"], timeout_s=60, on_progress=seen.append
    )
    assert beside is None
    summary = parse_ebur128(second.stderr)
    assert summary is not None
    assert summary.true_peak_dbtp is not None
    # The sine's default amplitude (-18.1 dBFS); LAME builds differ by a few tenths.
    assert summary.true_peak_dbtp == pytest.approx(-18.1, abs=0.5)
    assert seen[-1] == pytest.approx(20.0, abs=0.1)

    assert first.out_time_s == seen[-1]


def test_pipeline_runs_a_third_ffmpeg_alongside() -> None:
    encoder = ["-f", "lavfi", "-i", "sine=d=5", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]
    meter = ["-f", "mp3", "-i", "pipe:0", "-f", "null", "-"]
    beside = ["-f", "lavfi", "-i", "sine=d=30", "-af", "ebur128@side=framelog=verbose"]
    run = ffmpeg.run_pipeline(encoder, meter, timeout_s=60, alongside=[*beside, "-f", "null", "-"])
    assert run.alongside is not None
    summary = parse_ebur128(run.alongside.stderr, "side")
    assert summary is not None
    assert summary.integrated_lufs == pytest.approx(-21.8, abs=0.2)  # the sine at 1/8 scale


def test_pipeline_runs_the_consumer_at_a_lower_priority() -> None:
    """The meter yields the core to the encoder it reads behind (`nice` execs ffmpeg)."""
    encoder = ["-f", "lavfi", "-i", "sine=d=120", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]
    meter = ["-f", "mp3", "-i", "pipe:0", "-af", "ebur128=peak=true", "-f", "null", "-"]
    niceness: dict[int, set[int]] = {}
    real_popen = ffmpeg.subprocess.Popen

    def watch(popen: Any) -> None:
        while popen.poll() is None:
            with contextlib.suppress(OSError):  # it may end between the two calls
                niceness[popen.pid].add(os.getpriority(os.PRIO_PROCESS, popen.pid))
            time.sleep(0.005)

    def spy(argv: Any, **kwargs: Any) -> Any:
        popen = real_popen(argv, **kwargs)
        niceness[popen.pid] = set()
        threading.Thread(target=watch, args=(popen,), daemon=True).start()
        return popen

    ffmpeg.find_ffmpeg()  # its checks run before the spy: only the pipeline's two are seen
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ffmpeg.subprocess, "Popen", spy)
        ffmpeg.run_pipeline(encoder, meter, timeout_s=60)
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    producer, consumer = niceness.values()
    assert producer == {ours}
    assert max(consumer) == min(ours + pipes.BACKGROUND_NICE, 19)


def test_meter_reader_thread_yields_like_the_meter() -> None:
    seen: list[int] = []

    def record(_: memoryview) -> None:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    encoder = ["-f", "lavfi", "-i", "sine=d=2", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]
    meter = ["-f", "mp3", "-i", "pipe:0", "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1"]
    ffmpeg.run_pipeline(encoder, meter, timeout_s=60, on_output=record)
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen
    assert set(seen) == {min(ours + pipes.BACKGROUND_NICE, 19)}
    assert ours == os.getpriority(os.PRIO_PROCESS, 0)  # the caller's own thread is left alone


def test_pipeline_finishes_while_other_programs_keep_every_core_busy() -> None:
    """A lower priority, not none: under SCHED_IDLE the meter got no CPU beside busy loops,
    and the encoder it feeds waited with it until they ended (liveness, not speed)."""
    spin = [
        sys.executable,
        "-c",
        "import time\nend = time.time() + 120\nwhile time.time() < end: pass",
    ]
    hogs = [subprocess.Popen(spin) for _ in range(2 * (os.cpu_count() or 1))]
    try:
        encoder = ["-f", "lavfi", "-i", "sine=d=20", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]
        meter = ["-f", "mp3", "-i", "pipe:0", "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1"]
        received: list[int] = []
        started = time.monotonic()
        ffmpeg.run_pipeline(
            encoder, meter, timeout_s=110, on_output=lambda chunk: received.append(len(chunk))
        )
        elapsed = time.monotonic() - started
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert sum(received) >= 20 * 44_100 * 4  # the whole sine came through the meter
    assert elapsed < 30, f"{elapsed:.0f} s: the meter starved"  # SCHED_IDLE took 66 s, nice 4 s


def test_run_parallel_adds_up_progress_and_hands_over_lines() -> None:
    seen: list[float] = []
    lines: list[str] = []

    def keep(line: str) -> bool:
        lines.append(line)
        return "TARGET:" in line  # frame lines are taken, not kept in the log

    meter = ["-af", "ebur128=framelog=info", "-f", "null", "-"]
    runs = [["-f", "lavfi", "-i", f"sine=d={seconds}", *meter] for seconds in (3, 5)]
    first, second = ffmpeg.run_parallel(
        runs, timeout_s=60, on_progress=seen.append, on_line=[keep, None]
    )
    assert seen[-1] == pytest.approx(8.0, abs=0.1)  # 3 s + 5 s of media
    assert sum("TARGET:" in line for line in lines) == pytest.approx(30, abs=1)
    assert "TARGET:" not in first.stderr
    assert "TARGET:" in second.stderr
    assert parse_ebur128(first.stderr) is not None


# What ffmpeg 5.1 (its own line) and 7.x and later (the output's error) say last.
UNKNOWN_FILTER = "No such filter: 'no_such_filter'|Filter not found"


def test_run_parallel_raises_the_failing_runs_error() -> None:
    good = ["-f", "lavfi", "-i", "sine=d=1", "-f", "null", "-"]
    bad = ["-f", "lavfi", "-i", "sine=d=1", "-af", "no_such_filter", "-f", "null", "-"]
    with pytest.raises(ToolError, match=UNKNOWN_FILTER):
        ffmpeg.run_parallel([good, bad], timeout_s=60)


def test_pipeline_blames_the_consumer_when_it_fails() -> None:
    encoder = ["-f", "lavfi", "-i", "sine=d=600", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]
    broken = ["-f", "mp3", "-i", "pipe:0", "-af", "no_such_filter", "-f", "null", "-"]
    with pytest.raises(ToolError, match=UNKNOWN_FILTER) as caught:
        ffmpeg.run_pipeline(encoder, broken, timeout_s=60)
    assert "pipe:0" in caught.value.argv  # the meter's error, not the encoder's broken pipe
    assert "no_such_filter" in caught.value.stderr_tail
