"""The episode.toml codec: read an episode's file (checked), write it back, cache what was read.

Turns TOML into the records of episode.py and back; never names folders beyond its own file.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import MISSING, asdict, fields
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import tomlkit

from radiodesk.errors import CatalogError
from radiodesk.files import write_atomic
from radiodesk.show.episode import (
    AudioRecord,
    Correction,
    Episode,
    MasterFile,
    Measurement,
    Person,
    Soundbite,
)
from radiodesk.show.folders import EPISODE_FILE, check_slug, episode_dir, episodes_dir
from radiodesk.show.statcache import Stamp, StatCache, stamp
from radiodesk.spec import CONTROL_RE, EPISODE_TYPES, SLUG_RE

_T = TypeVar("_T")


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
    folder = os.fspath(episodes_dir(root))  # joined as text: Paths cost more than the stats
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
    episode = load_episode(episode_dir(root, slug))
    cache.put(slug, stamps, _encode(episode))
    return episode


def load_episode(folder: Path) -> Episode:
    """Read one episode.toml."""
    path = folder / EPISODE_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CatalogError(f"no episode {folder.name!r} in this show") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CatalogError(f"{path}: {exc}") from exc
    try:
        return episode_from_dict(data)
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
    if episode.episode_type not in EPISODE_TYPES:
        kinds = "/".join(EPISODE_TYPES)
        raise ValueError(f"'episode_type' ({episode.episode_type!r} is not {kinds})")
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


# Worked out once, not per record: reading a show builds several records per episode.
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
        # Optional fields stay out while they hold their default, so a rewrite adds no keys.
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
