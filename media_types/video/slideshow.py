"""A photo post as one video: each picture letterboxed for an equal share of the sound (H.264 + AAC, MP4).

Sending the pictures as an album loses the sound; a slideshow keeps both and plays everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
from av.container import OutputContainer
from av.video.frame import VideoFrame
from av.video.reformatter import ColorRange, Colorspace
from av.video.stream import VideoStream
from PIL import ExifTags, Image, ImageOps
from pillow_heif import register_heif_opener

from media_types.video.audio import AUDIO_RATE, AacTrack, looped_sound, silence
from media_types.video.errors import CannotFitError, EncodingError, ffmpeg_errors_as
from media_types.video.output import MP4_OPTIONS, Progress, atomic_output, even_side
from media_types.video.probe import RenderedVideo, duration_of, rendered

# TikTok and iPhones hand out HEIC; without this Pillow cannot even read its size.
register_heif_opener()

__all__ = ["SLIDESHOW_FPS", "SlideshowPlan", "plan_slideshow", "render_slideshow"]

# 25, not 30: a still picture looks the same at either, and x264's work is per frame. Measured on a 2-core
# machine, 10 pictures of 1080x1920 for 30 s: 15-18 % less time at 25 (6.0 s against 7.3 s for the video
# alone) and 6-9 % fewer bytes.
SLIDESHOW_FPS = 25
MAX_LONG_SIDE, MAX_SHORT_SIDE = 1920, 1080
MIXED_SIZES_FRAME = (1080, 1920)  # portrait, as TikTok shows photo posts
MIN_SECONDS_PER_PICTURE, MAX_SECONDS_PER_PICTURE = 1.5, 4.0
SECONDS_PER_PICTURE_WITHOUT_SOUND = 3.0
# The first CRF is x264's sweet spot for stills; the others give up detail only when the file is too big.
SLIDESHOW_CRFS = (23, 28, 33)
# A short look-ahead and two threads: x264's default buffers at 1080x1440 grew a render by ~171 MB, these by
# ~140 MB, at the same speed and 13 % fewer bytes (benchmarks' render scenario; stills need no long look-ahead).
# Renders run side by side in VIDEO_WORKERS processes, so two threads each still keep every core busy.
VIDEO_OPTIONS = {"preset": "veryfast", "tune": "stillimage", "rc-lookahead": "5", "threads": "2"}
BACKGROUND = (0, 0, 0)  # the bars, and what transparent pixels are laid on: a picture then blends into its frame
# Lossy-compressed 8-bit video in the colours every phone and browser assumes for HD: BT.709, limited range.
BT709 = 1

_ORIENTATIONS_SWAPPING_SIDES = frozenset({5, 6, 7, 8})
_ALPHA_MODES = frozenset({"RGBA", "LA", "PA", "RGBa", "La"})


@dataclass(frozen=True)
class SlideshowPlan:
    """The video's frame size, how long each picture shows, how many pictures and the frame rate."""

    width: int
    height: int
    seconds_per_picture: float
    pictures: int
    fps: int

    @property
    def total_seconds(self) -> float:
        return self.seconds_per_picture * self.pictures

    @property
    def total_frames(self) -> int:
        return self.last_frame_of(self.pictures - 1)

    def last_frame_of(self, index: int) -> int:
        """The frame after picture `index`'s last one: frames are shared out by rounding, so none is lost."""
        return round((index + 1) * self.seconds_per_picture * self.fps)


def plan_slideshow(sizes: Sequence[tuple[int, int]], sound_seconds: float | None) -> SlideshowPlan:
    """Plan a slideshow of pictures of the given displayed sizes, set to a sound of `sound_seconds`.

    Pictures that all share one size keep it (even sides, at most 1920x1080 either way); mixed sizes get
    a portrait 1080x1920 frame. Each picture shows for an equal share of the sound, within 1.5 to 4 s.
    """
    if not sizes:
        raise ValueError("a slideshow needs at least one picture")
    width, height = _frame_size(set(sizes))
    if sound_seconds is None or sound_seconds <= 0:
        seconds = SECONDS_PER_PICTURE_WITHOUT_SOUND
    else:
        seconds = min(max(sound_seconds / len(sizes), MIN_SECONDS_PER_PICTURE), MAX_SECONDS_PER_PICTURE)
    return SlideshowPlan(width, height, seconds, len(sizes), SLIDESHOW_FPS)


def render_slideshow(
    pictures: Sequence[Path], sound: Path | None, output: Path, *, max_bytes: int, progress: Path | None = None
) -> RenderedVideo:
    """Render the slideshow into `output` (MP4, H.264 + AAC), a smaller encoding when it would exceed `max_bytes`.

    Without `sound` the video still gets a silent audio track: Telegram shows a video without audio as a
    looping, muted GIF-like animation. Raises EncodingError for a picture that cannot be decoded (naming
    its index) or a sound that cannot be, and CannotFitError when even the smallest encoding is too big.
    """
    pictures = [Path(picture) for picture in pictures]
    output = Path(output)
    sound = Path(sound) if sound is not None else None
    plan = plan_slideshow([_displayed_size(picture, index) for index, picture in enumerate(pictures)],
                          _sound_seconds(sound) if sound is not None else None)
    tracker = Progress(progress)
    with atomic_output(output) as temporary:
        for crf in SLIDESHOW_CRFS:
            with ffmpeg_errors_as("cannot encode the slideshow"):
                _encode(pictures, sound, temporary, plan, crf, tracker)
            if (size := temporary.stat().st_size) <= max_bytes:
                break
            tracker.next_pass()
        else:
            raise CannotFitError(f"the slideshow takes {size} bytes at CRF {crf}, more than {max_bytes}")
    tracker.finish()
    return rendered(output)


def _encode(pictures: Sequence[Path], sound: Path | None, target: Path, plan: SlideshowPlan, crf: int,
            progress: Progress) -> None:
    """One encoding: every picture for its frames, the sound looped or cut to the video's length."""
    samples_per_frame = Fraction(AUDIO_RATE, plan.fps)
    total_samples = round(plan.total_frames * samples_per_frame)
    with av.open(str(target), "w", format="mp4", options=MP4_OPTIONS) as output, \
            contextlib.closing(looped_sound(sound) if sound is not None else silence()) as sound_frames:
        video = _video_stream(output, plan, crf)
        audio = AacTrack(output, length=total_samples)
        encoded = 0
        for index, picture in enumerate(pictures):
            frame = _picture_frame(picture, index, (plan.width, plan.height))
            frame.time_base = Fraction(1, plan.fps)
            while encoded < plan.last_frame_of(index):
                frame.pts = encoded
                output.mux(video.encode(frame))
                encoded += 1
                audio.fill(sound_frames, round(encoded * samples_per_frame))  # interleaved, for streaming
                progress.report(encoded / plan.total_frames)
        output.mux(video.encode(None))
        audio.fill(sound_frames, total_samples)
        audio.finish()


def _video_stream(output: OutputContainer, plan: SlideshowPlan, crf: int) -> VideoStream:
    video = output.add_stream("libx264", rate=plan.fps, options={**VIDEO_OPTIONS, "crf": str(crf)})
    video.width, video.height, video.pix_fmt = plan.width, plan.height, "yuv420p"
    context = video.codec_context
    context.profile = "High"
    context.colorspace = context.color_primaries = context.color_trc = BT709
    context.color_range = ColorRange.MPEG
    return video


def _picture_frame(picture: Path, index: int, size: tuple[int, int]) -> VideoFrame:
    """The picture letterboxed onto a black frame of `size`, as one yuv420p video frame."""
    try:
        with Image.open(picture) as image:
            fitted = _fitted_size(_oriented_size(image), size)
            # JPEG can decode straight at a fraction of its size: far less work for a 12-megapixel photo.
            image.draft("RGB", fitted[::-1] if _swaps_sides(image) else fitted)
            image.load()
            ImageOps.exif_transpose(image, in_place=True)
            scaled = _flattened(image).resize(fitted, Image.Resampling.LANCZOS)
    except Exception as exc:  # Pillow raises many types on corrupt data; all mean "undecodable"
        raise EncodingError(f"picture {index} ({picture.name}) cannot be decoded: {exc}") from exc
    canvas = Image.new("RGB", size, BACKGROUND)
    canvas.paste(scaled, ((size[0] - fitted[0]) // 2, (size[1] - fitted[1]) // 2))
    rgb: VideoFrame = VideoFrame.from_image(canvas)  # type: ignore[no-untyped-call]  # PyAV 18's stubs leave it bare
    return rgb.reformat(
        format="yuv420p", dst_colorspace=Colorspace.ITU709, dst_color_range=ColorRange.MPEG
    )


def _frame_size(sizes: set[tuple[int, int]]) -> tuple[int, int]:
    if len(sizes) != 1:
        return MIXED_SIZES_FRAME
    [(width, height)] = sizes
    long_limit, short_limit = (MAX_LONG_SIDE, MAX_SHORT_SIDE) if width >= height else (MAX_SHORT_SIDE, MAX_LONG_SIDE)
    scale = min(1.0, long_limit / width, short_limit / height)
    return even_side(width * scale), even_side(height * scale)


def _fitted_size(picture: tuple[int, int], frame: tuple[int, int]) -> tuple[int, int]:
    """The picture's size scaled to fit the frame whole, aspect kept (up or down)."""
    scale = min(frame[0] / picture[0], frame[1] / picture[1])
    return max(1, min(frame[0], round(picture[0] * scale))), max(1, min(frame[1], round(picture[1] * scale)))


def _displayed_size(picture: Path, index: int) -> tuple[int, int]:
    """The picture's size as shown, read from its header without decoding the pixels."""
    try:
        with Image.open(picture) as image:
            return _oriented_size(image)
    except Exception as exc:  # as in _picture_frame
        raise EncodingError(f"picture {index} ({picture.name}) cannot be read: {exc}") from exc


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    return (image.height, image.width) if _swaps_sides(image) else image.size


def _swaps_sides(image: Image.Image) -> bool:
    """EXIF orientations 5 to 8 turn the picture a quarter, swapping width and height."""
    try:
        return image.getexif().get(ExifTags.Base.Orientation) in _ORIENTATIONS_SWAPPING_SIDES
    except Exception:  # noqa: BLE001 - a broken EXIF block does not make the pixels unusable
        return False


def _flattened(image: Image.Image) -> Image.Image:
    """RGB, with transparent parts on the black background."""
    if image.mode in _ALPHA_MODES or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if image.mode.startswith("I"):  # 16-bit grey: convert("RGB") would clip it to white
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L").convert("RGB")
    return image if image.mode == "RGB" else image.convert("RGB")


def _sound_seconds(sound: Path) -> float:
    with ffmpeg_errors_as(f"cannot read the sound {sound.name}"), av.open(str(sound)) as container:
        if not container.streams.audio:
            raise EncodingError(f"the sound {sound.name} has no audio stream")
        return duration_of(container)
