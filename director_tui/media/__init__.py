"""Media helpers: ffmpeg (probe, validate), the external player."""
