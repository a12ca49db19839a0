"""What radiodesk.toml and station.toml may say: each section's checks, gathered per file.

Judges built settings by the rules of radiodesk.spec; never reads files (settings_file.py does).
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from radiodesk.errors import ConfigError, collect
from radiodesk.show import roles, zones
from radiodesk.show.settings import (
    STATION_FILE,
    AudioSettings,
    BroadcastSettings,
    Settings,
    ShowSettings,
    StationInfo,
    StorageSettings,
)
from radiodesk.spec import (
    APPLE_CATEGORIES,
    CONTROL_RE,
    LANGUAGE_RE,
    is_email,
    is_http_url,
)

Check = tuple[bool, str] | tuple[bool, str, str]  # failed, "[section] key ...", hint

_MP3_BITRATES = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)


class Problems:
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


def settings_problems(settings: Settings) -> list[Check]:
    """Return every check of a show's settings, in the order the producer reads them."""
    show, audio = settings.show, settings.audio
    return [
        *_identity_problems(show),
        *_category_problems(show),
        *_zone_problems(show.time_zone),
        *_text_problems(show),
        *_host_problems(show.hosts),
        *_loudness_problems(audio),
        *_listing_problems(show, in_station=settings.station is not None),
        *storage_problems(settings.storage),
        *_edit_problems(audio),
        *_broadcast_problems(settings.broadcast),
    ]


def station_problems(info: StationInfo, storage: StorageSettings) -> list[Check]:
    """Return every check of a station's settings."""
    return [
        (not info.name.strip(), "[station] name must not be empty"),
        (
            any(CONTROL_RE.search(text) for text in (info.name, info.description)),
            "[station] name and description must not hold control characters",
        ),
        (not is_http_url(info.base_url), "[station] base_url must be an absolute http(s) URL"),
        (not LANGUAGE_RE.match(info.language), "[station] language must be a code like ru"),
        *storage_problems(storage),
    ]


def _identity_problems(show: ShowSettings) -> list[Check]:
    """The show's title, addresses, language and owner's e-mail."""
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
    ]


def _category_problems(show: ShowSettings) -> list[Check]:
    """The category and subcategory come from Apple's list."""
    subcategories = APPLE_CATEGORIES.get(show.category, ())
    return [
        (
            show.category not in APPLE_CATEGORIES,
            f"[show] category {show.category!r} is not an Apple Podcasts category",
            "choose one of: " + ", ".join(APPLE_CATEGORIES),
        ),
        (
            bool(show.subcategory) and show.subcategory not in subcategories,
            f"[show] subcategory {show.subcategory!r} does not belong to {show.category!r}",
            "choose one of: " + (", ".join(subcategories) or "none"),
        ),
    ]


def _zone_problems(name: str) -> list[Check]:
    if not name:
        return []
    try:
        zones.find_zone(name)
    except ConfigError as exc:
        return [(True, f"[show] time_zone {exc.message}", exc.hint or "")]
    return []


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


def _loudness_problems(audio: AudioSettings) -> list[Check]:
    """The published MP3's loudness target and encoder profile."""
    return [
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
    ]


def _listing_problems(show: ShowSettings, *, in_station: bool) -> list[Check]:
    """The feed's pages, the show's links elsewhere, its place and its store prefix."""
    links = (
        ("funding_url", show.funding_url),
        ("new_feed_url", show.new_feed_url),
        ("apple_podcasts_url", show.apple_podcasts_url),
        ("spotify_url", show.spotify_url),
        ("yandex_music_url", show.yandex_music_url),
    )
    return [
        (not 0 <= show.feed_page_size <= 100_000, "[show] feed_page_size must be 0 or more"),
        *(
            (bool(url) and not is_http_url(url), f"[show] {name} must be an http(s) URL")
            for name, url in links
        ),
        (
            bool(show.location_geo) and not show.location_geo.startswith("geo:"),
            '[show] location_geo must look like "geo:54.71,20.51"',
        ),
        (
            bool(show.prefix) and not in_station,
            f"[show] prefix applies only to a programme in a station folder (with {STATION_FILE})",
        ),
    ]


def storage_problems(storage: StorageSettings) -> list[Check]:
    """Where publish puts the feed and media."""
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
