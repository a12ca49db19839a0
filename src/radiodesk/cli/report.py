"""How `list` and `show` print episodes for a producer: a table that never cuts the slug, and
a readable report of one episode (units, times as m:ss, nothing printed that is not set).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from radiodesk.cli.output import when
from radiodesk.publish.live import Listed, LiveEpisode
from radiodesk.show.episode import Episode
from radiodesk.show.settings import Settings

TITLE_MIN = 16  # the title column folds down to this; the other columns are never cut
WIDE = 200  # output that is not a terminal: wide enough that titles rarely fold
SHED = ("LUFS in → out", "length", "date")  # `show SLUG` still has them


@dataclass(frozen=True, slots=True)
class State:
    """An episode's status against its store, and what is live of it (None: nothing)."""

    status: Listed
    live: LiveEpisode | None = None


def clock(seconds: float) -> str:
    """Write a length or position as m:ss (h:mm:ss from an hour on)."""
    whole = round(max(seconds, 0.0))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def episode_table(rows: Sequence[tuple[str, Settings, Episode, str]], in_station: bool) -> None:
    """Print the episodes as a table: slugs whole at any width, titles folded instead."""
    from rich import box
    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table

    header = ["slug", "status", "date", "length", "LUFS in → out"]
    cells = [
        [
            e.slug,
            status,
            when(e.date, settings, short=True),
            clock(e.audio.duration_s) if e.audio else "-",
            _lufs(e) if e.audio else "-",
        ]
        for _, settings, e, status in rows
    ]
    if in_station:
        header.insert(0, "programme")
        cells = [[name, *row] for (name, *_), row in zip(rows, cells, strict=True)]
    columns = shutil.get_terminal_size((WIDE, 24)).columns
    widths = [
        max([cell_len(n), *(cell_len(row[i]) for row in cells)]) for i, n in enumerate(header)
    ]
    needed = TITLE_MIN + 3 * (len(header) + 1) + sum(widths)  # padding either side, a rule
    for name in SHED:  # a narrow terminal loses these, in this order, rather than wrap
        if needed <= columns:
            break
        index = header.index(name)
        needed -= widths.pop(index) + 3
        del header[index]
        cells = [row[:index] + row[index + 1 :] for row in cells]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for name, widest in zip(header, widths, strict=True):  # never narrower than a cell: never cut
        table.add_column(name, no_wrap=True, min_width=widest)
    table.add_column("title", min_width=TITLE_MIN, overflow="fold")
    for row, (_, _, e, _) in zip(cells, rows, strict=True):
        table.add_row(*row, e.title)
    # Still too narrow (a very long slug): the terminal wraps the long lines; nothing is cut.
    Console(width=max(columns, needed)).print(table)


def episode_report(
    settings: Settings, e: Episode, state: State, record: dict[str, Any] | None
) -> Iterator[str]:
    """Yield the lines of `show`: the episode, where it is live, its audio and its files."""
    yield f"{e.title}"
    yield from _fields(
        ("slug", e.slug),
        ("status", _status(settings, e, state)),
        ("page", state.live.item.link if state.live else None),
        ("audio", state.live.item.enclosure_url if state.live else None),
        ("live title", state.live.item.title if state.live else None),
        ("date", when(e.date, settings)),
        ("type", e.episode_type if e.episode_type != "full" else None),
        ("season", e.season),
        ("episode", e.number),
        ("explicit", "yes" if e.explicit else None),
        ("hidden from Apple", "yes" if e.block else None),
        ("people", ", ".join(f"{p.name} ({p.role})" for p in e.persons) or None),
        ("guid", e.guid),
    )
    if e.description:
        yield ""
        yield from (f"  {line}" for line in e.description.splitlines())
    if e.audio:
        a = e.audio
        yield ""
        yield "Audio"
        yield from _fields(
            ("length", clock(a.duration_s)),
            ("loudness", f"{a.before.integrated_lufs:.1f} LUFS in, "
                         f"{a.after.integrated_lufs:.1f} LUFS out (target {a.target_lufs:.1f})"),
            ("true peak", _unit(a.after.true_peak_dbtp, "dBTP")),
            ("loudness range", f"{a.after.lra_lu:.1f} LU"),
            ("gain", f"{a.gain_db:+.1f} dB, limiter at {a.limiter_ceiling_dbfs:.1f} dBFS"),
            ("channels", f"{'mono' if a.mono else 'stereo'} ({a.channel_plan})"),
            ("MP3", f"{a.bitrate_kbps} kbit/s, {a.sample_rate_hz} Hz, "
                    f"{a.size_bytes / 1_000_000:.1f} MB: {a.file}"),
        )  # fmt: skip
    yield ""
    yield "Files"
    yield from _fields(
        ("master", f"{e.master.file} (from {e.master.original_name}, "
                   f"{e.master.size_bytes / 1_000_000:.1f} MB)"),
        ("earlier masters", ", ".join(m.file for m in e.previous_masters) or None),
        ("artwork", e.image),
        ("chapters", e.chapters),
        ("transcript", e.transcript),
    )  # fmt: skip
    if e.soundbites:
        yield ""
        yield "Soundbites"
        for s in e.soundbites:
            yield f"  {clock(s.start_s)}-{clock(s.end_s)}" + (f"  {s.title}" if s.title else "")
    if e.corrections:
        yield ""
        yield "Corrections"
        for c in e.corrections:
            shown = "shown to listeners" if c.public else "internal"
            yield f"  {when(c.at, settings)}  {c.note} ({shown})"
    if record:
        yield ""
        yield "Processing (full record: radiodesk show SLUG --json)"
        yield from _tree(record, "  ")


def _lufs(e: Episode) -> str:
    assert e.audio is not None
    return f"{e.audio.before.integrated_lufs:.1f} → {e.audio.after.integrated_lufs:.1f}"


def _unit(value: float | None, unit: str) -> str | None:
    return None if value is None else f"{value:.1f} {unit}"


def _status(settings: Settings, e: Episode, state: State) -> str:
    text = {
        "live": "live",
        "changed": "live, with edits not yet published (radiodesk publish SLUG)",
        "ready": "ready, not published yet",
        "scheduled": f"scheduled for {when(e.date, settings)}",
        "draft": "draft (release it: radiodesk edit SLUG --no-draft)",
        "removed": "removed from the feed",
    }[state.status]
    return text.replace("SLUG", e.slug)


def _fields(*pairs: tuple[str, object]) -> Iterator[str]:
    """Yield `  name: value` lines, leaving out what is not set."""
    width = max(len(name) for name, _ in pairs) + 1
    for name, value in pairs:
        if value is not None and value != "":
            yield f"  {name + ':':<{width}} {value}"


def _tree(data: dict[str, Any], indent: str) -> Iterator[str]:
    """Yield nested values as indented `key: value` lines, leaving out what is not set."""
    for key, value in data.items():
        if value is None:
            continue
        if isinstance(value, dict):
            yield f"{indent}{key}:"
            yield from _tree(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            yield f"{indent}{key}:"
            for item in value:
                yield f"{indent}  -"
                yield from _tree(item, indent + "    ")
        elif isinstance(value, bool):
            yield f"{indent}{key}: {'yes' if value else 'no'}"
        else:
            yield f"{indent}{key}: {value}"
