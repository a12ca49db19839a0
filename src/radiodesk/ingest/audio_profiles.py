"""Turns the show's settings into the values audio/ takes: audio never reads settings itself."""

from __future__ import annotations

from radiodesk.audio.loudness import Target
from radiodesk.audio.profiles import Mp3Profile, WavProfile
from radiodesk.show.settings import AudioSettings, BroadcastSettings


def mp3_profile(given: AudioSettings) -> Mp3Profile:
    """Return what the published MP3 must be, from the show's [audio] settings."""
    return Mp3Profile(
        target_lufs=given.target_lufs,
        mono_target_lufs=given.mono_target_lufs,
        true_peak_dbtp=given.true_peak_dbtp,
        tolerance_lu=given.tolerance_lu,
        sample_rate_hz=given.sample_rate_hz,
        stereo_bitrate_kbps=given.stereo_bitrate_kbps,
        mono_bitrate_kbps=given.mono_bitrate_kbps,
        channels=given.channels,
    )


def wav_profile(given: BroadcastSettings) -> WavProfile:
    """Return what the on-air copy must be, from the show's [broadcast] settings."""
    target = Target(
        lufs=given.target_lufs, tolerance_lu=given.tolerance_lu, ceiling_dbtp=given.true_peak_dbtp
    )
    return WavProfile(target=target, sample_rate_hz=given.sample_rate_hz, bits=given.bits)


def clip_target(given: AudioSettings, target_lufs: float) -> Target:
    """Return where a soundbite clip must land: as loud as its episode, under the show's ceiling."""
    return Target(
        lufs=target_lufs, tolerance_lu=given.tolerance_lu, ceiling_dbtp=given.true_peak_dbtp
    )
