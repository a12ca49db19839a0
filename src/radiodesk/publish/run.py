"""Runs one publish: plan from one listing, upload media, pages, then the feed LAST, then prune.

The whole show, or only the episodes named (the rest stays as live.py recorded it). Moves what
ingest made; never processes audio. Refuses to replace the live feed with one that fails the
feed checks. Returns a Report; never prints.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from radiodesk.check.readiness import require_publishable
from radiodesk.errors import CatalogError, FeedError, StorageError
from radiodesk.files import write_atomic
from radiodesk.publish import live
from radiodesk.publish.bundle import (
    FEED_KEY,
    IMMUTABLE_PREFIXES,
    PRUNED_PREFIXES,
    Bundle,
    Upload,
    build_bundle,
)
from radiodesk.publish.live import LiveShow
from radiodesk.publish.storage import Listing, ObjectInfo, Storage
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import Episode
from radiodesk.show.settings import Settings

log = logging.getLogger(__name__)

STATE_DIR = ".radiodesk"

# bytes sent, bytes in all
UploadProgressFn = Callable[[int, int], None]
# runs before planning, given the episodes named (None: all); returns those episodes, newest
# first, or None (read the catalog)
Prepare = Callable[[frozenset[str] | None], Sequence[Episode] | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a publish will do, worked out before anything is touched."""

    episodes: tuple[Episode, ...]  # published from their folders (all, or those named)
    uploads: tuple[Upload, ...]  # media, then pages, then feed pages; feed.xml last
    deletes: tuple[str, ...]
    feed_url: str
    unchanged: int
    live: LiveShow | None  # what is live once the plan is carried out (None: nothing)
    named: frozenset[str] | None = None  # None: the whole show
    held: tuple[Episode, ...] = ()  # scheduled: held back until their date
    released: tuple[Episode, ...] = ()  # drafts released by naming them
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
    held: tuple[tuple[str, datetime], ...] = ()  # scheduled episodes and when they are due
    released: tuple[tuple[str, datetime], ...] = ()  # drafts released, with their new date
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
    only: frozenset[str] | None = None,
    removing: frozenset[str] = frozenset(),
    due: bool = False,
    dry_run: bool = False,
    overrides: Mapping[str, Episode] | None = None,
    prepare: Prepare | None = None,
    listing: Listing | None = None,
    undo: dict[Path, bytes] | None = None,
) -> Plan:
    """Work out uploads and deletes from one listing of the store and the recorded hashes.

    `only` names the episodes to publish (None: the whole show); every other one stays as it
    was last published. `removing` (named too) are marked removed and so leave the feed; a named
    draft is released, dated `now`. `due` names the scheduled episodes whose time has come.
    `prepare` runs once the store has answered (the caller rebuilds derived files there) and
    may return the episodes as it left them, which saves reading the catalog again;
    `overrides` replaces episodes by slug (a dry run's preview of re-tagged audio); `listing`
    is one the caller started already (by default it starts now). Unless a dry run, the marks
    are written to episode.toml at once (the rebuild must see them); `undo` gets each file's
    bytes from before, to put back if the new feed never goes live.
    """
    undo = {} if undo is None else undo
    require_publishable(settings)  # every missing setting at once, before the store is asked
    # The store's first answer comes first: one that cannot be reached stops us before any
    # work. Its further pages arrive while the catalog is read and the feed and pages built.
    listing = listing or Listing(storage)
    listing.first_page()
    kept = None
    if only is not None or due:
        kept = _kept(settings, storage, listing)
        only = _due(settings, kept, now) if due else only
        assert only is not None
        only |= removing
        if not only:  # nothing has come due: nothing to build, nothing to change
            return _nothing(settings, storage, kept, now)
        for slug in sorted(only):
            episode_file.load_episode(folders.episode_dir(settings.root, slug))  # a typo stops here
    marked = _mark(settings, only or frozenset(), removing, now, undo=None if dry_run else undo)
    prepared = prepare(only) if prepare is not None else None
    replaced = dict(overrides or {})
    for slug, e in marked.items() if dry_run else ():  # written, so prepared, when not a dry run
        base = replaced.get(slug, e)
        replaced[slug] = replace(base, draft=e.draft, date=e.date, removed=e.removed)
    chosen = [
        replaced.get(e.slug, e)
        for e in (episode_file.load_episodes(settings.root) if prepared is None else prepared)
        if only is None or e.slug in only
    ]
    episodes = tuple(e for e in chosen if e.status(now) == "ready")
    held = _held(settings, now) if due else tuple(e for e in chosen if e.status(now) == "scheduled")
    bundle = build_bundle(
        settings, storage, episodes, work, kept=kept.without(only) if kept and only else None
    )
    remembered = load_state(settings.root, storage)
    plan = _plan(storage, bundle, listing.everything(), remembered, work, now, only)
    released = tuple(e for e in marked.values() if e.slug not in removing)
    return replace(plan, episodes=episodes, held=held, released=released)


def _kept(settings: Settings, storage: Storage, listing: Listing) -> LiveShow | None:
    """Return what is live in the store; refuse when its live feed was never recorded."""
    record = live.load(settings.root, storage.identity)
    if record is None and FEED_KEY in listing.everything():
        raise CatalogError(
            "this store's live feed was published by an older radiodesk, which kept no record "
            "of what each episode looks like in it, so publishing only some episodes could "
            "put other pending changes live",
            hint="review the pending changes with `radiodesk publish --dry-run`, then run "
            "`radiodesk publish` once; after that, naming episodes works",
        )
    return record


def _held(settings: Settings, now: datetime) -> tuple[Episode, ...]:
    return tuple(
        e for e in episode_file.load_episodes(settings.root) if e.status(now) == "scheduled"
    )


def _nothing(settings: Settings, storage: Storage, kept: LiveShow | None, now: datetime) -> Plan:
    return Plan(
        episodes=(),
        uploads=(),
        deletes=(),
        feed_url=storage.url(FEED_KEY),
        unchanged=0,
        live=kept,
        named=frozenset(),
        held=_held(settings, now),
    )


def _due(settings: Settings, kept: LiveShow | None, now: datetime) -> frozenset[str]:
    """Return the scheduled episodes whose time has come: dated after they were added, not live.

    A ready episode dated when it was added (or earlier) waits for a producer's publish.
    """
    return frozenset(
        e.slug
        for e in episode_file.load_episodes(settings.root)
        if e.status(now) == "ready"
        and e.date > e.created
        and not (kept and e.slug in kept.episodes)
    )


def _mark(
    settings: Settings,
    named: frozenset[str],
    removing: frozenset[str],
    now: datetime,
    *,
    undo: dict[Path, bytes] | None,
) -> dict[str, Episode]:
    """Mark the episodes to remove, release the named drafts; return them as marked.

    With `undo`, each mark is written, the file's bytes from before kept there by path.
    """
    marked: dict[str, Episode] = {}
    for slug in sorted(named):
        folder = folders.episode_dir(settings.root, slug)
        episode = episode_file.load_episode(folder)
        if slug in removing:
            episode = replace(episode, removed=True)
        elif episode.draft and not episode.removed:
            episode = replace(episode, draft=False, date=now.replace(microsecond=0))
        else:
            continue
        if undo is not None:
            undo[folder / folders.EPISODE_FILE] = (folder / folders.EPISODE_FILE).read_bytes()
            episode_file.write_episode(folder, episode)
        marked[slug] = episode
    return marked


def _plan(
    storage: Storage,
    bundle: Bundle,
    listing: dict[str, ObjectInfo],
    remembered: dict[str, str],
    work: Path,
    now: datetime,
    only: frozenset[str] | None,
) -> Plan:
    wanted = bundle.uploads
    todo = tuple(u for u in wanted if not _is_current(u, listing, remembered))
    # Check the feed only when it changes: an unchanged feed is the live one, already checked.
    changing = any(u.key in {f.key for f in bundle.feeds} for u in todo)
    warnings = _gate(storage, bundle.feeds, listing, work, now) if changing else ()
    keep = {u.key for u in wanted} | bundle.live.keys()
    deletes = tuple(sorted(k for k in listing if k not in keep and _prunable(k, only)))
    return Plan(
        episodes=(),
        uploads=todo,
        deletes=deletes,
        feed_url=storage.url(FEED_KEY),
        unchanged=len(wanted) - len(todo),
        live=bundle.live,
        named=only,
        warnings=warnings,
    )


# Who an object belongs to: `<folder>/<slug>-<sha256:12><suffix>`, or an episode's page.
_OWNED_RE = re.compile(r"^(?:[a-z]+/(.+)-[0-9a-f]{12}\.[\w.]+|episodes/([^/]+)/.*)$")


def _prunable(key: str, only: frozenset[str] | None) -> bool:
    """Publish owns these keys; naming episodes, only theirs (and the feed's pages) go."""
    if not key.startswith(PRUNED_PREFIXES):
        return False
    return only is None or key.startswith("feed-") or owner(key) in only


def owner(key: str) -> str | None:
    """Return the slug of the episode an object belongs to (None: the show's, or unknown)."""
    found = _OWNED_RE.match(key)
    return (found.group(1) or found.group(2)) if found else None


def publish(
    settings: Settings,
    storage: Storage,
    *,
    now: datetime,
    dry_run: bool = False,
    only: frozenset[str] | None = None,
    removing: frozenset[str] = frozenset(),
    due: bool = False,
    overrides: Mapping[str, Episode] | None = None,
    prepare: Prepare | None = None,
    on_upload: UploadProgressFn | None = None,
    listing: Listing | None = None,
) -> Report:
    """Publish the ready episodes (all, or those named): media first, the feed last, then prune.

    All or nothing for the episodes it marks: a removal or a release that never reached the
    live feed is taken back from episode.toml.
    """
    undo: dict[Path, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="radiodesk-publish-") as tmp, _undone(undo):
        plan = plan_publish(
            settings,
            storage,
            now=now,
            work=Path(tmp),
            only=only,
            removing=removing,
            due=due,
            dry_run=dry_run,
            overrides=overrides,
            prepare=prepare,
            listing=listing,
            undo=undo,
        )
        if not dry_run:
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
            _save_state(settings.root, storage, state)  # a kill from here on resends the feed only
        path = upload.materialize()
        storage.put(path, upload.key, upload.content_type, upload.cache_control, on_bytes)
        state[upload.key] = upload.sha256
        log.info("uploaded %s", upload.key)
    if plan.uploads:
        _save_state(settings.root, storage, state)  # before pruning: a kill loses nothing
    _record(settings, storage, plan, changed=True)  # the feed is in place: this is what is live
    undo.clear()  # the marks are live now: a failed prune must not take them back
    if plan.deletes:
        storage.delete(list(plan.deletes))
        for key in plan.deletes:
            state.pop(key, None)
        _save_state(settings.root, storage, state)


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
    write_atomic(path, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))
