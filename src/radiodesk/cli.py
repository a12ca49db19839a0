"""The command line: the only module that prints, prompts, exits and sets up logging."""

from __future__ import annotations

import json
import logging
import shlex
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from radiodesk import (
    __version__,
    audit,
    broadcast,
    catalog,
    check,
    ingest,
    integrity,
    provenance,
    scaffold,
    serve,
    soundbites,
)
from radiodesk import publish as publishing
from radiodesk import station as stations
from radiodesk.catalog import AudioRecord, Episode, Measurement, Person, Soundbite
from radiodesk.config import (
    STATION_FILE,
    Settings,
    StationSettings,
    load_settings,
    load_station,
)
from radiodesk.errors import CatalogError, ConfigError, RadiodeskError
from radiodesk.storage import Storage, open_storage, open_store

log = logging.getLogger("radiodesk")


class Context:
    """Options shared by every command."""

    def __init__(self, directory: Path, quiet: bool, shows: tuple[str, ...] = ()) -> None:
        self.directory = directory
        self.quiet = quiet
        self.shows = shows
        self.err = Console(stderr=True, quiet=quiet)

    def settings(self) -> Settings:
        """The one show a command works on: -C's folder, or the --show of -C's station."""
        if not self.shows:
            return load_settings(self.directory)
        if len(self.shows) > 1:
            raise click.UsageError("this command works on one programme: give one --show")
        (programme,) = self.programmes()
        if programme.error is not None:
            raise programme.error
        assert programme.settings is not None  # a Programme holds settings or an error
        return programme.settings

    def station(self) -> StationSettings | None:
        """The station -C points at, if it is a station folder."""
        if (self.directory / STATION_FILE).is_file():
            return load_station(self.directory)
        if self.shows:
            raise ConfigError(
                f"--show needs a station folder: no {STATION_FILE} in {self.directory}"
            )
        return None

    def programmes(self) -> list[stations.Programme]:
        """The station's programmes, or those --show names."""
        station = self.station()
        if station is None:
            raise ConfigError(f"no {STATION_FILE} in {self.directory}")
        return stations.load_programmes(station, self.shows)

    @property
    def interactive(self) -> bool:
        return not self.quiet and self.err.is_terminal


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="radiodesk")
@click.option(
    "-C",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Run as if started in this show (or station) folder.",
)
@click.option(
    "--show",
    "shows",
    multiple=True,
    metavar="NAME",
    help="In a station: the programme (folder or prefix) to work on; repeatable.",
)
@click.option("-v", "--verbose", count=True, help="Say more (-vv: every ffmpeg command).")
@click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
@click.pass_context
def cli(
    ctx: click.Context, directory: Path, shows: tuple[str, ...], verbose: int, quiet: bool
) -> None:
    """Publish radio interviews and speeches as a podcast.

    \b
    radiodesk init my-show --title "..." --base-url https://example.org/podcast
    radiodesk -C my-show add interview.wav --title "..."
    radiodesk -C my-show publish
    radiodesk -C my-show list
    radiodesk -C my-station publish      (every programme, then the station page)
    """
    level = logging.WARNING if quiet or not verbose else (logging.INFO, logging.DEBUG)[verbose > 1]
    logging.basicConfig(level=level, format="radiodesk: %(message)s", stream=sys.stderr, force=True)
    # Their debug output carries request headers (the access key id among them): never show it.
    for noisy in ("boto3", "botocore", "s3transfer", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    ctx.obj = Context(directory, quiet, shows)


@cli.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--title", required=True, help="Show title, as apps display it (a station: its name)."
)
@click.option(
    "--base-url", default="", help="Public URL the store is served from (a programme: none)."
)
@click.option("--description", default="", help="What the show is about (at most 4000 bytes).")
@click.option("--language", default="ru", show_default=True, help="ISO 639 code: ru, en-us ...")
@click.option("--author", default="", help="Author shown in apps (itunes:author).")
@click.option("--email", default="", help="Owner e-mail (directories verify ownership with it).")
@click.option(
    "--category", default="News", show_default=True, help='Apple category, e.g. "News/Politics".'
)
@click.option(
    "--image",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Show artwork: square JPEG or PNG, 1400-3000 px.",
)
@click.option("--explicit", is_flag=True, help="Mark the whole show explicit.")
@click.option(
    "--station", "as_station", is_flag=True, help="Create a station (station.toml) instead."
)
@click.pass_obj
def init(obj: Context, /, directory: Path | None, as_station: bool, **options: Any) -> None:
    """Create a show (radiodesk.toml, episodes/) or, with --station, a station.

    In a station folder, each sub-folder made by `init` is a programme: it publishes to the
    station's store under its own prefix, so it needs no --base-url.
    """
    root = directory if directory is not None else obj.directory
    if as_station:
        if not options["base_url"]:
            raise click.UsageError("a station needs --base-url")
        path = scaffold.create_station(
            root,
            name=options["title"],
            **{k: options[k] for k in ("base_url", "description", "language", "image")},
        )
    else:
        path = scaffold.create_show(root, **options)
    click.echo(f"created {path}")


@cli.command()
@click.argument("recordings", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--title", help="Episode title (several recordings: their file names).")
@click.option("--description", default=None, help="Episode notes (plain text).")
@click.option(
    "--description-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the notes from a UTF-8 text file.",
)
@click.option("--slug", help="Folder and URL name (default: transliterated title).")
@click.option(
    "--date",
    "date",
    callback=lambda _c, _p, v: _parse_date(v),
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
    help='"START-END[:title]" to share, repeatable, e.g. "1:13-1:28:Главное".',
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
    files = _expand_recordings(recordings)
    if len(files) > 1 and (title or options["slug"] or options["number"]):
        raise click.UsageError("--title, --slug and --episode apply to one recording only")
    if len(files) > 1 and soundbite_specs:
        raise click.UsageError("--soundbite applies to one recording only")
    if len(files) == 1 and not title:
        raise click.UsageError("give the episode a --title")
    common = {
        "description": _description(description, description_file),
        "persons": tuple(Person.parse(p) for p in persons),
        "soundbites": tuple(soundbites.parse_soundbite(s) for s in soundbite_specs),
        **options,
    }
    requests = [ingest.AddRequest(recording=f, title=title or f.stem, **common) for f in files]
    with _progress(obj) as bars:
        results = ingest.add_episodes(
            settings, requests, now=_now(), jobs=jobs, on_progress=bars.audio
        )
    failed = [r for r in results if r.error is not None]
    if len(results) == 1 and failed:
        raise failed[0].error  # type: ignore[misc]
    for result in results:
        if result.episode is not None:
            if not obj.quiet:
                _describe_audio(obj, result.episode)
            click.echo(result.episode.slug)
        else:
            click.echo(f"radiodesk: error: {result.recording.name}: {result.error}", err=True)
    if failed:
        raise click.exceptions.Exit(1)


@cli.command()
@click.option(
    "--dry-run", is_flag=True, help="Show what would be uploaded and deleted; touch nothing."
)
@click.pass_obj
def publish(obj: Context, dry_run: bool) -> None:
    """Publish ready episodes to the store, then the feed (a station: every programme)."""
    station = obj.station()
    if station is not None:
        _publish_station(obj, station, dry_run)
        return
    settings = obj.settings()
    _print_report(_publish_show(obj, settings, dry_run), settings)
    if settings.station is not None:  # a programme: its station page names its latest episode
        _publish_station_page(settings.station, dry_run)


def _publish_show(obj: Context, settings: Settings, dry_run: bool) -> publishing.Report:
    storage = open_storage(settings)
    now = _now()
    with (
        catalog.locked(settings.root),
        tempfile.TemporaryDirectory() as preview,
        _progress(obj) as bars,
    ):
        overrides: dict[str, Episode] = {}

        def prepare() -> list[Episode] | None:  # runs once the store has answered
            if dry_run:
                overrides.update(ingest.preview_stale(settings, Path(preview)))
                return None
            return ingest.up_to_date_episodes(settings, on_progress=bars.audio)

        report = publishing.publish(
            settings,
            storage,
            now=now,
            dry_run=dry_run,
            overrides=overrides,
            prepare=prepare,
            on_upload=bars.upload,
        )
    return report


def _publish_station(obj: Context, station: StationSettings, dry_run: bool) -> None:
    """Publish each programme in full (one failing stops none of the others), then the page."""
    failed: list[str] = []
    for programme in obj.programmes():
        try:
            if programme.error is not None:
                raise programme.error
            assert programme.settings is not None
            report = _publish_show(obj, programme.settings, dry_run)
        except RadiodeskError as exc:
            _programme_error(programme, exc)
            failed.append(programme.name)
            continue
        for warning in report.warnings:
            click.echo(f"radiodesk: warning: {programme.name}: {warning}", err=True)
        click.echo(f"{programme.name}: {_summary(report)}; feed: {report.feed_url}")
    if failed:
        click.echo(f"station page left as it was: fix {', '.join(failed)}, then publish again")
        raise click.exceptions.Exit(1)
    _publish_station_page(station, dry_run)


def _publish_station_page(station: StationSettings, dry_run: bool) -> None:
    """Refresh the station page from every programme (even those --show left out)."""
    everyone = stations.load_programmes(station)
    broken = [p.name for p in everyone if p.settings is None]
    if broken:  # the programmes asked for are published; a page without the others would lie
        click.echo(
            f"radiodesk: warning: station page left as it was: fix {', '.join(broken)}",
            err=True,
        )
        return
    storage = open_store(station.storage, station.station.base_url, station.local_store)
    with catalog.locked(station.root):
        page = stations.publish_page(
            station,
            storage,
            [p.settings for p in everyone if p.settings is not None],
            now=_now(),
            dry_run=dry_run,
        )
    for key in page.uploaded:
        click.echo(f"{'would upload' if dry_run else 'uploaded'} {key}")
    click.echo(f"station page: {page.url}")


def _programme_error(programme: stations.Programme, exc: RadiodeskError) -> None:
    click.echo(f"radiodesk: error: {programme.name}: {exc.message}", err=True)
    if exc.hint:
        click.echo(f"radiodesk: hint: {exc.hint}", err=True)


@cli.command()
@click.argument("slug")
@click.option("--purge", is_flag=True, help="Also delete the episode folder and its master.")
@click.option("--dry-run", is_flag=True, help="Show what would be deleted; touch nothing.")
@click.pass_obj
def remove(obj: Context, slug: str, purge: bool, dry_run: bool) -> None:
    """Take an episode out of the feed, then delete its published objects."""
    settings = obj.settings()
    storage = open_storage(settings)
    with catalog.locked(settings.root):
        episode = catalog.load_episode(catalog.episode_dir(settings.root, slug))
        folder = catalog.episode_dir(settings.root, slug)
        if not dry_run:
            catalog.write_episode(folder, replace(episode, removed=True))
        report = publishing.publish(
            settings, storage, now=_now(), dry_run=dry_run, exclude=frozenset({slug})
        )
        if purge and not dry_run:
            catalog.purge_episode(settings.root, slug)
    _print_report(report, settings)
    if purge and not dry_run:
        click.echo(f"deleted episodes/{slug} and its master")


@cli.command()
@click.option("--local-only", is_flag=True, help="Check masters and derived files, not the store.")
@click.pass_obj
def verify(obj: Context, local_only: bool) -> None:
    """Prove every master and published object is the bytes that were recorded."""
    settings = obj.settings()
    storage = None if local_only else open_storage(settings)
    report = integrity.verify(settings, storage)
    for problem in report.problems:
        click.echo(f"radiodesk: error: {problem}", err=True)
    click.echo(
        f"checked {report.masters} masters, {report.derived} derived MP3s, "
        f"{report.objects} published objects: "
        + ("all intact" if report.ok else f"{len(report.problems)} problem(s)")
    )
    if not report.ok:
        raise click.exceptions.Exit(1)


@cli.command(name="check")
@click.option("--skip-audio", is_flag=True, help="Do not meter the published MP3s.")
@click.pass_obj
def check_command(obj: Context, skip_audio: bool) -> None:
    """Check the published show as apps see it: feed, every URL, loudness (a station: each)."""
    station = obj.station()
    if station is None:
        problems = _check_show(obj.settings(), skip_audio)
        if problems:
            click.echo(check.format_report(problems))
        click.echo(check.summary(problems))
        if check.has_errors(problems):
            raise click.exceptions.Exit(1)
        return
    failed = False
    for programme in obj.programmes():
        try:
            if programme.error is not None:
                raise programme.error
            assert programme.settings is not None
            problems = _check_show(programme.settings, skip_audio)
        except RadiodeskError as exc:
            _programme_error(programme, exc)
            failed = True
            continue
        failed = _print_checked(programme.name, problems) or failed
    if not obj.shows:  # the whole station: its page and OPML too
        failed = _check_station_page(station) or failed
    if failed:
        raise click.exceptions.Exit(1)


def _print_checked(name: str, problems: list[check.Problem]) -> bool:
    """Print one station member's report, each line prefixed; return whether it has errors."""
    for line in check.format_report(problems).splitlines():
        click.echo(f"{name}: {line}")
    click.echo(f"{name}: {check.summary(problems)}")
    return check.has_errors(problems)


def _check_station_page(station: StationSettings) -> bool:
    """Check the station page and OPML against every programme; return whether that failed."""
    storage = open_store(station.storage, station.station.base_url, station.local_store)
    try:
        with _store_fetcher(storage, station.storage.backend, station.local_store) as fetch:
            problems = audit.audit_station(storage, stations.load_programmes(station), fetch=fetch)
    except RadiodeskError as exc:
        click.echo(f"radiodesk: error: station page: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"radiodesk: hint: {exc.hint}", err=True)
        return True
    return _print_checked("station page", problems)


def _check_show(settings: Settings, skip_audio: bool) -> list[check.Problem]:
    storage = open_storage(settings)
    with _store_fetcher(storage, settings.storage.backend, settings.local_store) as fetch:
        problems = audit.audit(settings, storage, fetch=fetch, now=_now())
    if skip_audio:
        problems = [p for p in problems if not p.where.startswith("audio ")]
    return problems


@contextmanager
def _store_fetcher(storage: Storage, backend: str, local_store: Path) -> Iterator[check.Fetcher]:
    """Yield a Fetcher for the store's public URLs."""
    fetch: check.Fetcher = check.http_fetcher()
    if backend != "local":
        yield fetch
        return
    # The local store is not online yet: check its objects through a preview server.
    server = serve.make_server(local_store, port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield audit.RewritingFetcher(fetch, storage.url(""), serve.preview_url(server))
    finally:
        server.shutdown()
        server.server_close()


@cli.command(name="serve")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0: visible to phones on this network).",
)
@click.pass_obj
def serve_command(obj: Context, port: int, host: str) -> None:
    """Preview the local store over HTTP: the feed, the web page and the audio."""
    station = None if obj.shows else obj.station()
    if station is not None:  # the whole station: its page, and every programme under it
        store = station.local_store
        public = open_store(station.storage, station.station.base_url, store).url("")
    else:
        settings = obj.settings()
        store, public = settings.local_store, open_storage(settings).url("")
    server = serve.make_server(store, host=host, port=port, public_base_url=public)
    if serve.exposed(host):
        click.echo(
            f"radiodesk: warning: listening on {host}: the store is visible to this network",
            err=True,
        )
    base = serve.preview_url(server)
    click.echo(f"web page: {base}")
    if station is None:
        click.echo(f"feed (paste into a podcast app): {base}feed.xml")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@cli.command()
@click.argument("slug")
@click.option("--title", help="New title.")
@click.option("--description", help="New notes (plain text).")
@click.option(
    "--description-file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="Read the new notes from a UTF-8 text file.",
)
@click.option("--date", "date", callback=lambda _c, _p, v: _parse_date(v), help="New date.")
@click.option("--person", "persons", multiple=True, help="Replace the people (repeatable).")
@click.option(
    "--soundbite",
    "soundbite_specs",
    multiple=True,
    help='Replace the soundbites: "START-END[:title]", repeatable.',
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
    notes = _description(description, description_file) if description or description_file else None
    if soundbite_specs and clear_soundbites:
        raise click.UsageError("give --soundbite or --clear-soundbites, not both")
    bites = tuple(soundbites.parse_soundbite(s) for s in soundbite_specs)
    request = ingest.EditRequest(
        description=notes,
        persons=tuple(Person.parse(p) for p in persons) or None,
        soundbites=bites or (() if clear_soundbites else None),
        **options,
    )
    with _progress(obj) as bars:
        episode = ingest.edit_episode(settings, slug, request, now=_now(), on_progress=bars.audio)
    if not obj.quiet:
        _describe_audio(obj, episode)
    click.echo(f"{episode.slug}: corrected; run `radiodesk publish` to update listeners")


@cli.command(name="show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show_episode(obj: Context, slug: str, as_json: bool) -> None:
    """Print everything about one episode: metadata, files, processing, corrections."""
    settings = obj.settings()
    episode = catalog.load_episode(catalog.episode_dir(settings.root, slug))
    data = _episode_json(episode, _now())
    data.update(
        description=episode.description,
        persons=[{"name": p.name, "role": p.role} for p in episode.persons],
        master={"file": episode.master.file, "sha256": episode.master.sha256},
        previous_masters=[m.file for m in episode.previous_masters],
        corrections=[
            {"at": c.at.isoformat(), "note": c.note, "public": c.public}
            for c in episode.corrections
        ],
        chapters=episode.chapters,
        soundbites=[_soundbite_text(s, episode.audio) for s in episode.soundbites],
        transcript=episode.transcript,
        type=episode.episode_type,
    )
    if episode.audio:
        a = episode.audio
        data["audio"].update(
            file=a.file,
            limiter_ceiling_dbfs=a.limiter_ceiling_dbfs,
            target_lufs=a.target_lufs,
            encoder=f"libmp3lame CBR {a.bitrate_kbps} kbit/s, {a.sample_rate_hz} Hz",
            encodes=a.attempts,
        )
    folder = catalog.episode_dir(settings.root, slug)
    if episode.audio and episode.audio.provenance:
        data["provenance"] = provenance.read(folder / episode.audio.provenance)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    _print_tree(data, "")


def _print_tree(data: dict[str, Any], indent: str) -> None:
    """Print nested values as indented `key: value` lines (lists of tables as `-` items)."""
    for key, value in data.items():
        if isinstance(value, dict):
            click.echo(f"{indent}{key}:")
            _print_tree(value, indent + "  ")
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            click.echo(f"{indent}{key}:")
            for item in value:
                click.echo(f"{indent}  -")
                _print_tree(item, indent + "    ")
        else:
            click.echo(f"{indent}{key}: {value}")


@cli.command(name="export")
@click.argument("slugs", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every episode that has audio.")
@click.pass_obj
def export_command(obj: Context, slugs: tuple[str, ...], every: bool) -> None:
    """Write the on-air Broadcast WAV (EBU R128) of episodes into the export folder."""
    if not slugs and not every:
        raise CatalogError("name the episodes to export, or pass --all")
    for copy in broadcast.export_episodes(obj.settings(), None if every else slugs):
        click.echo(
            f"{copy.path}: {copy.after.integrated_lufs:.1f} LUFS, "
            f"{copy.after.true_peak_dbtp:.1f} dBTP, {copy.sample_rate_hz} Hz, {copy.bits}-bit"
        )


@cli.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_episodes(obj: Context, as_json: bool) -> None:
    """Show episodes with status, date, duration and loudness (a station: of every programme)."""
    in_station = obj.station() is not None
    shows, failed = _shows_to_list(obj) if in_station else ([("", obj.settings())], False)
    rows = [(name, e) for name, s in shows for e in catalog.load_episodes(s.root)]
    now = _now()
    if as_json:
        data = [{"programme": n, **_episode_json(e, now)} if in_station else _episode_json(e, now)
                for n, e in rows]  # fmt: skip
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        _episode_table(rows, now, in_station)
    if failed:
        raise click.exceptions.Exit(1)


def _shows_to_list(obj: Context) -> tuple[list[tuple[str, Settings]], bool]:
    """The station's readable programmes; each unreadable one is reported on its own line."""
    shows: list[tuple[str, Settings]] = []
    failed = False
    for programme in obj.programmes():
        if programme.error is not None:
            _programme_error(programme, programme.error)
            failed = True
        elif programme.settings is not None:
            shows.append((programme.name, programme.settings))
    return shows, failed


def _episode_table(rows: list[tuple[str, Episode]], now: datetime, in_station: bool) -> None:
    columns = ["slug", "status", "date", "duration", "LUFS before → after", "TP after", "title"]
    table = Table(*(["programme", *columns] if in_station else columns))
    for name, e in rows:
        a = e.audio
        table.add_row(
            *([name] if in_station else []),
            e.slug,
            e.status(now),
            e.date.strftime("%Y-%m-%d %H:%M %z"),
            _duration(a.duration_s) if a else "-",
            f"{a.before.integrated_lufs:.1f} → {a.after.integrated_lufs:.1f}" if a else "-",
            f"{a.after.true_peak_dbtp:.1f} dBTP" if a else "-",
            e.title,
        )
    Console(width=200 if not sys.stdout.isatty() else None).print(table)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; turn every RadiodeskError into one line on stderr and an exit status."""
    try:
        status = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="radiodesk",
            standalone_mode=False,
        )
    except RadiodeskError as exc:
        click.echo(f"radiodesk: error: {exc.message}", err=True)
        if exc.hint:
            click.echo(f"radiodesk: hint: {exc.hint}", err=True)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        click.echo("radiodesk: interrupted", err=True)
        return 130
    return status if isinstance(status, int) else 0


# ----------------------------------------------------------------------------- helpers


def _now() -> datetime:
    return datetime.now(UTC)


def _parse_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date like 2026-11-20T10:00:00+03:00"
        ) from None
    return parsed if parsed.tzinfo else parsed.astimezone()  # naive: this machine's zone


AUDIO_SUFFIXES = frozenset(
    [
        ".wav",
        ".flac",
        ".mp3",
        ".m4a",
        ".aac",
        ".ogg",
        ".oga",
        ".opus",
        ".amr",
        ".wma",
        ".aif",
        ".aiff",
        ".mp4",
        ".mov",
        ".mkv",
        ".webm",
    ]
)


def _expand_recordings(paths: Sequence[Path]) -> list[Path]:
    """Replace each folder by the recordings in it (sorted by name)."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in AUDIO_SUFFIXES)
            if not found:
                raise ConfigError(f"no recordings in the folder {path}")
            files += found
        else:
            files.append(path)
    return files


def _description(text: str | None, path: Path | None) -> str:
    if text is not None and path is not None:
        raise click.UsageError("give --description or --description-file, not both")
    if path is None:
        return text or ""
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path} is not UTF-8 text") from None


@dataclass
class _Bars:
    """Progress callbacks for the core, drawn as bars on a terminal (one live display)."""

    audio: ingest.ProgressFn | None = None
    upload: Callable[[int, int], None] | None = None


@contextmanager
def _progress(obj: Context) -> Iterator[_Bars]:
    """Bars per recording and stage (from ffmpeg's own progress) and for bytes uploaded."""
    if not obj.interactive:
        yield _Bars()
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TimeRemainingColumn(),
        console=obj.err,
        transient=True,
    ) as progress:
        tasks: dict[tuple[str, str], TaskID] = {}

        def audio(label: str, stage: str, done: float, total: float) -> None:
            if (label, stage) not in tasks:
                tasks[label, stage] = progress.add_task(f"{stage:8} {label}", total=total or None)
            progress.update(tasks[label, stage], completed=done, total=total or None)

        def upload(sent: int, total: int) -> None:
            if ("", "upload") not in tasks:
                tasks["", "upload"] = progress.add_task("upload", total=total)
            progress.update(tasks["", "upload"], completed=sent, total=total)

        yield _Bars(audio=audio, upload=upload)


def _measured(measurement: Measurement) -> dict[str, float]:
    """A measurement as JSON, without the peaks that were not metered."""
    return {k: v for k, v in asdict(measurement).items() if v is not None}


def _describe_audio(obj: Context, episode: Episode) -> None:
    a = episode.audio
    if a is None:
        return
    click.echo(
        f"{episode.slug}: {_duration(a.duration_s)}, {a.channel_plan}, "
        f"{a.before.integrated_lufs:.1f} LUFS → {a.after.integrated_lufs:.1f} LUFS, "
        f"true peak {a.after.true_peak_dbtp:.1f} dBTP, {a.bitrate_kbps} kbit/s",
        err=True,
    )


def _print_report(report: publishing.Report, settings: Settings) -> None:
    verb = "would upload" if report.dry_run else "uploaded"
    for key in report.uploaded:
        click.echo(f"{verb} {key}")
    for key in report.deleted:
        click.echo(f"{'would delete' if report.dry_run else 'deleted'} {key}")
    for warning in report.warnings:
        click.echo(f"radiodesk: warning: {warning}", err=True)
    click.echo(_summary(report))
    click.echo(f"feed: {report.feed_url}")
    if settings.storage.backend == "local":
        click.echo(f"local store: {settings.local_store}")
        if (settings.local_store / "index.html").exists():
            click.echo(
                f"to preview it: radiodesk -C {_shell_quote(settings.root)} serve, then open "
                "http://127.0.0.1:8000/ (or open index.html in the store folder)"
            )


def _summary(report: publishing.Report) -> str:
    """Return "3 episode(s) in the feed; 2 uploaded, 0 deleted" (or nothing to do)."""
    state = (
        "nothing to do: the store is up to date"
        if not report.changed
        else (
            f"{len(report.uploaded)} to upload, {len(report.deleted)} to delete"
            if report.dry_run
            else f"{len(report.uploaded)} uploaded, {len(report.deleted)} deleted"
        )
    )
    return f"{len(report.published)} episode(s) in the feed; {state}"


def _shell_quote(path: Path) -> str:
    return shlex.quote(str(path))


def _duration(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _soundbite_text(sound: Soundbite, record: AudioRecord | None) -> str:
    """Write a soundbite as typed (the recording's times), and where the episode has it."""
    text = f"{soundbites.position(sound.start_s)}-{soundbites.position(sound.end_s)}"
    heard = soundbites.placed(sound, record) if record else sound
    if heard != sound:
        text += f" (in the episode {soundbites.position(heard.start_s)}-"
        text += f"{soundbites.position(heard.end_s)})"
    return text + (f" {sound.title}" if sound.title else "")


def _episode_json(e: Episode, now: datetime) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": e.slug,
        "guid": e.guid,
        "title": e.title,
        "status": e.status(now),
        "date": e.date.isoformat(),
        "season": e.season,
        "episode": e.number,
        "master_sha256": e.master.sha256,
    }
    if e.audio:
        a = e.audio
        data["audio"] = {
            "duration_s": a.duration_s,
            "size_bytes": a.size_bytes,
            "sha256": a.sha256,
            "channel_plan": a.channel_plan,
            "gain_db": a.gain_db,
            "before": _measured(a.before),
            "after": _measured(a.after),
        }
    return data
