"""The provenance record of an episode's audio: its typed form and its one JSON codec.

ingest builds it; it is kept beside episode.toml, carried in the MP3's TXXX frame, published
beside the MP3 and printed by `show`. Values only: it never measures or re-encodes anything.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

from radiodesk.errors import CatalogError

SCHEMA = 1
SUFFIX = ".provenance.json"  # under derived/ and in the store, after the MP3's own name
TAG_DESCRIPTION = "radiodesk:provenance"  # the TXXX frame's description

# Field order is the JSON's key order; a field left None is left out of the JSON.


@dataclass(frozen=True, slots=True, kw_only=True)
class Input:
    """The master as it was measured: the file, its stream and its loudness."""

    file: str
    original_name: str
    sha256: str
    size_bytes: int
    codec: str
    sample_rate_hz: int
    channels: int
    layout: str
    duration_s: float
    container: str | None = None  # None: an older record, still read, lacks it
    integrated_lufs: float
    lra_lu: float
    sample_peak_dbfs: float  # what the limiter sees


@dataclass(frozen=True, slots=True, kw_only=True)
class Channels:
    """Which channels were published, and why."""

    plan: str
    mono: bool
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Trim:
    """The silence trimmed from the recording's ends."""

    enabled: bool
    threshold_db: float
    kept_pause_s: float
    lead_s: float
    tail_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class JingleStep:
    """One jingle joined to the recording."""

    role: str
    file: str
    sha256: str
    duration_s: float
    loudness_lufs: float
    gain_db: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Gain:
    """The gain that brought the recording to the target, and how many encodes it took."""

    target_lufs: float
    tolerance_lu: float
    gain_db: float
    encodes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LimiterPrediction:
    """What planned the first encode's gain: the limiter's work predicted from the sample peak."""

    max_gain_reduction_db: float
    loudness_cost_lu: float
    basis: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Limiter:
    """The limiter's settings, and its predicted work."""

    filter: str
    ceiling_dbfs: float
    true_peak_ceiling_dbtp: float
    attack_ms: float
    release_ms: float
    predicted: LimiterPrediction | None = None
    # Older records, still read, keep the prediction's figures here, flat, and no `predicted`.
    max_gain_reduction_db: float | None = None
    loudness_cost_lu: float | None = None
    basis: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LoudnessAccount:
    """How the input's loudness became the output's, every figure measured."""

    input_lufs: float
    gain_db: float
    limiter_and_encoder_cost_lu: float
    output_lufs: float
    sum: str
    tolerance_lu: float
    basis: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Resampling:
    """The sample rate conversion."""

    from_hz: int
    to_hz: int
    filter: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Encoder:
    """The MP3 encoder's settings."""

    codec: str
    mode: str
    bitrate_kbps: int
    sample_rate_hz: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Output:
    """The encoded MP3 before its tag: its hash, length and measured loudness."""

    sha256_untagged: str
    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float
    lra_lu: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Published:
    """The tagged MP3 as the store holds it (the published copy of the record only)."""

    key: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Provenance:
    """What was done to an episode's audio, step by step."""

    schema: int = SCHEMA
    tools: Mapping[str, str]
    input: Input
    channels: Channels
    trim: Trim
    jingles: tuple[JingleStep, ...]
    crossfade_s: float
    offset_s: float  # master time t is output time t + offset_s
    gain: Gain
    limiter: Limiter
    loudness: LoudnessAccount | None = None  # None: an older record, still read, lacks it
    resampling: Resampling
    encoder: Encoder
    output: Output
    published: Published | None = None


def to_data(record: Provenance) -> dict[str, Any]:
    """Return the record as plain JSON values, keys in reading order (`show --json` prints it)."""
    data = _plain(record)
    assert isinstance(data, dict)
    return data


def to_json(record: Provenance) -> bytes:
    """Return the record as the readable JSON kept on disk and published."""
    return (json.dumps(to_data(record), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def compact(record: Provenance) -> str:
    """Return the record as one line of ASCII JSON, as the MP3's TXXX frame carries it.

    ASCII (Cyrillic as \\u escapes, intact once parsed): ffmpeg prints an input's tags cut at a
    fixed byte count, which would otherwise split a character and break strict UTF-8 readers.
    """
    return json.dumps(to_data(record), ensure_ascii=True, separators=(",", ":"))


def read(path: Path) -> Provenance:
    """Read a stored provenance record; raise CatalogError if it is missing or damaged."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise CatalogError(f"cannot read the provenance record {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise CatalogError(f"the provenance record {path} is not one radiodesk wrote")
    try:
        return from_data(data)
    except (TypeError, KeyError, AttributeError) as exc:
        raise CatalogError(f"the provenance record {path} is not one radiodesk wrote") from exc


def from_data(data: Mapping[str, Any]) -> Provenance:
    """Return the record that plain JSON values hold (values kept as they are: ints stay ints)."""
    if unknown := set(data) - {f.name for f in fields(Provenance)}:
        raise TypeError(f"unknown keys {sorted(unknown)}")
    limiter = dict(data["limiter"])
    if "predicted" in limiter:
        limiter["predicted"] = LimiterPrediction(**limiter["predicted"])
    loudness = data.get("loudness")
    published = data.get("published")
    return Provenance(
        schema=data["schema"],
        tools=dict(data["tools"]),
        input=Input(**data["input"]),
        channels=Channels(**data["channels"]),
        trim=Trim(**data["trim"]),
        jingles=tuple(JingleStep(**jingle) for jingle in data["jingles"]),
        crossfade_s=data["crossfade_s"],
        offset_s=data["offset_s"],
        gain=Gain(**data["gain"]),
        limiter=Limiter(**limiter),
        resampling=Resampling(**data["resampling"]),
        encoder=Encoder(**data["encoder"]),
        output=Output(**data["output"]),
        loudness=None if loudness is None else LoudnessAccount(**loudness),
        published=None if published is None else Published(**published),
    )


def _plain(value: object) -> object:
    """Turn records into dicts (fields in order, None left out) and tuples into lists."""
    if is_dataclass(value) and not isinstance(value, type):
        found = ((f.name, getattr(value, f.name)) for f in fields(value))
        return {name: _plain(item) for name, item in found if item is not None}
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Mapping):
        return dict(value)
    return value
