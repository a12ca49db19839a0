"""mp3.py with real ffmpeg: every published MP3 is measured again by an independent meter."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from mutagen.mp3 import MP3

from media import ffmpeg_exe, ffmpeg_run, make_recording, measure
from radiodesk.audio import ffmpeg
from radiodesk.audio.loudness import MAX_ATTEMPTS
from radiodesk.audio.measuring import analyse, probe
from radiodesk.audio.mp3 import Rendered, render
from radiodesk.audio.profiles import Mp3Profile
from radiodesk.errors import AudioError, ToolError
from radiodesk.files import file_sha256
from radiodesk.ingest.audio_profiles import mp3_profile
from radiodesk.show.settings import AudioSettings

SETTINGS = AudioSettings()
PROFILE = mp3_profile(SETTINGS)


def publish(master: Path, out_dir: Path, profile: Mp3Profile = PROFILE) -> Rendered:
    """Analyse and render like `ingest` does, then check the file against the independent meter."""
    analysis = analyse(master, profile)
    rendered = render(master, out_dir / f"{master.stem}.mp3", profile, analysis)
    lufs, peak = measure(rendered.path)
    before = rendered.before
    print(
        f"\n{master.name}: plan={rendered.channel_plan} before={before.integrated_lufs:.1f}"
        f" LUFS/{before.sample_peak_dbfs:.1f} dBFS peak target={rendered.target_lufs:.1f}"
        f" measured={lufs:.1f} LUFS/{peak:.1f} dBTP gain={rendered.gain_db:+.2f} dB"
        f" ceiling={rendered.limiter_ceiling_dbfs:.1f} dBFS attempts={rendered.attempts}"
    )
    assert abs(lufs - rendered.target_lufs) <= profile.tolerance_lu
    assert peak <= profile.true_peak_dbtp
    assert rendered.attempts <= 2
    return rendered


def mp3_info(path: Path) -> Any:
    """Return mutagen's stream info of an MP3 (bit rate, sample rate, channels, length)."""
    return MP3(path).info  # type: ignore[no-untyped-call]


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "published"
    folder.mkdir()
    return folder


# ---------------------------------------------------------------- loudness on the encoded file


@pytest.mark.parametrize(
    ("name", "options", "plan"),
    [
        ("quiet.wav", {"lufs": -32.0, "channels": 2}, "stereo"),
        ("hot-clipped.wav", {"lufs": -9.0, "channels": 2, "clipped": True}, "stereo"),
        ("phone.amr", {"lufs": -26.0, "sample_rate": 8000}, "mono"),
        ("phone-8k.wav", {"lufs": -30.0, "sample_rate": 8000}, "mono"),
        ("hires-24bit-96k.wav", {"lufs": -20.0, "channels": 2, "bits": 24, "sample_rate": 96000},
         "stereo"),
        ("surround-5.1.flac", {"lufs": -24.0, "channels": 6}, "downmix-stereo"),
    ],
)  # fmt: skip
def test_published_loudness(
    tmp_path: Path, out_dir: Path, name: str, options: dict[str, Any], plan: str
) -> None:
    master = make_recording(tmp_path / name, seconds=6, **options)
    rendered = publish(master, out_dir)
    assert rendered.channel_plan == plan
    info = mp3_info(rendered.path)
    assert info.sample_rate == SETTINGS.sample_rate_hz == rendered.sample_rate_hz
    assert info.channels == (1 if rendered.mono else 2)
    assert info.bitrate == pytest.approx(SETTINGS.bitrate_for(rendered.mono) * 1000, abs=1000)
    assert rendered.target_lufs == SETTINGS.target_for(rendered.mono)


def test_typical_speech_needs_one_encode(tmp_path: Path, out_dir: Path) -> None:
    master = make_recording(tmp_path / "interview.wav", seconds=8, lufs=-24.0, channels=2)
    rendered = publish(master, out_dir)
    assert rendered.attempts == 1
    assert rendered.before.integrated_lufs == pytest.approx(-24.0, abs=0.3)
    assert rendered.after.integrated_lufs == pytest.approx(-16.0, abs=0.5)


@pytest.mark.parametrize(
    ("suffix", "codec"),
    [(".wav", "pcm_s16le"), (".flac", "flac"), (".mp3", "mp3"), (".m4a", "aac"),
     (".ogg", "vorbis"), (".opus", "opus"), (".amr", "amr_nb"), (".mp4", "aac")],
)  # fmt: skip
def test_every_input_format_decodes(tmp_path: Path, out_dir: Path, suffix: str, codec: str) -> None:
    # The fixture may come from another ffmpeg (one with the encoder); radiodesk decodes it
    # with the one it uses in production, the tests' own.
    assert ffmpeg.find_ffmpeg().path == Path(ffmpeg_exe())
    master = make_recording(tmp_path / f"take{suffix}", seconds=3, lufs=-22.0)
    assert probe(master).codec == codec
    rendered = publish(master, out_dir)
    assert rendered.duration_s == pytest.approx(3.0, abs=0.08)  # codec priming aside


# ---------------------------------------------------------------- channels


def test_identical_channels_publish_as_mono(tmp_path: Path, out_dir: Path) -> None:
    master = make_recording(tmp_path / "dual-mono.wav", seconds=5, lufs=-23.0, identical=True)
    rendered = publish(master, out_dir)
    assert (rendered.channel_plan, rendered.mono) == ("mono-identical", True)
    assert mp3_info(rendered.path).channels == 1
    assert rendered.target_lufs == -19.0
    assert rendered.bitrate_kbps == 64


@pytest.mark.parametrize("dead", ["right", "left"])
def test_dead_channel_publishes_the_live_one_as_mono(
    tmp_path: Path, out_dir: Path, dead: str
) -> None:
    master = make_recording(tmp_path / "one-sided.wav", seconds=5, lufs=-23.0, left_only=True)
    if dead == "left":  # swap the channels: the live signal on the right
        swapped = tmp_path / "one-sided-right.wav"
        ffmpeg_run("-i", str(master), "-af", "pan=stereo|c0=c1|c1=c0", str(swapped))
        master = swapped
    rendered = publish(master, out_dir)
    assert rendered.channel_plan == f"mono-{'left' if dead == 'right' else 'right'}"
    assert mp3_info(rendered.path).channels == 1  # not a half-silent stereo file


def test_channel_setting_forces_mono_or_stereo(tmp_path: Path, out_dir: Path) -> None:
    stereo = make_recording(tmp_path / "stereo.wav", seconds=4, lufs=-20.0, channels=2)
    forced = publish(stereo, out_dir, dataclasses.replace(PROFILE, channels="mono"))
    assert (forced.channel_plan, forced.mono, forced.target_lufs) == ("downmix-mono", True, -19.0)
    twin = make_recording(tmp_path / "twin.wav", seconds=4, lufs=-20.0, identical=True)
    kept = analyse(twin, dataclasses.replace(PROFILE, channels="stereo"))
    assert (kept.channel_plan, kept.mono) == ("stereo", False)
    mono = make_recording(tmp_path / "mono.wav", seconds=4, lufs=-20.0)
    assert analyse(mono, dataclasses.replace(PROFILE, channels="stereo")).mono


# ---------------------------------------------------------------- duration, determinism, files


@pytest.mark.parametrize("suffix", [".wav", ".mp3"])
def test_truncated_file_gets_its_real_decoded_duration(tmp_path: Path, suffix: str) -> None:
    whole = make_recording(tmp_path / f"whole{suffix}", seconds=6, lufs=-20.0)
    cut = tmp_path / f"cut{suffix}"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the header still claims 6 s
    analysis = analyse(cut, PROFILE)
    assert analysis.source.duration_s == pytest.approx(3.0, abs=0.15)
    rendered = render(cut, tmp_path / "cut-out.mp3", PROFILE, analysis)
    assert rendered.duration_s == analysis.source.duration_s
    assert mp3_info(rendered.path).length == pytest.approx(rendered.duration_s, abs=0.1)


def test_output_is_deterministic_and_untagged(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "take.flac", seconds=4, lufs=-21.0, channels=2)
    analysis = analyse(master, PROFILE)
    first = render(master, tmp_path / "a.mp3", PROFILE, analysis)
    second = render(master, tmp_path / "b.mp3", PROFILE, analysis)
    assert first.sha256 == second.sha256 == file_sha256(second.path)
    assert first.size_bytes == first.path.stat().st_size
    head = first.path.read_bytes()[:4096]
    assert not head.startswith(b"ID3")  # tags are the tagging module's job
    assert b"Info" in head or b"Xing" in head  # the header that makes the duration exact
    assert b"Lavc" not in head  # no encoder version string


def test_awkward_file_names_work(tmp_path: Path) -> None:
    folder = tmp_path / "Шоу: 'выпуск' [1] | итог"
    folder.mkdir()
    master = make_recording(folder / "-интервью: часть 1 .wav", seconds=3, lufs=-20.0)
    rendered = publish(master, folder)
    assert rendered.path.parent == folder
    assert sorted(p.name for p in folder.iterdir()) == sorted([master.name, rendered.path.name])


def test_progress_is_reported_in_media_seconds(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "take.wav", seconds=4, lufs=-20.0)
    measured: list[float] = []
    encoded: list[float] = []
    analysis = analyse(master, PROFILE, on_progress=measured.append)
    render(master, tmp_path / "out.mp3", PROFILE, analysis, on_progress=encoded.append)
    assert measured[-1] == pytest.approx(4.0, abs=0.1)
    assert encoded[-1] == pytest.approx(4.0, abs=0.1)


# ---------------------------------------------------------------- errors


def test_unreachable_target_raises_and_cleans_up(tmp_path: Path, out_dir: Path) -> None:
    master = make_recording(tmp_path / "take.wav", seconds=3, lufs=-20.0)
    strict = dataclasses.replace(PROFILE, tolerance_lu=0.0, true_peak_dbtp=-30.0)
    analysis = analyse(master, strict)
    with pytest.raises(AudioError, match=r"could not bring take.wav to -19.0 LUFS") as caught:
        render(master, out_dir / "take.mp3", strict, analysis)
    assert f"in {MAX_ATTEMPTS} encodes" in str(caught.value)
    assert list(out_dir.iterdir()) == []


def test_master_vanishing_mid_run_raises_tool_error_and_cleans_up(
    tmp_path: Path, out_dir: Path
) -> None:
    master = make_recording(tmp_path / "take.wav", seconds=3, lufs=-20.0)
    analysis = analyse(master, PROFILE)
    master.unlink()
    with pytest.raises(ToolError, match="No such file or directory"):
        render(master, out_dir / "take.mp3", PROFILE, analysis)
    assert list(out_dir.iterdir()) == []


def test_missing_output_folder_is_an_audio_error(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "take.wav", seconds=2, lufs=-20.0)
    analysis = analyse(master, PROFILE)
    with pytest.raises(AudioError, match="does not exist"):
        render(master, tmp_path / "nowhere" / "take.mp3", PROFILE, analysis)
