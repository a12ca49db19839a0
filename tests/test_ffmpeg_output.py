"""ffmpeg_output.py: the pure parsers, on stderr captured from real ffmpeg runs."""

from __future__ import annotations

import dataclasses
import math

import pytest

from radiodesk.audio.ffmpeg_args import demuxer_options
from radiodesk.audio.ffmpeg_output import (
    AudioStream,
    Ebur128Summary,
    InputProblem,
    VolumeStats,
    last_message,
    layout_channels,
    parse_audio_streams,
    parse_ebur128,
    parse_ebur128_frame,
    parse_input_problem,
    parse_listing,
    parse_stats_line,
    parse_version,
    parse_volumedetect,
    version_number,
)
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


def test_parse_audio_streams_reads_the_input_block_only() -> None:
    [stream] = parse_audio_streams(WAV_STEREO)
    assert stream == AudioStream(
        codec="pcm_s16le",
        sample_rate_hz=48000,
        channels=2,
        layout="stereo",
        header_duration_s=5.0,
        container="wav",
    )


def test_only_the_wav_demuxer_gets_bigger_packets() -> None:
    [mp4] = parse_audio_streams(MP4_WITH_VIDEO)
    assert mp4.container == "mov,mp4,m4a,3gp,3g2,mj2"
    assert demuxer_options(mp4.container) == []  # ffmpeg refuses options a demuxer lacks
    assert demuxer_options("wav") == ["-max_size", "65536"]


def test_parse_audio_streams_skips_video_and_finds_the_audio_track() -> None:
    [stream] = parse_audio_streams(MP4_WITH_VIDEO)
    assert (stream.codec, stream.sample_rate_hz, stream.channels) == ("aac", 48000, 2)
    assert stream.header_duration_s == 6.0


def test_parse_audio_streams_header_duration_may_be_unknown() -> None:
    text = WAV_STEREO.replace("Duration: 00:00:05.00", "Duration: N/A")
    assert parse_audio_streams(text)[0].header_duration_s is None
    long = WAV_STEREO.replace("Duration: 00:00:05.00", "Duration: 03:00:01.50")
    assert parse_audio_streams(long)[0].header_duration_s == 10801.5


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
    [stream] = parse_audio_streams(f"Input #0, x, from 'f':\n{line}\n")
    assert (stream.codec, stream.sample_rate_hz, stream.channels, stream.layout) == expected


def test_no_audio_stream_is_detected() -> None:
    assert parse_audio_streams(PNG_AS_WAV) == []
    problem = parse_input_problem(PNG_AS_WAV)
    assert problem is not None
    assert problem.kind == "no-audio-stream"


def test_undecodable_input_is_detected_with_ffmpegs_reason() -> None:
    assert parse_audio_streams(TEXT_AS_WAV) == []
    assert parse_input_problem(TEXT_AS_WAV) == InputProblem(
        "unreadable", "Invalid data found when processing input"
    )
    assert parse_input_problem(WAV_STEREO) is None
    # ffmpeg 5.1 (Debian 12) names the input, then the reason; a name may hold ": " itself.
    debian = "[mp3 @ 0x55e5] Invalid frame size (208): Could not seek to 435.\n"
    debian += "file:/tmp/Губернатор: бюджет.mp3: Invalid argument\n"
    assert parse_input_problem(debian) == InputProblem("unreadable", "Invalid argument")


@pytest.mark.parametrize(
    ("layout", "channels"),
    [("mono", 1), ("stereo", 2), ("5.1", 6), ("7.1(wide)", 8), ("6 channels", 6), ("?", 0)],
)
def test_layout_channels(layout: str, channels: int) -> None:
    assert layout_channels(layout) == channels


def test_parse_ebur128_survives_interleaved_lines() -> None:
    assert parse_ebur128(EBUR128_INTERLEAVED) == Ebur128Summary(
        integrated_lufs=-21.5, lra_lu=3.2, true_peak_dbtp=-18.1
    )


def test_parse_ebur128_survives_a_stats_line_glued_to_its_own() -> None:
    # The summary is several log calls; ffmpeg's main thread may print its stats in between.
    glued = EBUR128_SILENCE.replace("-70.0 LUFS", "-70.0 LUFSsize=N/A time=00:00:03.00 speed=9x")
    summary = parse_ebur128(glued)
    assert summary is not None
    assert summary.integrated_lufs == -70.0


def test_parse_ebur128_silence_and_absence() -> None:
    summary = parse_ebur128(EBUR128_SILENCE)
    assert summary is not None
    assert summary.integrated_lufs == -70.0
    assert summary.true_peak_dbtp == -math.inf
    assert parse_ebur128(WAV_STEREO) is None
    no_peak = EBUR128_SILENCE.split("  True peak:")[0]
    assert parse_ebur128(no_peak) == Ebur128Summary(
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
    encoded = Ebur128Summary(integrated_lufs=-16.1, lra_lu=2.0, true_peak_dbtp=-1.3)
    master = Ebur128Summary(
        integrated_lufs=-23.9, lra_lu=2.1, true_peak_dbtp=-7.6, sample_peak_dbfs=-7.9
    )
    assert parse_ebur128(EBUR128_TWO_METERS, "encoded") == encoded
    assert parse_ebur128(EBUR128_TWO_METERS, "master") == master
    assert parse_ebur128(EBUR128_TWO_METERS) == master  # unnamed: the last one
    assert parse_ebur128(EBUR128_TWO_METERS, "other") is None
    sample_only = EBUR128_TWO_METERS.split("  True peak:\n    Peak:       -7.6")[0]
    assert parse_ebur128(sample_only, "master") == dataclasses.replace(master, true_peak_dbtp=None)


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
    assert parse_ebur128_frame(line) == blocks


def test_parse_volumedetect_keeps_each_filters_final_report() -> None:
    stats = parse_volumedetect(EBUR128_INTERLEAVED)
    assert stats == {
        "diff": VolumeStats(mean_volume_db=-91.0, max_volume_db=-91.0, samples=240000),
        "right": VolumeStats(mean_volume_db=-21.1, max_volume_db=-18.1, samples=240000),
        "left": VolumeStats(mean_volume_db=-34.3, max_volume_db=-21.7, samples=240000),
    }
    only_init = "[volumedetect@all @ 0x55d0] n_samples: 0\n"
    assert parse_volumedetect(only_init) == {}


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
    assert parse_stats_line(line) == seconds


def test_version_and_listing_parsers() -> None:
    version = "ffmpeg version n7.1-3-gabc Copyright (c) 2000-2024 the FFmpeg developers\nbuilt…"
    assert parse_version(version) == "n7.1-3-gabc"
    with pytest.raises(ToolError, match="does not look like ffmpeg"):
        parse_version("Python 3.11")
    listing = "Encoders:\n A..... = Audio\n ------\n A....D libmp3lame    MP3\n A....D aac  AAC\n"
    assert parse_listing(listing) == {"libmp3lame", "aac"}
    filters = "Filters:\n  T.. = Timeline\n  ------\n TS aap   AA->A  x\n .. ebur128  A->N  y\n"
    assert parse_listing(filters) == {"aap", "ebur128"}
    # ffmpeg 5.1 (Debian 12) lists its filters under the legend with no rule between.
    filters_5 = (
        "Filters:\n  T.. = Timeline support\n  .S. = Slice threading\n  ..C = Command support\n"
        "  A = Audio input/output\n  | = Source or sink filter\n"
        " T.C alimiter          A->A       Audio lookahead limiter.\n"
        " ... ebur128           A->N       EBU R128 scanner.\n"
    )
    assert parse_listing(filters_5) == {"alimiter", "ebur128"}


def test_last_message_drops_the_prefix_and_generic_trailers() -> None:
    assert last_message(TEXT_AS_WAV) == (
        "Error opening input files: Invalid data found when processing input"
    )
    assert last_message("[aost#0:0 @ 0x5] Broken pipe\nConversion failed!\n") == ("Broken pipe")
    assert last_message("") == "no message"
    # ffmpeg 5.1 (Debian 12) on an unknown filter: the cause comes before three generic lines.
    debian = (
        "[AVFilterGraph @ 0x55cfb8c712c0] No such filter: 'no_such_filter'\n"
        "Error reinitializing filters!\n"
        "Failed to inject frame into filter network: Invalid argument\n"
        "Error while processing the decoded data for stream #0:0\n"
        "Conversion failed!\n"
    )
    assert last_message(debian) == "No such filter: 'no_such_filter'"


@pytest.mark.parametrize(
    ("version", "number"),
    [("7.1", (7, 1)), ("n9.0.2-17-g2a571b6068", (9, 0)), ("N-113000-gabc123", None)],
)
def test_version_number(version: str, number: tuple[int, int] | None) -> None:
    assert version_number(version) == number
