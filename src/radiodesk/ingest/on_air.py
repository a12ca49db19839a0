"""The on-air copy: an EBU R128 Broadcast WAV of an episode, for the station's playout.

Made from the podcast encode's own measuring pass (kept in the provenance record), trimmed the
same way, without jingles (playout adds its own idents). Its bext chunk (version 2) carries the
loudness metered on the written file. Written atomically into the show's export folder; never
part of a publication.
"""

from __future__ import annotations

import logging
import math
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from radiodesk import __version__
from radiodesk.audio import ffmpeg
from radiodesk.audio import process as audio
from radiodesk.audio import splice as edits
from radiodesk.errors import AudioError
from radiodesk.files import atomic_output
from radiodesk.ingest import provenance
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import Episode
from radiodesk.show.settings import BroadcastSettings, Settings

log = logging.getLogger(__name__)

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
    """A finished on-air copy, verified by an ebur128 pass over the written file."""

    path: Path
    after: audio.Loudness
    gain_db: float
    ceiling_dbfs: float
    attempts: int
    sample_rate_hz: int
    bits: int
    max_momentary_lufs: float = -math.inf  # the loudest 400 ms block, as bext v2 records it
    max_short_term_lufs: float = -math.inf  # the loudest 3 s block


def export_episodes(settings: Settings, slugs: Sequence[str] | None) -> list[BroadcastCopy]:
    """Make the on-air copies of the named episodes (None: every episode with audio)."""
    with folders.locked(settings.root):
        if slugs is None:
            episodes = [e for e in episode_file.load_episodes(settings.root) if e.audio]
        else:
            episodes = [
                episode_file.load_episode(folders.episode_dir(settings.root, s)) for s in slugs
            ]
        return [
            export_episode(settings, folders.episode_dir(settings.root, e.slug), e)
            for e in episodes
        ]


def export_episode(settings: Settings, folder: Path, episode: Episode) -> BroadcastCopy:
    """Write `<show>/<folder>/<slug>.wav` from the episode's master and recorded analysis."""
    master = folder / episode.master.file
    record = episode.audio
    if record is not None and record.provenance:
        kept = provenance.read(folder / record.provenance)
        analysis, edit = provenance.analysis_of(kept), provenance.trims_of(kept)
    else:  # processed before provenance records existed: measure once more
        analysis, edit = audio.analyse(master, settings.audio), edits.Edit()
    out_dir = settings.root / settings.broadcast.folder
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise AudioError(f"cannot create the export folder {out_dir}: {exc.strerror}") from exc
    bext = Bext(
        description=episode.title,
        originator=settings.broadcast.originator or settings.show.author or settings.show.title,
        originator_reference=episode.guid.replace("-", ""),
        origination=episode.date,
        coding_history=coding_history(settings.broadcast, analysis.mono),
    )
    return render_broadcast(
        master, out_dir / f"{episode.slug}.wav", settings.broadcast, analysis, edit, bext
    )


def coding_history(settings: BroadcastSettings, mono: bool) -> str:
    """Return the bext coding history line (EBU R98 form) of the copy."""
    return (
        f"A=PCM,F={settings.sample_rate_hz},W={settings.bits},M={'mono' if mono else 'stereo'},"
        f"T=radiodesk {__version__}; EBU R128 {settings.target_lufs:.0f} LUFS\r\n"
    )


def render_broadcast(
    master: Path,
    out: Path,
    settings: BroadcastSettings,
    analysis: audio.Analysis,
    edit: edits.Edit,
    bext: Bext,
) -> BroadcastCopy:
    """Encode, meter and correct until the WAV meets the target; then move it into place."""
    with atomic_output(out, suffix=".part", mode=0o644) as tmp:
        level = first_level(analysis, settings)
        tried: list[tuple[audio.GainPlan, audio.Loudness]] = []
        for attempt in range(1, audio.MAX_ATTEMPTS + 1):
            after, blocks = _encode(master, tmp, settings, analysis, level, edit, bext)
            tried.append((level, after))
            if audio.within(
                after, settings.target_lufs, settings.tolerance_lu, settings.true_peak_dbtp
            ):
                copy = BroadcastCopy(
                    path=out, after=after, gain_db=round(level.gain_db, 2),
                    ceiling_dbfs=round(level.ceiling_dbfs, 2), attempts=attempt,
                    sample_rate_hz=settings.sample_rate_hz, bits=settings.bits,
                    max_momentary_lufs=max(blocks.momentary, default=-math.inf),
                    max_short_term_lufs=max(blocks.short_term, default=-math.inf),
                )  # fmt: skip
                write_bext_loudness(tmp, copy)  # the audio stays as metered
                break
            level = audio.correct_gain(tried, settings.target_lufs, settings.true_peak_dbtp)
        else:
            raise AudioError(
                f"could not bring the on-air copy {out.name} to {settings.target_lufs:.1f} LUFS "
                f"and {settings.true_peak_dbtp:.1f} dBTP in {audio.MAX_ATTEMPTS} encodes (last: "
                f"{after.integrated_lufs:.1f} LUFS, {after.true_peak_dbtp:.1f} dBTP)"
            )
    log.info("%s: on-air copy at %.1f LUFS", out.name, after.integrated_lufs)
    return copy


def first_level(analysis: audio.Analysis, settings: BroadcastSettings) -> audio.GainPlan:
    """Predict gain and limiter ceiling from the measuring pass, as the MP3 encode does."""
    ceiling = max(settings.true_peak_dbtp - PCM_MARGIN_DB, audio.LIMITER_FLOOR_DBFS)
    gain = settings.target_lufs - analysis.loudness.integrated_lufs
    excess = max(analysis.loudness.sample_peak_dbfs + gain - ceiling, 0.0)
    loss = min(audio.LIMITER_LOSS_PER_DB * excess, audio.LIMITER_LOSS_MAX_LU)
    return audio.GainPlan(gain + loss, ceiling)


def broadcast_args(
    master: Path,
    tmp: Path,
    settings: BroadcastSettings,
    analysis: audio.Analysis,
    level: audio.GainPlan,
    edit: edits.Edit,
    bext: Bext,
) -> list[str]:
    """Build the WAV encode: channels, gain, resample, limit, PCM, with a bext chunk."""
    source = audio.processed_source(master, analysis, level, settings.sample_rate_hz, edit)
    return [
        "-y", *source, "-c:a", PCM_CODECS[settings.bits],
        "-map_metadata", "-1", "-write_bext", "1", "-rf64", "auto",
        *_bext_metadata(bext), "-f", "wav", ffmpeg.file_url(tmp),
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


def _encode(
    master: Path,
    tmp: Path,
    settings: BroadcastSettings,
    analysis: audio.Analysis,
    level: audio.GainPlan,
    edit: edits.Edit,
    bext: Bext,
) -> tuple[audio.Loudness, audio.BlockLog]:
    timeout_s = 120.0 + 2.0 * analysis.source.duration_s
    ffmpeg.run(broadcast_args(master, tmp, settings, analysis, level, edit, bext),
               timeout_s=timeout_s)  # fmt: skip
    blocks = audio.BlockLog()  # counts the logged blocks instead of keeping the lines
    (meter,) = ffmpeg.run_parallel(
        [["-i", ffmpeg.file_url(tmp), "-map", "0:a:0", "-af", METER, "-f", "null", "-"]],
        timeout_s=timeout_s,
        on_line=[blocks.feed],
    )
    return audio.metered(meter, "broadcast", "the on-air copy"), blocks


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
