"""What the published MP3 and the on-air WAV must be: the values audio/ takes, not settings.

Plain data. ingest builds these from the show's settings; audio/ never reads radiodesk.toml.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from radiodesk.audio.loudness import Target

ChannelMode = Literal["auto", "mono", "stereo"]  # "auto" follows the source; the others force


@dataclass(frozen=True, slots=True, kw_only=True)
class Mp3Profile:
    """The podcast MP3: its loudness target and bit rate for a stereo and for a mono result."""

    target_lufs: float
    mono_target_lufs: float
    true_peak_dbtp: float  # the ceiling, measured on the encoded file
    tolerance_lu: float
    sample_rate_hz: int
    stereo_bitrate_kbps: int
    mono_bitrate_kbps: int
    channels: ChannelMode

    def target(self, mono: bool) -> Target:
        """Return where a mono or a stereo MP3 must land."""
        lufs = self.mono_target_lufs if mono else self.target_lufs
        return Target(lufs=lufs, tolerance_lu=self.tolerance_lu, ceiling_dbtp=self.true_peak_dbtp)

    def bitrate_for(self, mono: bool) -> int:
        """Return the MP3 bit rate in kbit/s for a mono or a stereo output."""
        return self.mono_bitrate_kbps if mono else self.stereo_bitrate_kbps


@dataclass(frozen=True, slots=True, kw_only=True)
class WavProfile:
    """The on-air copy: a PCM Broadcast WAV at a loudness target."""

    target: Target
    sample_rate_hz: int
    bits: int  # 16, 24 or 32
