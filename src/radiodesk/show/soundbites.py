"""Soundbites as data: `START-END[:title]` spans, their place in the MP3, their clips' registry.

Parses and checks spans, names each clip by what it is made of, reads and writes the JSON
sidecar that lists the clips beside the MP3. Never cuts audio: ingest/soundbite_clips.py does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from radiodesk import files
from radiodesk.errors import CatalogError
from radiodesk.files import write_atomic
from radiodesk.show.episode import AudioRecord, Episode, Soundbite, clean_text
from radiodesk.show.settings import AudioSettings
from radiodesk.spec import MAX_SOUNDBITE_TITLE

# Podcasting 2.0 recommends 15-120 s (namespace 1.0, soundbite): outside that we warn. Below
# 1 s there is nothing to hear once faded; past 5 minutes it is a chapter, not a soundbite,
# and pydub would hold it all in memory: those are refused.
MIN_DURATION_S, MAX_DURATION_S = 1.0, 300.0
RECOMMENDED_S = (15.0, 120.0)
FADE_IN_MS, FADE_OUT_MS = 150, 300
CLIP_VERSION = 1  # bump when clips come out differently for the same input: they are rebuilt
_TIME_RE = re.compile(r"^(?:(?:(\d+):)?(\d+):)?(\d+(?:\.\d+)?)$")
# START, a dash (spaces around it allowed), then the rest: END and maybe a title.
_SPEC_RE = re.compile(r"^\s*([\d:.]+)\s*[-–—]\s*(.*?)\s*$", re.S)
# END with two, one or no colons: "1:13:05", "1:28", "90", each maybe with decimals.
_END_RES = tuple(re.compile(rf"\d+(?::\d{{1,2}}){{{n}}}(?:\.\d+)?") for n in (2, 1, 0))
# Between END and the title: a colon, a dash after a space, or just spaces.
_TITLE_SEPARATOR = re.compile(r"\s*:\s*|\s+[-–—]\s*|\s+")
_LETTER = re.compile(r"[^\W\d_]")
_SPEC_HINT = 'write START-END and a title, e.g. "1:13-1:28 Главное" or "1:13 - 1:28: Главное"'


@dataclass(frozen=True, slots=True, kw_only=True)
class Clip:
    """The MP3 clip of one soundbite, as the sidecar records it."""

    file: str  # beside the derived MP3
    sha256: str
    size_bytes: int
    duration_s: float
    integrated_lufs: float
    true_peak_dbtp: float


def parse_time(text: str) -> float:
    """Parse `90`, `1:30`, `1:30.5` or `0:01:30` as seconds."""
    match = _TIME_RE.match(text.strip())
    if match is None:
        raise CatalogError(f"{text!r} is not a time", hint="write 90, 1:30, 1:30.5 or 0:01:30")
    hours, minutes, seconds = match.groups()
    if (minutes is not None and float(seconds) >= 60) or (hours is not None and int(minutes) >= 60):
        raise CatalogError(f"{text!r} is not a time: minutes and seconds run to 59")
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds)


def parse_soundbite(text: str) -> Soundbite:
    """Parse `START-END [title]` as given on the command line (title text may be Cyrillic).

    Spaces may surround the dash; the title follows END after a colon, a dash or a space. A
    title may begin with digits ("1:30-1:45:30 лет заводу"): of the ways to read END, the one
    written like START wins, then the longest.
    """
    match = _SPEC_RE.match(text)
    if match is None:
        raise CatalogError(f"soundbite {text!r} is not START-END [title]", hint=_SPEC_HINT)
    start = parse_time(match.group(1))
    readings = _end_readings(match.group(2))
    if not readings:
        raise CatalogError(f"soundbite {text!r} is not START-END [title]", hint=_SPEC_HINT)
    same_form = match.group(1).count(":")
    readings.sort(key=lambda r: (r[0].count(":") == same_form, r[0].count(":")), reverse=True)
    after = [(end, title) for end, title in readings if _seconds(end) > start]
    if not after:
        for end_text, _ in readings:
            parse_time(end_text)  # an END that is no time says so first
        if readings[0][0].count(":") == same_form:  # "1:30-1:20", not "0:05-0:25Главное"
            raise CatalogError(f"soundbite {text!r} ends before it starts")
        raise CatalogError(f"soundbite {text!r} is not START-END [title]", hint=_SPEC_HINT)
    end_text, title = after[0]
    title = clean_text(title, "the soundbite title")
    end = parse_time(end_text)
    sound = Soundbite(start_s=round(start, 3), duration_s=round(end - start, 3), title=title)
    check_length(sound)
    return sound


def _end_readings(rest: str) -> list[tuple[str, str]]:
    """Return each way to split `rest` into END and a title (empty, or with a letter in it)."""
    readings = []
    for end_re in _END_RES:
        found = end_re.match(rest)
        if found is None:
            continue
        tail = rest[found.end() :]
        separator = _TITLE_SEPARATOR.match(tail)
        title = tail[separator.end() :] if separator else tail
        if (separator or not tail) and (not tail or _LETTER.search(title)):
            readings.append((found.group(), title))
    return readings


def _seconds(text: str) -> float:
    """Return a time's seconds, or -1 when it is no time (such a reading never wins)."""
    try:
        return parse_time(text)
    except CatalogError:
        return -1.0


def check_length(sound: Soundbite) -> None:
    """Refuse a soundbite too short to hear, too long to be one, or with a title too long."""
    if not MIN_DURATION_S <= sound.duration_s <= MAX_DURATION_S:
        raise CatalogError(
            f"soundbite at {position(sound.start_s)} lasts {sound.duration_s:g} s; "
            f"it must last {MIN_DURATION_S:g} to {MAX_DURATION_S:g} s",
            hint="Podcasting 2.0 recommends 15 to 120 s",
        )
    if len(sound.title) > MAX_SOUNDBITE_TITLE:
        raise CatalogError(
            f"soundbite title at {position(sound.start_s)} is {len(sound.title)} characters; "
            f"at most {MAX_SOUNDBITE_TITLE}"
        )


def check_in_recording(soundbites: Sequence[Soundbite], recording_s: float) -> None:
    """Refuse the first soundbite of a bad length or running past the end of the recording."""
    for sound in soundbites:
        check_length(sound)
        if sound.end_s > recording_s + 0.0005:  # times are kept to the millisecond
            raise CatalogError(
                f"soundbite {position(sound.start_s)}-{position(sound.end_s)} runs past the end "
                f"of the recording ({position(recording_s)})"
            )


def check_within(soundbites: Sequence[Soundbite], record: AudioRecord) -> None:
    """Refuse the first soundbite outside the recording, or with too little left after trims."""
    start_s, end_s = record.kept_s()
    check_in_recording(soundbites, record.recording_s if record.recording_s is not None else end_s)
    for sound in soundbites:
        if placed(sound, record).duration_s < MIN_DURATION_S:
            span = f"{position(sound.start_s)}-{position(sound.end_s)}"
            raise CatalogError(
                f"soundbite {span} lies in the silence trimmed from the recording, which keeps "
                f"{position(start_s)}-{position(end_s)}; it needs {MIN_DURATION_S:g} s of that",
                hint="move the soundbite, or set [audio] trim_silence = false",
            )


def placed(sound: Soundbite, record: AudioRecord) -> Soundbite:
    """Return the soundbite in the MP3's time: moved by jingles and trims, cut to what is kept.

    The producer times soundbites on the recording (episode.toml keeps those times); the
    feed, the clip and the page use these. A part in trimmed silence is left out, as it is
    of chapters and transcript cues (they share the record's timeline).
    """
    timeline = record.timeline()
    start_s, end_s = timeline.clamp(sound.start_s, sound.end_s)
    return replace(sound, start_s=timeline.at(start_s), duration_s=round(end_s - start_s, 3))


def trim_note(sound: Soundbite, record: AudioRecord) -> str | None:
    """Say how trimming shortened a soundbite, if it did."""
    start_s, end_s = record.timeline().clamp(sound.start_s, sound.end_s)
    if (start_s, end_s) == (sound.start_s, sound.end_s):
        return None
    return (
        f"soundbite {position(sound.start_s)}-{position(sound.end_s)} reaches into trimmed "
        f"silence: it keeps {position(start_s)}-{position(end_s)} of the recording"
    )


def advice(soundbites: Sequence[Soundbite]) -> list[str]:
    """Say which soundbites are outside the length Podcasting 2.0 recommends."""
    low, high = RECOMMENDED_S
    return [
        f"soundbite at {position(s.start_s)} lasts {s.duration_s:g} s; "
        f"apps expect {low:g}-{high:g} s"
        for s in soundbites
        if not low <= s.duration_s <= high
    ]


def ordered(soundbites: Sequence[Soundbite]) -> tuple[Soundbite, ...]:
    """Return the soundbites in time order, each once."""
    return tuple(sorted(set(soundbites), key=lambda s: (s.start_s, s.duration_s, s.title)))


def position(seconds: float) -> str:
    """Write a time as M:SS(.s) or H:MM:SS(.s), the way the producer typed it."""
    whole, fraction = divmod(round(seconds, 3), 1)
    minutes, secs = divmod(int(whole), 60)
    hours, minutes = divmod(minutes, 60)
    tail = f"{fraction:.3f}".rstrip("0").rstrip(".")[1:] if fraction else ""
    return (f"{hours}:{minutes:02d}" if hours else f"{minutes}") + f":{secs:02d}{tail}"


# ---------------------------------------------------------------- the clips' registry


def sidecar(audio_path: Path, slug: str) -> Path:
    """Return the JSON file that lists the clips cut from an episode's MP3."""
    return audio_path.parent / f"{slug}.soundbites.json"


def fingerprint(episode: Episode, sound: Soundbite, settings: AudioSettings) -> str:
    """Name a clip by everything it is made of (the MP3's hash covers its tags and loudness)."""
    assert episode.audio is not None
    made_of = {
        "audio": episode.audio.sha256,
        "soundbite": asdict(placed(sound, episode.audio)),  # where it is cut from the MP3
        "ceiling": settings.true_peak_dbtp,
        "tolerance": settings.tolerance_lu,
        "fades": [FADE_IN_MS, FADE_OUT_MS],
        "version": CLIP_VERSION,
    }
    return files.fingerprint(made_of)


def load_clips(audio_path: Path, slug: str) -> dict[str, Clip]:
    """Read the sidecar: fingerprint -> clip (an unreadable sidecar lists none)."""
    try:
        data = json.loads(sidecar(audio_path, slug).read_text(encoding="utf-8"))
        return {str(key): Clip(**value) for key, value in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def save_clips(audio_path: Path, slug: str, clips: Mapping[str, Clip]) -> None:
    """Write the sidecar: fingerprint -> clip, in fingerprint order."""
    payload = {key: asdict(clip) for key, clip in sorted(clips.items())}
    text = json.dumps(payload, indent=2, ensure_ascii=False)
    write_atomic(sidecar(audio_path, slug), text.encode("utf-8"))


def clips_ready(settings: AudioSettings, folder: Path, episode: Episode) -> bool:
    """Tell whether every soundbite already has its clip beside the episode's MP3."""
    if episode.audio is None:
        return True
    source = folder / episode.audio.file
    known = load_clips(source, episode.slug)
    for sound in episode.soundbites:
        clip = known.get(fingerprint(episode, sound, settings))
        if clip is None or not intact(source.parent / clip.file, clip):
            return False
    return True


def clip_files(folder: Path, episode: Episode) -> set[Path]:
    """Return the clip files the episode's current sidecar lists (prune keeps them)."""
    if episode.audio is None:
        return set()
    source = folder / episode.audio.file
    return {source.parent / clip.file for clip in load_clips(source, episode.slug).values()}


def intact(path: Path, clip: Clip) -> bool:
    """Tell whether the clip's file is there, at the size the sidecar records."""
    return path.is_file() and path.stat().st_size == clip.size_bytes
