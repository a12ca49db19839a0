"""Runs one publish: plan it (plan.py), upload media, pages, then the feed LAST, then prune.

The whole show, or only the episodes named (the rest stays as live.py recorded it). Moves what
ingest made; never processes audio. Returns a Report; never prints.
"""

from __future__ import annotations

import contextlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from radiodesk.files import write_atomic
from radiodesk.publish import live
from radiodesk.publish.feed_model import FEED_KEY
from radiodesk.publish.plan import Plan, Request, plan_publish
from radiodesk.publish.state import load_state, save_state
from radiodesk.publish.storage import Listing, Storage
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import Episode
from radiodesk.show.settings import Settings

log = logging.getLogger(__name__)

# bytes sent, bytes in all
UploadProgressFn = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What a publish did."""

    feed_url: str
    published: tuple[str, ...]  # slugs in the feed, newest first
    uploaded: tuple[str, ...] = field(default_factory=tuple)
    deleted: tuple[str, ...] = field(default_factory=tuple)
    unchanged: int = 0
    warnings: tuple[str, ...] = ()
    held: tuple[tuple[str, datetime], ...] = ()  # scheduled episodes and when they are due
    released: tuple[tuple[str, datetime], ...] = ()  # drafts released, with their new date
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        """Return whether the store was (or would be) changed."""
        return bool(self.uploaded or self.deleted)


def publish(
    settings: Settings,
    storage: Storage,
    request: Request,
    *,
    on_upload: UploadProgressFn | None = None,
    listing: Listing | None = None,
) -> Report:
    """Publish the ready episodes (all, or those named): media first, the feed last, then prune.

    All or nothing for the episodes it marks: a removal or a release that never reached the
    live feed is taken back from episode.toml.
    """
    undo: dict[Path, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="radiodesk-publish-") as tmp, _undone(undo):
        plan = plan_publish(settings, storage, request, work=Path(tmp), listing=listing, undo=undo)
        if not request.dry_run:
            _carry_out(settings, storage, plan, on_upload, undo)
    shown = plan.live.episodes.values() if plan.live else ()
    items = sorted(shown, key=lambda e: (e.item.published, e.entry.slug))
    return Report(
        feed_url=plan.feed_url,
        published=tuple(e.entry.slug for e in reversed(items)),
        uploaded=tuple(u.key for u in plan.uploads),
        deleted=plan.deletes,
        unchanged=plan.unchanged,
        warnings=plan.warnings,
        held=tuple((e.slug, e.date) for e in plan.held),
        released=tuple((e.slug, e.date) for e in plan.released),
        dry_run=request.dry_run,
    )


def remove_episode(
    settings: Settings,
    storage: Storage,
    slug: str,
    *,
    now: datetime,
    dry_run: bool = False,
    purge: bool = False,
    confirm: Callable[[Episode], None] | None = None,
) -> Report:
    """Take one episode out of the live feed and delete its objects; `purge` deletes its folder.

    Every other episode stays as it was last published. `confirm` sees the episode first (not
    in a dry run) and raises to stop; asking a producer is the caller's part.
    """
    with folders.locked(settings.root):
        episode = episode_file.load_episode(folders.episode_dir(settings.root, slug))
        if confirm is not None and not dry_run:
            confirm(episode)
        named = frozenset({slug})
        request = Request(now=now, dry_run=dry_run, only=named, removing=named)
        report = publish(settings, storage, request)
        if purge and not dry_run:
            folders.purge_episode(settings.root, slug)
    return report


def _carry_out(
    settings: Settings,
    storage: Storage,
    plan: Plan,
    on_upload: UploadProgressFn | None,
    undo: dict[Path, bytes],
) -> None:
    if not plan.uploads and not plan.deletes:
        _record(settings, storage, plan, changed=False)  # most often: a few stats, no writing
        undo.clear()
        return
    total = sum(u.size_bytes for u in plan.uploads)
    sent = 0

    def on_bytes(count: int) -> None:
        nonlocal sent
        sent += count
        if on_upload:
            on_upload(sent, total)

    state = load_state(settings.root, storage)
    # In bundle order: the live feed must never point at an object that is not there yet.
    for upload in plan.uploads:
        if upload.key == FEED_KEY:
            save_state(settings.root, storage, state)  # a kill from here on resends the feed only
        path = upload.materialize()
        storage.put(path, upload.key, upload.content_type, upload.cache_control, on_bytes)
        state[upload.key] = upload.sha256
        log.info("uploaded %s", upload.key)
    if plan.uploads:
        save_state(settings.root, storage, state)  # before pruning: a kill loses nothing
    _record(settings, storage, plan, changed=True)  # the feed is in place: this is what is live
    undo.clear()  # the marks are live now: a failed prune must not take them back
    if plan.deletes:
        storage.delete(list(plan.deletes))
        for key in plan.deletes:
            state.pop(key, None)
        save_state(settings.root, storage, state)


@contextlib.contextmanager
def _undone(undo: dict[Path, bytes]) -> Iterator[None]:
    """Put back the episode files in `undo` if the block fails (Ctrl-C included)."""
    try:
        yield
    except BaseException:
        for path, data in undo.items():
            write_atomic(path, data)
        raise


def _record(settings: Settings, storage: Storage, plan: Plan, *, changed: bool) -> None:
    """Keep what is live, with the inputs each published episode had.

    A publish that changed nothing rewrites the record only if it is missing or an episode's
    files changed since it was written (an edit that changes nothing listeners see).
    """
    if plan.live is None:
        return
    inputs = live.Inputs(settings.root)
    found, edited = inputs.of(plan.episodes)
    if not changed and not edited and live.exists(settings.root, storage.identity):
        return
    episodes = {
        slug: replace(entry, inputs=found[slug]) if slug in found else entry
        for slug, entry in plan.live.episodes.items()
    }
    live.save(settings.root, storage.identity, replace(plan.live, episodes=episodes))
    inputs.remember()
