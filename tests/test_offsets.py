"""Times that move with jingles and trims: soundbites, their clips and transcripts, with real audio.

The producer times soundbites and transcript cues on the recording; an intro or a leading trim
moves the published MP3's timeline. Clips are compared with the MP3 by correlating decoded
samples, the feed is read back with XPath and the published transcript is parsed again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree, html
from mutagen.id3 import ID3

from media import ffmpeg_run, make_recording
from newsroom_show import configure, jingles, padded
from radiodesk.cli import main
from radiodesk.errors import CatalogError
from radiodesk.ingest import masters, soundbites
from radiodesk.publish import feed
from radiodesk.show import episode_file, folders
from radiodesk.show.episode import AudioRecord, Episode, MasterFile, Measurement, Soundbite
from radiodesk.show.settings import Settings
from radiodesk.show.settings_file import load_settings
from radiodesk.show.transcripts import Cue, parse_transcript, retime
from test_soundbites import correlation, decode, one_line_error, snapshot

PODCAST = {"podcast": feed.PODCAST_NS}
INTRO = 'intro = "джинглы/интро.wav"\ncrossfade_ms = 500'
TITLE = "Губернатор — о заводах"


def run(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def clip_of(folder: Path, episode: Episode, sound: Soundbite, show: Settings) -> Path:
    """Return the clip file the sidecar lists for one soundbite."""
    assert episode.audio is not None
    mp3 = folder / episode.audio.file
    known = soundbites.load_clips(mp3, episode.slug)
    return mp3.parent / known[soundbites.fingerprint(episode, sound, show.audio)].file


def lag_match(clip: Path, mp3: Path, at_s: float, scratch: Path) -> float:
    """Correlate a clip, past its fades, with the MP3 from `at_s` on."""
    samples, rate = decode(clip, scratch)
    whole, whole_rate = decode(mp3, scratch)
    assert rate == whole_rate
    begin, end = round(0.3 * rate), len(samples) - round(0.5 * rate)
    start = round(at_s * rate)
    return correlation(samples[begin:end], whole[start + begin : start + end])


def published(show: Settings) -> tuple[etree._Element, list[tuple[str | None, str | None]]]:
    """Return the feed's first item and its soundbites as (startTime, duration)."""
    root = etree.fromstring((show.local_store / "feed.xml").read_bytes())
    item = root.xpath("//item")[0]
    bites = item.xpath("podcast:soundbite", namespaces=PODCAST)
    return item, [(b.get("startTime"), b.get("duration")) for b in bites]


def published_transcript(show: Settings, item: etree._Element) -> bytes:
    url = item.xpath("podcast:transcript/@url", namespaces=PODCAST)[0]
    key = url.removeprefix(show.show.base_url.rstrip("/") + "/")
    return (show.local_store / key).read_bytes()


# ---------------------------------------------------------------- an intro moves times later


def test_intro_moves_soundbite_clip_feed_page_and_transcript(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jingles(show.root)
    settings = configure(show, INTRO)
    recording = make_recording(tmp_path / "Выступление.wav", seconds=16, lufs=-22)
    vtt = tmp_path / "расшифровка.vtt"
    vtt.write_bytes(
        "WEBVTT\n\n00:00:05.000 --> 00:00:07.000 align:start\n<v Алиханов>Главное\n\n"
        "00:12.000 --> 00:14.000\nДалее\n".encode()
    )
    status = run(
        "-C", show.root, "add", recording, "--title", TITLE, "--transcript", vtt,
        "--soundbite", "5-10:Главное",
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    slug = capsys.readouterr().out.strip()
    folder = folders.episode_dir(show.root, slug)
    episode = episode_file.load_episode(folder)
    assert episode.audio is not None
    assert episode.audio.offset_s == pytest.approx(2.5)  # 3 s intro less 0.5 s crossfade
    # episode.toml keeps the producer's times on the recording
    assert episode.soundbites == (Soundbite(start_s=5.0, duration_s=5.0, title="Главное"),)
    assert "start_s = 5.0" in (folder / "episode.toml").read_text(encoding="utf-8")

    mp3 = folder / episode.audio.file
    clip = clip_of(folder, episode, episode.soundbites[0], settings)
    assert lag_match(clip, mp3, 7.5, tmp_path) > 0.9  # the clip is the MP3 at 7.5-12.5 s
    assert abs(lag_match(clip, mp3, 5.0, tmp_path)) < 0.3  # not at the recording's 5-10 s

    assert run("-C", show.root, "show", slug, "--json") == 0
    shown = json.loads(capsys.readouterr().out)["soundbites"]
    assert shown == ["0:05-0:10 (in the episode 0:07.5-0:12.5) Главное"]

    assert run("-C", show.root, "publish") == 0
    capsys.readouterr()
    item, bites = published(show)
    assert bites == [("7.5", "5.0")]
    shifted = published_transcript(show, item)
    assert parse_transcript(shifted, source="feed").cues == (
        Cue(start_s=7.5, end_s=9.5, text="<v Алиханов>Главное"),
        Cue(start_s=14.5, end_s=16.5, text="Далее"),
    )
    assert b"00:00:07.500 --> 00:00:09.500 align:start\n" in shifted  # cue settings kept
    assert (folder / episode.transcript).read_bytes() == vtt.read_bytes()  # original untouched

    page = html.fromstring((show.local_store / "episodes" / slug / "index.html").read_bytes())
    bite = page.xpath("//ul[@class='soundbites']/li")[0]
    assert bite.xpath("string(.//span[@class='at'])") == "0:00:07–0:00:12"
    assert bite.xpath(".//a[@data-t='7.5']/@href")[0].endswith(".mp3#t=7.5")
    assert page.xpath("//div[@class='transcript']//a/@data-t") == ["7.5", "14.5"]

    # Without the intro the times come back: the clip is cut again, the transcript is the
    # producer's file byte for byte, and episode.toml still holds the recording's times.
    toml = show.root / "radiodesk.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(INTRO, ""), encoding="utf-8")
    settings = load_settings(show.root)
    assert run("-C", show.root, "publish") == 0
    out = capsys.readouterr().out
    assert sum(line.startswith("uploaded clips/") for line in out.splitlines()) == 1
    item, bites = published(show)
    assert bites == [("5.0", "5.0")]
    assert published_transcript(show, item) == vtt.read_bytes()
    episode = episode_file.load_episode(folder)
    assert episode.audio is not None
    assert episode.audio.offset_s == 0.0
    assert episode.soundbites[0].start_s == 5.0
    clip = clip_of(folder, episode, episode.soundbites[0], settings)
    assert lag_match(clip, folder / episode.audio.file, 5.0, tmp_path) > 0.9


# ---------------------------------------------------------------- trims move times earlier


def test_trimmed_recording_moves_times_earlier_and_cuts_what_was_trimmed(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = configure(show, "trim_silence = true\nkept_pause_ms = 500")
    speech = make_recording(tmp_path / "речь.wav", seconds=8, lufs=-20, signal="noise")
    recording = padded(tmp_path / "С тишиной.wav", speech, 2.0, 2.0)  # speech at 2-10 s of 12
    srt = tmp_path / "субтитры.srt"
    srt.write_text(
        "1\n00:00:00,200 --> 00:00:01,000\n(тишина)\n\n"
        "2\n00:00:01,000 --> 00:00:02,500\nДобрый день\n\n"
        "3\n00:00:03,000 --> 00:00:05,000\nГлавное\n\n"
        "4\n00:00:10,600 --> 00:00:11,500\n(тишина)\n",
        encoding="utf-8",
    )
    status = run(
        "-C", show.root, "add", recording, "--title", TITLE, "--transcript", srt,
        "--soundbite", "3-8:Середина", "--soundbite", "1-4",
    )  # fmt: skip
    assert status == 0
    out = capsys.readouterr()
    # 0:01-0:04 starts in the leading silence: clipped to what remains, and said so
    assert "soundbite 0:01-0:04 reaches into trimmed silence: it keeps 0:01.5-0:04" in out.err
    slug = out.out.strip()
    folder = folders.episode_dir(show.root, slug)
    episode = episode_file.load_episode(folder)
    record = episode.audio
    assert record is not None
    assert record.offset_s == pytest.approx(-1.5, abs=0.02)  # 2 s of silence, 0.5 s kept
    assert record.kept_s() == pytest.approx((1.5, 10.5), abs=0.02)
    assert [(s.start_s, s.duration_s) for s in episode.soundbites] == [(1.0, 3.0), (3.0, 5.0)]

    mp3 = folder / record.file
    middle = clip_of(folder, episode, episode.soundbites[1], settings)
    # White noise loses more to two MP3 generations than speech does: 0.8, not 0.9; a clip
    # cut at the recording's time would not correlate at all.
    assert lag_match(middle, mp3, 3.0 + record.offset_s, tmp_path) > 0.8
    assert abs(lag_match(middle, mp3, 3.0, tmp_path)) < 0.3

    assert run("-C", show.root, "publish") == 0
    capsys.readouterr()
    item, bites = published(show)
    start = round(1.5 + record.offset_s, 3)
    assert [float(value or "") for bite in bites for value in bite] == pytest.approx(
        [start, 4 - 1.5, 1.5, 5.0], abs=0.02
    )
    cues = parse_transcript(published_transcript(show, item), source="feed").cues
    # cue 1 lay in the trimmed silence, cue 2 loses its first half second, cue 4 lay in the
    # trimmed tail; the SRT numbers run on without a gap
    assert [c.text for c in cues] == ["Добрый день", "Главное"]
    assert [t for c in cues for t in (c.start_s, c.end_s)] == pytest.approx(
        [start, 1.0, 1.5, 3.5], abs=0.02
    )
    assert published_transcript(show, item).startswith(b"1\n00:00:00,0")
    assert srt.read_bytes() == (folder / "transcript.srt").read_bytes()

    # A soundbite wholly in the trimmed silence, or past the recording's end: refused, one line
    before = snapshot(show.root)
    assert run("-C", show.root, "edit", slug, "--soundbite", "0-1.2") == 1
    assert one_line_error(capsys) == (
        "radiodesk: error: soundbite 0:00-0:01.2 lies in the silence trimmed from the "
        "recording, which keeps 0:01.5-0:10.5; it needs 1 s of that"
    )
    assert run("-C", show.root, "edit", slug, "--soundbite", "11-13") == 1
    assert one_line_error(capsys) == (
        "radiodesk: error: soundbite 0:11-0:13 runs past the end of the recording (0:12)"
    )
    assert snapshot(show.root) == before


# ---------------------------------------------------------------- jingles checked at once


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (None, "the intro jingle j/интро.wav does not exist"),
        ("garbage", "cannot decode the intro jingle j/интро.wav: "),
        ("short", "the intro jingle j/интро.wav lasts 0.40 s; it must be longer than the "
                  "crossfade (0.50 s) and at most 120 s"),
        ("silent", "the intro jingle j/интро.wav is silent (nothing above -70 LUFS)"),
    ],
)  # fmt: skip
def test_unfit_jingle_fails_before_the_recording_is_copied(
    show: Settings,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make: str | None,
    message: str,
) -> None:
    (show.root / "j").mkdir()
    jingle = show.root / "j" / "интро.wav"
    if make == "garbage":
        jingle.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot audio at all" * 10)
    elif make == "short":
        make_recording(jingle, seconds=0.4, lufs=-20)
    elif make == "silent":
        make_recording(jingle, seconds=2, signal="silence")
    configure(show, 'intro = "j/интро.wav"\ncrossfade_ms = 500')
    recording = make_recording(tmp_path / "Запись.wav", seconds=3, lufs=-20)

    def no_copy(*args: object) -> None:
        pytest.fail("the recording was copied before the jingle was checked")

    monkeypatch.setattr(masters, "copy_master", no_copy)
    before = snapshot(show.root)
    assert run("-C", show.root, "add", recording, "--title", "Т") == 1
    assert one_line_error(capsys).startswith(f"radiodesk: error: {message}")
    assert snapshot(show.root) == before


# ---------------------------------------------------------------- placing and retiming


def record(**changes: float) -> AudioRecord:
    level = Measurement(integrated_lufs=-16.0, lra_lu=3.0)
    base = AudioRecord(
        file="derived/a.mp3", sha256="0" * 64, size_bytes=1, duration_s=60.0, before=level,
        after=level, gain_db=0.0, limiter_ceiling_dbfs=-1.0, channel_plan="mono", mono=True,
        bitrate_kbps=64, sample_rate_hz=44100, target_lufs=-19.0, attempts=1, recipe="r",
        tags="t",
    )  # fmt: skip
    return dataclasses.replace(base, **changes)


def test_soundbites_are_placed_in_the_mp3s_time() -> None:
    sound = Soundbite(start_s=5.0, duration_s=5.0, title="Т")
    assert soundbites.placed(sound, record()) == sound  # nothing moved: the same soundbite
    intro = record(offset_s=2.5, recording_s=60.0)
    assert soundbites.placed(sound, intro) == Soundbite(start_s=7.5, duration_s=5.0, title="Т")
    trimmed = record(offset_s=-6.0, recording_s=60.0, lead_trim_s=6.0, tail_trim_s=4.0)
    assert soundbites.placed(sound, trimmed) == Soundbite(start_s=0.0, duration_s=4.0, title="Т")
    late = Soundbite(start_s=50.0, duration_s=8.0)
    assert soundbites.placed(late, trimmed) == Soundbite(start_s=44.0, duration_s=6.0)
    with pytest.raises(CatalogError, match="lies in the silence trimmed"):
        soundbites.check_within([Soundbite(start_s=1.0, duration_s=5.5)], trimmed)
    soundbites.check_within([sound, late], trimmed)  # 4 s and 6 s are left of them: fine


VTT = (
    "\ufeffWEBVTT - расшифровка\r\n\r\nSTYLE\r\n::cue { color: white }\r\n\r\n"
    "NOTE до первой реплики\r\n\r\nпервая\r\n00:00.200 --> 00:00.900\r\n(шум)\r\n\r\n"
    "вторая\r\n00:00:00.500 --> 00:00:03.000 line:0 align:start\r\n"
    "<v Анна>Добрый <00:00:01.500>день\r\n\r\n00:01:02.000 --> 00:01:04.250\r\nКонец\r\n"
)


def test_retime_keeps_everything_but_the_times() -> None:
    data = VTT.encode("utf-8")
    assert retime(data, source="t.vtt", offset_s=0.0) is data
    moved = retime(data, source="t.vtt", offset_s=-1.0, kept_from_s=1.0).decode("utf-8")
    assert moved == (
        "\ufeffWEBVTT - расшифровка\r\n\r\nSTYLE\r\n::cue { color: white }\r\n\r\n"
        "NOTE до первой реплики\r\n\r\n"
        "вторая\r\n00:00:00.000 --> 00:00:02.000 line:0 align:start\r\n"
        "<v Анна>Добрый <00:00:00.500>день\r\n\r\n00:01:01.000 --> 00:01:03.250\r\nКонец\r\n"
    )
    later = retime(data, source="t.vtt", offset_s=3600.5, kept_to_s=63.0)
    assert parse_transcript(later, source="t.vtt").cues[-1] == Cue(
        start_s=3662.5, end_s=3663.5, text="Конец"
    )
    with pytest.raises(CatalogError, match="every cue lies in the silence trimmed"):
        retime(data, source="t.vtt", offset_s=-100.0, kept_from_s=100.0)


def test_retime_renumbers_srt_and_never_changes_the_original() -> None:
    srt = "1\n00:00:00,100 --> 00:00:00,900\nа\n\n2\n00:00:02,000 --> 00:00:04,000\nб\n"
    data = srt.encode("utf-8")
    digest = hashlib.sha256(data).hexdigest()
    assert retime(data, source="t.srt", offset_s=2.5) == (
        "1\n00:00:02,600 --> 00:00:03,400\nа\n\n2\n00:00:04,500 --> 00:00:06,500\nб\n".encode()
    )
    assert retime(data, source="t.srt", offset_s=-1.0, kept_from_s=1.0) == (
        "1\n00:00:01,000 --> 00:00:03,000\nб\n".encode()
    )
    assert hashlib.sha256(data).hexdigest() == digest


def test_edited_record_survives_episode_toml() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    master = MasterFile(file="master/a.wav", original_name="a.wav", sha256="0", size_bytes=1)
    episode = Episode(
        slug="a", guid="g", title="Т", description="", date=now, created=now, master=master,
        audio=record(),
    )  # fmt: skip
    text = episode_file.episode_to_toml(episode)
    assert "recording_s" not in text  # unedited: written as before
    assert "trim_s" not in text
    edited = dataclasses.replace(
        episode, audio=record(offset_s=-1.5, recording_s=12.0, lead_trim_s=1.5, tail_trim_s=1.0)
    )
    text = episode_file.episode_to_toml(edited)
    assert episode_file.episode_from_dict(tomllib.loads(text)) == edited
    assert edited.audio is not None
    assert edited.audio.kept_s() == (1.5, 11.0)


# ---------------------------------------------------------------- one timeline for everything


def ffmpeg_chapters(mp3: Path, scratch: Path) -> list[tuple[float, str]]:
    """Return (start in seconds, title) of each chapter as ffmpeg itself reads the MP3."""
    dump = scratch / "metadata.txt"
    ffmpeg_run("-i", str(mp3), "-f", "ffmetadata", str(dump))
    found = re.findall(
        r"\[CHAPTER\]\nTIMEBASE=1/(\d+)\nSTART=(\d+)\nEND=\d+\ntitle=(.*)\n",
        dump.read_text(encoding="utf-8"),
    )
    return sorted((int(start) / int(base), title) for base, start, title in found)


def test_chapters_cues_and_soundbites_share_one_timeline(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jingles(show.root)
    configure(show, 'intro = "джинглы/интро.wav"\ncrossfade_ms = 0\ntrim_silence = true')
    speech = make_recording(tmp_path / "речь.wav", seconds=8, lufs=-20, signal="noise")
    recording = padded(tmp_path / "С тишиной.wav", speech, 3.0, 5.0)  # speech at 3-11 s of 16
    marks = tmp_path / "главы.txt"
    marks.write_text("00:00 Начало\n00:05 Середина\n00:14 В тишине\n", encoding="utf-8")
    vtt = tmp_path / "расшифровка.vtt"
    vtt.write_text("WEBVTT\n\n00:00.000 --> 00:04.000\nДобрый день\n", encoding="utf-8")
    status = run(
        "-C", show.root, "add", recording, "--title", TITLE, "--chapters", marks,
        "--transcript", vtt, "--soundbite", "0:00-0:06 С начала",
    )  # fmt: skip
    assert status == 0, capsys.readouterr().err
    slug = capsys.readouterr().out.strip()
    folder = folders.episode_dir(show.root, slug)
    episode = episode_file.load_episode(folder)
    record = episode.audio
    assert record is not None
    kept_from_s = record.kept_s()[0]
    assert kept_from_s == pytest.approx(2.5, abs=0.05)  # 3 s of silence less the 0.5 s kept
    # where the kept recording begins: after the whole 3 s intro (no crossfade)
    begins_s = record.timeline().at(kept_from_s)
    assert begins_s == pytest.approx(3.0, abs=0.001)

    assert run("-C", show.root, "publish") == 0
    capsys.readouterr()
    item, bites = published(show)
    assert bites == [(str(begins_s), str(round(6 - kept_from_s, 3)))]
    cues = parse_transcript(published_transcript(show, item), source="feed").cues
    assert cues[0].start_s == begins_s
    url = item.xpath("podcast:chapters/@url", namespaces=PODCAST)[0]
    key = url.removeprefix(show.show.base_url.rstrip("/") + "/")
    document = json.loads((show.local_store / key).read_bytes())
    # "В тишине" lies wholly in the trimmed tail: dropped, as the README says, not refused
    assert [(c["title"], c["startTime"]) for c in document["chapters"]] == [
        ("Начало", begins_s),
        ("Середина", pytest.approx(5 + record.offset_s, abs=0.001)),
    ]
    mp3 = folder / record.file
    middle_s = round(5 + record.offset_s, 3)
    frames = sorted(ID3(mp3).getall("CHAP"), key=lambda f: f.start_time)
    assert [f.start_time for f in frames] == [round(begins_s * 1000), round(middle_s * 1000)]
    # ffmpeg reads ID3 chapters less the encoder's delay (1105 samples at 44.1 kHz, 25 ms)
    read = ffmpeg_chapters(mp3, tmp_path)
    assert [title for _, title in read] == ["Начало", "Середина"]
    assert [start for start, _ in read] == pytest.approx([begins_s, middle_s], abs=0.03)


def test_chapter_and_cue_past_the_end_are_refused_at_add(
    show: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    recording = make_recording(tmp_path / "Запись.wav", seconds=6, lufs=-20)
    marks = tmp_path / "главы.txt"
    marks.write_text("00:00 Начало\n00:06.5 После конца\n", encoding="utf-8")
    srt = tmp_path / "субтитры.srt"
    cues = "1\n00:00:01,000 --> 00:00:02,000\nДа\n\n2\n00:00:06,000 --> 00:00:07,250\nНет\n"
    srt.write_text(cues, encoding="utf-8")
    before = snapshot(show.root)
    assert run("-C", show.root, "add", recording, "--title", "Т", "--chapters", marks) == 1
    assert one_line_error(capsys) == (
        "radiodesk: error: chapters главы.txt: 'После конца' starts at 00:06.500, at or after "
        "the end of the recording (00:06.000)"
    )
    assert run("-C", show.root, "add", recording, "--title", "Т", "--transcript", srt) == 1
    assert one_line_error(capsys) == (
        "radiodesk: error: transcript субтитры.srt line 6: the cue 00:06.000 --> 00:07.250 "
        "starts at or after the end of the recording (00:06.000)"
    )
    assert snapshot(show.root) == before
