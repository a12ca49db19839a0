"""Reading radiodesk.toml and station.toml: TOML into the checked Settings tree.

Types each value by its field, lets a programme inherit from its station, then applies
settings_rules.py; never writes files (scaffold.py does).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any, cast, get_args
from urllib.parse import quote

from slugify import slugify

from radiodesk.errors import ConfigError
from radiodesk.show.settings import (
    CONFIG_FILE,
    STATION_FILE,
    AddressingStyle,
    AudioSettings,
    BackendName,
    BroadcastSettings,
    ChannelMode,
    OutputFormat,
    RetryMode,
    Settings,
    ShowSettings,
    StationInfo,
    StationSettings,
    StorageSettings,
)
from radiodesk.show.settings_rules import Problems, settings_problems, station_problems
from radiodesk.spec import SHOW_TYPES, SLUG_MAX, SLUG_RE

_SECTIONS: dict[str, type[Any]] = {
    "show": ShowSettings,
    "audio": AudioSettings,
    "storage": StorageSettings,
    "broadcast": BroadcastSettings,
}


def load_settings(root: Path) -> Settings:
    """Read and validate ``root/radiodesk.toml`` (a programme also reads its station.toml)."""
    path = root / CONFIG_FILE
    if not path.is_file() and (root / STATION_FILE).is_file():
        raise ConfigError(
            f"{root} is a station folder, not a show",
            hint="point -C at one of its programmes, or add --show NAME",
        )
    data = _read_toml(path, missing_hint="run `radiodesk init` there, or point -C at a show folder")
    station = find_station(root)
    return settings_from_dict(root, data, source=path, station=station)


def find_station(root: Path) -> StationSettings | None:
    """Return the station whose folder holds the show folder `root`, if there is one."""
    parent = root.resolve().parent
    return load_station(parent) if (parent / STATION_FILE).is_file() else None


def load_station(root: Path) -> StationSettings:
    """Read and validate ``root/station.toml``."""
    path = root / STATION_FILE
    data = _read_toml(path, missing_hint="run `radiodesk init --station` there")
    return station_from_dict(root, data, source=path)


def station_from_dict(root: Path, data: Mapping[str, Any], *, source: Path) -> StationSettings:
    """Build validated StationSettings from parsed TOML."""
    problems = Problems(source)
    for name in sorted(set(data) - {"station", "storage"}):
        problems.add(f"[{_quoted(name)}]", f"unknown section [{_quoted(name)}]")
    if "station" not in data:
        problems.add("[station]", "the [station] section is missing")
        problems.check()
    info = _build_section(StationInfo, "station", data["station"], problems)
    storage = _build_section(StorageSettings, "storage", data.get("storage", {}), problems)
    problems.check_each(*station_problems(info, storage))
    return StationSettings(root=root, station=info, storage=storage)


def _read_toml(path: Path, *, missing_hint: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"no {path.name} in {path.parent}", hint=missing_hint) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from exc


def default_prefix(folder_name: str) -> str:
    """Return a programme's store prefix: its folder name, transliterated (URLs are ASCII)."""
    return slugify(folder_name, max_length=SLUG_MAX, word_boundary=True, save_order=True).strip("-")


def _as_programme(
    root: Path, data: Mapping[str, Any], station: StationSettings, source: Path
) -> dict[str, Any]:
    """Fill in what a programme inherits from its station: base_url and storage, by prefix."""
    show = data.get("show")
    if "storage" in data or (isinstance(show, dict) and "base_url" in show):
        raise ConfigError(
            f"{source}: a programme publishes to its station's store under its own prefix",
            hint=f"remove [storage] and base_url here; set them in {station.root / STATION_FILE}",
        )
    if not isinstance(show, dict):
        return dict(data)  # settings_from_dict says what is wrong with it
    prefix = show.get("prefix") or default_prefix(root.resolve().name)
    if not isinstance(prefix, str) or not SLUG_RE.match(prefix):
        raise ConfigError(
            f"{source}: [show] prefix {prefix!r} is not a usable store prefix",
            hint='use lowercase latin letters, digits and hyphens, e.g. prefix = "morning"',
        )
    store = station.storage
    storage = {
        f.name: getattr(store, f.name) for f in fields(StorageSettings) if f.default is not MISSING
    }
    storage.update(
        path=str(station.local_store / prefix),
        prefix="/".join(p for p in (store.prefix.strip("/"), prefix) if p),
        public_base_url=join_url(store.public_base_url, prefix) if store.public_base_url else "",
    )
    base_url = join_url(station.station.base_url, prefix)
    return {**data, "show": {**show, "prefix": prefix, "base_url": base_url}, "storage": storage}


def join_url(base_url: str, key: str) -> str:
    """Return the URL of `key` under `base_url` (the key percent-encoded)."""
    return f"{base_url.rstrip('/')}/{quote(key)}"


def settings_from_dict(
    root: Path,
    data: Mapping[str, Any],
    *,
    source: Path,
    station: StationSettings | None = None,
) -> Settings:
    """Build validated Settings from parsed TOML; a programme inherits from its `station`."""
    if station is not None:
        data = _as_programme(root, data, station, source)
    problems = Problems(source)
    for name in sorted(set(data) - set(_SECTIONS)):
        problems.add(f"[{_quoted(name)}]", f"unknown section [{_quoted(name)}]")
    if "show" not in data:
        problems.add("[show]", "the [show] section is missing")
        problems.check()
    sections = {
        name: _build_section(cls, name, data.get(name, {}), problems)
        for name, cls in _SECTIONS.items()
    }
    settings = Settings(root=root, station=station, **sections)
    problems.check_each(*settings_problems(settings))
    return settings


def _quoted(name: str) -> str:
    """Return a TOML name as repr does, without its quotes: a line break stays on one line."""
    return repr(name)[1:-1]


def _build_section(cls: type[Any], name: str, table: Any, problems: Problems) -> Any:
    if not isinstance(table, dict):
        problems.add(f"[{name}]", f"[{name}] must be a table")
        table = {}
    known = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in table.items():
        where = f"[{name}] {key}"
        if key not in known:
            import difflib  # only for a mistake

            close = difflib.get_close_matches(key, list(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else None
            problems.add(
                f"[{name}] {_quoted(key)}", f"[{name}] has an unknown setting {key!r}", hint
            )
            continue
        try:
            kwargs[key] = _check_type(value, known[key].type, where)
        except ConfigError as exc:
            problems.add(where, exc.message)
    for field in known.values():
        if (
            field.default is MISSING
            and field.default_factory is MISSING
            and field.name not in kwargs
        ):
            if field.name not in table:
                problems.add(f"[{name}] {field.name}", f"[{name}] needs the setting {field.name!r}")
            kwargs[field.name] = ""  # every required setting is a text; reported above
    return cls(**kwargs)


def _check_type(value: Any, annotation: Any, where: str) -> Any:
    """Check one TOML value against its field's annotation (a string: annotations are lazy)."""
    kind = str(annotation)
    if kind in _CHOICES:
        allowed = _CHOICES[kind]
        if value not in allowed:
            choices = ", ".join(f'"{a}"' for a in allowed)
            raise ConfigError(f"{where} must be one of {choices}, not {value!r}")
        return value
    if kind == "tuple[str, ...]":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{where} must be a list of texts, not {value!r}")
        return tuple(value)
    name, accepted = _SCALARS[kind]
    # bool is an int in Python, but `true` is not a loudness target.
    if isinstance(value, bool) != (kind == "bool") or not isinstance(value, accepted):
        raise ConfigError(f"{where} must be {name}, not {value!r}")
    return float(cast(float, value)) if kind == "float" else value


_CHOICES: dict[str, tuple[str, ...]] = {
    "ChannelMode": get_args(ChannelMode),
    "OutputFormat": get_args(OutputFormat),
    "BackendName": get_args(BackendName),
    "AddressingStyle": get_args(AddressingStyle),
    "RetryMode": get_args(RetryMode),
    "ShowType": SHOW_TYPES,  # the feed's rule
}
_SCALARS: dict[str, tuple[str, tuple[type, ...]]] = {
    "str": ("text", (str,)),
    "bool": ("true or false", (bool,)),
    "int": ("a whole number", (int,)),
    "float": ("a number", (int, float)),
}
