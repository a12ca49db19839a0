"""Changes to an episode folder made off to the side in a hard-linked copy, then switched in whole.

Staged files are replaced, never changed in place (they are links to the live ones). One atomic
exchange (Linux renameat2), else two renames; files bound elsewhere wait in `.pending/`.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Final

PREFIX: Final = ".staging-"  # every leftover of a killed run starts so in the episodes folder
READY: Final = f"{PREFIX}ready-"  # + slug: a complete new folder, about to be switched in
OLD: Final = f"{PREFIX}old-"  # + slug: the folder it replaces, between the two renames
PENDING_MARK: Final = f"{PREFIX}pending-"  # + slug: that folder has files to move out
PENDING_DIR: Final = ".pending"  # inside a staged folder: files laid out as from the show folder

_AT_FDCWD: Final = -100
_RENAME_EXCHANGE: Final = 2  # linux/fs.h
_NO_EXCHANGE: Final = frozenset({errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP})


def new_folder(episodes: Path) -> Path:
    """Create an empty staging folder in the episodes folder (where the switch can rename it)."""
    return Path(tempfile.mkdtemp(dir=episodes, prefix=PREFIX))


def linked_copy(folder: Path) -> Path:
    """Stage a copy of an episode folder: hard links (masters are not copied), else copies."""
    work = new_folder(folder.parent)
    try:
        shutil.copytree(folder, work, symlinks=True, copy_function=_link, dirs_exist_ok=True)
    except BaseException:
        discard(work)
        raise
    return work


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # a filesystem without hard links (some network shares)
        shutil.copy2(source, target)


def discard(work: Path) -> None:
    """Delete a staging folder that is not to be switched in."""
    shutil.rmtree(work, ignore_errors=True)


def pending(work: Path, relative: str | Path) -> Path:
    """Return where in a staged folder to put a file bound for `relative` in the show folder."""
    return work / PENDING_DIR / relative


def switch(work: Path, folder: Path, *, new: bool = False) -> None:
    """Put the staged folder in the episode's place, move out its pending files, drop the old.

    `new`: there is no episode folder yet (a folder in the way is an error, never replaced).
    From the first rename on, a run killed at any point is finished by `repair`.
    """
    marker = folder.with_name(PENDING_MARK + folder.name)
    with _uninterrupted():
        if (work / PENDING_DIR).is_dir():
            marker.touch()
        old = None if new else _swap(work, folder)
        if old is None:
            os.rename(work, folder)  # a new episode: one rename
        _move_pending(folder)
        marker.unlink(missing_ok=True)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _swap(work: Path, folder: Path) -> Path:
    """Exchange the staged folder with the live one; return where the old one now is."""
    ready = folder.with_name(READY + folder.name)
    os.rename(work, ready)
    if _exchange(ready, folder):
        return ready
    old = folder.with_name(OLD + folder.name)
    os.rename(folder, old)
    os.rename(ready, folder)  # killed between the two: `repair` renames `ready` into place
    return old


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step (Linux renameat2); False where that is not supported."""
    # No kept library wraps renameat2 (the PyPI one is Linux-only and unmaintained): ctypes.
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):  # not glibc/musl, or no symbol (old libc)
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p]
    renameat2.argtypes += [ctypes.c_uint]
    done = renameat2(
        _AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE
    )
    if done == 0:
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:  # the kernel or this filesystem cannot exchange
        return False
    raise OSError(code, os.strerror(code), str(second))


def _move_pending(folder: Path) -> None:
    """Move the files waiting in folder/.pending to their places in the show folder."""
    waiting = folder / PENDING_DIR
    if not waiting.is_dir():
        return
    root = folder.parent.parent
    for path in sorted(p for p in waiting.rglob("*") if p.is_file()):
        target = root / path.relative_to(waiting)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, target)  # the same filesystem: the show folder holds both
    shutil.rmtree(waiting)


def repair(episodes: Path) -> None:
    """Finish or undo what a killed run left in the episodes folder (the caller holds the lock).

    A switch stopped between its two renames is finished (the staged folder was complete);
    files still pending in a switched folder are moved out; every other leftover is deleted.
    """
    try:
        leftovers = [p for p in episodes.iterdir() if p.name.startswith(PREFIX)]
    except (FileNotFoundError, NotADirectoryError):
        return
    for prefix in (READY, OLD):  # forward first: a complete new folder wins over the old one
        for path in leftovers:
            folder = episodes / path.name.removeprefix(prefix)
            if path.name.startswith(prefix) and path.exists() and not folder.exists():
                os.rename(path, folder)
    for path in leftovers:
        if path.name.startswith(PENDING_MARK):
            _move_pending(episodes / path.name.removeprefix(PENDING_MARK))
    for path in leftovers:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _uninterrupted() -> Iterator[None]:
    """Hold Ctrl-C until the block is done, so a switch is not left half-made on purpose.

    Only the main thread can; a batch `add` switches in its workers, and `repair` covers them.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda number, _frame: caught.append(number))
    previous = signal.SIG_DFL if previous is None else previous  # set outside Python
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt
