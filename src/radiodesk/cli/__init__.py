"""The command line: the only package that prints, prompts, exits and sets up logging.

This module holds the root group, the options every command shares and `main`, the one place
a RadiodeskError becomes a line on stderr. Each command lives in a module named after what it
does and is imported only when it runs, so `radiodesk add` never loads the publishing code.
"""

from __future__ import annotations

import functools
import importlib
import logging
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from radiodesk import __version__
from radiodesk.errors import ConfigError, RadiodeskError
from radiodesk.show.settings import STATION_FILE, Settings, StationSettings
from radiodesk.show.settings_file import load_settings, load_station

if TYPE_CHECKING:
    from rich.console import Console

    from radiodesk.publish.station import Programme

log = logging.getLogger("radiodesk")

# Command name -> "module:function", loaded on first use (click's "Lazily Loading Subcommands").
COMMANDS = {
    "init": "shows:init",
    "add": "episodes:add",
    "edit": "episodes:edit",
    "export": "episodes:export_command",
    "list": "listing:list_episodes",
    "show": "listing:show_episode",
    "publish": "publishing:publish",
    "remove": "publishing:remove",
    "check": "checking:check_command",
    "verify": "checking:verify",
    "serve": "preview:serve_command",
}


class LazyGroup(click.Group):
    """A group whose commands are imported from their module only when asked for."""

    def __init__(self, *args: Any, lazy: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *self.lazy])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module_name, attribute = self.lazy[cmd_name].split(":")
        module = importlib.import_module(f"{__name__}.{module_name}")
        command = getattr(module, attribute)
        assert isinstance(command, click.Command), self.lazy[cmd_name]
        _take_shared_options(command)
        return command


# -C, --show, -v and -q, as the group takes them before the command name. Every command takes
# them after its name too, with the same meaning (see _take_shared_options).
SHARED_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (
        ("-C", "directory"),
        {
            "type": click.Path(file_okay=False, path_type=Path),
            "metavar": "DIR",
            "help": "Run as if started in this show (or station) folder.",
        },
    ),
    (
        ("--show", "shows"),
        {
            "multiple": True,
            "metavar": "NAME",
            "help": "In a station: the programme (folder or prefix) to work on; repeatable.",
        },
    ),
    (
        ("-v", "--verbose", "verbose"),
        {"count": True, "help": "Say more (-vv: every ffmpeg command)."},
    ),
    (("-q", "--quiet", "quiet"), {"is_flag": True, "help": "Print only results and errors."}),
)
_AFTER = "shared_"  # their parameter names after a command: `init` has its own `directory`


def _take_shared_options(command: click.Command) -> None:
    """Let `command` take the shared options after its name (once: commands are module-level)."""
    if any(p.name and p.name.startswith(_AFTER) for p in command.params):
        return
    for declarations, settings in SHARED_OPTIONS:
        *flags, name = declarations
        taken = {flag for p in command.params for flag in (*p.opts, *p.secondary_opts)}
        assert not taken & set(flags), f"{command.name} has its own {flags}"
        option = click.Option(
            [*flags, _AFTER + name],
            expose_value=False,
            is_eager=True,  # before any option whose callback reads the show (--date)
            callback=_shared_after,
            **settings,
        )
        command.params.append(option)


def _shared_after(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Apply a shared option given after the command name, as if given before it."""
    obj = ctx.find_object(Context)
    if obj is None or param.name is None or value in (None, (), 0, False):
        return  # not given
    obj.update(**{param.name.removeprefix(_AFTER): value})


class Context:
    """Options shared by every command."""

    def __init__(
        self, directory: Path, quiet: bool, shows: tuple[str, ...] = (), verbose: int = 0
    ) -> None:
        self.directory = directory
        self.quiet = quiet
        self.shows = shows
        self.verbose = verbose
        self._settings: Settings | None = None
        configure_logging(verbose, quiet)

    def update(
        self,
        *,
        directory: Path | None = None,
        shows: tuple[str, ...] = (),
        verbose: int = 0,
        quiet: bool = False,
    ) -> None:
        """Take shared options given after the command name: they add to those given before."""
        self.directory = directory or self.directory
        self.shows += shows
        self.verbose += verbose
        self.quiet = self.quiet or quiet
        configure_logging(self.verbose, self.quiet)

    @functools.cached_property
    def err(self) -> Console:
        """The console for progress bars on stderr (rich loads only when one is drawn)."""
        from rich.console import Console

        return Console(stderr=True, quiet=self.quiet)

    def settings(self) -> Settings:
        """The one show a command works on: -C's folder, or the --show of -C's station."""
        if self._settings is None:  # read once: a --date and the command itself both ask
            self._settings = self._load_settings()
        return self._settings

    def _load_settings(self) -> Settings:
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

    def programmes(self) -> list[Programme]:
        """The station's programmes, or those --show names."""
        # Imported here, not above: station.py builds the station page (Jinja2, the feed code),
        # which a command on one show outside a station never needs.
        from radiodesk.publish import station as stations

        station = self.station()
        if station is None:
            raise ConfigError(f"no {STATION_FILE} in {self.directory}")
        return stations.load_programmes(station, self.shows)

    @property
    def interactive(self) -> bool:
        return not self.quiet and self.err.is_terminal


def _shared_options(function: Any) -> Any:
    for declarations, settings in reversed(SHARED_OPTIONS):
        defaults: dict[str, Any] = {"default": Path(".")} if declarations[-1] == "directory" else {}
        function = click.option(*declarations, **defaults, **settings)(function)
    return function


@click.group(cls=LazyGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="radiodesk")
@_shared_options
@click.pass_context
def cli(
    ctx: click.Context, directory: Path, shows: tuple[str, ...], verbose: int, quiet: bool
) -> None:
    """Publish radio interviews and speeches as a podcast.

    -C, --show, -v and -q may also follow the command's name.

    \b
    radiodesk init my-show --title "..." --base-url https://example.org/podcast
    radiodesk -C my-show add interview.wav --title "..."
    radiodesk -C my-show publish
    radiodesk -C my-show list
    radiodesk -C my-station publish      (every programme, then the station page)
    """
    ctx.obj = Context(directory, quiet, shows, verbose)


def configure_logging(verbose: int, quiet: bool) -> None:
    """Send radiodesk's log to stderr at the level -v and -q ask for."""
    level = logging.WARNING if quiet or not verbose else (logging.INFO, logging.DEBUG)[verbose > 1]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_LineFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # Their debug output carries request headers (the access key id among them): never show it.
    for noisy in ("boto3", "botocore", "s3transfer", "urllib3", "filelock"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _LineFormatter(logging.Formatter):
    """`radiodesk: warning: …` for what the producer should act on, `radiodesk: …` for the rest."""

    def format(self, record: logging.LogRecord) -> str:
        label = "warning: " if record.levelno >= logging.WARNING else ""
        return f"radiodesk: {label}{super().format(record)}"


def echo_error(exc: RadiodeskError, where: str = "") -> None:
    """Print an error and its hint; settings problems come all at once, each with its hint."""
    for problem in exc.problems if isinstance(exc, ConfigError) else (exc,):
        click.echo(f"radiodesk: error: {where}{problem.message}", err=True)
        if problem.hint:
            click.echo(f"radiodesk: hint: {problem.hint}", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; turn every RadiodeskError into one line on stderr and an exit status."""
    try:
        status = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="radiodesk",
            standalone_mode=False,
        )
    except RadiodeskError as exc:
        echo_error(exc)
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
