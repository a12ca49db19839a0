"""ffmpeg_args.py: the argv pieces every ffmpeg call shares (pure)."""

from __future__ import annotations

from pathlib import Path

from radiodesk.audio import ffmpeg_args


def test_argv_builders() -> None:
    argv = ffmpeg_args.build_argv(Path("/opt/ffmpeg"), ["-i", "x"])
    assert argv[0] == "/opt/ffmpeg"
    assert {"-hide_banner", "-nostdin"} <= set(argv)
    assert argv[-2:] == ("-i", "x")
    assert ffmpeg_args.file_url(Path("/a b/c:d.wav")) == "file:/a b/c:d.wav"
    spec = ffmpeg_args.tee_spec(("f=mp3", "file:/a b/x|y's.mp3"), ("f=mp3", "pipe:1"))
    assert spec == r"[f=mp3]file:/a\ b/x\|y\'s.mp3|[f=mp3]pipe:1"
