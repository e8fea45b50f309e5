"""Downloaded videos made right for Telegram: H.265 that every phone plays, files under the upload limit,
the sound on its own for the music button."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import av
from av.audio.stream import AudioStream

from media_types.video.audio import DEFAULT_AUDIO_BIT_RATE, AacTrack, stated_samples
from media_types.video.errors import CannotFitError, EncodingError, NoAudioError, ffmpeg_errors_as
from media_types.video.output import MP4_OPTIONS, Progress, atomic_output, even_side
from media_types.video.probe import RenderedVideo, duration_of, first_video_stream, rendered
from media_types.video.transcode import VideoTarget, copy_packets, transcode

__all__ = ["ExtractedAudio", "extract_audio", "fit_video", "tag_hvc1", "to_h264"]

# Quality first, then smaller steps only while the file is too big; past the last, bitrate mode.
H264_CRFS = (23, 28, 33, 38)
# x264's rule of thumb: six more CRF halve the bytes. Used to skip steps that could not fit anyway.
CRF_PER_HALVING = 6
# Of the byte limit, what the streams may take; the rest is the MP4's index and the encoder's overshoot.
SIZE_MARGIN = 0.95
RETRY_BIT_RATE_FACTOR = 0.85
# A retry after a bigger overshoot cuts the bitrate in proportion, with this much of the limit to spare: the
# overshoot repeats (1.5x on a 1 s clip of noise) but varies by a few percent from run to run.
RETRY_MARGIN = 0.9
# Audio keeps 128 kb/s unless that is more than this share of the budget; then 64 kb/s, still clear speech.
AUDIO_BUDGET_SHARE = 0.15
TIGHT_AUDIO_BIT_RATE = 64_000
# Below this many bits per pixel per frame x264 smears; a smaller picture looks better than mush.
MIN_BITS_PER_PIXEL = 0.04
MIN_SHORT_SIDE = 240
# Less than this for the picture is not a video any more: refuse rather than spend minutes on mush.
MIN_VIDEO_BIT_RATE = 50_000


@dataclass(frozen=True)
class ExtractedAudio:
    """An audio track taken out of a video: always AAC in an .m4a; `reencoded` False means bit for bit."""

    path: Path
    duration: float
    codec: str
    reencoded: bool


def extract_audio(video: Path, output: Path) -> ExtractedAudio:
    """The video's first audio track as an .m4a in `output`: copied when AAC, else re-encoded to AAC.

    Raises NoAudioError when there is no audio track, EncodingError when the video is unreadable.
    """
    video, output = Path(video), Path(output)
    with ffmpeg_errors_as(f"cannot take the audio out of {video.name}"), av.open(str(video)) as container:
        if not container.streams.audio:
            raise NoAudioError(f"{video.name} has no audio track")
        audio = container.streams.audio[0]
        reencode = audio.codec_context.name != "aac"
        with atomic_output(output) as temporary, \
                av.open(str(temporary), "w", format="ipod", options=MP4_OPTIONS) as target:
            if reencode:
                track = AacTrack(target, length=stated_samples(audio))
                for frame in container.decode(audio):
                    track.add(frame)
                track.finish()
            else:
                copy_packets(container, target, [audio])
        with av.open(str(output)) as written:
            duration = duration_of(written)
    return ExtractedAudio(output, duration, "aac", reencode)


def to_h264(source: Path, output: Path, *, max_bytes: int, progress: Path | None = None) -> RenderedVideo:
    """Re-encode any video (H.265 in practice) as H.264 + AAC, frame size and rate kept, under `max_bytes`.

    Starts at CRF 23 and raises it while the file is too big, then falls back to `fit_video`'s bitrate
    mode. Raises EncodingError for an unreadable source and CannotFitError when nothing fits.
    """
    source, output = Path(source), Path(output)
    tracker = Progress(progress)
    with atomic_output(output) as temporary, ffmpeg_errors_as(f"cannot convert {source.name}"):
        crf: int | None = H264_CRFS[0]
        while crf is not None:
            transcode(source, temporary, VideoTarget(crf=crf), tracker)
            size = temporary.stat().st_size
            if size <= max_bytes:
                break
            tracker.next_pass()
            crf = _next_crf(crf, size, max_bytes)
        else:
            _fit(source, temporary, max_bytes, tracker)
    tracker.finish()
    return rendered(output)


def fit_video(source: Path, output: Path, *, max_bytes: int, progress: Path | None = None) -> RenderedVideo:
    """Re-encode `source` as H.264 + AAC at the bitrate that fills `max_bytes`, smaller if it must be.

    The picture shrinks (aspect kept, never under 240 px on the short side) when the bitrate would
    spread too thin over it. Raises CannotFitError when the result is still too big after a second,
    leaner try, or when the limit leaves too little for any picture.
    """
    source, output = Path(source), Path(output)
    tracker = Progress(progress)
    with atomic_output(output) as temporary, ffmpeg_errors_as(f"cannot re-encode {source.name}"):
        _fit(source, temporary, max_bytes, tracker)
    tracker.finish()
    return rendered(output)


def tag_hvc1(source: Path, output: Path) -> RenderedVideo:
    """Remux an H.265 video untouched but tagged `hvc1` (Apple players refuse `hev1`), audio copied.

    Raises EncodingError when the video is not H.265 or is unreadable.
    """
    source, output = Path(source), Path(output)
    with ffmpeg_errors_as(f"cannot remux {source.name}"), av.open(str(source)) as container:
        video = first_video_stream(container)
        if video.codec_context.name != "hevc":
            raise EncodingError(f"{source.name} is {video.codec_context.name}, not H.265")
        streams = [video, *container.streams.audio[:1]]
        with atomic_output(output) as temporary, \
                av.open(str(temporary), "w", format="mp4", options=MP4_OPTIONS) as target:
            copy_packets(container, target, streams, video_tag="hvc1")
    return rendered(output)


def _next_crf(crf: int, size: int, max_bytes: int) -> int | None:
    """The first higher CRF step that could bring `size` under `max_bytes`, or None when none could."""
    for step in H264_CRFS:
        if step > crf and size * 2 ** ((crf - step) / CRF_PER_HALVING) <= max_bytes:
            return step
    return None


def _fit(source: Path, target: Path, max_bytes: int, progress: Progress) -> None:
    """Bitrate mode into `target`, and once more with less if the encoder overshot: 85 % of the bitrate,
    or as much less as the overshoot was (x264 overshoots most on short clips, before its rate control settles)."""
    transcode(source, target, _fit_target(source, max_bytes, 1.0), progress)
    if (size := target.stat().st_size) <= max_bytes:
        return
    progress.next_pass()
    factor = min(RETRY_BIT_RATE_FACTOR, RETRY_MARGIN * max_bytes / size)
    transcode(source, target, _fit_target(source, max_bytes, factor), progress)
    if (size := target.stat().st_size) > max_bytes:
        raise CannotFitError(f"{source.name} re-encoded takes {size} bytes, more than {max_bytes}")


def _fit_target(source: Path, max_bytes: int, factor: float) -> VideoTarget:
    """Bitrates and frame size that fill `max_bytes`, the picture's bitrate times `factor`."""
    with av.open(str(source)) as container:
        video = first_video_stream(container)
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = duration_of(container)
        if duration <= 0:
            raise EncodingError(f"{source.name} has no known duration to spread {max_bytes} bytes over")
        budget = max_bytes * 8 * SIZE_MARGIN / duration
        audio_bit_rate, audio_setting = _audio_budget(audio, budget)
        video_bit_rate = round((budget - audio_bit_rate) * factor)
        if video_bit_rate < MIN_VIDEO_BIT_RATE:
            raise CannotFitError(
                f"{max_bytes} bytes leave {video_bit_rate} b/s for {duration:.0f} s of picture: too little"
            )
        fps = float(video.average_rate or video.guessed_rate or 30)
        width, height = _frame_size_for(video_bit_rate, video.codec_context.width, video.codec_context.height, fps)
    return VideoTarget(bit_rate=video_bit_rate, width=width, height=height, audio_bit_rate=audio_setting)


def _audio_budget(audio: AudioStream | None, budget: float) -> tuple[int, int | None]:
    """(bits per second the audio will take, the AAC rate to re-encode at or None to copy it)."""
    if audio is None:
        return 0, None
    roomy = budget * AUDIO_BUDGET_SHARE >= DEFAULT_AUDIO_BIT_RATE
    bit_rate = DEFAULT_AUDIO_BIT_RATE if roomy else TIGHT_AUDIO_BIT_RATE
    source_bit_rate = audio.codec_context.bit_rate
    if audio.codec_context.name == "aac" and source_bit_rate and source_bit_rate <= bit_rate:
        return source_bit_rate, None
    return bit_rate, bit_rate


def _frame_size_for(bit_rate: int, width: int, height: int, fps: float) -> tuple[int, int]:
    """The source's size, or smaller so each pixel gets MIN_BITS_PER_PIXEL (short side >= 240 px)."""
    bits_per_pixel = bit_rate / (width * height * fps)
    scale = min(1.0, math.sqrt(bits_per_pixel / MIN_BITS_PER_PIXEL))
    scale = max(scale, min(1.0, MIN_SHORT_SIDE / min(width, height)))
    return even_side(width * scale), even_side(height * scale)
