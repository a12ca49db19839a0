"""An episode's metadata as data: the records episode.toml holds, and the text rule they keep.

Pure values: never reads or writes files (episode_file.py does), never knows folders or stores.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from radiodesk.errors import CatalogError
from radiodesk.show import roles, timeline
from radiodesk.show.timeline import Timeline
from radiodesk.spec import CONTROL_RE

Status = Literal["removed", "draft", "scheduled", "ready"]
EpisodeType = Literal["full", "trailer", "bonus"]


@dataclass(frozen=True, slots=True)
class Person:
    """Someone heard or credited in an episode, with a Podcasting 2.0 role."""

    name: str
    role: str = "host"

    @classmethod
    def parse(cls, text: str) -> Person:
        """Parse "Name[:role]" as given on the command line; a Russian role name is mapped."""
        name, typed, role = roles.split_person(text)
        if not name:
            raise CatalogError(f"person {text!r} has no name", hint='write "Name" or "Name:role"')
        if CONTROL_RE.search(text):
            raise CatalogError(f"person {text!r} contains control characters; remove them")
        if role is None:
            raise CatalogError(
                f"person {text!r}: {roles.unknown_role_message(typed)}",
                hint=f"every role: {roles.TAXONOMY_URL}",
            )
        return cls(name=name, role=role)


@dataclass(frozen=True, slots=True, kw_only=True)
class Soundbite:
    """A short span worth sharing (podcast:soundbite), timed on the recording, maybe titled."""

    start_s: float
    duration_s: float
    title: str = ""

    @property
    def end_s(self) -> float:
        """Return where the soundbite ends, in seconds from the start of the recording."""
        return self.start_s + self.duration_s


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """One BS.1770 loudness measurement; a peak not metered is None (masters: sample peak)."""

    integrated_lufs: float
    true_peak_dbtp: float | None = None
    lra_lu: float
    sample_peak_dbfs: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class MasterFile:
    """The producer's original recording, copied into the episode and never modified."""

    file: str  # relative to the episode folder
    original_name: str
    sha256: str
    size_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioRecord:
    """The published MP3, derived from the master; rebuilt whenever `recipe` or `tags` change."""

    file: str  # relative to the episode folder
    sha256: str  # of the tagged file
    size_bytes: int
    duration_s: float
    before: Measurement
    after: Measurement
    gain_db: float
    limiter_ceiling_dbfs: float
    channel_plan: str
    mono: bool
    bitrate_kbps: int
    sample_rate_hz: int
    target_lufs: float
    attempts: int
    recipe: str  # fingerprint of master + audio settings
    tags: str  # fingerprint of the tag values
    offset_s: float = 0.0  # where the master's time 0 lands in the MP3 (jingles, trims)
    provenance: str | None = None  # the record of every processing step (derived/*.json)
    # Only for edited recordings (None: the MP3 is the recording, time for time):
    recording_s: float | None = None  # the master's length
    lead_trim_s: float = 0.0  # silence cut from its start
    tail_trim_s: float = 0.0  # and from its end

    def kept_s(self) -> tuple[float, float]:
        """Return the part of the recording the MP3 carries, in the recording's time."""
        if self.recording_s is None:
            return 0.0, round(self.duration_s - self.offset_s, 3)
        return self.lead_trim_s, round(self.recording_s - self.tail_trim_s, 3)

    def timeline(self) -> Timeline:
        """Return the mapping of the recording's time to the MP3's that chapters, cues and
        soundbites share."""
        return timeline.of_record(
            duration_s=self.duration_s, offset_s=self.offset_s, recording_s=self.recording_s,
            lead_trim_s=self.lead_trim_s, tail_trim_s=self.tail_trim_s,
        )  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Correction:
    """A change made after publication, kept so the newsroom can show what was corrected."""

    at: datetime
    note: str
    public: bool = False  # shown under the description in the feed and on the page


@dataclass(frozen=True, slots=True, kw_only=True)
class Episode:
    """One episode's metadata, as stored in episode.toml."""

    slug: str
    guid: str  # created once at `add`; never changes (Apple rule A13)
    title: str
    description: str
    date: datetime
    created: datetime
    master: MasterFile
    season: int | None = None
    number: int | None = None
    explicit: bool = False
    draft: bool = False
    removed: bool = False  # taken out of the feed by `remove`; the master stays
    image: str | None = None  # relative to the episode folder
    chapters: str | None = None  # the producer's chapter list as Podcasting 2.0 JSON
    transcript: str | None = None  # the producer's WebVTT or SRT file, byte for byte
    episode_type: EpisodeType = "full"
    block: bool = False  # itunes:block: hide this episode from Apple Podcasts
    persons: tuple[Person, ...] = field(default_factory=tuple)
    soundbites: tuple[Soundbite, ...] = field(default_factory=tuple)  # in time order
    corrections: tuple[Correction, ...] = field(default_factory=tuple)
    previous_masters: tuple[MasterFile, ...] = field(default_factory=tuple)  # replaced, kept
    audio: AudioRecord | None = None

    def public_description(self, corrected: str = "Corrected") -> str:
        """Return the description with the public correction notes appended."""
        notes = [c for c in self.corrections if c.public]
        lines = [f"{corrected} {c.at:%d.%m.%Y}: {c.note}" for c in notes]
        return "\n\n".join([self.description, *lines]) if lines else self.description

    def status(self, now: datetime) -> Status:
        """Return removed, draft, scheduled (date still to come) or ready to publish."""
        if self.removed:
            return "removed"
        if self.draft:
            return "draft"
        return "scheduled" if self.date > now else "ready"


def clean_text(value: str, what: str) -> str:
    """Strip surrounding whitespace; refuse control characters that no feed or tag can hold."""
    if CONTROL_RE.search(value):
        raise CatalogError(
            f"{what} contains control characters or bytes that are not UTF-8; "
            "remove them and try again"
        )
    return value.strip()
