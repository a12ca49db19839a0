"""measuring.py with real ffmpeg: the measuring pass, whole, in stretches and from a sample."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from media import ffmpeg_run, joined, make_recording, measure
from radiodesk.audio import measuring
from radiodesk.audio.mp3 import render
from radiodesk.audio.splice import Edit
from radiodesk.errors import AudioError
from radiodesk.ingest.audio_profiles import mp3_profile
from radiodesk.show.settings import AudioSettings

SETTINGS = AudioSettings()
PROFILE = mp3_profile(SETTINGS)


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "published"
    folder.mkdir()
    return folder


def test_video_file_uses_its_first_audio_stream(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "talk.mp4", seconds=3, lufs=-22.0, channels=2)
    analysis = measuring.analyse(master, PROFILE)
    assert analysis.source.codec == "aac"
    assert analysis.channel_plan == "stereo"


def test_mono_loudness_derivation_matches_a_real_measurement(tmp_path: Path) -> None:
    """Identical: stereo reading - 3.01 dB; dead channel: stereo reading unchanged."""
    rate = SETTINGS.sample_rate_hz  # compare at the rate the meter uses
    identical = make_recording(tmp_path / "same.wav", seconds=5, identical=True, sample_rate=rate)
    one_sided = make_recording(tmp_path / "left.wav", seconds=5, left_only=True, sample_rate=rate)
    for master, plan, mix in [
        (identical, "mono-identical", "pan=mono|c0=0.5*c0+0.5*c1"),
        (one_sided, "mono-left", "pan=mono|c0=c0"),
    ]:
        analysis = measuring.analyse(master, PROFILE)
        published = tmp_path / f"{plan}.wav"
        ffmpeg_run("-i", str(master), "-af", mix, "-c:a", "pcm_f32le", str(published))
        lufs, _ = measure(published)
        log = ffmpeg_run("-i", str(published), "-af", "ebur128=peak=sample", "-f", "null", "-")
        peak = float(re.findall(r"Peak:\s+(\S+) dBFS", log)[-1])
        print(f"\n{plan}: derived {analysis.loudness.integrated_lufs:.2f} LUFS, real {lufs:.2f}")
        assert analysis.channel_plan == plan
        assert analysis.loudness.integrated_lufs == pytest.approx(lufs, abs=0.1)
        assert analysis.loudness.sample_peak_dbfs == pytest.approx(peak, abs=0.1)


def test_stereo_source_with_two_different_channels_stays_stereo(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "stereo.wav", seconds=4, lufs=-20.0, channels=2)
    analysis = measuring.analyse(master, PROFILE)
    assert (analysis.channel_plan, analysis.mono) == ("stereo", False)
    assert analysis.loudness.integrated_lufs == pytest.approx(measure(master)[0], abs=0.2)


# ---------------------------------------------------------------- errors


def _master(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / "inbox" / f"{kind}.wav"
    path.parent.mkdir(exist_ok=True)
    if kind == "missing":
        return path
    if kind == "empty":
        path.touch()
    elif kind == "text":
        path.write_text("This is the transcript, not the recording.\n")
    elif kind == "image":
        ffmpeg_run("-f", "lavfi", "-i", "color=c=red:s=16x16", "-frames:v", "1", "-c:v", "png",
                   "-f", "image2", str(path))  # fmt: skip
    elif kind == "video-only":
        path = path.with_suffix(".mp4")
        ffmpeg_run("-f", "lavfi", "-i", "color=c=navy:s=64x64:r=5:d=2", str(path))
    elif kind == "truncated":
        whole = make_recording(path.with_suffix(".mp3"), seconds=3, lufs=-20.0)
        path = path.with_suffix(".cut.mp3")
        path.write_bytes(whole.read_bytes()[:300])
    elif kind == "header-only":
        whole = make_recording(path, seconds=3, lufs=-20.0)
        whole.write_bytes(whole.read_bytes()[:44])
    elif kind == "silence":
        make_recording(path, seconds=3, lufs=None, signal="silence", channels=2)
    elif kind == "short":
        make_recording(path, seconds=0.5, lufs=-20.0)
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("missing", "recording not found"),
        ("empty", "cannot decode empty.wav: Invalid data found"),
        ("text", "cannot decode text.wav: Invalid data found"),
        ("image", "has no audio stream"),
        ("video-only", "has no audio stream"),
        ("truncated", "cannot decode truncated.cut.mp3"),
        ("header-only", "cannot decode header-only.wav"),
        ("silence", "the recording silence.wav is silent"),
        ("short", "the recording short.wav is too short: 0.50 s decoded"),
    ],
)
def test_unusable_recordings_raise_one_clear_audio_error(
    tmp_path: Path, kind: str, message: str
) -> None:
    master = _master(tmp_path, kind)
    with pytest.raises(AudioError, match=message) as caught:
        measuring.analyse(master, PROFILE)  # refused before anything is encoded
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in master.parent.iterdir()) == sorted(_inbox_files(kind))


def _inbox_files(kind: str) -> list[str]:
    """What the inbox should hold after a refusal: the inputs, no temp or output files."""
    return {
        "missing": [],
        "video-only": ["video-only.mp4"],
        "truncated": ["truncated.mp3", "truncated.cut.mp3"],
    }.get(kind, [f"{kind}.wav"])


# ---------------------------------------------------------------- measuring in stretches


@pytest.mark.parametrize(
    ("header_s", "cores", "spans"),
    [
        (None, 2, [(0.0, None)]),
        (30.0, 2, [(0.0, None)]),  # too short to be worth a second process
        (3600.0, 2, [(0.0, 1800.0), (1800.0, None)]),
        (3600.0, 1, [(0.0, None)]),
        (10.0 * 3600, 16, [(0.0, 9000.0), (9000.0, 9000.0), (18000.0, 9000.0), (27000.0, None)]),
        (100.0, 3, [(0.0, None)]),
        (125.0, 3, [(0.0, 62.5), (62.5, None)]),
    ],
)
def test_measure_spans(
    header_s: float | None, cores: int, spans: list[tuple[float, float | None]]
) -> None:
    assert measuring.measure_spans(header_s, cores) == spans


@pytest.mark.parametrize("channels", [1, 2])
def test_measuring_in_stretches_reads_like_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, channels: int
) -> None:
    master = make_recording(tmp_path / "talk.wav", seconds=9, lufs=-22.0, channels=channels)
    whole = measuring.analyse(master, PROFILE)
    monkeypatch.setattr(measuring, "MIN_PART_S", 2.0)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert len(measuring.measure_spans(9.0, 4)) == 4
    split = measuring.analyse(master, PROFILE)
    assert split.source == whole.source  # every sample counted once: the same decoded length
    assert (split.channel_plan, split.mono) == (whole.channel_plan, whole.mono)
    assert split.loudness.sample_peak_dbfs == whole.loudness.sample_peak_dbfs
    # Each stretch loses the 3 blocks that would straddle its start: 9 of ~90 here.
    assert split.loudness.integrated_lufs == pytest.approx(whole.loudness.integrated_lufs, abs=0.1)
    assert split.loudness.integrated_lufs == pytest.approx(measure(master)[0], abs=0.1)


def test_header_that_overstates_the_length_leaves_empty_stretches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    whole = make_recording(tmp_path / "whole.wav", seconds=8, lufs=-20.0, channels=2)
    cut = tmp_path / "cut.wav"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 3])  # the header still claims 8 s
    monkeypatch.setattr(measuring, "MIN_PART_S", 2.0)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    analysis = measuring.analyse(cut, PROFILE)  # stretches 3 and 4 decode nothing
    assert analysis.source.duration_s == pytest.approx(8 / 3, abs=0.01)
    assert analysis.loudness.integrated_lufs == pytest.approx(measure(cut)[0], abs=0.2)


def test_forced_channels_still_count_the_decoded_length(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "stereo.wav", seconds=4, lufs=-20.0, channels=2)
    for mode in ("mono", "stereo"):
        analysis = measuring.analyse(master, dataclasses.replace(PROFILE, channels=mode))
        assert analysis.source.duration_s == pytest.approx(4.0, abs=0.001)
    surround = make_recording(tmp_path / "5.1.flac", seconds=3, lufs=-20.0, channels=6)
    analysis = measuring.analyse(surround, dataclasses.replace(PROFILE, channels="stereo"))
    assert analysis.source.duration_s == pytest.approx(3.0, abs=0.001)


# ---------------------------------------------------------------- sampled measuring pass


def _two_part_talk(tmp_path: Path, channels: int = 2) -> Path:
    """Two minutes: one at -20 LUFS, then one at -30 (a loud guest, a quiet phone line)."""
    loud = make_recording(tmp_path / "loud.wav", seconds=60, lufs=-20.0, channels=channels)
    quiet = make_recording(tmp_path / "quiet.wav", seconds=60, lufs=-30.0, channels=channels)
    return joined(tmp_path / "talk.wav", loud, quiet)


@pytest.fixture
def sample_short(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sample recordings from one minute on (ten in use), and accept a two-minute sample."""
    monkeypatch.setattr(measuring, "SAMPLE_MIN_S", 60.0)
    monkeypatch.setattr(measuring, "MIN_SAMPLED_BLOCKS", 100)


@pytest.mark.usefixtures("sample_short")
@pytest.mark.parametrize("channels", [1, 2])
def test_sampled_pass_estimates_what_the_whole_pass_measures(tmp_path: Path, channels: int) -> None:
    master = _two_part_talk(tmp_path, channels)
    whole = measuring.analyse(master, PROFILE)
    sampled = measuring.analyse(master, PROFILE, sample=True)
    print(f"\nwhole {whole.loudness}\nsampled {sampled.loudness}")
    assert (whole.sampled, sampled.sampled) == (False, True)
    assert sampled.source == whole.source  # the length is still counted sample by sample
    assert (sampled.channel_plan, sampled.mono) == (whole.channel_plan, whole.mono)
    assert sampled.loudness.sample_peak_dbfs == pytest.approx(
        whole.loudness.sample_peak_dbfs, abs=0.1
    )
    assert sampled.loudness.integrated_lufs == pytest.approx(
        whole.loudness.integrated_lufs, abs=0.3
    )


@pytest.mark.usefixtures("sample_short")
def test_sample_is_the_same_however_the_recording_is_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    master = _two_part_talk(tmp_path)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    one = measuring.analyse(master, PROFILE, sample=True)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(measuring, "MIN_PART_S", 20.0)
    assert len(measuring.measure_spans(120.0, 4)) == 4
    four = measuring.analyse(master, PROFILE, sample=True)
    assert four.source == one.source
    # The kept stretches are placed by their time in the whole recording, so only the few
    # blocks across the three cuts differ.
    assert four.loudness.integrated_lufs == pytest.approx(one.loudness.integrated_lufs, abs=0.05)


@pytest.mark.usefixtures("sample_short")
def test_sample_with_too_little_sound_is_measured_whole(tmp_path: Path) -> None:
    speech = make_recording(tmp_path / "speech.wav", seconds=8, lufs=-20.0, channels=2)
    master = tmp_path / "mostly-silence.wav"
    ffmpeg_run("-i", str(speech), "-af", "apad=pad_dur=112", str(master))
    analysis = measuring.analyse(master, PROFILE, sample=True)
    assert not analysis.sampled
    assert analysis.loudness.integrated_lufs == pytest.approx(measure(master)[0], abs=0.1)


@pytest.mark.usefixtures("sample_short")
@pytest.mark.parametrize(
    ("edit", "duration_s"),
    [(None, 120.0), (Edit(lead_trim_s=30.0), 90.0)],  # a trim takes half the loud minute
)
def test_encode_after_a_sampled_pass_records_the_master_metered_whole(
    tmp_path: Path, out_dir: Path, edit: Edit | None, duration_s: float
) -> None:
    master = _two_part_talk(tmp_path)
    whole = measuring.analyse(master, PROFILE)
    sampled = measuring.analyse(master, PROFILE, sample=True)
    rendered = render(master, out_dir / "talk.mp3", PROFILE, sampled, edit=edit)
    assert rendered.duration_s == pytest.approx(duration_s, abs=0.01)
    lufs, peak = measure(rendered.path)
    assert abs(lufs - SETTINGS.target_lufs) <= SETTINGS.tolerance_lu
    assert peak <= SETTINGS.true_peak_dbtp
    # ebur128's summary of the whole master, to 0.1, not the sample's estimate nor the trim's.
    before = rendered.before
    assert before.integrated_lufs == pytest.approx(whole.loudness.integrated_lufs, abs=0.06)
    assert before.lra_lu == pytest.approx(whole.loudness.lra_lu, abs=0.15)
    assert before.lra_lu > 5.0  # the 10 LU step: a sample's blocks could not tell
    assert before.sample_peak_dbfs == pytest.approx(whole.loudness.sample_peak_dbfs, abs=0.1)
