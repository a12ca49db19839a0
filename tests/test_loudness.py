"""loudness.py: BS.1770 gating against ffmpeg's own meter, gain plans, the converge loop."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest

from media import ffmpeg_run, make_recording
from radiodesk.audio import loudness, measuring, mp3
from radiodesk.audio.analysis import BlockLog
from radiodesk.audio.broadcast_wave import Bext, render_broadcast
from radiodesk.audio.clips import make_excerpt
from radiodesk.audio.ffmpeg_output import parse_ebur128
from radiodesk.audio.loudness import GainPlan, Loudness, Target, correct_gain, predict_gain
from radiodesk.audio.profiles import WavProfile
from radiodesk.audio.splice import Edit
from radiodesk.errors import AudioError
from radiodesk.ingest.audio_profiles import mp3_profile
from radiodesk.show.settings import AudioSettings

SETTINGS = AudioSettings()


# ---------------------------------------------------------------- block gating


def test_block_gating_matches_ffmpegs_own_summary(tmp_path: Path) -> None:
    """integrated_lufs and loudness_range_lu on ebur128's frame log give its summary's figures."""
    master = make_recording(tmp_path / "talk.wav", seconds=30, lufs=-21.0, channels=2)
    stderr = ffmpeg_run("-i", str(master), "-af", "ebur128=framelog=info", "-f", "null", "-")
    blocks = BlockLog()
    for line in stderr.splitlines():
        blocks.feed(line)
    summary = parse_ebur128(stderr)
    assert summary is not None
    assert sum(blocks.momentary.values()) == pytest.approx(300, abs=2)  # one per 100 ms
    assert loudness.integrated_lufs(blocks.momentary) == pytest.approx(
        summary.integrated_lufs, abs=0.05
    )
    assert loudness.loudness_range_lu(blocks.short_term) == pytest.approx(summary.lra_lu, abs=0.15)


def test_block_gating_pure() -> None:
    # Half the blocks at -20, half at -40 (more than 10 LU below the mean): only -20 counts.
    assert loudness.integrated_lufs({-20.0: 50, -40.0: 50}) == pytest.approx(-20.0)
    assert loudness.integrated_lufs({-20.0: 50, -23.0: 50}) == pytest.approx(-21.24, abs=0.01)
    assert loudness.integrated_lufs({-120.7: 10}) == loudness.SILENT_LUFS  # nothing above the gate
    assert loudness.integrated_lufs({}) == loudness.SILENT_LUFS
    # 3 s blocks spread evenly over -30..-20: LRA is the 10th to the 95th percentile.
    spread = {round(-30.0 + step / 10, 1): 1 for step in range(101)}
    assert loudness.loudness_range_lu(spread) == pytest.approx(8.5, abs=0.11)
    assert loudness.loudness_range_lu({-18.0: 40}) == 0.0
    assert loudness.loudness_range_lu({-90.0: 40}) == 0.0


# ---------------------------------------------------------------- gain planning (pure)


def test_first_gain_plans_for_codec_and_limiter_losses() -> None:
    stereo = {
        "target_lufs": -16.0,
        "ceiling_dbtp": -1.0,
        "limiter_margin_db": mp3.limiter_margin_db(128),
        "codec_loss_lu": mp3.CODEC_LOSS_LU,
    }
    plan = predict_gain(-30.0, -20.0, **stereo)
    assert plan.ceiling_dbfs == -3.0
    assert plan.gain_db == pytest.approx(14.0 + mp3.CODEC_LOSS_LU)  # peaks stay under
    # A -15 dBFS sample peak, 14.2 dB up, lands 2.2 dB over the ceiling: the limiter costs 0.11 LU.
    peaky = predict_gain(-30.0, -15.0, **stereo)
    assert peaky.gain_db == pytest.approx(plan.gain_db + 2.2 * loudness.LIMITER_LOSS_PER_DB)
    clicky = predict_gain(-30.0, 0.0, **stereo)  # one click far above: capped
    assert clicky.gain_db <= plan.gain_db + loudness.LIMITER_LOSS_MAX_LU
    mono = predict_gain(-30.0, -20.0, target_lufs=-19.0, ceiling_dbtp=-1.0,
                        limiter_margin_db=mp3.limiter_margin_db(64),
                        codec_loss_lu=mp3.CODEC_LOSS_LU)  # fmt: skip
    assert mono.ceiling_dbfs == -4.0


def test_correct_gain_uses_the_measured_error_and_overshoot() -> None:
    start = GainPlan(10.0, -3.0)
    low = Loudness(integrated_lufs=-16.8, true_peak_dbtp=-0.5, lra_lu=3.0)
    second = correct_gain([(start, low)], -16.0, -1.0)
    assert second.gain_db == pytest.approx(10.8)
    assert second.ceiling_dbfs == pytest.approx(-3.0 - 0.5 - loudness.PEAK_SAFETY_DB)
    # Same ceiling twice: the secant sees that the limiter eats half of each extra dB.
    third_in = GainPlan(10.8, -3.0)
    still_low = Loudness(integrated_lufs=-16.4, true_peak_dbtp=-2.0, lra_lu=3.0)
    third = correct_gain([(start, low), (third_in, still_low)], -16.0, -1.0)
    assert third.gain_db == pytest.approx(10.8 + 0.4 / 0.5)
    stereo = Target(
        lufs=-16.0, tolerance_lu=SETTINGS.tolerance_lu, ceiling_dbtp=SETTINGS.true_peak_dbtp
    )
    assert stereo.met_by(still_low)
    assert not stereo.met_by(low)


# ---------------------------------------------------------------- the one converge loop


def test_converge_stops_at_the_first_encode_that_meets_or_gives_the_last_one() -> None:
    encoded: list[float] = []

    def encode(gain_db: float) -> float:
        encoded.append(gain_db)
        return gain_db

    def step(tried: Sequence[tuple[float, float]]) -> float:
        return tried[-1][0] + 1.0

    done = loudness.converge(encode, 0.0, met=lambda got: got >= 2.0, correct=step)
    assert (done.plan, done.measured, done.attempts, done.met) == (2.0, 2.0, 3, True)
    assert encoded == [0.0, 1.0, 2.0]
    missed = loudness.converge(encode, 10.0, met=lambda got: False, correct=step)
    last = 10.0 + loudness.MAX_ATTEMPTS - 1
    assert (missed.plan, missed.measured, missed.met) == (last, last, False)
    assert missed.attempts == loudness.MAX_ATTEMPTS
    assert encoded[3:] == [10.0 + n for n in range(loudness.MAX_ATTEMPTS)]


def test_one_attempt_limit_serves_the_mp3_the_on_air_wav_and_clips(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every levelled output reaches its target through loudness.converge and its one limit."""
    monkeypatch.setattr(loudness, "MAX_ATTEMPTS", 1)
    master = make_recording(tmp_path / "take.wav", seconds=3, lufs=-20.0)
    profile = mp3_profile(SETTINGS)
    analysis = measuring.analyse(master, profile)
    strict = dataclasses.replace(profile, tolerance_lu=0.0, true_peak_dbtp=-30.0)
    with pytest.raises(AudioError, match=r"could not bring take\.wav to .* in 1 encodes"):
        mp3.render(master, tmp_path / "take.mp3", strict, analysis)
    unreachable = Target(lufs=-23.0, tolerance_lu=0.0, ceiling_dbtp=-30.0)
    wav = WavProfile(target=unreachable, sample_rate_hz=48000, bits=24)
    bext = Bext(description="Тест", originator="Радио", originator_reference="0" * 32,
                origination=datetime(2025, 3, 1, 12, tzinfo=UTC), coding_history="")  # fmt: skip
    (tmp_path / "export").mkdir()
    with pytest.raises(AudioError, match=r"the on-air copy take\.wav to .* in 1 encodes"):
        render_broadcast(master, tmp_path / "export" / "take.wav", wav, analysis, Edit(), bext)
    caplog.set_level(logging.INFO, logger="radiodesk.audio.clips")
    never_met = Target(lufs=-30.0, tolerance_lu=-1.0, ceiling_dbtp=-1.0)  # no loudness is near
    clip = make_excerpt(
        master,
        tmp_path / "clip.mp3",
        start_s=0.5,
        duration_s=2.0,
        target=never_met,
        bitrate_kbps=64,
        fade_in_ms=150,
        fade_out_ms=300,
    )
    assert [r.getMessage() for r in caplog.records if " gave " in r.getMessage()] == [
        f"clip.mp3: gain {clip.gain_db:.1f} dB gave {clip.level.integrated_lufs:.1f} LUFS, "
        f"{clip.level.true_peak_dbtp:.1f} dBTP"
    ]  # one encode, kept because it is under the ceiling
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp3", "export", "take.wav"]
