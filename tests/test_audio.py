"""audio.py with real ffmpeg: every published MP3 is measured again by an independent meter."""

from __future__ import annotations

import dataclasses
import math
import os
import re
from pathlib import Path
from typing import Any

import pytest
from mutagen.mp3 import MP3

from media import ffmpeg_exe, ffmpeg_run, joined, make_recording, measure
from radiodesk.audio import ffmpeg
from radiodesk.audio import process as audio
from radiodesk.audio.splice import Edit
from radiodesk.errors import AudioError, ToolError
from radiodesk.show.settings import AudioSettings

SETTINGS = AudioSettings()


def publish(master: Path, out_dir: Path, settings: AudioSettings = SETTINGS) -> audio.Rendered:
    """Analyse and render like `ingest` does, then check the file against the independent meter."""
    analysis = audio.analyse(master, settings)
    rendered = audio.render(master, out_dir / f"{master.stem}.mp3", settings, analysis)
    lufs, peak = measure(rendered.path)
    before = rendered.before
    print(
        f"\n{master.name}: plan={rendered.channel_plan} before={before.integrated_lufs:.1f}"
        f" LUFS/{before.sample_peak_dbfs:.1f} dBFS peak target={rendered.target_lufs:.1f}"
        f" measured={lufs:.1f} LUFS/{peak:.1f} dBTP gain={rendered.gain_db:+.2f} dB"
        f" ceiling={rendered.limiter_ceiling_dbfs:.1f} dBFS attempts={rendered.attempts}"
    )
    assert abs(lufs - rendered.target_lufs) <= settings.tolerance_lu
    assert peak <= settings.true_peak_dbtp
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
    assert audio.probe(master).codec == codec
    rendered = publish(master, out_dir)
    assert rendered.duration_s == pytest.approx(3.0, abs=0.08)  # codec priming aside


def test_video_file_uses_its_first_audio_stream(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "talk.mp4", seconds=3, lufs=-22.0, channels=2)
    analysis = audio.analyse(master, SETTINGS)
    assert analysis.source.codec == "aac"
    assert analysis.channel_plan == "stereo"


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


def test_mono_loudness_derivation_matches_a_real_measurement(tmp_path: Path) -> None:
    """Identical: stereo reading - 3.01 dB; dead channel: stereo reading unchanged."""
    rate = SETTINGS.sample_rate_hz  # compare at the rate the meter uses
    identical = make_recording(tmp_path / "same.wav", seconds=5, identical=True, sample_rate=rate)
    one_sided = make_recording(tmp_path / "left.wav", seconds=5, left_only=True, sample_rate=rate)
    for master, plan, mix in [
        (identical, "mono-identical", "pan=mono|c0=0.5*c0+0.5*c1"),
        (one_sided, "mono-left", "pan=mono|c0=c0"),
    ]:
        analysis = audio.analyse(master, SETTINGS)
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
    analysis = audio.analyse(master, SETTINGS)
    assert (analysis.channel_plan, analysis.mono) == ("stereo", False)
    assert analysis.loudness.integrated_lufs == pytest.approx(measure(master)[0], abs=0.2)


def test_channel_setting_forces_mono_or_stereo(tmp_path: Path, out_dir: Path) -> None:
    stereo = make_recording(tmp_path / "stereo.wav", seconds=4, lufs=-20.0, channels=2)
    forced = publish(stereo, out_dir, dataclasses.replace(SETTINGS, channels="mono"))
    assert (forced.channel_plan, forced.mono, forced.target_lufs) == ("downmix-mono", True, -19.0)
    twin = make_recording(tmp_path / "twin.wav", seconds=4, lufs=-20.0, identical=True)
    kept = audio.analyse(twin, dataclasses.replace(SETTINGS, channels="stereo"))
    assert (kept.channel_plan, kept.mono) == ("stereo", False)
    mono = make_recording(tmp_path / "mono.wav", seconds=4, lufs=-20.0)
    assert audio.analyse(mono, dataclasses.replace(SETTINGS, channels="stereo")).mono


@pytest.mark.parametrize(
    ("left", "right", "diff", "plan"),
    [
        (-20.0, -20.0, -91.0, "mono-identical"),
        (-20.0, -21.0, -62.0, "mono-identical"),
        (-20.0, -21.0, -30.0, "stereo"),
        (-20.0, -91.0, -20.0, "mono-left"),
        (-75.0, -25.0, -25.0, "mono-right"),
        (-20.0, -45.0, -20.5, "stereo"),  # quiet but alive: 25 dB is not dead
    ],
)
def test_decide_channels(left: float, right: float, diff: float, plan: str) -> None:
    def level(mean: float) -> ffmpeg.VolumeStats:
        return ffmpeg.VolumeStats(mean_volume_db=mean, max_volume_db=mean + 12, samples=48000)

    levels = {"left": level(left), "right": level(right), "diff": level(diff)}
    assert audio.decide_channels(2, "auto", levels) == plan
    assert audio.decide_channels(6, "auto", levels) == plan.replace("stereo", "downmix-stereo")


# ---------------------------------------------------------------- duration, determinism, files


@pytest.mark.parametrize("suffix", [".wav", ".mp3"])
def test_truncated_file_gets_its_real_decoded_duration(tmp_path: Path, suffix: str) -> None:
    whole = make_recording(tmp_path / f"whole{suffix}", seconds=6, lufs=-20.0)
    cut = tmp_path / f"cut{suffix}"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])  # the header still claims 6 s
    analysis = audio.analyse(cut, SETTINGS)
    assert analysis.source.duration_s == pytest.approx(3.0, abs=0.15)
    rendered = audio.render(cut, tmp_path / "cut-out.mp3", SETTINGS, analysis)
    assert rendered.duration_s == analysis.source.duration_s
    assert mp3_info(rendered.path).length == pytest.approx(rendered.duration_s, abs=0.1)


def test_output_is_deterministic_and_untagged(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "take.flac", seconds=4, lufs=-21.0, channels=2)
    analysis = audio.analyse(master, SETTINGS)
    first = audio.render(master, tmp_path / "a.mp3", SETTINGS, analysis)
    second = audio.render(master, tmp_path / "b.mp3", SETTINGS, analysis)
    assert first.sha256 == second.sha256 == audio.file_sha256(second.path)
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
    analysis = audio.analyse(master, SETTINGS, on_progress=measured.append)
    audio.render(master, tmp_path / "out.mp3", SETTINGS, analysis, on_progress=encoded.append)
    assert measured[-1] == pytest.approx(4.0, abs=0.1)
    assert encoded[-1] == pytest.approx(4.0, abs=0.1)


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
        audio.analyse(master, SETTINGS)  # refused before anything is encoded
    assert "\n" not in str(caught.value)
    assert sorted(p.name for p in master.parent.iterdir()) == sorted(_inbox_files(kind))


def _inbox_files(kind: str) -> list[str]:
    """What the inbox should hold after a refusal: the inputs, no temp or output files."""
    return {
        "missing": [],
        "video-only": ["video-only.mp4"],
        "truncated": ["truncated.mp3", "truncated.cut.mp3"],
    }.get(kind, [f"{kind}.wav"])


def test_unreachable_target_raises_and_cleans_up(tmp_path: Path, out_dir: Path) -> None:
    master = make_recording(tmp_path / "take.wav", seconds=3, lufs=-20.0)
    strict = dataclasses.replace(SETTINGS, tolerance_lu=0.0, true_peak_dbtp=-30.0)
    analysis = audio.analyse(master, strict)
    with pytest.raises(AudioError, match=r"could not bring take.wav to -19.0 LUFS") as caught:
        audio.render(master, out_dir / "take.mp3", strict, analysis)
    assert f"in {audio.MAX_ATTEMPTS} encodes" in str(caught.value)
    assert list(out_dir.iterdir()) == []


def test_master_vanishing_mid_run_raises_tool_error_and_cleans_up(
    tmp_path: Path, out_dir: Path
) -> None:
    master = make_recording(tmp_path / "take.wav", seconds=3, lufs=-20.0)
    analysis = audio.analyse(master, SETTINGS)
    master.unlink()
    with pytest.raises(ToolError, match="No such file or directory"):
        audio.render(master, out_dir / "take.mp3", SETTINGS, analysis)
    assert list(out_dir.iterdir()) == []


def test_missing_output_folder_is_an_audio_error(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "take.wav", seconds=2, lufs=-20.0)
    analysis = audio.analyse(master, SETTINGS)
    with pytest.raises(AudioError, match="does not exist"):
        audio.render(master, tmp_path / "nowhere" / "take.mp3", SETTINGS, analysis)


# ---------------------------------------------------------------- measuring in stretches


def test_block_gating_matches_ffmpegs_own_summary(tmp_path: Path) -> None:
    """integrated_lufs and loudness_range_lu on ebur128's frame log give its summary's figures."""
    master = make_recording(tmp_path / "talk.wav", seconds=30, lufs=-21.0, channels=2)
    stderr = ffmpeg_run("-i", str(master), "-af", "ebur128=framelog=info", "-f", "null", "-")
    blocks = audio.BlockLog()
    for line in stderr.splitlines():
        blocks.feed(line)
    summary = ffmpeg.parse_ebur128(stderr)
    assert summary is not None
    assert sum(blocks.momentary.values()) == pytest.approx(300, abs=2)  # one per 100 ms
    assert audio.integrated_lufs(blocks.momentary) == pytest.approx(
        summary.integrated_lufs, abs=0.05
    )
    assert audio.loudness_range_lu(blocks.short_term) == pytest.approx(summary.lra_lu, abs=0.15)


def test_block_gating_pure() -> None:
    # Half the blocks at -20, half at -40 (more than 10 LU below the mean): only -20 counts.
    assert audio.integrated_lufs({-20.0: 50, -40.0: 50}) == pytest.approx(-20.0)
    assert audio.integrated_lufs({-20.0: 50, -23.0: 50}) == pytest.approx(-21.24, abs=0.01)
    assert audio.integrated_lufs({-120.7: 10}) == audio.SILENT_LUFS  # nothing above the gate
    assert audio.integrated_lufs({}) == audio.SILENT_LUFS
    # 3 s blocks spread evenly over -30..-20: LRA is the 10th to the 95th percentile.
    spread = {round(-30.0 + step / 10, 1): 1 for step in range(101)}
    assert audio.loudness_range_lu(spread) == pytest.approx(8.5, abs=0.11)
    assert audio.loudness_range_lu({-18.0: 40}) == 0.0
    assert audio.loudness_range_lu({-90.0: 40}) == 0.0


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
    assert audio.measure_spans(header_s, cores) == spans


def test_merge_levels_weights_power_by_samples() -> None:
    def stats(mean: float, peak: float, samples: int) -> ffmpeg.VolumeStats:
        return ffmpeg.VolumeStats(mean_volume_db=mean, max_volume_db=peak, samples=samples)

    merged = audio.merge_levels(
        [{"all": stats(-20.0, -3.0, 300)}, {"all": stats(-30.0, -9.0, 100)}]
    )
    power = (300 * 10**-2 + 100 * 10**-3) / 400
    assert merged == {"all": stats(round(10 * math.log10(power), 1), -3.0, 400)}


@pytest.mark.parametrize("channels", [1, 2])
def test_measuring_in_stretches_reads_like_one_pass(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, channels: int
) -> None:
    master = make_recording(tmp_path / "talk.wav", seconds=9, lufs=-22.0, channels=channels)
    whole = audio.analyse(master, SETTINGS)
    monkeypatch.setattr(audio, "MIN_PART_S", 2.0)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert len(audio.measure_spans(9.0, 4)) == 4
    split = audio.analyse(master, SETTINGS)
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
    monkeypatch.setattr(audio, "MIN_PART_S", 2.0)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    analysis = audio.analyse(cut, SETTINGS)  # stretches 3 and 4 decode nothing
    assert analysis.source.duration_s == pytest.approx(8 / 3, abs=0.01)
    assert analysis.loudness.integrated_lufs == pytest.approx(measure(cut)[0], abs=0.2)


def test_forced_channels_still_count_the_decoded_length(tmp_path: Path) -> None:
    master = make_recording(tmp_path / "stereo.wav", seconds=4, lufs=-20.0, channels=2)
    for mode in ("mono", "stereo"):
        analysis = audio.analyse(master, dataclasses.replace(SETTINGS, channels=mode))
        assert analysis.source.duration_s == pytest.approx(4.0, abs=0.001)
    surround = make_recording(tmp_path / "5.1.flac", seconds=3, lufs=-20.0, channels=6)
    analysis = audio.analyse(surround, dataclasses.replace(SETTINGS, channels="stereo"))
    assert analysis.source.duration_s == pytest.approx(3.0, abs=0.001)


# ---------------------------------------------------------------- gain planning (pure)


def test_first_gain_plans_for_codec_and_limiter_losses() -> None:
    stereo = {"target_lufs": -16.0, "ceiling_dbtp": -1.0, "bitrate_kbps": 128}
    plan = audio.first_gain(-30.0, -20.0, **stereo)
    assert plan.ceiling_dbfs == -3.0
    assert plan.gain_db == pytest.approx(14.0 + audio.CODEC_LOSS_LU)  # peaks stay under
    # A -15 dBFS sample peak, 14.2 dB up, lands 2.2 dB over the ceiling: the limiter costs 0.11 LU.
    peaky = audio.first_gain(-30.0, -15.0, **stereo)
    assert peaky.gain_db == pytest.approx(plan.gain_db + 2.2 * audio.LIMITER_LOSS_PER_DB)
    clicky = audio.first_gain(-30.0, 0.0, **stereo)  # one click far above: capped
    assert clicky.gain_db <= plan.gain_db + audio.LIMITER_LOSS_MAX_LU
    mono = audio.first_gain(-30.0, -20.0, target_lufs=-19.0, ceiling_dbtp=-1.0, bitrate_kbps=64)
    assert mono.ceiling_dbfs == -4.0


def test_correct_gain_uses_the_measured_error_and_overshoot() -> None:
    start = audio.GainPlan(10.0, -3.0)
    low = audio.Loudness(integrated_lufs=-16.8, true_peak_dbtp=-0.5, lra_lu=3.0)
    second = audio.correct_gain([(start, low)], -16.0, -1.0)
    assert second.gain_db == pytest.approx(10.8)
    assert second.ceiling_dbfs == pytest.approx(-3.0 - 0.5 - audio.PEAK_SAFETY_DB)
    # Same ceiling twice: the secant sees that the limiter eats half of each extra dB.
    third_in = audio.GainPlan(10.8, -3.0)
    still_low = audio.Loudness(integrated_lufs=-16.4, true_peak_dbtp=-2.0, lra_lu=3.0)
    third = audio.correct_gain([(start, low), (third_in, still_low)], -16.0, -1.0)
    assert third.gain_db == pytest.approx(10.8 + 0.4 / 0.5)
    assert audio.meets_target(still_low, -16.0, SETTINGS)
    assert not audio.meets_target(low, -16.0, SETTINGS)


def test_encode_args_are_deterministic_and_limit_after_resampling(tmp_path: Path) -> None:
    source = audio.SourceInfo(
        codec="flac", sample_rate_hz=96000, channels=6, layout="5.1", duration_s=60.0
    )
    loud = audio.SourceLoudness(integrated_lufs=-20.0, lra_lu=4.0, sample_peak_dbfs=-3.4)
    analysis = audio.Analysis(
        source=source,
        loudness=loud,
        channel_plan="downmix-stereo",
        mono=False,
    )
    args = audio.encode_args(
        tmp_path / "m.flac", tmp_path / "o.mp3", SETTINGS, analysis, audio.GainPlan(4.2, -3.0)
    )
    chain = args[args.index("-af") + 1]
    assert chain.index("aformat=") < chain.index("volume=4.20dB") < chain.index("aresample=44100")
    assert chain.index("aresample=44100") < chain.index("alimiter=limit=0.70795")
    assert "level=false" in chain
    assert "latency=true" in chain
    assert {"-map_metadata", "+bitexact", "tee"} <= set(args)
    assert args[args.index("-b:a") + 1] == "128k"
    assert math.isclose(10 ** (-3.0 / 20), 0.70795, abs_tol=1e-5)


# ---------------------------------------------------------------- sampled measuring pass


def _two_part_talk(tmp_path: Path, channels: int = 2) -> Path:
    """Two minutes: one at -20 LUFS, then one at -30 (a loud guest, a quiet phone line)."""
    loud = make_recording(tmp_path / "loud.wav", seconds=60, lufs=-20.0, channels=channels)
    quiet = make_recording(tmp_path / "quiet.wav", seconds=60, lufs=-30.0, channels=channels)
    return joined(tmp_path / "talk.wav", loud, quiet)


@pytest.fixture
def sample_short(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sample recordings from one minute on (ten in use), and accept a two-minute sample."""
    monkeypatch.setattr(audio, "SAMPLE_MIN_S", 60.0)
    monkeypatch.setattr(audio, "MIN_SAMPLED_BLOCKS", 100)


@pytest.mark.usefixtures("sample_short")
@pytest.mark.parametrize("channels", [1, 2])
def test_sampled_pass_estimates_what_the_whole_pass_measures(tmp_path: Path, channels: int) -> None:
    master = _two_part_talk(tmp_path, channels)
    whole = audio.analyse(master, SETTINGS)
    sampled = audio.analyse(master, SETTINGS, sample=True)
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
    one = audio.analyse(master, SETTINGS, sample=True)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    monkeypatch.setattr(audio, "MIN_PART_S", 20.0)
    assert len(audio.measure_spans(120.0, 4)) == 4
    four = audio.analyse(master, SETTINGS, sample=True)
    assert four.source == one.source
    # The kept stretches are placed by their time in the whole recording, so only the few
    # blocks across the three cuts differ.
    assert four.loudness.integrated_lufs == pytest.approx(one.loudness.integrated_lufs, abs=0.05)


@pytest.mark.usefixtures("sample_short")
def test_sample_with_too_little_sound_is_measured_whole(tmp_path: Path) -> None:
    speech = make_recording(tmp_path / "speech.wav", seconds=8, lufs=-20.0, channels=2)
    master = tmp_path / "mostly-silence.wav"
    ffmpeg_run("-i", str(speech), "-af", "apad=pad_dur=112", str(master))
    analysis = audio.analyse(master, SETTINGS, sample=True)
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
    whole = audio.analyse(master, SETTINGS)
    sampled = audio.analyse(master, SETTINGS, sample=True)
    rendered = audio.render(master, out_dir / "talk.mp3", SETTINGS, sampled, edit=edit)
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


def test_block_log_counts_only_blocks_inside_one_kept_stretch() -> None:
    log = audio.BlockLog(whole_only=True)
    times = [0.1 * n for n in range(1, 16)] + [6.2 + 0.1 * n for n in range(8)]
    for t in times:
        log.feed(f"[Parsed_ebur128_0 @ 0x1] t: {t:.6f}  TARGET:-23 LUFS    M: -20.0 S: -21.0")
    # Blocks ending 0.4 ... 1.4 s into each stretch: 0.4 ... 1.4 (11), then 6.5 ... 6.9 (5).
    assert log.momentary == {-20.0: 16}
    assert not log.short_term
