"""What the video functions raise: plain exceptions, so they survive the trip back from a worker process.

FFmpeg's own errors (av.error.*) carry extra constructor arguments and do not always unpickle; every
function here turns them into an `EncodingError` with FFmpeg's message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import av

__all__ = ["CannotFitError", "EncodingError", "NoAudioError", "ffmpeg_errors_as"]


class EncodingError(Exception):
    """The input is unreadable, has no usable stream, or FFmpeg failed on it."""


class NoAudioError(EncodingError):
    """The video has no audio track to take out."""


class CannotFitError(EncodingError):
    """The result cannot be made to fit the byte limit."""


@contextmanager
def ffmpeg_errors_as(what: str) -> Iterator[None]:
    """Re-raise FFmpeg's errors inside the block as `EncodingError("<what>: <FFmpeg's message>")`."""
    try:
        yield
    except av.FFmpegError as exc:
        raise EncodingError(f"{what}: {exc}") from exc
