"""`radiodesk init`: create a show or a station folder.

On a terminal it asks for what publishing needs and was not given; without one it creates the
show and says, one line each, what is still missing and how to add it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from radiodesk.check import readiness
from radiodesk.cli import Context
from radiodesk.errors import RadiodeskError
from radiodesk.show import scaffold, zones
from radiodesk.show.artwork import check_artwork
from radiodesk.show.settings_file import find_station, load_settings
from radiodesk.spec import is_email, is_http_url


@click.command()
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
    "--time-zone",
    metavar="ZONE",
    help='Time zone of dates typed without one, e.g. "Europe/Minsk" (default: this machine\'s).',
)
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
        _init_station(root, options)
        return
    terminal = sys.stdin is not None and sys.stdin.isatty()
    zone, whose = _time_zone(options.pop("time_zone"), terminal)
    if terminal:
        options.update(_ask(options, in_station=find_station(root) is not None))
    path = scaffold.create_show(root, time_zone=zone, **options)
    click.echo(f"created {path} ({whose})")
    if not zone:
        click.echo(f"radiodesk: no time zone set: {_NO_ZONE}", err=True)
    for missing in readiness.missing_for_publishing(load_settings(root)):
        click.echo(f"radiodesk: not publishable yet: {missing.line()}", err=True)


def _init_station(root: Path, options: dict[str, Any]) -> None:
    if not options["base_url"]:
        raise click.UsageError("a station needs --base-url")
    path = scaffold.create_station(
        root,
        name=options["title"],
        **{k: options[k] for k in ("base_url", "description", "language", "image")},
    )
    click.echo(f"created {path}")


def _time_zone(given: str | None, terminal: bool) -> tuple[str, str]:
    """Return the show's zone and whose it is: the option's, this machine's, or the answer."""
    if given is not None:
        return zones.find_zone(given).key, f"time zone {given}"
    found = zones.machine_zone()
    if found is not None:
        return found, f"time zone {found}, this machine's"
    if terminal:
        answer = click.prompt(
            "Time zone of dates typed without one (e.g. Europe/Moscow)",
            value_proc=_checked(lambda text: zones.find_zone(text).key),
        )
        return str(answer), f"time zone {answer}"
    return "", "no time zone: this machine's cannot be told"


_NO_ZONE = (
    "a --date without an offset is refused until you add "
    f'time_zone = "{zones.ZONE_EXAMPLE}" under [show] in radiodesk.toml'
)


def _ask(options: dict[str, Any], *, in_station: bool) -> dict[str, Any]:
    """Ask on the terminal for what publishing needs and the options did not give."""
    answers: dict[str, Any] = {}
    if not options["base_url"] and not in_station:
        answers["base_url"] = click.prompt(
            "Public URL the store is served from (e.g. https://radio.example.org/podcast)",
            value_proc=_checked(_url),
        )
    if not options["email"]:
        answers["email"] = click.prompt(
            "Owner e-mail (Spotify and YouTube verify ownership with it; empty: later)",
            default="",
            show_default=False,
            value_proc=_checked(_email),
        )
    if options["image"] is None:
        answers["image"] = click.prompt(
            "Show artwork, a square JPEG or PNG of 1400-3000 px (a file; empty: later)",
            default="",
            show_default=False,
            value_proc=_checked(_artwork),
        )
    if not options["author"]:
        answers["author"] = click.prompt("Author shown in apps", default=options["title"])
    return answers


def _checked(check: Any) -> Any:
    """Turn a check that raises RadiodeskError or ValueError into one click asks again after."""

    def value_proc(text: str) -> Any:
        try:
            return check(text.strip())
        except (RadiodeskError, ValueError) as exc:
            raise click.BadParameter(str(exc)) from None

    return value_proc


def _url(text: str) -> str:
    if not is_http_url(text):
        raise ValueError(f"{text!r} is not an absolute http(s) URL")
    return text


def _email(text: str) -> str:
    if text and not is_email(text):
        raise ValueError(f"{text!r} is not an e-mail address")
    return text


def _artwork(text: str) -> Path | None:
    if not text:
        return None
    path = Path(text).expanduser()
    if not path.is_file():
        raise ValueError(f"no file {text}")
    problems = check_artwork(path)
    if problems:
        raise ValueError("; ".join(problems))
    return path
