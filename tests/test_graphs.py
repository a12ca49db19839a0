"""graphs.py: the argv of the MP3's encode (pure)."""

from __future__ import annotations

import math
from pathlib import Path

from radiodesk.audio.analysis import Analysis, SourceInfo, SourceLoudness
from radiodesk.audio.graphs import encode_args
from radiodesk.audio.loudness import GainPlan
from radiodesk.ingest.audio_profiles import mp3_profile
from radiodesk.show.settings import AudioSettings

PROFILE = mp3_profile(AudioSettings())


def test_encode_args_are_deterministic_and_limit_after_resampling(tmp_path: Path) -> None:
    source = SourceInfo(
        codec="flac", sample_rate_hz=96000, channels=6, layout="5.1", duration_s=60.0
    )
    loud = SourceLoudness(integrated_lufs=-20.0, lra_lu=4.0, sample_peak_dbfs=-3.4)
    analysis = Analysis(
        source=source,
        loudness=loud,
        channel_plan="downmix-stereo",
        mono=False,
    )
    args = encode_args(
        tmp_path / "m.flac", tmp_path / "o.mp3", PROFILE, analysis, GainPlan(4.2, -3.0)
    )
    chain = args[args.index("-af") + 1]
    assert chain.index("aformat=") < chain.index("volume=4.20dB") < chain.index("aresample=44100")
    assert chain.index("aresample=44100") < chain.index("alimiter=limit=0.70795")
    assert "level=false" in chain
    assert "latency=true" in chain
    assert {"-map_metadata", "+bitexact", "tee"} <= set(args)
    assert args[args.index("-b:a") + 1] == "128k"
    assert math.isclose(10 ** (-3.0 / 20), 0.70795, abs_tol=1e-5)
