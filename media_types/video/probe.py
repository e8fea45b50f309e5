"""What a video file holds, read with PyAV: codecs, displayed size, length."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import av
from av.container import InputContainer
from av.video.stream import VideoStream

from media_types.video.errors import EncodingError, ffmpeg_errors_as

__all__ = ["RenderedVideo", "VideoInfo", "display_rotation", "duration_of", "probe", "rendered"]

_QUARTER_TURNS_SWAPPING_SIDES = frozenset({90, 270})


@dataclass(frozen=True)
class VideoInfo:
    """A video as players show it: `width`/`height` after rotation and pixel aspect; `codec_tag` is the
    container's name for the video codec ("hvc1", "hev1", "avc1"), which Apple players care about."""

    codec: str
    width: int
    height: int
    duration: float
    has_audio: bool
    audio_codec: str | None
    codec_tag: str


@dataclass(frozen=True)
class RenderedVideo:
    """A video this package wrote: where, its frame size, its length in seconds and its size in bytes."""

    path: Path
    width: int
    height: int
    duration: float
    size: int


def probe(path: Path) -> VideoInfo:
    """Read `path`'s streams. Raises EncodingError when it is unreadable or has no video stream."""
    with ffmpeg_errors_as(f"cannot read {Path(path).name}"), av.open(str(path)) as container:
        video = first_video_stream(container)
        audio = container.streams.audio[0] if container.streams.audio else None
        width, height = video.codec_context.width, video.codec_context.height
        aspect = video.sample_aspect_ratio
        if aspect is not None and aspect > 0 and aspect != 1:
            width = round(width * aspect)
        info = VideoInfo(
            codec=video.codec_context.name,
            width=width,
            height=height,
            duration=duration_of(container),
            has_audio=audio is not None,
            audio_codec=audio.codec_context.name if audio is not None else None,
            codec_tag=video.codec_tag,
        )
    if display_rotation(path) in _QUARTER_TURNS_SWAPPING_SIDES:
        return replace(info, width=info.height, height=info.width)
    return info


def rendered(path: Path) -> RenderedVideo:
    """Describe a video just written: its displayed size (a rotated source stays rotated), length and bytes."""
    info = probe(path)
    return RenderedVideo(path, info.width, info.height, info.duration, path.stat().st_size)


def first_video_stream(container: InputContainer) -> VideoStream:
    """The first video stream that is not a cover picture. Raises EncodingError when there is none."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise EncodingError("no video stream")


def duration_of(container: InputContainer) -> float:
    """Seconds, from the container or else the longest stream; 0.0 when nothing says."""
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    longest = 0.0
    for stream in container.streams:
        if stream.duration is not None and stream.time_base is not None:
            longest = max(longest, float(stream.duration * stream.time_base))
    return longest


def display_rotation(path: Path) -> int:
    """Degrees the picture turns on display (0, 90, 180 or 270), from the first frame's display matrix.

    PyAV 18 exposes the matrix on frames only (streams can set it, not read it), so this decodes a frame.
    """
    with ffmpeg_errors_as(f"cannot read {Path(path).name}"), av.open(str(path)) as container:
        for frame in container.decode(first_video_stream(container)):
            return frame.rotation % 360
    return 0
