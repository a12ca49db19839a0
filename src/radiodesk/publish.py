"""Runs one publish: plan from one listing, upload media, pages, then the feed LAST, then prune.

Moves what ingest made; never processes audio. Refuses to replace the live feed with one that
fails the feed checks. Returns a Report; never prints.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from radiodesk import catalog
from radiodesk.bundle import (
    FEED_KEY,
    IMMUTABLE_PREFIXES,
    PRUNED_PREFIXES,
    Bundle,
    Upload,
    build_bundle,
)
from radiodesk.catalog import Episode
from radiodesk.config import Settings
from radiodesk.errors import FeedError, StorageError
from radiodesk.readiness import require_publishable
from radiodesk.storage import Listing, ObjectInfo, Storage

log = logging.getLogger(__name__)

STATE_DIR = ".radiodesk"

# bytes sent, bytes in all
UploadProgressFn = Callable[[int, int], None]
# runs before planning; returns the show's episodes, newest first, or None (read the catalog)
Prepare = Callable[[], Sequence[Episode] | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a publish will do, worked out before anything is touched."""

    episodes: tuple[Episode, ...]
    uploads: tuple[Upload, ...]  # media, then pages, then feed pages; feed.xml last
    deletes: tuple[str, ...]
    feed_url: str
    unchanged: int
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """What a publish did."""

    feed_url: str
    published: tuple[str, ...]  # slugs in the feed, newest first
    uploaded: tuple[str, ...] = field(default_factory=tuple)
    deleted: tuple[str, ...] = field(default_factory=tuple)
    unchanged: int = 0
    warnings: tuple[str, ...] = ()
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        """Return whether the store was (or would be) changed."""
        return bool(self.uploaded or self.deleted)


def plan_publish(
    settings: Settings,
    storage: Storage,
    *,
    now: datetime,
    work: Path,
    exclude: frozenset[str] = frozenset(),
    overrides: Mapping[str, Episode] | None = None,
    prepare: Prepare | None = None,
    listing: Listing | None = None,
) -> Plan:
    """Work out uploads and deletes from one listing of the store and the recorded hashes.

    `prepare` runs once the store has answered (the caller rebuilds derived files there) and
    may return every episode as it left them, which saves reading the catalog again;
    `overrides` replaces episodes by slug (a dry run's preview of re-tagged audio); `listing`
    is one the caller started already (by default it starts now).
    """
    require_publishable(settings)  # every missing setting at once, before the store is asked
    # The store's first answer comes first: one that cannot be reached stops us before any
    # work. Its further pages arrive while the catalog is read and the feed and pages built.
    listing = listing or Listing(storage)
    listing.first_page()
    prepared = prepare() if prepare is not None else None
    replaced = overrides or {}
    episodes = tuple(
        replaced.get(e.slug, e)
        for e in (catalog.load_episodes(settings.root) if prepared is None else prepared)
        if e.status(now) == "ready" and e.slug not in exclude
    )
    bundle = build_bundle(settings, storage, episodes, work)
    remembered = load_state(settings.root, storage)
    return _plan(storage, episodes, bundle, listing.everything(), remembered, work, now)


def _plan(
    storage: Storage,
    episodes: tuple[Episode, ...],
    bundle: Bundle,
    listing: dict[str, ObjectInfo],
    remembered: dict[str, str],
    work: Path,
    now: datetime,
) -> Plan:
    wanted = bundle.uploads
    todo = tuple(u for u in wanted if not _is_current(u, listing, remembered))
    # Check the feed only when it changes: an unchanged feed is the live one, already checked.
    changing = any(u.key in {f.key for f in bundle.feeds} for u in todo)
    warnings = _gate(storage, bundle.feeds, listing, work, now) if changing else ()
    keep = {u.key for u in wanted}
    deletes = tuple(sorted(k for k in listing if k.startswith(PRUNED_PREFIXES) and k not in keep))
    return Plan(
        episodes=episodes,
        uploads=todo,
        deletes=deletes,
        feed_url=storage.url(FEED_KEY),
        unchanged=len(wanted) - len(todo),
        warnings=warnings,
    )


def publish(
    settings: Settings,
    storage: Storage,
    *,
    now: datetime,
    dry_run: bool = False,
    exclude: frozenset[str] = frozenset(),
    overrides: Mapping[str, Episode] | None = None,
    prepare: Prepare | None = None,
    on_upload: UploadProgressFn | None = None,
    listing: Listing | None = None,
) -> Report:
    """Publish every ready episode (but `exclude`): media first, the feed last, then prune."""
    with tempfile.TemporaryDirectory(prefix="radiodesk-publish-") as tmp:
        plan = plan_publish(
            settings,
            storage,
            now=now,
            work=Path(tmp),
            exclude=exclude,
            overrides=overrides,
            prepare=prepare,
            listing=listing,
        )
        if not dry_run:
            _carry_out(settings, storage, plan, on_upload)
    return Report(
        feed_url=plan.feed_url,
        published=tuple(e.slug for e in plan.episodes),
        uploaded=tuple(u.key for u in plan.uploads),
        deleted=plan.deletes,
        unchanged=plan.unchanged,
        warnings=plan.warnings,
        dry_run=dry_run,
    )


def _gate(
    storage: Storage,
    feeds: tuple[Upload, ...],
    listing: dict[str, ObjectInfo],
    work: Path,
    now: datetime,
) -> tuple[str, ...]:
    """Check the new feed against the live one; refuse to replace a good feed with a broken one."""
    from radiodesk import check  # only a changed feed is checked: most publishes never load it

    new = {u.key: u.read() for u in feeds}
    live = None
    if FEED_KEY in listing:
        copy = work / ".live-feed.xml"
        try:
            storage.download(FEED_KEY, copy)
            live = {FEED_KEY: copy.read_bytes()}
        except StorageError as exc:
            log.warning("cannot read the live feed to compare guids: %s", exc)
    ordered = {FEED_KEY: new.pop(FEED_KEY), **new}  # the main feed first, as check expects
    problems = check.check_feeds(ordered, previous=live, now=now)
    if check.has_errors(problems):
        errors = [p for p in problems if p.level == "error"]
        raise FeedError(
            f"the new feed fails its checks, so the live feed was left as it is: "
            f"{errors[0].where}: {errors[0].message}"
            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""),
            hint="fix the episode or radiodesk.toml, then publish again",
        )
    return tuple(f"{p.where}: {p.message}" for p in problems)


def _carry_out(
    settings: Settings, storage: Storage, plan: Plan, on_upload: UploadProgressFn | None
) -> None:
    if not plan.uploads and not plan.deletes:
        return  # nothing to remember either
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
            _save_state(settings.root, storage, state)  # a kill from here on resends the feed only
        path = upload.materialize()
        storage.put(path, upload.key, upload.content_type, upload.cache_control, on_bytes)
        state[upload.key] = upload.sha256
        log.info("uploaded %s", upload.key)
    if plan.uploads:
        _save_state(settings.root, storage, state)  # before pruning: a kill loses nothing
    if plan.deletes:
        storage.delete(list(plan.deletes))
        for key in plan.deletes:
            state.pop(key, None)
        _save_state(settings.root, storage, state)


def _is_current(upload: Upload, listing: dict[str, ObjectInfo], remembered: dict[str, str]) -> bool:
    """An object is current if the store has it at that size and (mutable keys) the same hash."""
    info = listing.get(upload.key)
    if info is None or info.size_bytes != upload.size_bytes:
        return False
    return upload.key.startswith(IMMUTABLE_PREFIXES) or remembered.get(upload.key) == upload.sha256


def _state_file(root: Path) -> Path:
    return root / STATE_DIR / "published.json"


def load_state(root: Path, storage: Storage) -> dict[str, str]:
    """Return key -> sha256 of what this show last published to this store."""
    try:
        data = json.loads(_state_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # unknown: mutable objects are simply sent again
    entry = data.get(storage.identity, {}) if isinstance(data, dict) else {}
    return {str(k): str(v) for k, v in entry.items()} if isinstance(entry, dict) else {}


def _save_state(root: Path, storage: Storage, state: dict[str, str]) -> None:
    path = _state_file(root)
    path.parent.mkdir(exist_ok=True)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    data[storage.identity] = dict(sorted(state.items()))
    catalog.write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
