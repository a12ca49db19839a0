"""Builds the provenance record of an encode from its measuring pass, encode and edits.

The record's form and JSON live in show/provenance.py; this module only fills it in (and turns
a stored one back into a measuring pass). Pure apart from reading the bytes naming the encoder.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from radiodesk import __version__
from radiodesk.audio.analysis import (
    DEAD_CHANNEL_DB,
    Analysis,
    ChannelPlan,
    SourceInfo,
    SourceLoudness,
)
from radiodesk.audio.clips import Jingle
from radiodesk.audio.graphs import LIMITER_ATTACK_MS, LIMITER_RELEASE_MS
from radiodesk.audio.loudness import limiter_loss_lu
from radiodesk.audio.mp3 import Rendered
from radiodesk.audio.splice import Edit
from radiodesk.show.episode import MasterFile
from radiodesk.show.provenance import (
    Channels,
    Encoder,
    Gain,
    Input,
    JingleStep,
    Limiter,
    LimiterPrediction,
    LoudnessAccount,
    Output,
    Provenance,
    Resampling,
    Trim,
)
from radiodesk.show.settings import Settings

LIMITER_BASIS = (
    "predicted from the measured sample peak: sample peak + gain - ceiling (the most the "
    "limiter takes off one peak) and the loudness that costs; not measured on the output"
)
# The loudness account holds to the rounding of its cost (0.01 LU).
LOUDNESS_SUM = "input_lufs + gain_db - limiter_and_encoder_cost_lu = output_lufs"
LOUDNESS_SUM_TOLERANCE_LU = 0.01
COST_BASIS = (
    "measured: the input's loudness plus the gain (what the output would measure without "
    "limiting) minus the encoded MP3's measured loudness; what the limiter took, with the MP3 "
    "encoder's own small loss (and, where jingles are joined, their share of the loudness)"
)
# Why the published channels are what they are, in the newsroom's words.
CHANNEL_REASONS: Mapping[str, str] = {
    "mono": "the recording is mono",
    "stereo": "two distinct channels: kept as stereo",
    "downmix-stereo": "more than two channels: mixed down to stereo",
    "mono-identical": "both channels carry the same signal: published as mono (their average)",
    "mono-left": f"right channel more than {DEAD_CHANNEL_DB:.0f} dB below the left "
    "(no programme): published the left channel as mono",
    "mono-right": f"left channel more than {DEAD_CHANNEL_DB:.0f} dB below the right "
    "(no programme): published the right channel as mono",
    "downmix-mono": "the show's settings ask for mono: channels averaged",
}
_ENCODER_RE = re.compile(rb"LAME\d+\.\d+[0-9a-z.]*")
_VERSION_SCAN_BYTES = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class Steps:
    """The edits that ingest made before the encode, for the record."""

    edit: Edit
    jingles: Sequence[Jingle]
    trim_silence: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Measured:
    """The master's measuring pass and the trims its encode made: what the on-air copy reuses."""

    analysis: Analysis
    trims: Edit  # no jingles: playout adds its own idents


def build_record(
    settings: Settings,
    master: MasterFile,
    analysis: Analysis,
    rendered: Rendered,
    steps: Steps,
    *,
    ffmpeg_version: str,
    mutagen_version: str,
) -> Provenance:
    """Return the provenance record of one encode."""
    source, edit = analysis.source, steps.edit
    return Provenance(
        tools=_tools(ffmpeg_version, mutagen_version, rendered.path, steps.jingles),
        input=_input(master, analysis),
        channels=Channels(
            plan=analysis.channel_plan,
            mono=analysis.mono,
            reason=CHANNEL_REASONS[analysis.channel_plan],
        ),
        trim=_trim(settings, steps),
        jingles=tuple(_jingle(j) for j in steps.jingles),
        crossfade_s=edit.crossfade_s if steps.jingles else 0.0,
        offset_s=edit.offset_s(),
        gain=Gain(
            target_lufs=rendered.target_lufs,
            tolerance_lu=settings.audio.tolerance_lu,
            gain_db=round(rendered.gain_db, 2),
            encodes=rendered.attempts,
        ),
        limiter=_limiter(settings, analysis, rendered),
        loudness=loudness_account(analysis.loudness.integrated_lufs, rendered),
        resampling=Resampling(
            from_hz=source.sample_rate_hz,
            to_hz=rendered.sample_rate_hz,
            filter="aresample (swresample defaults)",
        ),
        encoder=Encoder(
            codec="libmp3lame",
            mode="CBR",
            bitrate_kbps=rendered.bitrate_kbps,
            sample_rate_hz=rendered.sample_rate_hz,
        ),
        output=_output(rendered),
    )


def _input(master: MasterFile, analysis: Analysis) -> Input:
    source, loudness = analysis.source, analysis.loudness
    return Input(
        file=master.file,
        original_name=master.original_name,
        sha256=master.sha256,
        size_bytes=master.size_bytes,
        codec=source.codec,
        sample_rate_hz=source.sample_rate_hz,
        channels=source.channels,
        layout=source.layout,
        duration_s=source.duration_s,
        container=source.container,
        integrated_lufs=loudness.integrated_lufs,
        lra_lu=loudness.lra_lu,
        sample_peak_dbfs=loudness.sample_peak_dbfs,
    )


def _trim(settings: Settings, steps: Steps) -> Trim:
    return Trim(
        enabled=steps.trim_silence,
        threshold_db=settings.audio.silence_threshold_db,
        kept_pause_s=settings.audio.kept_pause_ms / 1000,
        lead_s=steps.edit.lead_trim_s,
        tail_s=steps.edit.tail_trim_s,
    )


def _output(rendered: Rendered) -> Output:
    return Output(
        sha256_untagged=rendered.sha256,  # the MP3's bytes before the ID3 tag
        duration_s=round(rendered.duration_s, 3),
        integrated_lufs=rendered.after.integrated_lufs,
        true_peak_dbtp=rendered.after.true_peak_dbtp,
        lra_lu=rendered.after.lra_lu,
    )


def _limiter(settings: Settings, analysis: Analysis, rendered: Rendered) -> Limiter:
    excess = analysis.loudness.sample_peak_dbfs + rendered.gain_db - rendered.limiter_ceiling_dbfs
    reduction = max(excess, 0.0)
    cost = limiter_loss_lu(reduction)
    return Limiter(
        filter="alimiter",
        ceiling_dbfs=round(rendered.limiter_ceiling_dbfs, 2),
        true_peak_ceiling_dbtp=settings.audio.true_peak_dbtp,
        attack_ms=LIMITER_ATTACK_MS,
        release_ms=LIMITER_RELEASE_MS,
        predicted=LimiterPrediction(  # planned the first encode; the loudness account measures
            max_gain_reduction_db=round(reduction, 2),
            loudness_cost_lu=round(cost, 2),
            basis=LIMITER_BASIS,
        ),
    )


def loudness_account(input_lufs: float, rendered: Rendered) -> LoudnessAccount:
    """Return how the input's loudness became the output's, every figure measured.

    No further pass over the audio: gain is exact arithmetic on loudness, so what the encode's
    own meter found missing from input + gain is what limiting and encoding took.
    """
    gain_db, output_lufs = round(rendered.gain_db, 2), rendered.after.integrated_lufs
    return LoudnessAccount(
        input_lufs=input_lufs,
        gain_db=gain_db,
        limiter_and_encoder_cost_lu=round(input_lufs + gain_db - output_lufs, 2),
        output_lufs=output_lufs,
        sum=LOUDNESS_SUM,
        tolerance_lu=LOUDNESS_SUM_TOLERANCE_LU,
        basis=COST_BASIS,
    )


def _tools(
    ffmpeg_version: str, mutagen_version: str, encoded: Path, jingles: Sequence[Jingle]
) -> dict[str, str]:
    tools = {
        "radiodesk": __version__,
        "ffmpeg": ffmpeg_version,
        "lame": encoder_version(encoded),
        "mutagen": mutagen_version,
    }
    if jingles:
        from importlib import metadata  # slow to import: only episodes with jingles need it

        tools["pydub"] = metadata.version("pydub")
    return tools


def _jingle(jingle: Jingle) -> JingleStep:
    return JingleStep(
        role=jingle.role,
        file=jingle.source,
        sha256=jingle.sha256,
        duration_s=jingle.duration_s,
        loudness_lufs=jingle.loudness_lufs,
        gain_db=jingle.gain_db,
    )


def encoder_version(mp3: Path) -> str:
    """Return the LAME version that libmp3lame writes into the MP3's frames ("" if none)."""
    # LAME fills frames' spare bits with its version: early on where the audio leaves room, and
    # in the last frames it flushes (dense audio, e.g. noise, leaves none before those).
    with mp3.open("rb") as stream:
        found = _ENCODER_RE.search(stream.read(_VERSION_SCAN_BYTES))
        if found is None:
            stream.seek(max(stream.seek(0, os.SEEK_END) - _VERSION_SCAN_BYTES, 0))
            found = _ENCODER_RE.search(stream.read())
    return found.group().decode("ascii") if found else ""


def measured_of(record: Provenance) -> Measured:
    """Return the measuring pass and trims a stored record keeps (an earlier run's encode)."""
    given = record.input
    analysis = Analysis(
        source=SourceInfo(
            codec=given.codec,
            sample_rate_hz=given.sample_rate_hz,
            channels=given.channels,
            layout=given.layout,
            duration_s=given.duration_s,
        ),
        loudness=SourceLoudness(
            integrated_lufs=given.integrated_lufs,
            lra_lu=given.lra_lu,
            sample_peak_dbfs=given.sample_peak_dbfs,
        ),
        channel_plan=cast(ChannelPlan, record.channels.plan),
        mono=record.channels.mono,
    )
    trims = Edit(lead_trim_s=record.trim.lead_s, tail_trim_s=record.trim.tail_s)
    return Measured(analysis=analysis, trims=trims)
