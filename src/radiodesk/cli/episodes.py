"""Commands that process an episode's audio: `add`, `edit` and `export`. They never upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from radiodesk.cli import Context
from radiodesk.cli.options import expand_recordings, now, parse_date, read_description
from radiodesk.cli.output import describe_audio, progress, when
from radiodesk.errors import CatalogError
from radiodesk.ingest.add import AddRequest, add_episodes
from radiodesk.show.episode import Person
from radiodesk.show.soundbites import parse_soundbite


@click.command()
@click.argument("recordings", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--title", help="Episode title (several recordings: their file names).")
@click.option("--description", default=None, help="Episode notes (plain text).")
@click.option(
    "--description-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the notes from a text file (UTF-8; Windows-1251 and KOI8-R are recognised).",
)
@click.option("--slug", help="Folder and URL name (default: transliterated title).")
@click.option(
    "--date",
    "date",
    callback=lambda _c, _p, v: parse_date(v),
    help="ISO 8601, e.g. 2026-11-20T10:00:00+03:00 (default: now).",
)
@click.option("--season", type=click.IntRange(min=1), help="Season number.")
@click.option("--episode", "number", type=click.IntRange(min=1), help="Episode number.")
@click.option(
    "--image",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Episode artwork (else the show's).",
)
@click.option(
    "--person", "persons", multiple=True, help='"Name[:role]", repeatable (role: guest, host ...).'
)
@click.option(
    "--soundbite",
    "soundbite_specs",
    multiple=True,
    help='"START-END [title]" to share, repeatable, e.g. "1:13-1:28 Главное".',
)
@click.option(
    "--chapters",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help='Chapter list: "00:00 Title" lines, or Podcasting 2.0 JSON.',
)
@click.option(
    "--transcript",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Transcript: WebVTT (.vtt) or SRT (.srt).",
)
@click.option(
    "--type",
    "episode_type",
    type=click.Choice(["full", "trailer", "bonus"]),
    default="full",
    show_default=True,
    help="itunes:episodeType.",
)
@click.option("--explicit", is_flag=True, help="Mark this episode explicit.")
@click.option("--draft", is_flag=True, help="Keep it off the feed until the draft flag is removed.")
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Recordings processed at once (default: cores).",
)
@click.pass_obj
def add(
    obj: Context,
    /,
    recordings: tuple[Path, ...],
    title: str | None,
    description: str | None,
    description_file: Path | None,
    persons: tuple[str, ...],
    soundbite_specs: tuple[str, ...],
    jobs: int | None,
    **options: Any,
) -> None:
    """Ingest recordings (files or folders) as new episodes; prints each new slug.

    With one recording, --title is required. With several, each episode is titled after its
    file name, and --slug and --episode are not allowed.
    """
    settings = obj.settings()
    files = expand_recordings(recordings)
    if len(files) > 1 and (title or options["slug"] or options["number"]):
        raise click.UsageError("--title, --slug and --episode apply to one recording only")
    if len(files) > 1 and soundbite_specs:
        raise click.UsageError("--soundbite applies to one recording only")
    if len(files) == 1 and not title:
        raise click.UsageError("give the episode a --title")
    common = {
        "description": read_description(description, description_file),
        "persons": tuple(Person.parse(p) for p in persons),
        "soundbites": tuple(parse_soundbite(s) for s in soundbite_specs),
        **options,
    }
    requests = [AddRequest(recording=f, title=title or f.stem, **common) for f in files]
    with progress(obj) as bars:
        results = add_episodes(settings, requests, now=now(), jobs=jobs, on_progress=bars.audio)
    failed = [r for r in results if r.error is not None]
    if len(results) == 1 and failed:
        raise failed[0].error  # type: ignore[misc]
    for result in results:
        if result.episode is not None:
            if not obj.quiet:
                describe_audio(obj, result.episode)
            click.echo(result.episode.slug)
        else:
            click.echo(f"radiodesk: error: {result.recording.name}: {result.error}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@click.command()
@click.argument("slug")
@click.option("--title", help="New title.")
@click.option("--description", help="New notes (plain text).")
@click.option(
    "--description-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the new notes from a text file (UTF-8, Windows-1251, KOI8-R).",
)
@click.option("--date", "date", callback=lambda _c, _p, v: parse_date(v), help="New date.")
@click.option("--person", "persons", multiple=True, help="Replace the people (repeatable).")
@click.option(
    "--soundbite",
    "soundbite_specs",
    multiple=True,
    help='Replace the soundbites: "START-END [title]", repeatable.',
)
@click.option("--clear-soundbites", is_flag=True, help="Remove every soundbite.")
@click.option("--chapters", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--transcript", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--image", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option(
    "--replace-audio",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A corrected recording; the old master is kept.",
)
@click.option("--note", help="Correction note, recorded with the date.")
@click.option("--public-note", is_flag=True, help="Show the note under the description.")
@click.option(
    "--draft/--no-draft",
    default=None,
    help="Make it a draft, or release one (dated now unless --date is given).",
)
@click.pass_obj
def edit(
    obj: Context,
    /,
    slug: str,
    description: str | None,
    description_file: Path | None,
    persons: tuple[str, ...],
    soundbite_specs: tuple[str, ...],
    clear_soundbites: bool,
    **options: Any,
) -> None:
    """Correct a published episode; its guid and slug never change."""
    settings = obj.settings()
    notes = (
        read_description(description, description_file) if description or description_file else None
    )
    if soundbite_specs and clear_soundbites:
        raise click.UsageError("give --soundbite or --clear-soundbites, not both")
    bites = tuple(parse_soundbite(s) for s in soundbite_specs)
    from radiodesk.ingest.edit import EditRequest, edit_episode  # an add never needs them

    request = EditRequest(
        description=notes,
        persons=tuple(Person.parse(p) for p in persons) or None,
        soundbites=bites or (() if clear_soundbites else None),
        **options,
    )
    with progress(obj) as bars:
        done = edit_episode(settings, slug, request, now=now(), on_progress=bars.audio)
    if not done.changed:
        click.echo(f"{slug}: nothing to change: it already has what was given; nothing written")
        return
    if not obj.quiet:
        describe_audio(obj, done.episode)
    if done.on_air is not None:
        click.echo(f"{slug}: on-air copy made again: {done.on_air}")
    if "draft" in done.changed and not done.episode.draft:
        click.echo(
            f"released {slug}, dated {when(done.episode.date, settings)}; "
            f"run `radiodesk publish {slug}` to put it in the feed"
        )
    elif "draft" in done.changed:
        click.echo(
            f"{slug} is a draft now; if it is live, "
            f"`radiodesk publish {slug}` takes it out of the feed"
        )
    if set(done.changed) - {"draft", "date"} or "draft" not in done.changed:
        changed = ", ".join(done.changed)
        click.echo(f"{slug}: corrected ({changed}); run `radiodesk publish` to update listeners")


@click.command(name="export")
@click.argument("slugs", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every episode that has audio.")
@click.pass_obj
def export_command(obj: Context, slugs: tuple[str, ...], every: bool) -> None:
    """Write the on-air Broadcast WAV (EBU R128) of episodes into the export folder."""
    if not slugs and not every:
        raise CatalogError("name the episodes to export, or pass --all")
    from radiodesk.ingest.on_air import export_episodes

    for copy in export_episodes(obj.settings(), None if every else slugs):
        click.echo(
            f"{copy.path}: {copy.after.integrated_lufs:.1f} LUFS, "
            f"{copy.after.true_peak_dbtp:.1f} dBTP, {copy.sample_rate_hz} Hz, {copy.bits}-bit"
        )
