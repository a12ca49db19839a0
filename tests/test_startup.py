"""What a radiodesk process imports, and when: the fixed cost of every short `add`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from media import make_recording
from radiodesk.show.settings import Settings

# Not imported with the add command: charset-normalizer and importlib.metadata only for a text
# file in a code page or jingles; the rest while the recording is measured (see the test below).
LAZY = (
    "charset_normalizer",
    "importlib.metadata",
    "numpy",
    "PIL",
    "mutagen",
    "radiodesk.ingest.derived",
    "radiodesk.ingest.edit",
)

IMPORTS = f"""
import sys
import radiodesk.cli, radiodesk.cli.episodes, radiodesk.ingest.add
print(" ".join(name for name in {LAZY!r} if name in sys.modules))
"""

# Runs the CLI's add and says which thread imported what the encode needs.
WHO_IMPORTS = """
import sys, threading
from importlib.abc import MetaPathFinder

class Watch(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name in ("numpy", "PIL", "mutagen", "radiodesk.ingest.derived"):
            print(name, "imported by", threading.current_thread().name, file=sys.stderr)
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


def test_add_imports_the_encoders_code_while_ffmpeg_measures(
    show: Settings, tmp_path: Path
) -> None:
    """The encode (numpy, mutagen, Pillow) is needed only after the measuring pass."""
    clip = make_recording(tmp_path / "clip.wav", seconds=2.0)
    argv = ["-q", "-C", str(show.root), "add", str(clip), "--title", "Кратко"]
    done = subprocess.run(
        [sys.executable, "-c", WHO_IMPORTS, *argv],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert sorted(done.stderr.splitlines()) == [
        f"{name} imported by import-ahead"
        for name in ("PIL", "mutagen", "numpy", "radiodesk.ingest.derived")
    ]
