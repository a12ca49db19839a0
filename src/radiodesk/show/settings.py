"""Settings of one show, read from radiodesk.toml with tomllib and validated.

Owns the frozen Settings tree and its defaults; never touches audio, the network or episodes.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from pathlib import Path
from typing import Any, Literal, cast, get_args
from urllib.parse import quote
from zoneinfo import ZoneInfo

from slugify import slugify

from radiodesk.errors import ConfigError, collect
from radiodesk.show import roles, zones
from radiodesk.spec import (
    APPLE_CATEGORIES,
    CONTROL_RE,
    LANGUAGE_RE,
    SLUG_RE,
    is_email,
    is_http_url,
)

ChannelMode = Literal["auto", "mono", "stereo"]
OutputFormat = Literal["mp3"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioSettings:
    """Loudness target and encoder profile of the published MP3."""

    format: OutputFormat = "mp3"
    target_lufs: float = -16.0  # Apple Podcasts, AES TD1004 (stereo)
    mono_target_lufs: float = -19.0  # mono plays as loud as -16 stereo (AES TD1004)
    true_peak_dbtp: float = -1.0  # ceiling measured on the ENCODED file
    tolerance_lu: float = 0.5  # accepted distance of the encoded file from the target
    sample_rate_hz: int = 44100
    stereo_bitrate_kbps: int = 128
    mono_bitrate_kbps: int = 64
    channels: ChannelMode = "auto"  # "mono" forces mono output; "auto" follows the source
    # Newsroom edits (all off by default, so the published audio is the recording alone):
    intro: str = ""  # jingle before the recording, relative to the show folder
    outro: str = ""  # jingle after it
    crossfade_ms: int = 500  # overlap of a jingle and the recording (0: butt-joined)
    trim_silence: bool = False  # cut leading and trailing silence
    silence_threshold_db: float = -50.0  # quieter than this (dBFS) counts as silence
    kept_pause_ms: int = 500  # silence left before the first and after the last sound

    def target_for(self, mono: bool) -> float:
        """Return the integrated loudness target for a mono or stereo output."""
        return self.mono_target_lufs if mono else self.target_lufs

    def bitrate_for(self, mono: bool) -> int:
        """Return the MP3 bit rate in kbit/s for a mono or stereo output."""
        return self.mono_bitrate_kbps if mono else self.stereo_bitrate_kbps


# Fields added after episodes were already published: left out of the audio recipe while they
# keep their default, so adding them rebuilt nothing (see ingest.derived.recipe_of).
EDIT_FIELDS = (
    "intro", "outro", "crossfade_ms", "trim_silence", "silence_threshold_db", "kept_pause_ms"
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastSettings:
    """The on-air copy: an EBU R128 Broadcast WAV, written to an export folder, never published."""

    enabled: bool = False  # made at `add`; `radiodesk export` makes it on demand either way
    target_lufs: float = -23.0  # EBU R128
    true_peak_dbtp: float = -1.0  # EBU R128 s1 (-1 dBTP for PCM)
    tolerance_lu: float = 0.5
    sample_rate_hz: int = 48000
    bits: int = 24
    folder: str = "export/broadcast"  # relative to the show folder
    originator: str = ""  # the bext originator (32 characters); default: the show's author


BackendName = Literal["local", "s3"]
AddressingStyle = Literal["auto", "path", "virtual"]
RetryMode = Literal["standard", "adaptive", "legacy"]
ShowType = Literal["episodic", "serial"]

CONFIG_FILE = "radiodesk.toml"
STATION_FILE = "station.toml"  # beside the programme folders of a station

Check = tuple[bool, str] | tuple[bool, str, str]  # failed, "[section] key ...", hint


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowSettings:
    """What listeners' apps show about the programme (the feed's channel)."""

    title: str
    base_url: str  # public URL of the store: the feed and media live under it
    description: str = ""
    language: str = "ru"
    author: str = ""
    owner_name: str = ""  # defaults to author
    email: str = ""  # itunes:owner e-mail; Spotify and YouTube verify ownership through it
    category: str = "News"
    subcategory: str = ""
    explicit: bool = False
    image: str = ""  # artwork, relative to the show folder
    link: str = ""  # the show's web page; defaults to base_url
    copyright: str = ""
    type: ShowType = "episodic"
    hosts: tuple[str, ...] = ()  # "Name[:role]": podcast:person on the channel and every item
    feed_page_size: int = 300  # newest items in feed.xml; older ones in feed-2.xml ... (0: all)
    podcast_guid: str = ""  # empty: UUIDv5 of the feed URL, as the podcast namespace says
    locked: bool = True  # podcast:locked yes (with the e-mail as owner): no import elsewhere
    funding_url: str = ""  # podcast:funding
    funding_text: str = ""
    location_name: str = ""  # podcast:location, e.g. "Калининград"
    location_geo: str = ""  # "geo:54.71,20.51"
    location_osm: str = ""  # OpenStreetMap id, e.g. "R1674442"
    block: bool = False  # itunes:block: hide the whole show from Apple Podcasts
    complete: bool = False  # itunes:complete: no more episodes will come
    new_feed_url: str = ""  # the show moved: apps follow itunes:new-feed-url
    apple_podcasts_url: str = ""  # subscribe links on the web page
    spotify_url: str = ""
    yandex_music_url: str = ""
    # Inside a station: the programme's key prefix in the station's store (read back resolved:
    # the folder name, transliterated, unless radiodesk.toml sets it). Empty for a lone show.
    prefix: str = ""
    publish_provenance: bool = False  # put each MP3's provenance record beside it in the store
    time_zone: str = ""  # IANA name, e.g. "Europe/Minsk": dates typed without a zone are in it

    @property
    def zone(self) -> ZoneInfo | None:
        """Return the show's time zone (None if unset): for dates typed and dates shown."""
        return ZoneInfo(self.time_zone) if self.time_zone else None  # checked at load


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageSettings:
    """Where publish puts the feed and media. No credentials here: boto3's chain supplies them."""

    backend: BackendName = "local"
    path: str = "public"  # local: the folder, relative to the show folder
    bucket: str = ""  # s3: the bucket
    prefix: str = ""  # s3: key prefix, e.g. "podcasts/my-show"
    region: str = ""  # s3: e.g. "eu-central-1", "ru-central1"
    endpoint_url: str = ""  # s3-compatible stores: MinIO, R2, Yandex, B2 ...
    public_base_url: str = ""  # URL listeners use (bucket website, CDN); default: show base_url
    acl: str = ""  # e.g. "public-read"; empty: none (modern buckets reject ACLs)
    addressing_style: AddressingStyle = "auto"
    profile: str = ""  # a profile of ~/.aws/config
    retry_mode: RetryMode = "standard"  # botocore retry mode
    max_attempts: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything radiodesk.toml says about one show."""

    root: Path
    show: ShowSettings
    audio: AudioSettings = AudioSettings()
    storage: StorageSettings = StorageSettings()
    station: StationSettings | None = None  # the station this show is a programme of
    broadcast: BroadcastSettings = BroadcastSettings()

    @property
    def local_store(self) -> Path:
        """Return the folder of the local store."""
        return (self.root / self.storage.path).resolve()


@dataclass(frozen=True, slots=True, kw_only=True)
class StationInfo:
    """What the station page says about the station ([station] of station.toml)."""

    name: str
    base_url: str  # public URL of the station's store; programmes live under base_url/prefix
    description: str = ""
    language: str = "ru"
    image: str = ""  # station artwork, relative to the station folder


@dataclass(frozen=True, slots=True, kw_only=True)
class StationSettings:
    """Everything station.toml says: the station and the one store its programmes share."""

    root: Path
    station: StationInfo
    storage: StorageSettings = StorageSettings()

    @property
    def local_store(self) -> Path:
        """Return the folder of the station's local store."""
        return (self.root / self.storage.path).resolve()


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
    problems = _Problems(source)
    for name in sorted(set(data) - {"station", "storage"}):
        problems.add(f"[{_quoted(name)}]", f"unknown section [{_quoted(name)}]")
    if "station" not in data:
        problems.add("[station]", "the [station] section is missing")
        problems.check()
    info = _build_section(StationInfo, "station", data["station"], problems)
    storage = _build_section(StorageSettings, "storage", data.get("storage", {}), problems)
    problems.check_each(
        (not info.name.strip(), "[station] name must not be empty"),
        (
            any(CONTROL_RE.search(text) for text in (info.name, info.description)),
            "[station] name and description must not hold control characters",
        ),
        (not is_http_url(info.base_url), "[station] base_url must be an absolute http(s) URL"),
        (not LANGUAGE_RE.match(info.language), "[station] language must be a code like ru"),
        *_storage_problems(storage),
    )
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
    return slugify(folder_name, max_length=80, word_boundary=True, save_order=True).strip("-")


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
    problems = _Problems(source)
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
    problems.check_each(*_validate(settings))
    return settings


def _quoted(name: str) -> str:
    """Return a TOML name as repr does, without its quotes: a line break stays on one line."""
    return repr(name)[1:-1]


class _Problems:
    """The problems of one settings file, gathered so the producer sees them all at once."""

    def __init__(self, source: Path) -> None:
        self.source = source
        self.found: list[ConfigError] = []
        self.keys: set[str] = set()  # "[show] email": a setting already reported

    def add(self, key: str, message: str, hint: str | None = None) -> None:
        """Note a problem of the setting `key`."""
        self.keys.add(key)
        self.found.append(ConfigError(f"{self.source}: {message}", hint=hint))

    def check_each(self, *checks: Check) -> None:
        """Note each failed check (but for settings already reported), then raise them all."""
        for failed, message, *hint in checks:
            if failed and not any(message.startswith(f"{key} ") for key in self.keys):
                self.found.append(
                    ConfigError(f"{self.source}: {message}", hint=next(iter(hint), None))
                )
        self.check()

    def check(self) -> None:
        """Raise every problem found so far, if any."""
        if self.found:
            raise collect(self.found)


def _build_section(cls: type[Any], name: str, table: Any, problems: _Problems) -> Any:
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
    "ShowType": get_args(ShowType),
}
_SCALARS: dict[str, tuple[str, tuple[type, ...]]] = {
    "str": ("text", (str,)),
    "bool": ("true or false", (bool,)),
    "int": ("a whole number", (int,)),
    "float": ("a number", (int, float)),
}


def _validate(settings: Settings) -> list[Check]:
    show, audio = settings.show, settings.audio
    return [
        (not show.title.strip(), "[show] title must not be empty"),
        (
            not is_http_url(show.base_url),
            "[show] base_url must be an absolute http(s) URL",
            'e.g. base_url = "https://radio.example.org/podcast"',
        ),
        (bool(show.link) and not is_http_url(show.link), "[show] link must be an http(s) URL"),
        (not LANGUAGE_RE.match(show.language), "[show] language must be a code like ru or en-us"),
        (
            bool(show.email) and not is_email(show.email),
            "[show] email is not an e-mail",
            'e.g. email = "radio@example.org"',
        ),
        (
            show.category not in APPLE_CATEGORIES,
            f"[show] category {show.category!r} is not an Apple Podcasts category",
            "choose one of: " + ", ".join(APPLE_CATEGORIES),
        ),
        (
            bool(show.subcategory)
            and show.subcategory not in APPLE_CATEGORIES.get(show.category, ()),
            f"[show] subcategory {show.subcategory!r} does not belong to {show.category!r}",
            "choose one of: " + (", ".join(APPLE_CATEGORIES.get(show.category, ())) or "none"),
        ),
        *_zone_problems(show.time_zone),
        *_text_problems(show),
        *_host_problems(show.hosts),
        (
            not -40.0 <= audio.target_lufs <= -5.0 or not -40.0 <= audio.mono_target_lufs <= -5.0,
            "[audio] loudness targets must lie between -40 and -5 LUFS",
        ),
        (not -9.0 <= audio.true_peak_dbtp <= 0.0, "[audio] true_peak_dbtp must be -9 to 0"),
        (not 0.1 <= audio.tolerance_lu <= 3.0, "[audio] tolerance_lu must be 0.1 to 3"),
        (
            audio.sample_rate_hz not in (32000, 44100, 48000),
            "[audio] sample_rate_hz: 44100 or 48000",
        ),
        (
            audio.stereo_bitrate_kbps not in _MP3_BITRATES
            or audio.mono_bitrate_kbps not in _MP3_BITRATES,
            "[audio] bit rates must be MP3 rates such as 64, 96, 128, 192",
        ),
        (not 0 <= show.feed_page_size <= 100_000, "[show] feed_page_size must be 0 or more"),
        *(
            (bool(url) and not is_http_url(url), f"[show] {name} must be an http(s) URL")
            for name, url in (
                ("funding_url", show.funding_url),
                ("new_feed_url", show.new_feed_url),
                ("apple_podcasts_url", show.apple_podcasts_url),
                ("spotify_url", show.spotify_url),
                ("yandex_music_url", show.yandex_music_url),
            )
        ),
        (
            bool(show.location_geo) and not show.location_geo.startswith("geo:"),
            '[show] location_geo must look like "geo:54.71,20.51"',
        ),
        (
            bool(show.prefix) and settings.station is None,
            f"[show] prefix applies only to a programme in a station folder (with {STATION_FILE})",
        ),
        *_storage_problems(settings.storage),
        *_edit_problems(audio),
        *_broadcast_problems(settings.broadcast),
    ]


def _text_problems(show: ShowSettings) -> list[Check]:
    """Refuse what the feed would refuse: a control character in any text of [show]."""
    texts = [(f.name, getattr(show, f.name)) for f in fields(show)]
    texts += [("hosts", host) for host in show.hosts]
    problems: list[Check] = []
    for name, value in texts:
        if not isinstance(value, str):
            continue
        if found := CONTROL_RE.search(value):
            code = f"U+{ord(found[0]):04X}"
            problems.append(
                (True, f"[show] {name} contains the control character {code}", "remove it")
            )
        elif value and not value.strip():  # the feed reads a blank value as a missing one
            problems.append((True, f"[show] {name} is blank", "write it, or remove the setting"))
    return problems


def _zone_problems(name: str) -> list[Check]:
    if not name:
        return []
    try:
        zones.find_zone(name)
    except ConfigError as exc:
        return [(True, f"[show] time_zone {exc.message}", exc.hint or "")]
    return []


def _host_problems(hosts: tuple[str, ...]) -> list[Check]:
    """Each host is "Name[:role]", the role one of the podcast taxonomy's (or its Russian name)."""
    checks: list[Check] = []
    for text in hosts:
        name, typed, role = roles.split_person(text)
        if not name:
            checks.append((True, f"[show] hosts: {text!r} has no name", 'write "Name:role"'))
        elif role is None:
            message = f"[show] hosts: {text!r}: {roles.unknown_role_message(typed)}"
            checks.append((True, message, f"every role: {roles.TAXONOMY_URL}"))
    return checks


def _storage_problems(storage: StorageSettings) -> list[Check]:
    return [
        (not storage.path.strip(), "[storage] path must not be empty"),
        (
            storage.backend == "s3" and not storage.bucket.strip(),
            '[storage] backend = "s3" needs a bucket',
        ),
        (
            bool(storage.endpoint_url) and not is_http_url(storage.endpoint_url),
            "[storage] endpoint_url must be an http(s) URL",
        ),
        (
            bool(storage.public_base_url) and not is_http_url(storage.public_base_url),
            "[storage] public_base_url must be an http(s) URL",
        ),
        (not 1 <= storage.max_attempts <= 20, "[storage] max_attempts must be 1 to 20"),
    ]


def _edit_problems(audio: AudioSettings) -> list[Check]:
    return [
        (not 0 <= audio.crossfade_ms <= 5000, "[audio] crossfade_ms must be 0 to 5000"),
        (
            not -90.0 <= audio.silence_threshold_db <= -20.0,
            "[audio] silence_threshold_db must be -90 to -20",
        ),
        (not 100 <= audio.kept_pause_ms <= 10_000, "[audio] kept_pause_ms must be 100 to 10000"),
        *(
            (not _is_relative_file(path), f"[audio] {name} must be a file inside the show folder")
            for name, path in (("intro", audio.intro), ("outro", audio.outro))
            if path
        ),
    ]


def _broadcast_problems(broadcast: BroadcastSettings) -> list[Check]:
    return [
        (
            not -40.0 <= broadcast.target_lufs <= -5.0,
            "[broadcast] target_lufs must lie between -40 and -5 LUFS",
        ),
        (not -9.0 <= broadcast.true_peak_dbtp <= 0.0, "[broadcast] true_peak_dbtp must be -9 to 0"),
        (not 0.1 <= broadcast.tolerance_lu <= 3.0, "[broadcast] tolerance_lu must be 0.1 to 3"),
        (
            broadcast.sample_rate_hz not in (44100, 48000, 96000),
            "[broadcast] sample_rate_hz: 44100, 48000 or 96000",
        ),
        (broadcast.bits not in (16, 24, 32), "[broadcast] bits must be 16, 24 or 32"),
        (
            not _is_relative_file(broadcast.folder),
            "[broadcast] folder must be a folder inside the show folder",
        ),
        (len(broadcast.originator) > 32, "[broadcast] originator: at most 32 characters (bext)"),
    ]


def _is_relative_file(value: str) -> bool:
    path = Path(value)
    return bool(value.strip()) and not path.is_absolute() and ".." not in path.parts


_MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


def split_category(value: str) -> tuple[str, str]:
    """Split "News/Politics" into ("News", "Politics") and check both against Apple's list."""
    parent, _, child = (part.strip() for part in value.partition("/"))
    if parent not in APPLE_CATEGORIES:
        raise ConfigError(
            f"{parent!r} is not an Apple Podcasts category",
            hint="choose one of: " + ", ".join(APPLE_CATEGORIES),
        )
    if child and child not in APPLE_CATEGORIES[parent]:
        choices = ", ".join(APPLE_CATEGORIES[parent]) or "none"
        raise ConfigError(f"{child!r} is not a subcategory of {parent!r} (choices: {choices})")
    return parent, child
