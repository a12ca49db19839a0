"""The CLI run in-process, with what it prints captured (usable inside hypothesis tests)."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass
from pathlib import Path

from radiodesk.cli import main


@dataclass(frozen=True, slots=True)
class Run:
    status: int
    out: str
    err: str


def run(*argv: str | Path) -> Run:
    """Run the CLI in-process and capture what it prints."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(a) for a in argv])
    return Run(status, out.getvalue(), err.getvalue())
