"""What one publication of a show consists of: media, feed pages and web pages, as Uploads.

Maps the catalog onto feed.py's and site.py's view models and gives every object its key,
type and caching. Writes only into the work folder it is given; never talks to a store.
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from radiodesk.audio import waveform
from radiodesk.audio.waveform import Wave
from radiodesk.errors import FeedError
from radiodesk.files import file_sha256
from radiodesk.ingest import provenance, soundbites
from radiodesk.publish import feed, live, site
from radiodesk.publish.live import LiveEpisode, LiveShow
from radiodesk.publish.storage import IMMUTABLE, SHORT, Storage
from radiodesk.show import folders, roles
from radiodesk.show.artwork import inspect_image
from radiodesk.show.chapters import Chapter, chapters_json, load_chapters
from radiodesk.show.episode import AudioRecord, Episode, Person, Soundbite
from radiodesk.show.settings import Settings
from radiodesk.show.statcache import StatCache, settled, stamp
from radiodesk.show.transcripts import Transcript, parse_transcript, retime
from radiodesk.spec import CHAPTERS_TYPE

CORRECTED = {"ru": "Исправлено", "uk": "Виправлено", "be": "Выпраўлена"}  # correction notes
FEED_KEY = "feed.xml"
FEED_TYPE = "application/rss+xml; charset=utf-8"
PROVENANCE_SUFFIX = ".provenance.json"
PROVENANCE_TYPE = "application/json; charset=utf-8"
# Content-addressed: a key's bytes never change, so presence + size proves an object current.
IMMUTABLE_PREFIXES = ("audio/", "images/", "chapters/", "transcripts/", "clips/")
# Publish owns these: objects under them that nothing references any more are pruned.
PRUNED_PREFIXES = (*IMMUTABLE_PREFIXES, "episodes/", "feed-")


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """One file that the store should hold."""

    path: Path
    key: str
    content_type: str
    cache_control: str
    size_bytes: int
    sha256: str
    data: bytes | None = None  # rendered content, written to `path` only if it is uploaded
    render: Callable[[], bytes] | None = None  # or how to render it (a page known unchanged)

    def materialize(self) -> Path:
        """Return `path`, writing rendered content there first (most pages are never sent)."""
        if self.data is not None or self.render is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(self.read())
        return self.path

    def read(self) -> bytes:
        """Return the content."""
        if self.data is not None:
            return self.data
        return self.render() if self.render is not None else self.path.read_bytes()


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeMedia:
    """The objects one episode needs, and what the feed and page say about them."""

    folder: Path  # the episode's own
    audio: Upload
    image: Upload | None
    chapters: tuple[Chapter, ...]
    chapters_file: Upload | None
    transcript: Transcript | None
    transcript_file: Upload | None
    soundbites: tuple[tuple[Soundbite, Upload], ...] = ()  # each with its MP3 clip
    provenance_file: Upload | None = None  # what was done to the audio, beside the MP3


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
    storage: Storage,
    episodes: Sequence[Episode],
    work: Path,
    *,
    kept: LiveShow | None = None,
    with_pages: bool = True,
    reuse: bool = True,
) -> Bundle:
    """Collect media and render the feed and web pages for the episodes, newest first.

    `kept` is the show as it is live, less the episodes given: its show part and episodes go
    into the feed and show page as they were published, and their own objects and pages are
    left in the store as they are (None: the whole show comes from its folder). Feeds and pages
    whose inputs are unchanged since a previous build are rendered only if they are uploaded
    (`reuse=False` renders everything). Without pages, the bundle holds media and feeds only.
    """
    files: list[Upload] = []
    if kept is None:
        show_image = (
            _image(settings.root / settings.show.image, "cover") if settings.show.image else None
        )
        files += [show_image] if show_image else []
        kept = LiveShow(
            channel=_channel(settings, storage, show_image),
            site=_site_show(settings, storage, show_image),
            objects={show_image.key: show_image.sha256} if show_image else {},
            episodes={},
        )
    media = {e.slug: _episode_media(settings, e, work) for e in episodes}
    image_key = kept.site.image_key  # Apple lists itunes:image per item: the show's by default
    items = {e.slug: _item(settings, storage, e, media[e.slug], image_key) for e in episodes}
    all_items = [*items.values(), *(e.item for e in kept.episodes.values())]
    feed_uploads = _uploads(
        settings.root, work, "feeds", _feed_pages(settings, kept.channel, all_items), reuse
    )
    feed_uploads.sort(key=lambda u: u.key == FEED_KEY)  # the main feed goes last of all
    entries = {e.slug: _site_episode(settings, storage, e, media[e.slug]) for e in episodes}
    page_uploads = []
    if with_pages:
        pages = site.site_pages(
            kept.site, [*entries.values(), *(e.entry for e in kept.episodes.values())]
        )
        # A kept episode's page stays in the store as it was published: never rendered again.
        left = {site.episode_key(slug) for slug in kept.episodes}
        pages = [p for p in pages if p.key not in left]
        page_uploads = _uploads(settings.root, work, "pages", pages, reuse, forget=not left)
    for m in media.values():
        files += [
            u
            for u in (m.audio, m.image, m.chapters_file, m.transcript_file, m.provenance_file)
            if u
        ]
        files += [clip for _, clip in m.soundbites]
    shas = {u.key: u.sha256 for u in page_uploads}
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
        pages=tuple(page_uploads),
        feeds=tuple(feed_uploads),
        live=replace(kept, episodes={**kept.episodes, **fresh}),
    )


def _objects(slug: str, media: EpisodeMedia, pages: dict[str, str]) -> dict[str, str]:
    """Return key -> sha256 of every object an episode holds in the store."""
    uploads = [media.audio, media.image, media.chapters_file, media.transcript_file]
    uploads += [media.provenance_file, *(clip for _, clip in media.soundbites)]
    found = {u.key: u.sha256 for u in uploads if u is not None}
    page = site.episode_key(slug)
    if page in pages:
        found[page] = pages[page]
    return found


def _feed_pages(
    settings: Settings, channel: feed.Channel, items: Sequence[feed.Item]
) -> list[site.Page]:
    """Return the feed documents as pages: fingerprinted now, rendered (all at once) if needed."""
    page_size = settings.show.feed_page_size or None
    # The feed's checks run as it is rendered; unchanged inputs passed them last time.
    rendered: dict[str, bytes] = {}

    def render(key: str) -> bytes:
        if not rendered:
            rendered.update(
                feed.build_feeds(channel, items, page_size=page_size, feed_key=FEED_KEY)
            )
        return rendered[key]

    print_ = site.digest(repr(channel), repr(items), repr(page_size))
    count = 1 if not page_size or len(items) <= page_size else -(-len(items) // page_size)
    keys = [FEED_KEY, *(feed.page_key(FEED_KEY, n) for n in range(2, count + 1))]
    return [site.Page(key, print_, functools.partial(render, key)) for key in keys]


def _uploads(
    root: Path,
    work: Path,
    name: str,
    pages: Sequence[site.Page],
    reuse: bool,
    *,
    forget: bool = True,
) -> list[Upload]:
    """Render the pages whose fingerprint is new; the others are rendered only if uploaded.

    `forget` drops what is remembered of pages not given (a whole show was built).
    """
    # key -> [fingerprint, sha256, size]; no files to stamp. Not reusing, it is left alone.
    known = StatCache(root, name)
    uploads = []
    for page in sorted(pages, key=lambda p: p.key):
        content_type = FEED_TYPE if name == "feeds" else site.SITE_TYPES[Path(page.key).suffix]
        entry = known.get(page.key, []) if reuse else None
        if isinstance(entry, list) and len(entry) == 3 and entry[0] == page.fingerprint:
            upload = Upload(
                path=work / page.key,
                key=page.key,
                content_type=content_type,
                cache_control=SHORT,
                size_bytes=int(entry[2]),
                sha256=str(entry[1]),
                render=page.render,
            )
        else:
            upload = _written(work, page.key, page.render(), content_type, SHORT)
            if reuse:
                known.put(page.key, [], [page.fingerprint, upload.sha256, upload.size_bytes])
        uploads.append(upload)
    if forget and reuse:
        known.keep_only({p.key for p in pages})
    known.save()
    return uploads


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
    data = provenance.read(folder / record.provenance)
    data["published"] = {"key": audio.key, "sha256": audio.sha256, "size_bytes": audio.size_bytes}
    key = audio.key.removesuffix(".mp3") + PROVENANCE_SUFFIX  # immutable, as the MP3's key is
    return _written(work, key, provenance.to_json(data), PROVENANCE_TYPE, IMMUTABLE)


def _channel(settings: Settings, storage: Storage, image: Upload | None) -> feed.Channel:
    show = settings.show
    location = None
    if show.location_name:
        location = feed.Location(
            name=show.location_name, geo=show.location_geo or None, osm=show.location_osm or None
        )
    return feed.Channel(
        title=show.title,
        description=show.description or show.title,
        language=show.language,
        link=show.link or show.base_url,
        feed_url=storage.url(FEED_KEY),
        author=show.author or show.title,
        owner_name=show.owner_name or show.author or show.title,
        owner_email=show.email,
        category=show.category,
        subcategory=show.subcategory or None,
        explicit=show.explicit,
        image_url=storage.url(image.key) if image else None,
        copyright=show.copyright or None,
        show_type=show.type,
        podcast_guid=show.podcast_guid or None,
        # Locked only with an owner: the e-mail is how the owner moves the show to a new host.
        locked=True if show.locked and show.email else None,
        locked_owner=show.email if show.locked and show.email else None,
        funding=(feed.Funding(url=show.funding_url, text=show.funding_text),)
        if show.funding_url
        else (),
        location=location,
        block=show.block,
        complete=show.complete,
        new_feed_url=show.new_feed_url or None,
        persons=_feed_persons(_hosts(settings)),
    )


def _item(
    settings: Settings,
    storage: Storage,
    episode: Episode,
    media: EpisodeMedia,
    show_image_key: str | None,
) -> feed.Item:
    assert episode.audio is not None  # _episode_media refused episodes without audio
    image_key = media.image.key if media.image else show_image_key
    transcripts: tuple[feed.Transcript, ...] = ()
    if media.transcript and media.transcript_file:
        transcripts = (
            feed.Transcript(
                url=storage.url(media.transcript_file.key),
                type=media.transcript.mime,
                language=settings.show.language,
                rel="captions",
            ),
        )
    return feed.Item(
        guid=episode.guid,
        title=episode.title,
        description=episode.public_description(_corrected(settings)),
        published=episode.date,
        link=storage.url(site.episode_key(episode.slug)),
        enclosure_url=storage.url(media.audio.key),
        enclosure_length=media.audio.size_bytes,
        duration_s=episode.audio.duration_s,
        season=episode.season,
        episode=episode.number,
        explicit=episode.explicit,
        image_url=storage.url(image_key) if image_key else None,
        persons=_feed_persons(episode.persons),
        episode_type=episode.episode_type,
        block=episode.block,
        transcripts=transcripts,
        chapters_url=storage.url(media.chapters_file.key) if media.chapters_file else None,
        soundbites=tuple(
            feed.Soundbite(start_s=s.start_s, duration_s=s.duration_s, title=s.title)
            for s, _ in media.soundbites
        ),
    )


def _site_show(settings: Settings, storage: Storage, image: Upload | None) -> site.SiteShow:
    show = settings.show
    links = tuple(
        (label, url)
        for label, url in (
            ("Apple Podcasts", show.apple_podcasts_url),
            ("Spotify", show.spotify_url),
            ("Яндекс Музыка", show.yandex_music_url),
        )
        if url
    )
    return site.SiteShow(
        title=show.title,
        description=show.description,
        language=show.language,
        author=show.author,
        image_key=image.key if image else None,
        feed_key=FEED_KEY,
        feed_url=storage.url(FEED_KEY),
        links=links,
        station=_site_station(settings),
        page_url=storage.url(site.INDEX_KEY),
        image_url=storage.url(image.key) if image else None,
    )


def _site_station(settings: Settings) -> site.SiteStationLink | None:
    """A programme's pages link back to its station's page; a lone show's do not."""
    if settings.station is None:
        return None
    info = settings.station.station
    return site.SiteStationLink(name=info.name, language=info.language)


def _site_episode(
    settings: Settings, storage: Storage, episode: Episode, media: EpisodeMedia
) -> site.SiteEpisode:
    assert episode.audio is not None
    folder = media.folder
    peaks = folders.peaks_file(folder, episode)
    wave = _drawing(folders.wave_file(folder, episode), peaks, episode.audio.sha256)
    return site.SiteEpisode(
        slug=episode.slug,
        title=episode.title,
        description=episode.public_description(_corrected(settings)),
        published=episode.date,
        duration_s=episode.audio.duration_s,
        audio_key=media.audio.key,
        audio_size=media.audio.size_bytes,
        image_key=media.image.key if media.image else None,
        persons=tuple(site.SitePerson(name=p.name, role=p.role) for p in episode.persons),
        chapters=tuple(site.SiteChapter(start_s=c.start_s, title=c.title) for c in media.chapters),
        transcript=tuple(
            site.SiteCue(start_s=c.start_s, end_s=c.end_s, text=c.text)
            for c in (media.transcript.cues if media.transcript else ())
        ),
        transcript_key=media.transcript_file.key if media.transcript_file else None,
        peaks=() if wave else waveform.load_peaks(peaks, episode.audio.sha256),
        wave=wave,
        loudness_lufs=episode.audio.after.integrated_lufs,
        soundbites=tuple(
            site.SiteSoundbite(
                start_s=s.start_s,
                duration_s=s.duration_s,
                title=s.title,
                clip_key=clip.key,
                clip_size=clip.size_bytes,
            )
            for s, clip in media.soundbites
        ),
        page_url=storage.url(site.episode_key(episode.slug)),
        audio_url=storage.url(media.audio.key),
        image_url=storage.url(media.image.key) if media.image else None,
    )


def _drawing(wave: Path, peaks: Path, sha256: str) -> site.StoredWave | Wave | None:
    """Return the MP3's drawing, read only if its page is rendered (None: the page draws peaks).

    Drawn once per MP3, beside its peaks; without a drawing (a dry run's preview) the page draws
    the peaks. The drawing's stamp stands for what the page shows: a drawing of another MP3
    falls back to the peaks, and whatever draws new peaks draws such a drawing again.
    """
    drawn = stamp(wave)
    if drawn is None or not settled([drawn]):  # too fresh for its stamp to stand for it
        return waveform.load_wave(wave, sha256)
    load = functools.partial(_load_drawing, wave, peaks, sha256)
    return site.StoredWave(identity=f"{sha256} {list(drawn)}", load=load)


def _load_drawing(wave: Path, peaks: Path, sha256: str) -> Wave:
    drawn = waveform.load_wave(wave, sha256)
    if drawn is not None:
        return drawn
    values = waveform.load_peaks(peaks, sha256)  # a stale drawing: as if there were none
    return Wave(width=len(values), path=waveform.svg_path(values))


def _corrected(settings: Settings) -> str:
    return CORRECTED.get(settings.show.language.split("-")[0].lower(), "Corrected")


def _hosts(settings: Settings) -> tuple[Person, ...]:
    return tuple(Person.parse(text) for text in settings.show.hosts)


def _feed_persons(persons: Sequence[Person]) -> tuple[feed.Person, ...]:
    # Readers take a missing group as "cast": a producer needs hers ("creative direction").
    return tuple(feed.Person(name=p.name, role=p.role, group=_group(p.role)) for p in persons)


def _group(role: str) -> str | None:
    group = roles.group_of(role)
    return None if group in (None, "cast") else group


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
    return _written(work, key, data, content_type, IMMUTABLE)


def _written(work: Path, key: str, data: bytes, content_type: str, cache_control: str) -> Upload:
    """Describe rendered content; it is written under `work` only when it is uploaded."""
    return Upload(
        path=work / key,
        key=key,
        content_type=content_type,
        cache_control=cache_control,
        size_bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        data=data,
    )


def show_artwork(settings: Settings) -> Upload | None:
    """Return the show's artwork as publish uploads it (the station page links to it)."""
    return _image(settings.root / settings.show.image, "cover") if settings.show.image else None
