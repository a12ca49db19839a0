"""What every check shares: the Problem it reports, the collector, the report's lines.

Holds no rules of its own; each rule lives in the module of the thing it judges.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from radiodesk.spec import ATOM_NS, ITUNES_NS, PODCAST_NS

Level = Literal["error", "warning"]

NS = {"itunes": ITUNES_NS, "podcast": PODCAST_NS, "atom": ATOM_NS}  # prefixes of the paths below
WHOLE_RE = re.compile(r"^[0-9]+$")  # str.isdigit() also accepts "²", which int() refuses
_LINE_BREAK_RE = re.compile(r"[\r\n\t]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with the published show, as one line of the report."""

    level: Level
    where: str
    message: str


class Findings:
    """Collects problems in the order they are found.

    Strict when judging a feed radiodesk is about to publish: its writer never makes a lapse,
    so one there is an error.
    """

    def __init__(self, *, strict: bool = False) -> None:
        self.problems: list[Problem] = []
        self.strict = strict

    def error(self, where: str, message: str) -> None:
        """Record something apps or directories refuse or get wrong."""
        self.problems.append(Problem(level="error", where=where, message=message))

    def warning(self, where: str, message: str) -> None:
        """Record something that works, but worse than it could."""
        self.problems.append(Problem(level="warning", where=where, message=message))

    def lapse(self, where: str, message: str) -> None:
        """Record what apps put up with in a feed from elsewhere: a warning, an error if strict."""
        (self.error if self.strict else self.warning)(where, message)


def text(parent: ET.Element, path: str) -> str:
    """Return the stripped text at path (prefixes from NS), or "" when there is none."""
    return parent.findtext(path, default="", namespaces=NS).strip()


def format_report(problems: Iterable[Problem]) -> str:
    """Render one line per problem: level, where, message."""
    return "\n".join(
        _LINE_BREAK_RE.sub(" ", f"{p.level:<7} {p.where}: {p.message}") for p in problems
    )


def summary(problems: Sequence[Problem]) -> str:
    """Return "2 errors, 1 warning" (or "no problems") for the report's last line."""
    if not problems:
        return "no problems"
    errors = sum(1 for p in problems if p.level == "error")
    warnings = len(problems) - errors
    return f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"


def has_errors(problems: Iterable[Problem]) -> bool:
    """Return whether any problem is an error (check exits non-zero, publish refuses)."""
    return any(p.level == "error" for p in problems)
