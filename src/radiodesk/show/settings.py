"""The settings of one show (radiodesk.toml) and of its station (station.toml): frozen dataclasses.

Owns the Settings tree and its defaults; settings_file.py reads the files, settings_rules.py
judges the values. Never touches audio, the network or episodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

ChannelMode = Literal["auto", "mono", "stereo"]
OutputFormat = Literal["mp3"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioSettings:
    """Loudness target and encoder profile of the published MP3."""

    format: OutputFormat = "mp3"
    target_lufs: float = -16.0  # Apple Podcasts, AES TD1004 (stereo)
    mono_target_lufs: float = -19.0  # mono plays as loud as -16 stereo (AES TD1004)
    true_peak_dbtp: float = -1.0  # ceiling measured on the ENCODED file
    tolerance_lu: float = 0.5  # accepted distance of the encoded file from the target
    sample_rate_hz: int = 44100
    stereo_bitrate_kbps: int = 128
    mono_bitrate_kbps: int = 64
    channels: ChannelMode = "auto"  # "mono" forces mono output; "auto" follows the source
    # Newsroom edits (all off by default, so the published audio is the recording alone):
    intro: str = ""  # jingle before the recording, relative to the show folder
    outro: str = ""  # jingle after it
    crossfade_ms: int = 500  # overlap of a jingle and the recording (0: butt-joined)
    trim_silence: bool = False  # cut leading and trailing silence
    silence_threshold_db: float = -50.0  # quieter than this (dBFS) counts as silence
    kept_pause_ms: int = 500  # silence left before the first and after the last sound

    def target_for(self, mono: bool) -> float:
        """Return the integrated loudness target for a mono or stereo output."""
        return self.mono_target_lufs if mono else self.target_lufs

    def bitrate_for(self, mono: bool) -> int:
        """Return the MP3 bit rate in kbit/s for a mono or stereo output."""
        return self.mono_bitrate_kbps if mono else self.stereo_bitrate_kbps


# The newsroom edits: left out of the audio recipe while they keep their default, so an episode
# made without them keeps its MP3 (see ingest.add._recipe).
EDIT_FIELDS = (
    "intro", "outro", "crossfade_ms", "trim_silence", "silence_threshold_db", "kept_pause_ms"
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class BroadcastSettings:
    """The on-air copy: an EBU R128 Broadcast WAV, written to an export folder, never published."""

    enabled: bool = False  # made at `add`; `radiodesk export` makes it on demand either way
    target_lufs: float = -23.0  # EBU R128
    true_peak_dbtp: float = -1.0  # EBU R128 s1 (-1 dBTP for PCM)
    tolerance_lu: float = 0.5
    sample_rate_hz: int = 48000
    bits: int = 24
    folder: str = "export/broadcast"  # relative to the show folder
    originator: str = ""  # the bext originator (32 characters); default: the show's author


BackendName = Literal["local", "s3"]
AddressingStyle = Literal["auto", "path", "virtual"]
RetryMode = Literal["standard", "adaptive", "legacy"]
ShowType = Literal["episodic", "serial"]

CONFIG_FILE = "radiodesk.toml"
STATION_FILE = "station.toml"  # beside the programme folders of a station


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowSettings:
    """What listeners' apps show about the programme (the feed's channel)."""

    title: str
    base_url: str  # public URL of the store: the feed and media live under it
    description: str = ""
    language: str = "ru"
    author: str = ""
    owner_name: str = ""  # defaults to author
    email: str = ""  # itunes:owner e-mail; Spotify and YouTube verify ownership through it
    category: str = "News"
    subcategory: str = ""
    explicit: bool = False
    image: str = ""  # artwork, relative to the show folder
    link: str = ""  # the show's web page; defaults to base_url
    copyright: str = ""
    type: ShowType = "episodic"
    hosts: tuple[str, ...] = ()  # "Name[:role]": podcast:person on the channel and every item
    feed_page_size: int = 300  # newest items in feed.xml; older ones in feed-2.xml ... (0: all)
    podcast_guid: str = ""  # empty: UUIDv5 of the feed URL, as the podcast namespace says
    locked: bool = True  # podcast:locked yes (with the e-mail as owner): no import elsewhere
    funding_url: str = ""  # podcast:funding
    funding_text: str = ""
    location_name: str = ""  # podcast:location, e.g. "Калининград"
    location_geo: str = ""  # "geo:54.71,20.51"
    location_osm: str = ""  # OpenStreetMap id, e.g. "R1674442"
    block: bool = False  # itunes:block: hide the whole show from Apple Podcasts
    complete: bool = False  # itunes:complete: no more episodes will come
    new_feed_url: str = ""  # the show moved: apps follow itunes:new-feed-url
    apple_podcasts_url: str = ""  # subscribe links on the web page
    spotify_url: str = ""
    yandex_music_url: str = ""
    # Inside a station: the programme's key prefix in the station's store (read back resolved:
    # the folder name, transliterated, unless radiodesk.toml sets it). Empty for a lone show.
    prefix: str = ""
    publish_provenance: bool = False  # put each MP3's provenance record beside it in the store
    time_zone: str = ""  # IANA name, e.g. "Europe/Minsk": dates typed without a zone are in it

    @property
    def zone(self) -> ZoneInfo | None:
        """Return the show's time zone (None if unset): for dates typed and dates shown."""
        return ZoneInfo(self.time_zone) if self.time_zone else None  # checked at load


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageSettings:
    """Where publish puts the feed and media. No credentials here: boto3's chain supplies them."""

    backend: BackendName = "local"
    path: str = "public"  # local: the folder, relative to the show folder
    bucket: str = ""  # s3: the bucket
    prefix: str = ""  # s3: key prefix, e.g. "podcasts/my-show"
    region: str = ""  # s3: e.g. "eu-central-1", "ru-central1"
    endpoint_url: str = ""  # s3-compatible stores: MinIO, R2, Yandex, B2 ...
    public_base_url: str = ""  # URL listeners use (bucket website, CDN); default: show base_url
    acl: str = ""  # e.g. "public-read"; empty: none (modern buckets reject ACLs)
    addressing_style: AddressingStyle = "auto"
    profile: str = ""  # a profile of ~/.aws/config
    retry_mode: RetryMode = "standard"  # botocore retry mode
    max_attempts: int = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class Settings:
    """Everything radiodesk.toml says about one show."""

    root: Path
    show: ShowSettings
    audio: AudioSettings = AudioSettings()
    storage: StorageSettings = StorageSettings()
    station: StationSettings | None = None  # the station this show is a programme of
    broadcast: BroadcastSettings = BroadcastSettings()

    @property
    def local_store(self) -> Path:
        """Return the folder of the local store."""
        return (self.root / self.storage.path).resolve()


@dataclass(frozen=True, slots=True, kw_only=True)
class StationInfo:
    """What the station page says about the station ([station] of station.toml)."""

    name: str
    base_url: str  # public URL of the station's store; programmes live under base_url/prefix
    description: str = ""
    language: str = "ru"
    image: str = ""  # station artwork, relative to the station folder


@dataclass(frozen=True, slots=True, kw_only=True)
class StationSettings:
    """Everything station.toml says: the station and the one store its programmes share."""

    root: Path
    station: StationInfo
    storage: StorageSettings = StorageSettings()

    @property
    def local_store(self) -> Path:
        """Return the folder of the station's local store."""
        return (self.root / self.storage.path).resolve()
