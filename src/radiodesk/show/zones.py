"""Time zones: a show's IANA zone, dates typed without one, and this machine's zone name.

Pure lookups (zoneinfo, with the tzdata package where the system has no zone files); the CLI
prints what they return.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from radiodesk.errors import ConfigError

DATE_EXAMPLE = "2026-12-08 09:00"
ZONE_EXAMPLE = "Europe/Moscow"


@dataclass(frozen=True, slots=True, kw_only=True)
class TypedDate:
    """A date as the producer typed it, made aware; `zone` is set if it came from the show."""

    when: datetime
    zone: ZoneInfo | None = None

    def note(self) -> str:
        """Say which zone a date typed without one was taken in, e.g. for the producer's log."""
        if self.zone is None:
            return ""
        return f"{self.when:%Y-%m-%d %H:%M} taken as {self.zone.key} ({format_offset(self.when)})"


def find_zone(name: str) -> ZoneInfo:
    """Return the IANA zone `name` ("Europe/Minsk"); say what was meant if it is none."""
    try:
        if name and name == name.strip():
            return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):  # ValueError: a path or a malformed key
        pass
    close = close_zone(name)
    hint = f'did you mean "{close}"?' if close else f'use an IANA name such as "{ZONE_EXAMPLE}"'
    raise ConfigError(f"{name!r} is not a time zone", hint=hint)


def close_zone(name: str) -> str | None:
    """Return the zone name closest to a mistyped one ("europe/minks" -> "Europe/Minsk")."""
    names = _zone_names()
    folded = {n.casefold(): n for n in names}
    key = name.strip().replace(" ", "_").casefold()
    if key in folded:
        return folded[key]
    cities = {n.rpartition("/")[2].casefold(): n for n in sorted(names) if "/" in n}
    if key in cities:  # "minsk" -> "Europe/Minsk"
        return cities[key]
    import difflib  # only for a mistake

    found = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.75)
    return folded[found[0]] if found else None


@functools.cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the zone database: only on a mistake


def machine_zone() -> str | None:
    """Return this machine's IANA zone name, or None where it cannot be told reliably."""
    import tzlocal  # only `init` asks

    try:
        name = tzlocal.get_localzone_name()
        zone = ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    # A name that disagrees with the clock's own offset (a stale /etc/timezone) is not this
    # machine's zone.
    if zone is None or datetime.now(zone).utcoffset() != datetime.now().astimezone().utcoffset():
        return None
    return name


def parse_date(
    text: str, show_zone: Callable[[], ZoneInfo | None], *, option: str = "--date"
) -> TypedDate:
    """Read an ISO 8601 date; one without an offset is taken in the show's zone.

    `show_zone` is asked only then: a date with its own offset needs no show.
    """
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ConfigError(
            f"{option} {text!r} is not a date",
            hint=f'write it like "{DATE_EXAMPLE}" or 2026-12-08T09:00+03:00',
        ) from None
    if parsed.tzinfo is not None:
        return TypedDate(when=parsed)
    zone = show_zone()
    if zone is None:
        raise ConfigError(
            f"{option} {text!r} has no time zone and the show has none set",
            hint=f'add time_zone = "{ZONE_EXAMPLE}" under [show] in radiodesk.toml, '
            f"or give the offset: {parsed:%Y-%m-%dT%H:%M}+03:00",
        )
    return TypedDate(when=parsed.replace(tzinfo=zone), zone=zone)


def format_offset(when: datetime) -> str:
    """Write a date's UTC offset as +03:00."""
    offset = when.utcoffset() or timedelta(0)
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
