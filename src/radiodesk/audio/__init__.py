"""Sound: the one runner of ffmpeg, measuring, encoding, true peak, tags, clips.

Values in, values out: no show settings, no catalog, no store."""
