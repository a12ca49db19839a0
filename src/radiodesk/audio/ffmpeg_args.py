"""The argv pieces every ffmpeg call shares: common flags, file URLs, tee targets, demuxer options.

Pure: builds lists of strings and runs nothing (ffmpeg.py does).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

# Progress comes from the stats line (`size=… time=…`), which av_log prints whole. `-progress
# pipe:2` would write through a second handle and can land in the middle of a log line.
COMMON_ARGS = ("-hide_banner", "-nostdin", "-loglevel", "info", "-stats", "-stats_period", "0.5")
WAV_PACKET_BYTES = 1 << 16


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


def demuxer_options(container: str) -> list[str]:
    """Input options that make a demuxer hand out bigger packets, where it has such an option.

    The WAV demuxer reads 4 KiB packets (20 ms of 48 kHz stereo), and every packet crosses
    ffmpeg's threads on its own: bigger packets cut the measuring pass's CPU time. The decoded
    samples, and so every output byte, stay the same.
    """
    return ["-max_size", str(WAV_PACKET_BYTES)] if container == "wav" else []
