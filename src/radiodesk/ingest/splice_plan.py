"""Plans one episode's splice: the silence to trim and the jingles to join, as an `Edit`.

Built from the show's [audio] settings and the measuring pass; jingles are prepared in a scratch
folder the caller owns. Never encodes the episode: audio/ does, with this plan.
"""

from __future__ import annotations

from pathlib import Path

from radiodesk.audio import clips
from radiodesk.audio.analysis import Analysis
from radiodesk.audio.graphs import published_channels
from radiodesk.audio.splice import Edit, Insert, find_trims
from radiodesk.ingest.provenance import Steps
from radiodesk.show.settings import Settings


def check_jingles(settings: Settings) -> None:
    """Refuse the show's jingles now if they are unfit, before a recording is copied."""
    for role, name in (("intro", settings.audio.intro), ("outro", settings.audio.outro)):
        if name:
            clips.check_jingle(
                role,
                settings.root / name,
                name=name,
                min_duration_s=settings.audio.crossfade_ms / 1000,
            )


def prepare_edit(settings: Settings, master: Path, analysis: Analysis, scratch: Path) -> Steps:
    """Find the trims and prepare the jingles of one episode (an empty edit when none are set)."""
    given = settings.audio
    lead = tail = 0.0
    if given.trim_silence:
        lead, tail = find_trims(
            master,
            published_channels(analysis),
            analysis.source.duration_s,
            threshold_db=given.silence_threshold_db,
            kept_pause_s=given.kept_pause_ms / 1000,
        )
    crossfade_s = given.crossfade_ms / 1000
    jingles = [
        clips.prepare_jingle(
            role,
            settings.root / name,
            scratch,
            name=name,
            target_lufs=given.target_for(analysis.mono),
            sample_rate_hz=given.sample_rate_hz,
            channels=1 if analysis.mono else 2,
            min_duration_s=crossfade_s,
        )
        for role, name in (("intro", given.intro), ("outro", given.outro))
        if name
    ]
    inserts = {
        j.role: Insert(path=j.path, duration_s=j.duration_s, gain_db=j.residual_gain_db)
        for j in jingles
    }
    edit = Edit(
        lead_trim_s=lead,
        tail_trim_s=tail,
        intro=inserts.get("intro"),
        outro=inserts.get("outro"),
        crossfade_s=crossfade_s if jingles else 0.0,
    )
    return Steps(edit=edit, jingles=tuple(jingles), trim_silence=given.trim_silence)
