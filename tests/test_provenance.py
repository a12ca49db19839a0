"""Provenance: every processing step recorded, in episode metadata, the MP3 and beside it."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from mutagen.id3 import ID3

from media import joined, make_recording, measure
from newsroom_show import configure, jingles, padded
from radiodesk.audio import measuring
from radiodesk.audio.tags import read_tags
from radiodesk.cli import main
from radiodesk.ingest import provenance
from radiodesk.ingest.add import AddRequest, add_episode
from radiodesk.ingest.audio_profiles import mp3_profile
from radiodesk.show import folders
from radiodesk.show.provenance import Provenance, compact, read, to_json
from radiodesk.show.settings import Settings

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)
RECORDS = Path(__file__).parent / "data" / "provenance"  # as radiodesk wrote them
NEWSROOM = (
    'intro = "джинглы/интро.wav"\noutro = "джинглы/outro.wav"\ncrossfade_ms = 500\n'
    "trim_silence = true"
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_every_step_is_recorded(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intro, outro = jingles(show.root)
    path = show.root / "radiodesk.toml"
    path.write_text(
        path.read_text("utf-8").replace("[show]\n", "[show]\npublish_provenance = true\n"), "utf-8"
    )
    settings = configure(show, NEWSROOM)
    speech = make_recording(tmp_path / "s.wav", seconds=5, lufs=-40, signal="noise")
    master = padded(tmp_path / "Губернатор — бюджет.wav", speech, 2.0, 0.0)
    episode = add_episode(settings, AddRequest(recording=master, title="Бюджет"), now=NOW)
    folder = folders.episode_dir(show.root, episode.slug)
    assert episode.audio is not None
    assert episode.audio.provenance is not None
    record = json.loads((folder / episode.audio.provenance).read_text(encoding="utf-8"))
    assert set(record) >= {
        "tools", "input", "channels", "trim", "jingles", "crossfade_s", "offset_s", "gain",
        "limiter", "resampling", "encoder", "output",
    }  # fmt: skip
    assert set(record["tools"]) == {"radiodesk", "ffmpeg", "lame", "mutagen", "pydub"}
    assert all(record["tools"].values())
    given = record["input"]
    assert given["original_name"] == "Губернатор — бюджет.wav"
    assert given["sha256"] == sha256(master) == sha256(folder / given["file"])
    assert given["integrated_lufs"] == pytest.approx(measure(master)[0], abs=0.2)
    assert record["channels"]["plan"] == "mono"
    assert record["channels"]["reason"]
    assert record["trim"]["lead_s"] == pytest.approx(1.5, abs=0.02)
    assert [(j["role"], j["file"], j["sha256"]) for j in record["jingles"]] == [
        ("intro", "джинглы/интро.wav", sha256(intro)),
        ("outro", "джинглы/outro.wav", sha256(outro)),
    ]
    assert record["offset_s"] == pytest.approx(3 - 0.5 - 1.5, abs=0.02)
    assert record["gain"]["gain_db"] == episode.audio.gain_db
    limiter = record["limiter"]
    assert limiter["ceiling_dbfs"] == episode.audio.limiter_ceiling_dbfs
    predicted = given["sample_peak_dbfs"] + record["gain"]["gain_db"] - limiter["ceiling_dbfs"]
    reduction = limiter["predicted"]["max_gain_reduction_db"]
    assert reduction == pytest.approx(max(predicted, 0), abs=0.02)
    assert "predicted" in limiter["predicted"]["basis"]
    assert record["loudness"]["output_lufs"] == episode.audio.after.integrated_lufs
    assert record["resampling"] == {
        "from_hz": 48000, "to_hz": 44100, "filter": "aresample (swresample defaults)"
    }  # fmt: skip
    assert record["encoder"]["bitrate_kbps"] == settings.audio.mono_bitrate_kbps
    assert record["output"]["integrated_lufs"] == episode.audio.after.integrated_lufs

    # In the MP3: a TXXX frame with the same record; the untagged audio hashes as recorded.
    mp3 = folder / episode.audio.file
    frame = read_tags(mp3).extra["radiodesk:provenance"]
    assert json.loads(frame) == record
    bare = tmp_path / "bare.mp3"
    shutil.copyfile(mp3, bare)
    ID3(bare).delete(bare)
    assert sha256(bare) == record["output"]["sha256_untagged"]

    # `show` prints it; `show --json` carries it.
    assert main(["-C", str(show.root), "show", episode.slug]) == 0
    printed = capsys.readouterr().out
    assert "  max_gain_reduction_db:" in printed
    assert "file: джинглы/интро.wav" in printed
    assert main(["-C", str(show.root), "show", episode.slug, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["provenance"] == record

    # Published beside the MP3, with the tagged file's own hash; a second run changes nothing.
    before = (folder / folders.EPISODE_FILE).read_bytes()
    assert main(["-C", str(show.root), "publish"]) == 0
    key = folders.audio_key(episode)
    sidecar = json.loads(
        (settings.local_store / key.replace(".mp3", ".provenance.json")).read_text("utf-8")
    )
    assert sidecar["published"]["sha256"] == sha256(settings.local_store / key)
    assert {k: v for k, v in sidecar.items() if k != "published"} == record
    assert (folder / folders.EPISODE_FILE).read_bytes() == before
    capsys.readouterr()
    assert main(["-C", str(show.root), "publish"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_the_loudness_account_explains_the_mp3_where_the_limiter_works(
    show: Settings, tmp_path: Path
) -> None:
    # A quiet phone call with sharp plosives: -32 LUFS with peaks near -3 dBTP, so the gain
    # to the target drives the peaks far over the ceiling and the limiter takes several LU.
    master = make_recording(tmp_path / "Звонок.wav", seconds=8, lufs=-32.0, signal="peaky")
    master_lufs, master_peak = measure(master)
    assert master_peak > -4.0
    episode = add_episode(show, AddRequest(recording=master, title="Звонок"), now=NOW)
    assert episode.audio is not None
    assert episode.audio.provenance is not None
    folder = folders.episode_dir(show.root, episode.slug)
    record = json.loads((folder / episode.audio.provenance).read_text(encoding="utf-8"))
    mp3_lufs, _ = measure(folder / episode.audio.file)  # the published file, measured apart
    account = record["loudness"]
    assert account["input_lufs"] == pytest.approx(master_lufs, abs=0.1)
    assert account["gain_db"] == record["gain"]["gain_db"]
    cost = account["limiter_and_encoder_cost_lu"]
    assert cost > 1.0  # the limiter really worked
    # The record's own arithmetic, as it states it, within its stated tolerance ...
    assert account["sum"] == "input_lufs + gain_db - limiter_and_encoder_cost_lu = output_lufs"
    total = account["input_lufs"] + account["gain_db"] - cost
    assert total == pytest.approx(account["output_lufs"], abs=account["tolerance_lu"] + 1e-9)
    # ... and against the independent meters: input + gain - cost is what the MP3 measures.
    assert master_lufs + account["gain_db"] - cost == pytest.approx(mp3_lufs, abs=0.3)


def test_plain_episode_keeps_the_recording_alone(show: Settings, tmp_path: Path) -> None:
    master = make_recording(tmp_path / "m.wav", seconds=3, lufs=-20, channels=2)
    episode = add_episode(show, AddRequest(recording=master, title="Просто"), now=NOW)
    assert episode.audio is not None
    assert episode.audio.provenance is not None
    folder = folders.episode_dir(show.root, episode.slug)
    record = json.loads((folder / episode.audio.provenance).read_text(encoding="utf-8"))
    assert record["jingles"] == []
    assert record["offset_s"] == 0.0
    assert record["trim"] == {
        "enabled": False, "threshold_db": -50.0, "kept_pause_s": 0.5, "lead_s": 0.0, "tail_s": 0.0
    }  # fmt: skip
    assert "pydub" not in record["tools"]
    assert "offset_s" not in (folder / folders.EPISODE_FILE).read_text(encoding="utf-8")


def test_a_sampled_measuring_pass_records_the_master_metered_whole(
    show: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A long master's gain comes from a sample; what is recorded is the whole master's."""
    monkeypatch.setattr(measuring, "SAMPLE_MIN_S", 60.0)  # ten minutes in use
    monkeypatch.setattr(measuring, "MIN_SAMPLED_BLOCKS", 100)
    loud = make_recording(tmp_path / "loud.wav", seconds=60, lufs=-20.0, channels=2)
    quiet = make_recording(tmp_path / "quiet.wav", seconds=60, lufs=-30.0, channels=2)
    master = joined(tmp_path / "Интервью по телефону.wav", loud, quiet)
    caplog.set_level(logging.INFO, logger="radiodesk.audio.measuring")
    episode = add_episode(show, AddRequest(recording=master, title="Телефон"), now=NOW)
    assert "(sampled)" in caplog.text
    folder = folders.episode_dir(show.root, episode.slug)
    assert episode.audio is not None
    assert episode.audio.provenance is not None
    record = json.loads((folder / episode.audio.provenance).read_text(encoding="utf-8"))
    given = record["input"]
    whole = measuring.analyse(
        master, mp3_profile(show.audio)
    )  # the whole pass, to 0.01; the record's to 0.1
    assert given["integrated_lufs"] == pytest.approx(whole.loudness.integrated_lufs, abs=0.06)
    assert given["lra_lu"] == pytest.approx(whole.loudness.lra_lu, abs=0.15)
    assert given["sample_peak_dbfs"] == pytest.approx(whole.loudness.sample_peak_dbfs, abs=0.1)
    assert given["duration_s"] == pytest.approx(120.0, abs=0.001)
    before = episode.audio.before
    assert (before.integrated_lufs, before.lra_lu) == (given["integrated_lufs"], given["lra_lu"])
    lufs, peak = measure(folder / episode.audio.file)
    assert abs(lufs - show.audio.target_lufs) <= show.audio.tolerance_lu
    assert peak <= show.audio.true_peak_dbtp


def test_encoder_version_is_found_in_the_last_frames_too(tmp_path: Path) -> None:
    # Dense audio (noise) leaves LAME no spare bits until it flushes: Debian's LAME 3.100
    # then writes its version only into the last frames of the file.
    mp3 = tmp_path / "noise.mp3"
    mp3.write_bytes(bytes(200_000) + b"LAME3.100" + bytes(300))
    assert provenance.encoder_version(mp3) == "LAME3.100"
    (tmp_path / "none.mp3").write_bytes(bytes(200_000))
    assert provenance.encoder_version(tmp_path / "none.mp3") == ""


@pytest.mark.parametrize("name", ["current.json", "before-the-loudness-account.json"])
def test_a_stored_record_is_typed_and_written_back_byte_for_byte(name: str) -> None:
    """Records as an add wrote them (and as it did before the loudness account) read back typed
    and come out unchanged, so publishing one and re-tagging with one change nothing."""
    path = RECORDS / name
    record = read(path)
    assert isinstance(record, Provenance)
    assert to_json(record) == path.read_bytes()


def test_the_txxx_frame_carries_the_record_as_one_line_of_ascii() -> None:
    record = read(RECORDS / "current.json")
    assert compact(record) == (RECORDS / "current.txxx").read_text("ascii")
    assert record.input.original_name == "Губернатор — бюджет.wav"
    assert [j.role for j in record.jingles] == ["intro", "outro"]


@pytest.mark.parametrize("name", ["current.json", "before-the-loudness-account.json"])
def test_a_stored_record_gives_the_on_air_copy_its_measuring_pass(name: str) -> None:
    """`export` of an episode added earlier reuses its record's measuring pass and trims."""
    data = json.loads((RECORDS / name).read_text(encoding="utf-8"))
    measured = provenance.measured_of(read(RECORDS / name))
    source, loudness = measured.analysis.source, measured.analysis.loudness
    given = data["input"]
    assert (source.codec, source.sample_rate_hz, source.channels, source.layout) == (
        given["codec"], given["sample_rate_hz"], given["channels"], given["layout"]
    )  # fmt: skip
    assert source.duration_s == given["duration_s"]
    assert (loudness.integrated_lufs, loudness.lra_lu, loudness.sample_peak_dbfs) == (
        given["integrated_lufs"], given["lra_lu"], given["sample_peak_dbfs"]
    )  # fmt: skip
    assert (measured.analysis.channel_plan, measured.analysis.mono) == (
        data["channels"]["plan"], data["channels"]["mono"]
    )  # fmt: skip
    assert (measured.trims.lead_trim_s, measured.trims.tail_trim_s) == (
        data["trim"]["lead_s"], data["trim"]["tail_s"]
    )  # fmt: skip
    assert (measured.trims.intro, measured.trims.outro) == (None, None)  # playout adds idents
