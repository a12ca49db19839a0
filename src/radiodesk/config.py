"""Settings of one show, read from radiodesk.toml with tomllib and validated.

Owns the frozen Settings tree and its defaults; never touches audio, the network or episodes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ChannelMode = Literal["auto", "mono", "stereo"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioSettings:
    """Loudness target and encoder profile of the published MP3."""

    target_lufs: float = -16.0  # Apple Podcasts, AES TD1004 (stereo)
    mono_target_lufs: float = -19.0  # mono plays as loud as -16 stereo (AES TD1004)
    true_peak_dbtp: float = -1.0  # ceiling measured on the ENCODED file
    tolerance_lu: float = 0.5  # accepted distance of the encoded file from the target
    sample_rate_hz: int = 44100
    stereo_bitrate_kbps: int = 128
    mono_bitrate_kbps: int = 64
    channels: ChannelMode = "auto"  # "mono" forces mono output; "auto" follows the source

    def target_for(self, mono: bool) -> float:
        """Return the integrated loudness target for a mono or stereo output."""
        return self.mono_target_lufs if mono else self.target_lufs

    def bitrate_for(self, mono: bool) -> int:
        """Return the MP3 bit rate in kbit/s for a mono or stereo output."""
        return self.mono_bitrate_kbps if mono else self.stereo_bitrate_kbps
