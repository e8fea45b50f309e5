"""Which of a video's formats to send: playable everywhere first, then the sharpest that fits."""

from __future__ import annotations

from pipeline.errors import TooLargeError
from pipeline.models import VideoFormat

UNPLAYABLE_CODECS = frozenset({"bytevc2"})
# H.264 wins unless the best H.265 is clearly sharper: many Telegram clients show H.265 as grey frames.
COMPARABLE_HEIGHT = 0.7


def rank_formats(formats: tuple[VideoFormat, ...], max_bytes: int | None) -> list[VideoFormat]:
    """Playable formats that may fit, best first: with sound if any has it, then the sharpest H.264 unless an
    H.265 is clearly sharper."""
    fitting = [
        f for f in formats
        if f.codec.lower() not in UNPLAYABLE_CODECS and (max_bytes is None or (f.media.size or 0) <= max_bytes)
    ]
    if not fitting:
        raise TooLargeError(f"every format is over {max_bytes} bytes")

    def quality(f: VideoFormat) -> tuple[int, int, int]:
        return (f.height or 0) * (f.width or 0), f.bitrate or 0, f.media.size or 0

    best_height = max(f.height or 0 for f in fitting)

    def preference(f: VideoFormat) -> tuple[bool, bool, tuple[int, int, int]]:
        comparable_h264 = f.is_h264 and (f.height or 0) >= COMPARABLE_HEIGHT * best_height
        return f.has_audio, comparable_h264, quality(f)

    return sorted(fitting, key=preference, reverse=True)
