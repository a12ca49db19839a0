"""Run the CLI in a subprocess that SIGKILLs itself (no clean-up at all, like a power cut)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# Wraps one function: the kill comes just before or after its first call whose arguments'
# repr contains `match`. `no_exchange` makes staging's switch take its two-rename path.
KILLER = """
import json, os, signal, sys
spec = json.loads(sys.argv[1])
if spec["no_exchange"]:
    from radiodesk.show import staging
    staging._exchange = lambda first, second: False
module = __import__(spec["module"], fromlist=["_"])
owner = getattr(module, spec["owner"]) if spec["owner"] else module
original = getattr(owner, spec["name"])
def wrapper(*args, **kwargs):
    hit = spec["match"] in repr(args)
    if hit and spec["when"] == "before":
        os.kill(os.getpid(), signal.SIGKILL)
    result = original(*args, **kwargs)
    if hit and spec["when"] == "after":
        os.kill(os.getpid(), signal.SIGKILL)
    return result
setattr(owner, spec["name"], wrapper)
from radiodesk.cli import main
sys.exit(main(sys.argv[2:]))
"""


def killed_at(
    spec: Mapping[str, object], *argv: str | Path, tmp_path: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI in a subprocess that kills itself at the point `spec` names."""
    full = {"owner": "", "match": "", "no_exchange": False, **spec}
    env = {**os.environ, **({"TMPDIR": str(tmp_path)} if tmp_path else {})}
    return subprocess.run(
        [sys.executable, "-c", KILLER, json.dumps(full), *map(str, argv)],
        capture_output=True, text=True, timeout=300, check=False, env=env,
    )  # fmt: skip
