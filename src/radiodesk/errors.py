"""The one error tree of radiodesk; messages are written for producers.

    RadiodeskError          anything the producer can fix; printed as one line
    ├── ConfigError         radiodesk.toml missing, malformed or invalid
    │   └── ConfigProblemsError  several of them, reported together
    ├── CatalogError        episodes: bad slug, duplicate, unreadable episode.toml
    ├── AudioError          a recording that cannot become an episode (silent, too short, no audio)
    ├── ToolError           an external program (ffmpeg) failed or is missing
    ├── TaggingError        ID3 tags could not be written or read back
    ├── StorageError        the store refused a write, listing or delete
    └── FeedError           the feed could not be built from the episodes

Each third-party exception is translated in the one module that uses that library.
"""

from __future__ import annotations

from collections.abc import Sequence


class RadiodeskError(Exception):
    """Base of every error the CLI reports as a one-line message."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(RadiodeskError):
    """radiodesk.toml is missing, malformed or holds an invalid setting."""

    @property
    def problems(self) -> tuple[ConfigError, ...]:
        """Return each problem to report on its own line (with its hint)."""
        return (self,)


class ConfigProblemsError(ConfigError):
    """Several settings problems found together, so the producer fixes them in one go."""

    def __init__(self, problems: Sequence[ConfigError]) -> None:
        super().__init__("\n".join(p.message for p in problems))
        self._problems = tuple(problems)

    @property
    def problems(self) -> tuple[ConfigError, ...]:
        return self._problems


def collect(problems: Sequence[ConfigError]) -> ConfigError:
    """Return the one problem, or all of them as one error."""
    return problems[0] if len(problems) == 1 else ConfigProblemsError(problems)


class CatalogError(RadiodeskError):
    """An episode cannot be created, found or read."""


class AudioError(RadiodeskError):
    """A recording cannot be turned into an episode."""


class ToolError(RadiodeskError):
    """An external program failed; carries its argv, exit status and the end of stderr."""

    def __init__(
        self,
        message: str,
        *,
        argv: Sequence[str] = (),
        returncode: int | None = None,
        stderr_tail: str = "",
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.argv = tuple(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail


class TaggingError(RadiodeskError):
    """ID3 tags could not be written or read."""


class StorageError(RadiodeskError):
    """The store refused an operation."""


class FeedError(RadiodeskError):
    """The podcast feed could not be built."""
