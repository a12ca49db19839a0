"""What a radiodesk process imports, and when: the fixed cost of every short `add`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from media import make_recording
from radiodesk.show.settings import Settings

# Imported lazily: an add of a recording with no jingles and no text files in a code page.
LAZY = ("charset_normalizer", "importlib.metadata")

IMPORTS = f"""
import sys
import radiodesk.cli, radiodesk.cli.episodes, radiodesk.ingest.add
print(" ".join(name for name in {LAZY!r} if name in sys.modules))
"""

# Runs the CLI's add and says which thread imported numpy (the true-peak meter's library).
WHO_IMPORTS_NUMPY = """
import sys, threading
from importlib.abc import MetaPathFinder

class Watch(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "numpy":
            print("numpy imported by", threading.current_thread().name, file=sys.stderr)
        return None

sys.meta_path.insert(0, Watch())
from radiodesk.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_the_add_command_leaves_rarely_needed_libraries_unimported() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORTS], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == []


def test_add_imports_numpy_ahead_while_ffmpeg_measures(show: Settings, tmp_path: Path) -> None:
    """The encoder's meter needs numpy only after the measuring pass: it is imported meanwhile."""
    clip = make_recording(tmp_path / "clip.wav", seconds=2.0)
    argv = ["-q", "-C", str(show.root), "add", str(clip), "--title", "Кратко"]
    done = subprocess.run(
        [sys.executable, "-c", WHO_IMPORTS_NUMPY, *argv],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert "numpy imported by import-ahead" in done.stderr.splitlines()
