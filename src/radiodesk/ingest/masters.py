"""The producer's recording kept as the episode's master: checked, copied once, never modified.

The copy is hashed on the way (one pass over a file that may be gigabytes), measured meanwhile
and made read-only; it keeps the producer's file name unless a kept earlier master has it.
"""

from __future__ import annotations

import hashlib
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from radiodesk.audio.analysis import Analysis
from radiodesk.audio.measuring import analyse, probe
from radiodesk.errors import AudioError, CatalogError
from radiodesk.files import CHUNK_BYTES, file_sha256
from radiodesk.ingest.audio_profiles import mp3_profile
from radiodesk.ingest.progress import ProgressFn, stage
from radiodesk.show import folders
from radiodesk.show.episode import Episode, MasterFile
from radiodesk.show.settings import Settings
from radiodesk.spec import LINE_CONTROL_RE

log = logging.getLogger(__name__)


def check_recording(path: Path) -> Path:
    """Refuse a recording that is missing, not a file, empty, or badly named; return it."""
    # The master keeps its name, which episode.toml (UTF-8) and every one-line message must
    # carry: no control characters (line breaks included), no bytes that are not UTF-8.
    if LINE_CONTROL_RE.search(path.name):
        raise AudioError(
            f"the file name {path.name!r} contains control characters or bytes that are not UTF-8",
            hint="rename the recording, then add it again",
        )
    if not path.exists():
        raise AudioError(f"recording {path} does not exist")
    if not path.is_file():
        raise AudioError(f"recording {path} is not a file")
    if path.stat().st_size == 0:
        raise AudioError(f"recording {path.name} is empty (0 bytes)")
    return path


def copy_master(recording: Path, folder: Path) -> MasterFile:
    """Copy the recording into folder/master byte for byte, hashing it on the way; read-only.

    A name an earlier master already has gets a number in front ("2-take.wav"); the record
    keeps the producer's own name all the same.
    """
    target = folder / folders.MASTER_DIR / recording.name
    target.parent.mkdir(exist_ok=True)
    n = 2
    while target.exists():  # a replaced master keeps its place: the new one gets a new name
        target, n = target.with_name(f"{n}-{recording.name}"), n + 1
    digest = hashlib.sha256()
    size = 0
    buffer = bytearray(CHUNK_BYTES)  # one buffer for the whole copy: no fresh one per read
    chunk = memoryview(buffer)
    try:
        with recording.open("rb", buffering=0) as src, target.open("wb") as out:
            while count := src.readinto(buffer):
                digest.update(chunk[:count])
                out.write(chunk[:count])
                size += count
    except OSError as exc:
        raise AudioError(f"cannot copy recording {recording}: {exc.strerror or exc}") from exc
    target.chmod(0o444)
    return MasterFile(
        file=f"{folders.MASTER_DIR}/{target.name}",
        original_name=recording.name,
        sha256=digest.hexdigest(),
        size_bytes=size,
    )


def copy_and_measure(
    settings: Settings, recording: Path, folder: Path, on_progress: ProgressFn | None
) -> tuple[MasterFile, Analysis]:
    """Copy the recording into the episode while ffmpeg measures it, neither waiting for the other.

    The measuring pass reads the producer's file, not the copy; the file's size and change
    time, the same before and after, show that what was measured is what was copied.
    """
    before = identity(recording)
    stream = probe(recording)
    length_s = stream.header_duration_s or 0.0  # the measuring runs' positions add up to it
    progress = stage(on_progress, recording.name, "measure", length_s)
    with ThreadPoolExecutor(max_workers=1) as pool:  # leaving it waits for the copy
        copying = pool.submit(copy_master, recording, folder)
        analysis = analyse(
            recording, mp3_profile(settings.audio), stream=stream, on_progress=progress, sample=True
        )
        master = copying.result()
    if progress is not None:
        progress(length_s)  # a header that overstated the length must not leave the bar short
    if identity(recording) != before:
        raise AudioError(
            f"the recording {recording.name} changed while it was being added",
            hint="add it again once it is complete",
        )
    return master, analysis


def verify_master(folder: Path, episode: Episode) -> None:
    """Refuse a master whose bytes are no longer those that were added."""
    master = episode.master
    name = folders.stored_name(episode, master.file)  # not the staged copy's path
    try:
        actual = file_sha256(folder / master.file)
    except OSError as exc:
        raise CatalogError(f"the master {name} cannot be read: {exc.strerror}") from exc
    if actual != master.sha256:
        raise CatalogError(
            f"the master {name} has changed since it was added (SHA-256 mismatch)",
            hint="restore the original recording; radiodesk never modifies masters",
        )


def identity(path: Path) -> tuple[int, int, int]:
    """Return what tells a changed file: size, modification and change times."""
    try:
        info = path.stat()
    except OSError as exc:
        raise AudioError(f"cannot read recording {path}: {exc.strerror or exc}") from exc
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns


def known_recordings(episodes: list[Episode]) -> dict[str, str]:
    """Map the SHA-256 of every master, current or replaced, to its episode's slug."""
    known: dict[str, str] = {}
    for episode in episodes:
        for master in (*episode.previous_masters, episode.master):
            known.setdefault(master.sha256, episode.slug)
    return known


def warn_if_known(master: MasterFile, known: dict[str, str], name: str) -> None:
    """Warn when another episode already has this recording (a producer may mean it)."""
    if other := known.get(master.sha256):
        log.warning("%s is the same recording as episode %s (same SHA-256)", name, other)
