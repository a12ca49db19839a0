"""Works out what a publish will do from one listing of the store: uploads, prunes, what goes live.

Refuses a feed that fails the feed checks. Marks the named episodes in episode.toml (undoably);
uploads nothing and prints nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from radiodesk.check.readiness import require_publishable
from radiodesk.errors import CatalogError, StorageError
from radiodesk.publish import live
from radiodesk.publish.bundle import IMMUTABLE_PREFIXES, PRUNED_PREFIXES, Bundle, build_bundle
from radiodesk.publish.feed_guard import judge_feeds
from radiodesk.publish.feed_model import FEED_KEY
from radiodesk.publish.live import LiveShow
from radiodesk.publish.state import load_state
from radiodesk.publish.storage import Listing, ObjectInfo, Storage
from radiodesk.publish.uploads import Upload
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import Episode
from radiodesk.show.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the caller's preparation left: the episodes as written, or a dry run's previews."""

    episodes: Sequence[Episode] | None = None  # newest first (None: read the catalog)
    previews: Mapping[str, Episode] = field(default_factory=dict)  # by slug: re-tagged audio


# Runs once the store has answered, given the episodes named (None: all): the caller brings
# their derived files up to date there, since publish never processes audio.
Prepare = Callable[[frozenset[str] | None], Prepared]


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """What to publish, and how."""

    now: datetime
    only: frozenset[str] | None = None  # the episodes named (None: the whole show)
    removing: frozenset[str] = frozenset()  # named too: marked removed, so they leave the feed
    due: bool = False  # instead of names: the scheduled episodes whose time has come
    dry_run: bool = False
    prepare: Prepare | None = None


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


def plan_publish(
    settings: Settings,
    storage: Storage,
    request: Request,
    *,
    work: Path,
    listing: Listing | None = None,
    undo: dict[Path, bytes] | None = None,
) -> Plan:
    """Work out uploads and deletes from one listing of the store and the recorded hashes.

    Every episode not named stays as it was last published; a named draft is released, dated
    `now`. `listing` is one the caller started already (by default it starts now). Unless a
    dry run, the marks are written to episode.toml at once (the preparation must see them);
    `undo` gets each file's bytes from before, to put back if the new feed never goes live.
    """
    undo = {} if undo is None else undo
    require_publishable(settings)  # every missing setting at once, before the store is asked
    # The store's first answer comes first: one that cannot be reached stops us before any
    # work. Its further pages arrive while the catalog is read and the feed and pages built.
    listing = listing or Listing(storage)
    listing.first_page()
    only, now = request.only, request.now
    kept = None
    if only is not None or request.due:
        kept = _kept(settings, storage, listing)
        named = _due(settings, kept, now) if request.due else only
        assert named is not None
        only = named | request.removing
        if not only:  # nothing has come due: nothing to build, nothing to change
            return _nothing(settings, storage, kept, now)
        for slug in sorted(only):
            episode_file.load_episode(folders.episode_dir(settings.root, slug))  # a typo stops here
    marked = _mark(
        settings, only or frozenset(), request.removing, now, undo=None if request.dry_run else undo
    )
    episodes, held = _choose(settings, request, only, marked)
    bundle = build_bundle(
        settings, storage.url, episodes, work, kept=kept.without(only) if kept and only else None
    )
    remembered = load_state(settings.root, storage)
    plan = _plan(storage, bundle, listing.everything(), remembered, work, now, only)
    released = tuple(e for e in marked.values() if e.slug not in request.removing)
    return replace(plan, episodes=episodes, held=held, released=released)


def _choose(
    settings: Settings,
    request: Request,
    only: frozenset[str] | None,
    marked: dict[str, Episode],
) -> tuple[tuple[Episode, ...], tuple[Episode, ...]]:
    """Return the episodes to publish and those held back, once the caller has prepared them."""
    prepared = request.prepare(only) if request.prepare is not None else Prepared()
    replaced = dict(prepared.previews)
    for slug, e in marked.items() if request.dry_run else ():  # written, so prepared, if not dry
        base = replaced.get(slug, e)
        replaced[slug] = replace(base, draft=e.draft, date=e.date, removed=e.removed)
    chosen = [
        replaced.get(e.slug, e)
        for e in (
            episode_file.load_episodes(settings.root)
            if prepared.episodes is None
            else prepared.episodes
        )
        if only is None or e.slug in only
    ]
    now = request.now
    episodes = tuple(e for e in chosen if e.status(now) == "ready")
    if request.due:
        return episodes, _held(settings, now)
    return episodes, tuple(e for e in chosen if e.status(now) == "scheduled")


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


def _gate(
    storage: Storage,
    feeds: tuple[Upload, ...],
    listing: dict[str, ObjectInfo],
    work: Path,
    now: datetime,
) -> tuple[str, ...]:
    """Judge the new feed against the live one; refuse to replace a good feed with a broken one."""
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
    return judge_feeds(ordered, previous=live, now=now)


def _is_current(upload: Upload, listing: dict[str, ObjectInfo], remembered: dict[str, str]) -> bool:
    """An object is current if the store has it at that size and (mutable keys) the same hash."""
    info = listing.get(upload.key)
    if info is None or info.size_bytes != upload.size_bytes:
        return False
    return upload.key.startswith(IMMUTABLE_PREFIXES) or remembered.get(upload.key) == upload.sha256
