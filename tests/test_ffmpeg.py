"""ffmpeg.py: pure parsers on captured stderr, binary discovery, and real runs that fail."""

from __future__ import annotations

import contextlib
import dataclasses
import math
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
from radiodesk.audio import ffmpeg
from radiodesk.errors import ToolError

WAV_STEREO = """\
[aist#0:0/pcm_s16le @ 0x561d432783c0] Guessed Channel Layout: stereo
Input #0, wav, from 'file:/tmp/st.wav':
  Metadata:
    encoder         : Lavf63.1.102
  Duration: 00:00:05.00, bitrate: 1536 kb/s
  Stream #0:0: Audio: pcm_s16le ([1][0][0][0] / 0x0001), 48000 Hz, stereo, s16, 1536 kb/s
Stream mapping:
  Stream #0:0 -> #0:0 (pcm_s16le (native) -> pcm_s16le (native))
Output #0, null, to 'pipe:':
  Stream #0:0: Audio: pcm_s16le, 44100 Hz, 1 channels (FL), s16, 705 kb/s
"""

MP4_WITH_VIDEO = """\
Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'v.mp4':
  Metadata:
    major_brand     : isom
  Duration: 00:00:06.00, start: 0.000000, bitrate: 100 kb/s
  Stream #0:0[0x1](und): Video: h264 (Constrained Baseline) (avc1 / 0x31637661), yuv420p(progressive), 64x64, 5 fps (default)
    Metadata:
      handler_name    : VideoHandler
  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 48000 Hz, stereo, fltp, 94 kb/s (default)
    Metadata:
      handler_name    : SoundHandler
At least one output file must be specified
"""  # noqa: E501 - ffmpeg's own line lengths

PNG_AS_WAV = """\
Input #0, png_pipe, from 'img.wav':
  Duration: N/A, bitrate: N/A
  Stream #0:0: Video: png, rgb24(pc, gbr/unknown/unknown), 16x16 [SAR 1:1 DAR 1:1], 25 fps
Stream map '' matches no streams.
To ignore this, add a trailing '?' to the map.
Failed to set value '0:a:0' for option 'map': Invalid argument
Error opening output files: Invalid argument
"""

TEXT_AS_WAV = """\
[in#0 @ 0x56010ff045c0] Error opening input: Invalid data found when processing input
Error opening input file text.wav.
Error opening input files: Invalid data found when processing input
"""

# Two graphs log at once: volumedetect lines land between the ebur128 summary's own lines.
EBUR128_INTERLEAVED = """\
[volumedetect@diff @ 0x7fb26810b980] n_samples: 240000
[volumedetect@diff @ 0x7fb26810b980] mean_volume: -91.0 dB
[volumedetect@diff @ 0x7fb26810b980] max_volume: -91.0 dB
[ebur128@main @ 0x7fb25c001c40] Summary:

  Integrated loudness:
    I:         -21.5 LUFS
    Threshold: -31.5 LUFS
[volumedetect@right @ 0x7fb26808b580] n_samples: 240000

  Loudness range:
    LRA:         3.2 LU
    Threshold: -41.5 LUFS
    LRA low:   -23.5 LUFS
    LRA high:  -20.3 LUFS
[volumedetect@right @ 0x7fb26808b580] mean_volume: -21.1 dB

  True peak:
    Peak:      -18.1 dBFS
[volumedetect@right @ 0x7fb26808b580] max_volume: -18.1 dB
[volumedetect@right @ 0x7fb26808b580] histogram_18db: 70000
[volumedetect@left @ 0x7fb26800b240] n_samples: 0
[volumedetect@left @ 0x7fb26800b240] n_samples: 240000
[volumedetect@left @ 0x7fb26800b240] mean_volume: -34.3 dB
[volumedetect@left @ 0x7fb26800b240] max_volume: -21.7 dB
size=N/A time=00:00:05.00 bitrate=N/A speed=  97x elapsed=0:00:00.05
"""

EBUR128_SILENCE = """\
[Parsed_ebur128_0 @ 0x7f6cec001c00] Summary:

  Integrated loudness:
    I:         -70.0 LUFS
    Threshold:   0.0 LUFS

  Loudness range:
    LRA:         0.0 LU
    Threshold:   0.0 LUFS
    LRA low:     0.0 LUFS
    LRA high:    0.0 LUFS

  True peak:
    Peak:       -inf dBFS
"""


# ---------------------------------------------------------------- pure parsers


def test_parse_audio_streams_reads_the_input_block_only() -> None:
    [stream] = ffmpeg.parse_audio_streams(WAV_STEREO)
    assert stream == ffmpeg.AudioStream(
        codec="pcm_s16le",
        sample_rate_hz=48000,
        channels=2,
        layout="stereo",
        header_duration_s=5.0,
        container="wav",
    )


def test_only_the_wav_demuxer_gets_bigger_packets() -> None:
    [mp4] = ffmpeg.parse_audio_streams(MP4_WITH_VIDEO)
    assert mp4.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert ffmpeg.demuxer_options(mp4.container) == []  # ffmpeg refuses options a demuxer lacks
    assert ffmpeg.demuxer_options("wav") == ["-max_size", "65536"]


def test_parse_audio_streams_skips_video_and_finds_the_audio_track() -> None:
    [stream] = ffmpeg.parse_audio_streams(MP4_WITH_VIDEO)
    assert (stream.codec, stream.sample_rate_hz, stream.channels) == ("aac", 48000, 2)
    assert stream.header_duration_s == 6.0


def test_parse_audio_streams_header_duration_may_be_unknown() -> None:
    text = WAV_STEREO.replace("Duration: 00:00:05.00", "Duration: N/A")
    assert ffmpeg.parse_audio_streams(text)[0].header_duration_s is None
    long = WAV_STEREO.replace("Duration: 00:00:05.00", "Duration: 03:00:01.50")
    assert ffmpeg.parse_audio_streams(long)[0].header_duration_s == 10801.5


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("  Stream #0:0: Audio: amr_nb (amrnb) (samr / 0x726D6173), 8000 Hz, mono, fltp, 12 kb/s",
         ("amr_nb", 8000, 1, "mono")),
        ("  Stream #0:0: Audio: flac, 96000 Hz, 5.1(side), s32 (24 bit)",
         ("flac", 96000, 6, "5.1(side)")),
        ("  Stream #0:0(eng): Audio: opus, 48000 Hz, stereo, fltp", ("opus", 48000, 2, "stereo")),
        ("  Stream #0:0: Audio: pcm_s16le, 44100 Hz, 3 channels, s16", ("pcm_s16le", 44100, 3,
         "3 channels")),
        ("  Stream #0:0: Audio: mp3 (mp3float), 44100 Hz, mono, fltp, 64 kb/s, start 0.025057",
         ("mp3", 44100, 1, "mono")),
    ],
)  # fmt: skip
def test_parse_audio_streams_formats(line: str, expected: tuple[str, int, int, str]) -> None:
    [stream] = ffmpeg.parse_audio_streams(f"Input #0, x, from 'f':\n{line}\n")
    assert (stream.codec, stream.sample_rate_hz, stream.channels, stream.layout) == expected


def test_no_audio_stream_is_detected() -> None:
    assert ffmpeg.parse_audio_streams(PNG_AS_WAV) == []
    problem = ffmpeg.parse_input_problem(PNG_AS_WAV)
    assert problem is not None
    assert problem.kind == "no-audio-stream"


def test_undecodable_input_is_detected_with_ffmpegs_reason() -> None:
    assert ffmpeg.parse_audio_streams(TEXT_AS_WAV) == []
    assert ffmpeg.parse_input_problem(TEXT_AS_WAV) == ffmpeg.InputProblem(
        "unreadable", "Invalid data found when processing input"
    )
    assert ffmpeg.parse_input_problem(WAV_STEREO) is None
    # ffmpeg 5.1 (Debian 12) names the input, then the reason; a name may hold ": " itself.
    debian = "[mp3 @ 0x55e5] Invalid frame size (208): Could not seek to 435.\n"
    debian += "file:/tmp/Губернатор: бюджет.mp3: Invalid argument\n"
    assert ffmpeg.parse_input_problem(debian) == ffmpeg.InputProblem(
        "unreadable", "Invalid argument"
    )


@pytest.mark.parametrize(
    ("layout", "channels"),
    [("mono", 1), ("stereo", 2), ("5.1", 6), ("7.1(wide)", 8), ("6 channels", 6), ("?", 0)],
)
def test_layout_channels(layout: str, channels: int) -> None:
    assert ffmpeg.layout_channels(layout) == channels


def test_parse_ebur128_survives_interleaved_lines() -> None:
    assert ffmpeg.parse_ebur128(EBUR128_INTERLEAVED) == ffmpeg.Ebur128Summary(
        integrated_lufs=-21.5, lra_lu=3.2, true_peak_dbtp=-18.1
    )


def test_parse_ebur128_survives_a_stats_line_glued_to_its_own() -> None:
    # The summary is several log calls; ffmpeg's main thread may print its stats in between.
    glued = EBUR128_SILENCE.replace("-70.0 LUFS", "-70.0 LUFSsize=N/A time=00:00:03.00 speed=9x")
    summary = ffmpeg.parse_ebur128(glued)
    assert summary is not None
    assert summary.integrated_lufs == -70.0


def test_parse_ebur128_silence_and_absence() -> None:
    summary = ffmpeg.parse_ebur128(EBUR128_SILENCE)
    assert summary is not None
    assert summary.integrated_lufs == -70.0
    assert summary.true_peak_dbtp == -math.inf
    assert ffmpeg.parse_ebur128(WAV_STEREO) is None
    no_peak = EBUR128_SILENCE.split("  True peak:")[0]
    assert ffmpeg.parse_ebur128(no_peak) == ffmpeg.Ebur128Summary(
        integrated_lufs=-70.0, lra_lu=0.0, true_peak_dbtp=None
    )


# A meter with two named instances (and both peak kinds on the second) prints two summaries.
EBUR128_TWO_METERS = """\
size=N/A time=00:00:30.00 bitrate=N/A speed=62.5x elapsed=0:00:00.48
[ebur128@encoded @ 0x7f9d98001b80] Summary:

  Integrated loudness:
    I:         -16.1 LUFS
    Threshold: -26.4 LUFS

  Loudness range:
    LRA:         2.0 LU
    Threshold: -36.3 LUFS
    LRA low:   -18.3 LUFS
    LRA high:  -16.4 LUFS

  True peak:
    Peak:       -1.3 dBFS
[ebur128@master @ 0x7f9d98002a40] Summary:

  Integrated loudness:
    I:         -23.9 LUFS
    Threshold: -34.2 LUFS

  Loudness range:
    LRA:         2.1 LU
    Threshold: -45.1 LUFS
    LRA low:   -26.2 LUFS
    LRA high:  -24.2 LUFS

  Sample peak:
    Peak:       -7.9 dBFS

  True peak:
    Peak:       -7.6 dBFS
[out#0/null @ 0x561ec45a29c0] video:0KiB audio:20683KiB subtitle:0KiB other streams:0KiB
"""


def test_parse_ebur128_reads_each_named_meter_and_both_peaks() -> None:
    encoded = ffmpeg.Ebur128Summary(integrated_lufs=-16.1, lra_lu=2.0, true_peak_dbtp=-1.3)
    master = ffmpeg.Ebur128Summary(
        integrated_lufs=-23.9, lra_lu=2.1, true_peak_dbtp=-7.6, sample_peak_dbfs=-7.9
    )
    assert ffmpeg.parse_ebur128(EBUR128_TWO_METERS, "encoded") == encoded
    assert ffmpeg.parse_ebur128(EBUR128_TWO_METERS, "master") == master
    assert ffmpeg.parse_ebur128(EBUR128_TWO_METERS) == master  # unnamed: the last one
    assert ffmpeg.parse_ebur128(EBUR128_TWO_METERS, "other") is None
    sample_only = EBUR128_TWO_METERS.split("  True peak:\n    Peak:       -7.6")[0]
    assert ffmpeg.parse_ebur128(sample_only, "master") == dataclasses.replace(
        master, true_peak_dbtp=None
    )


@pytest.mark.parametrize(
    ("line", "blocks"),
    [
        ("[Parsed_ebur128_0 @ 0x7fe8] t: 10.099979  TARGET:-23 LUFS    M: -24.7 S: -25.4     "
         "I: -24.2 LUFS       LRA:   2.0 LU  SPK: -10.0  -8.4 dBFS  TPK: -10.0  -8.2 dBFS",
         (-24.7, -25.4, 10.099979)),
        ("[Parsed_ebur128_0 @ 0x7fe8] t: 0.0999792  TARGET:-23 LUFS    M:-120.7 S:-120.7     "
         "I: -70.0 LUFS       LRA:   0.0 LU", (-120.7, -120.7, 0.0999792)),
        ("[ebur128@x @ 0x7fe8] t: 3.1  TARGET:-23 LUFS    M:  -3.0 S:   1.5     I:  -5.0 LUFS",
         (-3.0, 1.5, 3.1)),
        ("[Parsed_ebur128_0 @ 0x7fe8] Summary:", None),
        ("    I:         -23.9 LUFS", None),
    ],
)  # fmt: skip
def test_parse_ebur128_frame(line: str, blocks: tuple[float, float, float] | None) -> None:
    assert ffmpeg.parse_ebur128_frame(line) == blocks


def test_parse_volumedetect_keeps_each_filters_final_report() -> None:
    stats = ffmpeg.parse_volumedetect(EBUR128_INTERLEAVED)
    assert stats == {
        "diff": ffmpeg.VolumeStats(mean_volume_db=-91.0, max_volume_db=-91.0, samples=240000),
        "right": ffmpeg.VolumeStats(mean_volume_db=-21.1, max_volume_db=-18.1, samples=240000),
        "left": ffmpeg.VolumeStats(mean_volume_db=-34.3, max_volume_db=-21.7, samples=240000),
    }
    only_init = "[volumedetect@all @ 0x55d0] n_samples: 0\n"
    assert ffmpeg.parse_volumedetect(only_init) == {}


@pytest.mark.parametrize(
    ("line", "seconds"),
    [
        ("size=  938KiB time=00:00:05.00 bitrate=1536.1kbits/s speed= 133x elapsed=0:00:00.03",
         5.0),
        ("size=N/A time=01:02:03.50 bitrate=N/A speed=97x", 3723.5),
        ("frame=   30 fps=0.0 q=-0.0 Lsize=N/A time=00:00:06.00 bitrate=N/A speed= 330x", 6.0),
        ("size=       0KiB time=-00:00:00.02 bitrate=N/A speed=N/A", 0.0),
        ("size=N/A time=N/A bitrate=N/A speed=N/A", None),
        ("[Parsed_ebur128_0 @ 0x1] Summary:", None),
    ],
)  # fmt: skip
def test_parse_stats_line(line: str, seconds: float | None) -> None:
    assert ffmpeg.parse_stats_line(line) == seconds


def test_version_and_listing_parsers() -> None:
    version = "ffmpeg version n7.1-3-gabc Copyright (c) 2000-2024 the FFmpeg developers\nbuilt…"
    assert ffmpeg.parse_version(version) == "n7.1-3-gabc"
    with pytest.raises(ToolError, match="does not look like ffmpeg"):
        ffmpeg.parse_version("Python 3.11")
    listing = "Encoders:\n A..... = Audio\n ------\n A....D libmp3lame    MP3\n A....D aac  AAC\n"
    assert ffmpeg.parse_listing(listing) == {"libmp3lame", "aac"}
    filters = "Filters:\n  T.. = Timeline\n  ------\n TS aap   AA->A  x\n .. ebur128  A->N  y\n"
    assert ffmpeg.parse_listing(filters) == {"aap", "ebur128"}
    # ffmpeg 5.1 (Debian 12) lists its filters under the legend with no rule between.
    filters_5 = (
        "Filters:\n  T.. = Timeline support\n  .S. = Slice threading\n  ..C = Command support\n"
        "  A = Audio input/output\n  | = Source or sink filter\n"
        " T.C alimiter          A->A       Audio lookahead limiter.\n"
        " ... ebur128           A->N       EBU R128 scanner.\n"
    )
    assert ffmpeg.parse_listing(filters_5) == {"alimiter", "ebur128"}


def test_the_tests_own_ffmpeg_is_accepted() -> None:
    # Whichever ffmpeg runs the suite (Debian's 5.1 on PATH, or the wheel's), radiodesk takes it.
    assert ffmpeg.find_ffmpeg().path == Path(ffmpeg_exe())


def test_last_message_drops_the_prefix_and_generic_trailers() -> None:
    assert ffmpeg.last_message(TEXT_AS_WAV) == (
        "Error opening input files: Invalid data found when processing input"
    )
    assert ffmpeg.last_message("[aost#0:0 @ 0x5] Broken pipe\nConversion failed!\n") == (
        "Broken pipe"
    )
    assert ffmpeg.last_message("") == "no message"
    # ffmpeg 5.1 (Debian 12) on an unknown filter: the cause comes before three generic lines.
    debian = (
        "[AVFilterGraph @ 0x55cfb8c712c0] No such filter: 'no_such_filter'\n"
        "Error reinitializing filters!\n"
        "Failed to inject frame into filter network: Invalid argument\n"
        "Error while processing the decoded data for stream #0:0\n"
        "Conversion failed!\n"
    )
    assert ffmpeg.last_message(debian) == "No such filter: 'no_such_filter'"


def test_argv_builders() -> None:
    argv = ffmpeg.build_argv(Path("/opt/ffmpeg"), ["-i", "x"])
    assert argv[0] == "/opt/ffmpeg"
    assert {"-hide_banner", "-nostdin"} <= set(argv)
    assert argv[-2:] == ("-i", "x")
    assert ffmpeg.file_url(Path("/a b/c:d.wav")) == "file:/a b/c:d.wav"
    spec = ffmpeg.tee_spec(("f=mp3", "file:/a b/x|y's.mp3"), ("f=mp3", "pipe:1"))
    assert spec == r"[f=mp3]file:/a\ b/x\|y\'s.mp3|[f=mp3]pipe:1"


# ---------------------------------------------------------------- the binary


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


@pytest.mark.parametrize(
    ("version", "number"),
    [("7.1", (7, 1)), ("n9.0.2-17-g2a571b6068", (9, 0)), ("N-113000-gabc123", None)],
)
def test_version_number(version: str, number: tuple[int, int] | None) -> None:
    assert ffmpeg.version_number(version) == number


def test_check_ffmpeg_reports_a_missing_binary(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="cannot run ffmpeg"):
        ffmpeg.check_ffmpeg(tmp_path / "nothing-here")


# ---------------------------------------------------------------- running


def test_failing_command_raises_tool_error_with_tail(tmp_path: Path) -> None:
    missing = tmp_path / "missing.wav"
    with pytest.raises(ToolError) as caught:
        ffmpeg.run(["-i", ffmpeg.file_url(missing), "-f", "null", "-"], timeout_s=30)
    error = caught.value
    assert error.returncode not in (0, None)
    assert "No such file or directory" in error.stderr_tail
    assert "No such file or directory" in error.message
    assert "\n" not in error.message
    assert error.argv[-4:] == ("-i", ffmpeg.file_url(missing), "-f", "null", "-")[-4:]
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
    summary = ffmpeg.parse_ebur128(done.stderr)
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
    summary = ffmpeg.parse_ebur128(second.stderr)
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
    summary = ffmpeg.parse_ebur128(run.alongside.stderr, "side")
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
    assert max(consumer) == min(ours + ffmpeg.BACKGROUND_NICE, 19)


def test_meter_reader_thread_yields_like_the_meter() -> None:
    seen: list[int] = []

    def record(_: memoryview) -> None:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))

    encoder = ["-f", "lavfi", "-i", "sine=d=2", "-c:a", "libmp3lame", "-f", "mp3", "pipe:1"]
    meter = ["-f", "mp3", "-i", "pipe:0", "-c:a", "pcm_f32le", "-f", "f32le", "pipe:1"]
    ffmpeg.run_pipeline(encoder, meter, timeout_s=60, on_output=record)
    ours = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    assert seen
    assert set(seen) == {min(ours + ffmpeg.BACKGROUND_NICE, 19)}
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
    assert ffmpeg.parse_ebur128(first.stderr) is not None


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
