"""What keeps a feed that breaks the rules from going live, in two steps around the writer.

Before it: refuse what the writer cannot write faithfully (characters lxml rejects, values it
cannot format, faults the XML would hide). After it: judge the documents by check/'s rules,
the one home of the feed rules, strictly. Holds no feed rule of its own.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from typing import Any

from radiodesk.errors import FeedError
from radiodesk.publish.feed_model import Channel, Item
from radiodesk.spec import CONTROL_RE

_SINGULAR = {"persons": "person", "transcripts": "transcript", "soundbites": "soundbite"}
# itunes:duration is written to the second, so check/ can place a soundbite's end only to
# within half a second of it; the writer knows the episode's exact length.
_SOUNDBITE_SLACK_S = 0.001


def refuse_unwritable(channel: Channel, items: Sequence[Item]) -> None:
    """Raise FeedError for a value the writer cannot put into XML as it is."""
    _refuse_characters(channel, "channel")
    _refuse_first(
        "channel",
        # feedgen refuses a channel without these with a bare ValueError.
        (not channel.title.strip(), "title is empty"),
        (not channel.description.strip(), "description is empty"),
        (not channel.link, "link is empty"),
        (not isinstance(channel.explicit, bool), "explicit must be true or false"),
        # Without podcast:locked the owner has no tag to go in: it would vanish unsaid.
        (
            channel.locked_owner is not None and channel.locked is None,
            "locked owner is set but locked is not",
        ),
    )
    for item in items:
        _refuse_item(item, f"episode {item.guid!r}")


def _refuse_item(item: Item, where: str) -> None:
    _refuse_characters(item, where)
    _refuse_first(
        where,
        # feedgen refuses an item with neither with a bare ValueError.
        (not item.title.strip() and not item.description.strip(), "title is empty"),
        (not isinstance(item.explicit, bool), "explicit must be true or false"),
        # Items are ordered by date: a naive one cannot be compared with the others.
        (item.published.utcoffset() is None, "publication date has no time zone"),
        (
            not math.isfinite(item.duration_s) or item.duration_s < 0,
            f"duration {item.duration_s!r} is not a number of seconds",
        ),
        # podcast:season carries the name: without a season it would vanish unsaid.
        (item.season_name is not None and item.season is None, "season name needs a season"),
    )
    for soundbite in item.soundbites:
        end_s = soundbite.start_s + soundbite.duration_s
        if end_s > item.duration_s + _SOUNDBITE_SLACK_S:
            raise FeedError(
                f"{where} soundbite at {soundbite.start_s!r} s runs past the end of the episode"
            )


def _refuse_characters(value: Any, where: str) -> None:
    # lxml refuses these with a bare ValueError; say which field holds one instead.
    for field in fields(value):
        content = getattr(value, field.name)
        for part in content if isinstance(content, tuple) else (content,):
            if is_dataclass(part):
                _refuse_characters(part, f"{where} {_SINGULAR.get(field.name, field.name)}")
            elif isinstance(part, str) and (found := CONTROL_RE.search(part)):
                code = f"U+{ord(found.group()):04X}"
                raise FeedError(
                    f"{where} {field.name} contains the control character {code}",
                    hint="remove it from the text; feeds cannot carry control characters",
                )


def _refuse_first(where: str, *checks: tuple[bool, str]) -> None:
    for failed, message in checks:
        if failed:
            raise FeedError(f"{where} {message}")


def judge_feeds(
    feeds: Mapping[str, bytes],
    *,
    previous: Mapping[str, bytes] | None = None,
    now: datetime | None = None,
) -> tuple[str, ...]:
    """Judge rendered feed documents (the main feed first) by check/'s rules; return warnings.

    Strict: what apps put up with but the writer never makes is an error too. `previous` is
    the live feed they would replace. Raises FeedError naming the first error.
    """
    from radiodesk import check  # only a changed feed is judged: most publishes never load it

    problems = check.check_feeds(feeds, previous=previous, now=now, strict=True)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise FeedError(
            f"the new feed fails its checks, so the live feed was left as it is: "
            f"{errors[0].where}: {errors[0].message}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            hint="fix the episode or radiodesk.toml, then publish again",
        )
    return tuple(f"{p.where}: {p.message}" for p in problems)
