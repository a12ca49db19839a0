"""The Broadcast WAV (EBU Tech 3285): a PCM copy at a loudness target, with its bext chunk.

Encodes through `loudness.converge` like the MP3, then writes the loudness metered on the
written file into the bext chunk (version 2). Knows nothing of episodes: on_air.py does.
"""

from __future__ import annotations

import math
import os
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from radiodesk.audio import ffmpeg
from radiodesk.audio.analysis import Analysis, BlockLog
from radiodesk.audio.ffmpeg_args import file_url
from radiodesk.audio.graphs import processed_source
from radiodesk.audio.loudness import GainPlan, Loudness, converge_gain, metered
from radiodesk.audio.profiles import WavProfile
from radiodesk.audio.splice import Edit
from radiodesk.errors import AudioError
from radiodesk.files import atomic_output

PCM_CODECS = {16: "pcm_s16le", 24: "pcm_s24le", 32: "pcm_s32le"}
# PCM has no codec overshoot; the limiter works on samples and resampling to 48 kHz makes
# inter-sample peaks, so it stops this far below the true-peak ceiling.
PCM_MARGIN_DB = 1.0
# The bext fields' sizes in bytes (EBU Tech 3285); ffmpeg cuts longer values mid-character.
BEXT_SIZES = {"description": 256, "originator": 32, "originator_reference": 32}
METER = "ebur128@broadcast=peak=true:framelog=info"  # each block logged: the bext's maxima
# bext version 2 (EBU Tech 3285 v2, 2011): after the version, the UMID (none here: all zero,
# as ffmpeg writes it), five loudness values as 16-bit signed integers of 100 x the value
# (LUFS, LU, dBTP), then 180 reserved bytes that must be zero.
BEXT_VERSION = 2
BEXT_VERSION_AT = 346  # bytes into the chunk's data: 256 + 32 + 32 + 10 + 8 + 8
BEXT_V2 = struct.Struct("<H64s5h180s")
BEXT_NOT_GIVEN = 0x7FFF  # Tech 3285 v2: a loudness value that is not given


@dataclass(frozen=True, slots=True, kw_only=True)
class Bext:
    """What the Broadcast WAV's bext chunk says about the programme."""

    description: str  # the episode's title
    originator: str  # the station or show
    originator_reference: str  # the episode's guid without hyphens (32 characters)
    origination: datetime  # the episode's date
    coding_history: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastCopy:
    """A finished Broadcast WAV, verified by an ebur128 pass over the written file."""

    path: Path
    after: Loudness
    gain_db: float
    ceiling_dbfs: float
    attempts: int
    sample_rate_hz: int
    bits: int
    max_momentary_lufs: float = -math.inf  # the loudest 400 ms block, as bext v2 records it
    max_short_term_lufs: float = -math.inf  # the loudest 3 s block


def render_broadcast(
    master: Path, out: Path, profile: WavProfile, analysis: Analysis, edit: Edit, bext: Bext
) -> BroadcastCopy:
    """Encode, meter and correct until the WAV meets the target; then move it into place."""
    with atomic_output(out, suffix=".part", mode=0o644) as tmp:
        encodes = _Encodes(master, tmp, profile, analysis, edit, bext)
        done = converge_gain(
            encodes.encode,
            analysis.loudness.integrated_lufs,
            analysis.loudness.sample_peak_dbfs,
            profile.target,
            what=f"the on-air copy {out.name}",
            limiter_margin_db=PCM_MARGIN_DB,
        )
        copy = BroadcastCopy(
            path=out, after=done.measured, gain_db=round(done.plan.gain_db, 2),
            ceiling_dbfs=round(done.plan.ceiling_dbfs, 2), attempts=done.attempts,
            sample_rate_hz=profile.sample_rate_hz, bits=profile.bits,
            max_momentary_lufs=max(encodes.blocks.momentary, default=-math.inf),
            max_short_term_lufs=max(encodes.blocks.short_term, default=-math.inf),
        )  # fmt: skip
        write_bext_loudness(tmp, copy)  # the audio stays as metered
    return copy


def broadcast_args(
    master: Path,
    tmp: Path,
    profile: WavProfile,
    analysis: Analysis,
    level: GainPlan,
    edit: Edit,
    bext: Bext,
) -> list[str]:
    """Build the WAV encode: channels, gain, resample, limit, PCM, with a bext chunk."""
    source = processed_source(master, analysis, level, profile.sample_rate_hz, edit)
    return [
        "-y", *source, "-c:a", PCM_CODECS[profile.bits],
        "-map_metadata", "-1", "-write_bext", "1", "-rf64", "auto",
        *_bext_metadata(bext), "-f", "wav", file_url(tmp),
    ]  # fmt: skip


def _bext_metadata(bext: Bext) -> list[str]:
    values = {
        "description": bext.description,
        "originator": bext.originator,
        "originator_reference": bext.originator_reference,
        "origination_date": f"{bext.origination:%Y-%m-%d}",
        "origination_time": f"{bext.origination:%H:%M:%S}",
        "coding_history": bext.coding_history,
    }
    args: list[str] = []
    for key, value in values.items():
        args += ["-metadata", f"{key}={fit_bytes(value, BEXT_SIZES.get(key))}"]
    return args


def fit_bytes(text: str, size: int | None) -> str:
    """Cut text to at most `size` UTF-8 bytes without splitting a character."""
    if size is None:
        return text
    return text.encode("utf-8")[:size].decode("utf-8", errors="ignore")


class _Encodes:
    """The encodes of one WAV, each metered over the written file; keeps the last one's blocks."""

    def __init__(
        self,
        master: Path,
        tmp: Path,
        profile: WavProfile,
        analysis: Analysis,
        edit: Edit,
        bext: Bext,
    ) -> None:
        self.master, self.tmp, self.profile = master, tmp, profile
        self.analysis, self.edit, self.bext = analysis, edit, bext
        self.blocks = BlockLog()

    def encode(self, level: GainPlan) -> Loudness:
        """Encode once with `level` and meter the written file."""
        timeout_s = 120.0 + 2.0 * self.analysis.source.duration_s
        args = broadcast_args(
            self.master, self.tmp, self.profile, self.analysis, level, self.edit, self.bext
        )
        ffmpeg.run(args, timeout_s=timeout_s)
        self.blocks = BlockLog()  # counts the logged blocks instead of keeping the lines
        (meter,) = ffmpeg.run_parallel(
            [["-i", file_url(self.tmp), "-map", "0:a:0", "-af", METER, "-f", "null", "-"]],
            timeout_s=timeout_s,
            on_line=[self.blocks.feed],
        )
        return metered(meter, "broadcast", "the on-air copy")


def write_bext_loudness(wav: Path, copy: BroadcastCopy) -> None:
    """Make the WAV's bext chunk version 2 with the copy's measured loudness, in place."""
    values = (
        copy.after.integrated_lufs,  # LoudnessValue
        copy.after.lra_lu,  # LoudnessRange
        copy.after.true_peak_dbtp,  # MaxTruePeakLevel
        copy.max_momentary_lufs,  # MaxMomentaryLoudness
        copy.max_short_term_lufs,  # MaxShortTermLoudness
    )
    try:
        with wav.open("r+b") as stream:
            start = _chunk_data_at(stream, b"bext") + BEXT_VERSION_AT
            stream.seek(start)
            _version, umid, *_ = BEXT_V2.unpack(stream.read(BEXT_V2.size))
            stream.seek(start)
            stream.write(BEXT_V2.pack(BEXT_VERSION, umid, *map(_centi, values), bytes(180)))
    except (OSError, struct.error) as exc:
        raise AudioError(f"cannot write the loudness into {wav.name}'s bext chunk: {exc}") from exc


def _chunk_data_at(stream: BinaryIO, chunk_id: bytes) -> int:
    """Return where the data of a RIFF (or RF64) chunk starts; the header's chunks only."""
    stream.seek(12)  # past "RIFF" or "RF64", the size and "WAVE"
    while len(header := stream.read(8)) == 8:
        found, size = header[:4], int.from_bytes(header[4:], "little")
        if found == chunk_id:
            return stream.tell()
        stream.seek(size + (size & 1), os.SEEK_CUR)  # chunks are padded to even sizes
    raise OSError(f"no {chunk_id.decode()} chunk")


def _centi(value: float) -> int:
    """Return a loudness figure as bext v2 stores it: round(100 x value), in 16 bits."""
    scaled = round(value * 100) if math.isfinite(value) else BEXT_NOT_GIVEN
    return scaled if -0x8000 <= scaled < BEXT_NOT_GIVEN else BEXT_NOT_GIVEN
