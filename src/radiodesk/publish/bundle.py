"""What one publication of a show consists of: media, feed pages and web pages, as Uploads.

Gives every episode's objects their key, type and caching, and has views.py fill in the feed and
the pages. Writes only into the work folder it is given; never talks to a store.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from radiodesk.errors import FeedError
from radiodesk.files import file_sha256
from radiodesk.publish import live, site, site_model, views
from radiodesk.publish.feed_model import FEED_KEY
from radiodesk.publish.live import LiveEpisode, LiveShow
from radiodesk.publish.storage import IMMUTABLE
from radiodesk.publish.uploads import EpisodeMedia, Upload, feed_pages, page_uploads, written
from radiodesk.show import folders, provenance, soundbites
from radiodesk.show.artwork import inspect_image
from radiodesk.show.chapters import chapters_json, load_chapters
from radiodesk.show.episode import AudioRecord, Episode, Soundbite
from radiodesk.show.settings import Settings
from radiodesk.show.transcripts import parse_transcript, retime
from radiodesk.spec import CHAPTERS_TYPE

PROVENANCE_TYPE = "application/json; charset=utf-8"
# Content-addressed: a key's bytes never change, so presence + size proves an object current.
IMMUTABLE_PREFIXES = ("audio/", "images/", "chapters/", "transcripts/", "clips/")
# Publish owns these: objects under them that nothing references any more are pruned.
PRUNED_PREFIXES = (*IMMUTABLE_PREFIXES, "episodes/", "feed-")


@dataclass(frozen=True, slots=True, kw_only=True)
class Bundle:
    """Everything a publish puts in the store, in upload order: media, pages, then feeds."""

    media: tuple[Upload, ...]
    pages: tuple[Upload, ...]
    feeds: tuple[Upload, ...]  # feed.xml is the last of them
    live: LiveShow  # what is live once the bundle is in place (fresh episodes: no inputs yet)

    @property
    def uploads(self) -> tuple[Upload, ...]:
        """Return every object in the order it must be uploaded."""
        return (*self.media, *self.pages, *self.feeds)


def build_bundle(
    settings: Settings,
    url: Callable[[str], str],
    episodes: Sequence[Episode],
    work: Path,
    *,
    kept: LiveShow | None = None,
    with_pages: bool = True,
    reuse: bool = True,
) -> Bundle:
    """Collect media and render the feed and web pages for the episodes, newest first.

    `url` makes an object's public URL from its key. `kept` is the show as it is live, less the
    episodes given: its show part and episodes go into the feed and show page as they were
    published, and their own objects and pages are left in the store as they are (None: the
    whole show comes from its folder). Feeds and pages whose inputs are unchanged since a
    previous build are rendered only if they are uploaded (`reuse=False` renders everything).
    Without pages, the bundle holds media and feeds only.
    """
    files: list[Upload] = []
    if kept is None:
        kept, files = _whole_show(settings, url)
    media = {e.slug: _episode_media(settings, e, work) for e in episodes}
    image_key = kept.site.image_key  # Apple lists itunes:image per item: the show's by default
    items = {e.slug: views.item(settings, url, e, media[e.slug], image_key) for e in episodes}
    all_items = [*items.values(), *(e.item for e in kept.episodes.values())]
    feed_uploads = page_uploads(
        settings.root, work, "feeds", feed_pages(settings, kept.channel, all_items), reuse
    )
    feed_uploads.sort(key=lambda u: u.key == FEED_KEY)  # the main feed goes last of all
    entries = {e.slug: views.site_episode(settings, url, e, media[e.slug]) for e in episodes}
    pages = _pages(settings, work, kept, entries, reuse) if with_pages else []
    for m in media.values():
        files += [
            u
            for u in (m.audio, m.image, m.chapters_file, m.transcript_file, m.provenance_file)
            if u
        ]
        files += [clip for _, clip in m.soundbites]
    shas = {u.key: u.sha256 for u in pages}
    fresh = {
        slug: LiveEpisode(
            item=items[slug],
            entry=live.light(entries[slug]),
            objects=_objects(slug, media[slug], shas),
        )
        for slug in items
    }
    return Bundle(
        media=tuple(files),
        pages=tuple(pages),
        feeds=tuple(feed_uploads),
        live=replace(kept, episodes={**kept.episodes, **fresh}),
    )


def _whole_show(settings: Settings, url: Callable[[str], str]) -> tuple[LiveShow, list[Upload]]:
    """Return the show part as its folder has it, with no episodes, and its artwork to upload."""
    image = show_artwork(settings)
    show = LiveShow(
        channel=views.channel(settings, url, image),
        site=views.site_show(settings, url, image),
        objects={image.key: image.sha256} if image else {},
        episodes={},
    )
    return show, [image] if image else []


def _pages(
    settings: Settings,
    work: Path,
    kept: LiveShow,
    entries: dict[str, site_model.SiteEpisode],
    reuse: bool,
) -> list[Upload]:
    """Return the web pages to upload: every page but the kept episodes' own."""
    pages = site.site_pages(
        kept.site, [*entries.values(), *(e.entry for e in kept.episodes.values())]
    )
    # A kept episode's page stays in the store as it was published: never rendered again.
    left = {site.episode_key(slug) for slug in kept.episodes}
    pages = [p for p in pages if p.key not in left]
    return page_uploads(settings.root, work, "pages", pages, reuse, forget=not left)


def _objects(slug: str, media: EpisodeMedia, pages: dict[str, str]) -> dict[str, str]:
    """Return key -> sha256 of every object an episode holds in the store."""
    uploads = [media.audio, media.image, media.chapters_file, media.transcript_file]
    uploads += [media.provenance_file, *(clip for _, clip in media.soundbites)]
    found = {u.key: u.sha256 for u in uploads if u is not None}
    page = site.episode_key(slug)
    if page in pages:
        found[page] = pages[page]
    return found


def _episode_media(settings: Settings, episode: Episode, work: Path) -> EpisodeMedia:
    folder = folders.episode_dir(settings.root, episode.slug)
    record = episode.audio
    if record is None:
        raise FeedError(
            f"episode {episode.slug!r} has no processed audio",
            hint="run `radiodesk publish` again after fixing its recording",
        )
    audio = Upload(
        path=folder / record.file,
        key=folders.audio_key(episode),
        content_type="audio/mpeg",
        cache_control=IMMUTABLE,
        size_bytes=record.size_bytes,
        sha256=record.sha256,
    )
    image = _image(folder / episode.image, episode.slug) if episode.image else None
    chapter_list = load_chapters(folder, episode, record.duration_s)
    chapters_file = None
    if chapter_list:
        data = chapters_json(chapter_list)
        chapters_file = _hashed(work, f"chapters/{episode.slug}", ".json", data, CHAPTERS_TYPE)
    transcript = transcript_file = None
    if episode.transcript:
        name = folders.stored_name(episode, episode.transcript)  # as the producer finds it
        data = _transcript_bytes(folder / episode.transcript, name, record)
        transcript = parse_transcript(data, source=name)
        transcript_file = _hashed(
            work, f"transcripts/{episode.slug}", transcript.suffix, data, transcript.mime
        )
    return EpisodeMedia(
        folder=folder,
        provenance_file=_provenance(settings, work, folder, episode, audio),
        audio=audio,
        image=image,
        chapters=chapter_list,
        chapters_file=chapters_file,
        transcript=transcript,
        transcript_file=transcript_file,
        soundbites=_soundbite_clips(settings, folder, episode),
    )


def _transcript_bytes(path: Path, name: str, record: AudioRecord) -> bytes:
    """Return the transcript in the MP3's time: the producer's file itself when nothing moved."""
    data = path.read_bytes()
    kept_from_s, kept_to_s = record.kept_s()
    return retime(
        data,
        source=name,
        offset_s=record.offset_s,
        kept_from_s=kept_from_s,
        kept_to_s=kept_to_s if record.tail_trim_s else math.inf,  # cues may outrun the audio
    )


def _soundbite_clips(
    settings: Settings, folder: Path, episode: Episode
) -> tuple[tuple[Soundbite, Upload], ...]:
    """Pair each soundbite, in the MP3's time, with its clip, cut beforehand beside the MP3."""
    if not episode.soundbites or episode.audio is None:
        return ()
    source = folder / episode.audio.file
    known = soundbites.load_clips(source, episode.slug)
    pairs = []
    for sound in episode.soundbites:
        clip = known.get(soundbites.fingerprint(episode, sound, settings.audio))
        if clip is None:
            raise FeedError(
                f"episode {episode.slug!r}: the soundbite at "
                f"{soundbites.position(sound.start_s)} has no clip",
                hint="run `radiodesk publish` again: it cuts missing clips first",
            )
        upload = Upload(
            path=source.parent / clip.file,
            key=f"clips/{episode.slug}-{clip.sha256[:12]}.mp3",
            content_type="audio/mpeg",
            cache_control=IMMUTABLE,
            size_bytes=clip.size_bytes,
            sha256=clip.sha256,
        )
        pairs.append((soundbites.placed(sound, episode.audio), upload))
    return tuple(pairs)


def _provenance(
    settings: Settings, work: Path, folder: Path, episode: Episode, audio: Upload
) -> Upload | None:
    """Publish the provenance record beside the MP3, with the tagged file's own hash added."""
    record = episode.audio
    if record is None or not record.provenance or not settings.show.publish_provenance:
        return None
    published = provenance.Published(
        key=audio.key, sha256=audio.sha256, size_bytes=audio.size_bytes
    )
    data = replace(provenance.read(folder / record.provenance), published=published)
    key = audio.key.removesuffix(".mp3") + provenance.SUFFIX  # immutable, as the MP3's key is
    return written(work, key, provenance.to_json(data), PROVENANCE_TYPE, IMMUTABLE)


def _image(path: Path, stem: str) -> Upload:
    info = inspect_image(path)
    sha = file_sha256(path)
    return Upload(
        path=path,
        key=folders.image_key(stem, sha, info.suffix),
        content_type=info.mime,
        cache_control=IMMUTABLE,
        size_bytes=path.stat().st_size,
        sha256=sha,
    )


def _hashed(work: Path, stem: str, suffix: str, data: bytes, content_type: str) -> Upload:
    """Write a small derived file into `work` under a content-addressed key."""
    key = f"{stem}-{hashlib.sha256(data).hexdigest()[:12]}{suffix}"
    return written(work, key, data, content_type, IMMUTABLE)


def show_artwork(settings: Settings) -> Upload | None:
    """Return the show's artwork as publish uploads it (the station page links to it)."""
    return _image(settings.root / settings.show.image, "cover") if settings.show.image else None
