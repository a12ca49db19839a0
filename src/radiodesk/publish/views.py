"""Maps the catalog onto the feed's and the site's view models, every URL made by the `url` it is
given. Reads the waveform drawings it is pointed at; writes nothing and never talks to a store.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from pathlib import Path

from radiodesk.audio import waveform
from radiodesk.audio.waveform import Wave
from radiodesk.publish import feed_model, site, site_model
from radiodesk.publish.feed_model import FEED_KEY
from radiodesk.publish.uploads import EpisodeMedia, Upload
from radiodesk.show import folders, roles
from radiodesk.show.episode import Episode, Person
from radiodesk.show.settings import Settings
from radiodesk.show.statcache import settled, stamp

CORRECTED = {"ru": "Исправлено", "uk": "Виправлено", "be": "Выпраўлена"}  # correction notes


def channel(
    settings: Settings, url: Callable[[str], str], image: Upload | None
) -> feed_model.Channel:
    show = settings.show
    location = None
    if show.location_name:
        location = feed_model.Location(
            name=show.location_name, geo=show.location_geo or None, osm=show.location_osm or None
        )
    return feed_model.Channel(
        title=show.title,
        description=show.description or show.title,
        language=show.language,
        link=show.link or show.base_url,
        feed_url=url(FEED_KEY),
        author=show.author or show.title,
        owner_name=show.owner_name or show.author or show.title,
        owner_email=show.email,
        category=show.category,
        subcategory=show.subcategory or None,
        explicit=show.explicit,
        image_url=url(image.key) if image else None,
        copyright=show.copyright or None,
        show_type=show.type,
        podcast_guid=show.podcast_guid or None,
        # Locked only with an owner: the e-mail is how the owner moves the show to a new host.
        locked=True if show.locked and show.email else None,
        locked_owner=show.email if show.locked and show.email else None,
        funding=(feed_model.Funding(url=show.funding_url, text=show.funding_text),)
        if show.funding_url
        else (),
        location=location,
        block=show.block,
        complete=show.complete,
        new_feed_url=show.new_feed_url or None,
        persons=_feed_persons(_hosts(settings)),
    )


def item(
    settings: Settings,
    url: Callable[[str], str],
    episode: Episode,
    media: EpisodeMedia,
    show_image_key: str | None,
) -> feed_model.Item:
    assert episode.audio is not None  # _episode_media refused episodes without audio
    image_key = media.image.key if media.image else show_image_key
    transcripts: tuple[feed_model.Transcript, ...] = ()
    if media.transcript and media.transcript_file:
        transcripts = (
            feed_model.Transcript(
                url=url(media.transcript_file.key),
                type=media.transcript.mime,
                language=settings.show.language,
                rel="captions",
            ),
        )
    return feed_model.Item(
        guid=episode.guid,
        title=episode.title,
        description=episode.public_description(_corrected(settings)),
        published=episode.date,
        link=url(site.episode_key(episode.slug)),
        enclosure_url=url(media.audio.key),
        enclosure_length=media.audio.size_bytes,
        duration_s=episode.audio.duration_s,
        season=episode.season,
        episode=episode.number,
        explicit=episode.explicit,
        image_url=url(image_key) if image_key else None,
        persons=_feed_persons(episode.persons),
        episode_type=episode.episode_type,
        block=episode.block,
        transcripts=transcripts,
        chapters_url=url(media.chapters_file.key) if media.chapters_file else None,
        soundbites=tuple(
            feed_model.Soundbite(start_s=s.start_s, duration_s=s.duration_s, title=s.title)
            for s, _ in media.soundbites
        ),
    )


def site_show(
    settings: Settings, url: Callable[[str], str], image: Upload | None
) -> site_model.SiteShow:
    show = settings.show
    links = tuple(
        (label, address)
        for label, address in (
            ("Apple Podcasts", show.apple_podcasts_url),
            ("Spotify", show.spotify_url),
            ("Яндекс Музыка", show.yandex_music_url),
        )
        if address
    )
    return site_model.SiteShow(
        title=show.title,
        description=show.description,
        language=show.language,
        author=show.author,
        image_key=image.key if image else None,
        feed_key=FEED_KEY,
        feed_url=url(FEED_KEY),
        links=links,
        station=_site_station(settings),
        page_url=url(site.INDEX_KEY),
        image_url=url(image.key) if image else None,
    )


def _site_station(settings: Settings) -> site_model.SiteStationLink | None:
    """A programme's pages link back to its station's page; a lone show's do not."""
    if settings.station is None:
        return None
    info = settings.station.station
    return site_model.SiteStationLink(name=info.name, language=info.language)


def site_episode(
    settings: Settings, url: Callable[[str], str], episode: Episode, media: EpisodeMedia
) -> site_model.SiteEpisode:
    assert episode.audio is not None
    folder = media.folder
    peaks = folders.peaks_file(folder, episode)
    wave = _drawing(folders.wave_file(folder, episode), peaks, episode.audio.sha256)
    return site_model.SiteEpisode(
        slug=episode.slug,
        title=episode.title,
        description=episode.public_description(_corrected(settings)),
        published=episode.date,
        duration_s=episode.audio.duration_s,
        audio_key=media.audio.key,
        audio_size=media.audio.size_bytes,
        image_key=media.image.key if media.image else None,
        persons=tuple(site_model.SitePerson(name=p.name, role=p.role) for p in episode.persons),
        chapters=tuple(
            site_model.SiteChapter(start_s=c.start_s, title=c.title) for c in media.chapters
        ),
        transcript=tuple(
            site_model.SiteCue(start_s=c.start_s, end_s=c.end_s, text=c.text)
            for c in (media.transcript.cues if media.transcript else ())
        ),
        transcript_key=media.transcript_file.key if media.transcript_file else None,
        peaks=() if wave else waveform.load_peaks(peaks, episode.audio.sha256),
        wave=wave,
        loudness_lufs=episode.audio.after.integrated_lufs,
        soundbites=tuple(
            site_model.SiteSoundbite(
                start_s=s.start_s,
                duration_s=s.duration_s,
                title=s.title,
                clip_key=clip.key,
                clip_size=clip.size_bytes,
            )
            for s, clip in media.soundbites
        ),
        page_url=url(site.episode_key(episode.slug)),
        audio_url=url(media.audio.key),
        image_url=url(media.image.key) if media.image else None,
    )


def _drawing(wave: Path, peaks: Path, sha256: str) -> site_model.StoredWave | Wave | None:
    """Return the MP3's drawing, read only if its page is rendered (None: the page draws peaks).

    Drawn once per MP3, beside its peaks; without a drawing (a dry run's preview) the page draws
    the peaks. The drawing's stamp stands for what the page shows: a drawing of another MP3
    falls back to the peaks, and whatever draws new peaks draws such a drawing again.
    """
    drawn = stamp(wave)
    if drawn is None or not settled([drawn]):  # too fresh for its stamp to stand for it
        return waveform.load_wave(wave, sha256)
    load = functools.partial(_load_drawing, wave, peaks, sha256)
    return site_model.StoredWave(identity=f"{sha256} {list(drawn)}", load=load)


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


def _feed_persons(persons: Sequence[Person]) -> tuple[feed_model.Person, ...]:
    # Readers take a missing group as "cast": a producer needs hers ("creative direction").
    return tuple(feed_model.Person(name=p.name, role=p.role, group=_group(p.role)) for p in persons)


def _group(role: str) -> str | None:
    group = roles.group_of(role)
    return None if group in (None, "cast") else group
