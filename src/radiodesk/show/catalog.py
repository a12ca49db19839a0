"""The show's episodes on disk: `episodes/<slug>/episode.toml`, slugs and object keys.

Reads and writes episode metadata atomically; never processes audio or talks to a store.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import shutil
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import MISSING, asdict, dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

import filelock
import tomlkit
from slugify import slugify

from radiodesk.errors import CatalogError
from radiodesk.files import write_atomic
from radiodesk.show import roles, staging, timeline
from radiodesk.show.chapters import Chapter, fit_chapters, parse_chapters, place
from radiodesk.show.statcache import Stamp, StatCache, stamp
from radiodesk.show.timeline import Timeline
from radiodesk.spec import CONTROL_RE, SLUG_MAX, SLUG_RE

EPISODES_DIR = "episodes"
EPISODE_FILE = "episode.toml"
MASTER_DIR = "master"
DERIVED_DIR = "derived"
STAGING_PREFIX = staging.PREFIX
LOCK_FILE = ".radiodesk/lock"


Status = Literal["removed", "draft", "scheduled", "ready"]
EpisodeType = Literal["full", "trailer", "bonus"]
CHAPTERS_FILE = "chapters.json"
TRANSCRIPT_STEM = "transcript"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Person:
    """Someone heard or credited in an episode, with a Podcasting 2.0 role."""

    name: str
    role: str = "host"

    @classmethod
    def parse(cls, text: str) -> Person:
        """Parse "Name[:role]" as given on the command line; a Russian role name is mapped."""
        name, typed, role = roles.split_person(text)
        if not name:
            raise CatalogError(f"person {text!r} has no name", hint='write "Name" or "Name:role"')
        if CONTROL_RE.search(text):
            raise CatalogError(f"person {text!r} contains control characters; remove them")
        if role is None:
            raise CatalogError(
                f"person {text!r}: {roles.unknown_role_message(typed)}",
                hint=f"every role: {roles.TAXONOMY_URL}",
            )
        return cls(name=name, role=role)


@dataclass(frozen=True, slots=True, kw_only=True)
class Soundbite:
    """A short span worth sharing (podcast:soundbite), timed on the recording, maybe titled."""

    start_s: float
    duration_s: float
    title: str = ""

    @property
    def end_s(self) -> float:
        """Return where the soundbite ends, in seconds from the start of the recording."""
        return self.start_s + self.duration_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """One BS.1770 loudness measurement; a peak not metered is None (masters: sample peak)."""

    integrated_lufs: float
    true_peak_dbtp: float | None = None
    lra_lu: float
    sample_peak_dbfs: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterFile:
    """The producer's original recording, copied into the episode and never modified."""

    file: str  # relative to the episode folder
    original_name: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioRecord:
    """The published MP3, derived from the master; rebuilt whenever `recipe` or `tags` change."""

    file: str  # relative to the episode folder
    sha256: str  # of the tagged file
    size_bytes: int
    duration_s: float
    before: Measurement
    after: Measurement
    gain_db: float
    limiter_ceiling_dbfs: float
    channel_plan: str
    mono: bool
    bitrate_kbps: int
    sample_rate_hz: int
    target_lufs: float
    attempts: int
    recipe: str  # fingerprint of master + audio settings
    tags: str  # fingerprint of the tag values
    offset_s: float = 0.0  # where the master's time 0 lands in the MP3 (jingles, trims)
    provenance: str | None = None  # the record of every processing step (derived/*.json)
    # Only for edited recordings (None: the MP3 is the recording, time for time):
    recording_s: float | None = None  # the master's length
    lead_trim_s: float = 0.0  # silence cut from its start
    tail_trim_s: float = 0.0  # and from its end

    def kept_s(self) -> tuple[float, float]:
        """Return the part of the recording the MP3 carries, in the recording's time."""
        if self.recording_s is None:
            return 0.0, round(self.duration_s - self.offset_s, 3)
        return self.lead_trim_s, round(self.recording_s - self.tail_trim_s, 3)

    def in_episode(self, recording_time_s: float) -> float:
        """Return where a moment of the recording is heard in the MP3."""
        return round(recording_time_s + self.offset_s, 3)

    def timeline(self) -> Timeline:
        """Return the mapping of the recording's time to the MP3's that chapters, cues and
        soundbites share."""
        return timeline.of_record(
            duration_s=self.duration_s, offset_s=self.offset_s, recording_s=self.recording_s,
            lead_trim_s=self.lead_trim_s, tail_trim_s=self.tail_trim_s,
        )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Correction:
    """A change made after publication, kept so the newsroom can show what was corrected."""

    at: datetime
    note: str
    public: bool = False  # shown under the description in the feed and on the page


@dataclass(frozen=True, slots=True, kw_only=True)
class Episode:
    """One episode's metadata, as stored in episode.toml."""

    slug: str
    guid: str  # created once at `add`; never changes (Apple rule A13)
    title: str
    description: str
    date: datetime
    created: datetime
    master: MasterFile
    season: int | None = None
    number: int | None = None
    explicit: bool = False
    draft: bool = False
    removed: bool = False  # taken out of the feed by `remove`; the master stays
    image: str | None = None  # relative to the episode folder
    chapters: str | None = None  # the producer's chapter list as Podcasting 2.0 JSON
    transcript: str | None = None  # the producer's WebVTT or SRT file, byte for byte
    episode_type: EpisodeType = "full"
    block: bool = False  # itunes:block: hide this episode from Apple Podcasts
    persons: tuple[Person, ...] = field(default_factory=tuple)
    soundbites: tuple[Soundbite, ...] = field(default_factory=tuple)  # in time order
    corrections: tuple[Correction, ...] = field(default_factory=tuple)
    previous_masters: tuple[MasterFile, ...] = field(default_factory=tuple)  # replaced, kept
    audio: AudioRecord | None = None

    def public_description(self, corrected: str = "Corrected") -> str:
        """Return the description with the public correction notes appended."""
        notes = [c for c in self.corrections if c.public]
        lines = [f"{corrected} {c.at:%d.%m.%Y}: {c.note}" for c in notes]
        return "\n\n".join([self.description, *lines]) if lines else self.description

    def status(self, now: datetime) -> Status:
        """Return removed, draft, scheduled (date still to come) or ready to publish."""
        if self.removed:
            return "removed"
        if self.draft:
            return "draft"
        return "scheduled" if self.date > now else "ready"


def clean_text(value: str, what: str) -> str:
    """Strip surrounding whitespace; refuse control characters that no feed or tag can hold."""
    if CONTROL_RE.search(value):
        raise CatalogError(
            f"{what} contains control characters or bytes that are not UTF-8; "
            "remove them and try again"
        )
    return value.strip()


def make_slug(title: str, taken: Iterable[str]) -> str:
    """Transliterate a title into a URL-safe slug that no other episode uses."""
    base = slugify(title, max_length=SLUG_MAX - 4, word_boundary=True, save_order=True)
    base = base.strip("-") or "episode"
    used = set(taken)
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    return slug


def check_slug(slug: str) -> str:
    """Return the slug if it is safe as a folder name and URL path, else raise."""
    if not SLUG_RE.match(slug):
        raise CatalogError(
            f"slug {slug!r} is not allowed",
            hint="use lowercase latin letters, digits and hyphens (at most 80)",
        )
    return slug


def episodes_dir(root: Path) -> Path:
    """Return the folder that holds the show's episodes."""
    return root / EPISODES_DIR


def episode_dir(root: Path, slug: str) -> Path:
    """Return the folder of one episode, refusing any slug that could leave the show."""
    return root.joinpath(EPISODES_DIR, check_slug(slug))  # one Path made, not two: 2,000 a run


def list_slugs(root: Path) -> list[str]:
    """Return the slugs of all episodes, sorted."""
    folder = episodes_dir(root)
    if not folder.is_dir():
        return []
    return sorted(
        p.name for p in folder.iterdir() if (p / EPISODE_FILE).is_file() and SLUG_RE.match(p.name)
    )


def load_episodes(root: Path) -> list[Episode]:
    """Read every episode of the show, newest first.

    Parsing and checking TOML is the slow part of reading a large show, so unchanged files
    come from a stat-keyed cache of the episodes they gave, as checked when they were read.
    """
    cache = StatCache(root, "catalog")
    stamps = _episode_stamps(root)
    episodes = [_load_cached(root, slug, stamp_, cache) for slug, stamp_ in stamps]
    cache.keep_only({slug for slug, _ in stamps})
    cache.save()
    return sorted(episodes, key=lambda e: (e.date, e.slug), reverse=True)


def _episode_stamps(root: Path) -> list[tuple[str, Stamp]]:
    """Return (slug, stamp of its episode.toml) of every episode, sorted: one stat each."""
    folder = os.fspath(episodes_dir(root))  # joined as text: 2,000 Paths cost more than the stats
    try:
        names = sorted(entry.name for entry in os.scandir(folder) if SLUG_RE.match(entry.name))
    except (FileNotFoundError, NotADirectoryError):
        return []
    found = ((name, stamp(os.path.join(folder, name, EPISODE_FILE))) for name in names)
    return [(name, info) for name, info in found if info is not None]


def _load_cached(root: Path, slug: str, stamp_: Stamp, cache: StatCache) -> Episode:
    stamps = [stamp_]  # taken before reading: a later change must not hide
    cached = cache.get(slug, stamps)
    if cached is not None:
        with contextlib.suppress(KeyError, TypeError, ValueError):
            return _decode(Episode, cached)
    episode = _read_episode(episode_dir(root, slug))[0]
    cache.put(slug, stamps, _encode(episode))
    return episode


def load_episode(folder: Path) -> Episode:
    """Read one episode.toml."""
    return _read_episode(folder)[0]


def _read_episode(folder: Path) -> tuple[Episode, dict[str, Any]]:
    path = folder / EPISODE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"no episode {folder.name!r} in this show") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc
    try:
        return episode_from_dict(data), data
    except (KeyError, TypeError, ValueError) as exc:
        raise CatalogError(f"{path}: missing or invalid setting {exc}") from exc


def _encode(value: object) -> object:
    """Turn a checked record into JSON values: a dataclass is the list of its fields' values."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    if type(value) in _LAYOUTS:
        return [_encode(getattr(value, name)) for name in _LAYOUTS[type(value)][0]]
    return value


def _decode(cls: type[_T], row: object) -> _T:
    """Rebuild a record `_encode` wrote; it was checked when its file was read."""
    names, special = _LAYOUTS[cls]
    if not isinstance(row, list) or len(row) != len(names):
        raise ValueError(f"a cached {cls.__name__} of another shape")
    values = list(row)
    for index, decode in special:
        if values[index] is not None:
            values[index] = decode(values[index])
    return cls(**dict(zip(names, values, strict=True)))


def episode_from_dict(data: Mapping[str, Any]) -> Episode:
    """Build an Episode from parsed TOML (raises ValueError naming the first bad setting)."""
    episode = _build(Episode, dict(data), "")
    check_slug(episode.slug)
    if episode.episode_type not in get_args(EpisodeType):
        raise ValueError(f"'episode_type' ({episode.episode_type!r} is not full/trailer/bonus)")
    if any(s.start_s < 0 or s.duration_s <= 0 for s in episode.soundbites):
        raise ValueError("'soundbite' (a start of 0 s or later and a duration above 0 s)")
    return episode


# The sub-tables of episode.toml: TOML key -> (field, dataclass, an array of tables?).
_TABLES: dict[type[Any], dict[str, tuple[str, type[Any], bool]]] = {
    Episode: {
        "master": ("master", MasterFile, False),
        "audio": ("audio", AudioRecord, False),
        "person": ("persons", Person, True),
        "soundbite": ("soundbites", Soundbite, True),
        "correction": ("corrections", Correction, True),
        "previous_master": ("previous_masters", MasterFile, True),
    },
    AudioRecord: {"before": ("before", Measurement, False), "after": ("after", Measurement, False)},
}
# The TOML types each scalar annotation accepts (annotations are strings here), and their name.
_KINDS: dict[str, tuple[tuple[type, ...], str]] = {
    "str": ((str,), "text"),
    "str | None": ((str,), "text"),
    "EpisodeType": ((str,), "text"),
    "int": ((int,), "a whole number"),
    "int | None": ((int,), "a whole number"),
    "float": ((int, float), "a number"),
    "float | None": ((int, float), "a number"),
    "bool": ((bool,), "true or false"),
    "datetime": ((datetime,), "a date with a time zone"),
}
# Paths inside the episode folder.
_FILE_KEYS = frozenset({"file", "image", "chapters", "transcript", "provenance"})


def _build(cls: type[_T], table: object, where: str) -> _T:
    """Build a dataclass from a TOML table; a hand-edited file must not crash a run later."""
    if not isinstance(table, dict):
        raise ValueError(f"{where.rstrip('.')!r} (a table)")
    kinds, required = _FIELDS[cls]
    tables = _TABLES.get(cls, {})
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key in tables:
            target, sub, many = tables[key]
            if many and not isinstance(value, list):
                raise ValueError(f"{where + key!r} (a list of tables)")
            rows = value if many else [value]
            built = tuple(_build(sub, row, f"{where}{key}.") for row in rows)
            values[target] = built if many else built[0]
        elif kinds.get(key) in _KINDS:
            values[key] = _scalar(value, kinds[key], where, key)
        else:
            raise ValueError(f"{where + key!r} (no such setting)")
    if missing := next((n for n in required if n not in values), None):
        raise ValueError(f"{where + missing!r} (missing)")
    return cls(**values)


def _fields_of(cls: type[Any]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Return each field's annotation and the required fields."""
    declared = fields(cls)
    kinds = {f.name: str(f.type) for f in declared}
    required = tuple(
        f.name for f in declared if f.default is MISSING and f.default_factory is MISSING
    )
    return kinds, required


def _scalar(value: object, kind: str, where: str, key: str) -> object:
    """Check one value (`where` + `key` names it in errors, built only when one is raised)."""
    accepted, words = _KINDS[kind]
    wrong_type = not isinstance(value, accepted) or isinstance(value, bool) != (kind == "bool")
    if wrong_type or (isinstance(value, float) and not math.isfinite(value)):
        raise ValueError(f"{where + key!r} ({value!r} is not {words})")
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError(f"{where + key!r} ({words})")
    if isinstance(value, str):
        if CONTROL_RE.search(value):
            raise ValueError(f"{where + key!r} (contains control characters)")
        if key in _FILE_KEYS and not _inside(value):
            raise ValueError(f"{where + key!r} ({value!r} is not a path inside the episode folder)")
    return float(value) if kind.startswith("float") else value  # type: ignore[arg-type]


# Worked out once: a show of 2,000 episodes builds some 10,000 records each time it is read.
_FIELDS: dict[type[Any], tuple[dict[str, str], tuple[str, ...]]] = {
    Episode: _fields_of(Episode),
    **{row[1]: _fields_of(row[1]) for table in _TABLES.values() for row in table.values()},
}


def _layout(cls: type[Any]) -> tuple[tuple[str, ...], tuple[tuple[int, Callable[[Any], Any]], ...]]:
    """Return a record's field names, and how to rebuild the fields JSON cannot hold as they are."""
    kinds = _FIELDS[cls][0]
    nested = {field_: (sub, many) for field_, sub, many in _TABLES.get(cls, {}).values()}
    special: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(kinds):
        if name in nested:
            sub, many = nested[name]
            rebuild = functools.partial(_decode, sub)
            special.append((index, functools.partial(_decode_all, rebuild) if many else rebuild))
        elif kinds[name] == "datetime":
            special.append((index, datetime.fromisoformat))
    return tuple(kinds), tuple(special)


def _decode_all(rebuild: Callable[[Any], _T], rows: list[Any]) -> tuple[_T, ...]:
    return tuple(rebuild(row) for row in rows)


# How the catalog cache lays out each record (see _encode).
_LAYOUTS = {cls: _layout(cls) for cls in _FIELDS}


def _inside(value: str) -> bool:
    """A relative path with a name in it and no `..` (as PurePosixPath sees it, without one)."""
    parts = [part for part in value.split("/") if part not in ("", ".")]
    return bool(parts) and not value.startswith("/") and ".." not in parts


def episode_to_toml(episode: Episode) -> str:
    """Render an Episode as commented TOML."""
    data = asdict(episode)
    persons, soundbites = data.pop("persons"), data.pop("soundbites")
    corrections, previous = data.pop("corrections"), data.pop("previous_masters")
    master, audio = data.pop("master"), data.pop("audio")
    doc = tomlkit.document()
    doc.add(tomlkit.comment("Episode metadata, written by radiodesk. The guid must never change."))
    for key, value in data.items():
        if value is not None:
            doc[key] = (
                tomlkit.string(value, multiline="\n" in value) if key == "description" else value
            )
    if persons:
        doc["person"] = persons
    if soundbites:
        doc["soundbite"] = soundbites
    if corrections:
        doc["correction"] = corrections
    if previous:
        doc["previous_master"] = previous
    doc["master"] = master
    doc["master"].comment("the original recording: never modified")
    if audio is not None:
        for measured in ("before", "after"):  # a peak that was not metered is left out
            audio[measured] = {k: v for k, v in audio[measured].items() if v is not None}
        # Fields added later stay out while they hold their default: older files stay as written.
        doc["audio"] = {k: v for k, v in audio.items() if v != _AUDIO_DEFAULTS.get(k, ...)}
        doc["audio"].comment("derived from the master; rebuilt when the recipe or tags change")
    return tomlkit.dumps(doc)


_AUDIO_DEFAULTS = {
    "offset_s": 0.0,
    "provenance": None,
    "recording_s": None,
    "lead_trim_s": 0.0,
    "tail_trim_s": 0.0,
}


def write_episode(folder: Path, episode: Episode) -> None:
    """Write episode.toml atomically."""
    write_atomic(folder / EPISODE_FILE, episode_to_toml(episode).encode("utf-8"))


def with_audio(episode: Episode, audio: AudioRecord) -> Episode:
    """Return the episode with a new derived-audio record."""
    return replace(episode, audio=audio)


def audio_key(episode: Episode) -> str:
    """Return the store key of the episode's MP3; content-addressed, so it never changes."""
    if episode.audio is None:
        raise CatalogError(f"episode {episode.slug!r} has no audio yet")
    return f"audio/{episode.slug}-{episode.audio.sha256[:12]}.mp3"


def peaks_file(folder: Path, episode: Episode) -> Path:
    """Return where the waveform of the episode's MP3 is kept (a derived file)."""
    return folder.joinpath(DERIVED_DIR, f"{episode.slug}.peaks.json")


def wave_file(folder: Path, episode: Episode) -> Path:
    """Return where the drawing of the episode's waveform is kept (a derived file)."""
    return folder.joinpath(DERIVED_DIR, f"{episode.slug}.wave.json")


def image_key(stem: str, sha256: str, suffix: str) -> str:
    """Return the content-addressed store key of an artwork file."""
    return f"images/{check_slug(stem)}-{sha256[:12]}{suffix.lower()}"


@contextlib.contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the show's lock so two radiodesk runs never write the same show at once."""
    path = root / LOCK_FILE
    path.parent.mkdir(exist_ok=True)
    try:
        with filelock.FileLock(path, timeout=0):
            staging.repair(episodes_dir(root))  # what a killed run left, before anything reads
            yield
    except filelock.Timeout:
        raise CatalogError(
            "another radiodesk is working on this show", hint="wait for it to finish, then retry"
        ) from None


def purge_episode(root: Path, slug: str) -> None:
    """Delete an episode folder, master included (rename first, so it vanishes at once)."""
    folder = episode_dir(root, slug)
    doomed = folder.with_name(f"{STAGING_PREFIX}purge-{slug}")
    os.rename(folder, doomed)
    shutil.rmtree(doomed)


def load_chapters(
    folder: Path,
    episode: Episode,
    duration_s: float,
    placing: Timeline | None = None,
    *,
    stored: tuple[Chapter, ...] | None = None,
) -> tuple[Chapter, ...]:
    """Return the episode's chapters in the published audio's time, fitted to it (none: empty).

    The producer times chapters on the recording; `placing` (None: the episode's audio record's)
    moves them with jingles and trims: one wholly in trimmed silence is dropped, one that
    begins in it starts where the kept recording does, as cues and soundbites do. `stored`:
    the chapters the caller has just stored (None: read them from the episode folder).
    """
    if episode.chapters is None:
        return ()
    if placing is None:
        placing = episode.audio.timeline() if episode.audio else Timeline()
    placed = place(stored_chapters(folder, episode) if stored is None else stored, placing)
    # Placed chapters start within the kept recording; the MP3 may decode a millisecond shorter.
    name = stored_name(episode, episode.chapters)
    return fit_chapters([c for c in placed if c.start_s < duration_s], duration_s, source=name)


def stored_chapters(folder: Path, episode: Episode) -> tuple[Chapter, ...]:
    """Return the chapters the episode keeps, in the recording's time (none: empty)."""
    if episode.chapters is None:
        return ()
    name = stored_name(episode, episode.chapters)
    try:
        text = (folder / episode.chapters).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"cannot read the chapters {name}: {exc}") from exc
    return parse_chapters(text, source=name, warn=False)


def stored_name(episode: Episode, file: str) -> str:
    """Name a file of an episode as the producer finds it in the show folder (for messages)."""
    return f"{EPISODES_DIR}/{episode.slug}/{file}"
