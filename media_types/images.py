"""Photos and video thumbnails in a shape Telegram accepts.

sendPhoto rejects files over 10 MB, width + height over 10000, an aspect ratio over 20 and
formats it does not take as photos (HEIC, WebP, ...). Video thumbnails must be JPEG, at most
320x320 and 200 kB. The functions here are plain, synchronous and picklable so that the CPU-heavy
decoding runs in a process pool (`ImageProcessor`), never on the event loop.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from PIL import ExifTags, Image, ImageOps
from pillow_heif import register_heif_opener

from media_types.workers import WorkerPool

# TikTok and iPhones hand out HEIC; without this Pillow cannot even read its size.
register_heif_opener()

__all__ = [
    "MAX_PHOTO_BYTES",
    "MAX_THUMBNAIL_BYTES",
    "ImageProcessor",
    "PhotoPlan",
    "make_thumbnail",
    "prepare_photo",
]

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES_SUM = 10_000
MAX_ASPECT_RATIO = 20
# The only formats sendPhoto takes as they are; everything else is re-encoded as JPEG.
SENDABLE_PHOTO_FORMATS = frozenset({"JPEG", "PNG"})
PHOTO_QUALITIES = (90, 80, 70, 60, 50)

THUMBNAIL_SIDE = 320
MAX_THUMBNAIL_BYTES = 200 * 1024
# Thumbnails are tiny, so they start at a high quality without chroma subsampling and step
# down only for the rare noisy picture that would not fit in 200 kB.
THUMBNAIL_QUALITIES = (95, 85, 75, 65, 55, 45)

_ORIENTATIONS_SWAPPING_SIDES = frozenset({5, 6, 7, 8})
_T = TypeVar("_T")


@dataclass(frozen=True)
class PhotoPlan:
    """How to send one image: which file, and whether Telegram can show it as a photo.

    `width`/`height` are the displayed size (after EXIF orientation) of the file in `path`,
    or 0 when the image could not be read. `converted` is True when `path` is a new file
    written into the work directory; `reason` is a short note for logs.
    """

    path: Path
    as_document: bool
    width: int
    height: int
    converted: bool
    reason: str


@dataclass(frozen=True)
class _Encoded:
    """A re-encoded photo still in memory, so that decoding errors and disk errors stay apart."""

    data: bytes
    width: int
    height: int
    reason: str


def prepare_photo(source: Path, workdir: Path) -> PhotoPlan:
    """Decide how to send `source` as a Telegram photo, converting it into `workdir` if needed.

    Bad image data never raises: the original goes out as a document instead, so a post is
    never silently dropped. A missing or unreadable *file* does raise (OSError), because that
    is a bug or a disk problem for the caller to see, not a property of the picture.
    """
    source, workdir = Path(source), Path(workdir)
    with source.open("rb") as file:
        size_bytes = os.fstat(file.fileno()).st_size
        try:
            decision = _decide_photo(file, source, size_bytes)
        except Exception as exc:  # noqa: BLE001 - Pillow raises many types on corrupt data; all mean "not a photo".
            return PhotoPlan(source, True, 0, 0, False, f"unreadable image ({type(exc).__name__}): document")
    if isinstance(decision, PhotoPlan):
        return decision
    target = workdir / _output_name(source)
    _write_atomically(target, decision.data)
    return PhotoPlan(target, False, decision.width, decision.height, True, decision.reason)


def make_thumbnail(source: Path) -> bytes | None:
    """A JPEG of at most 320x320 and 200 kB for sendVideo's `thumbnail`, or None if unreadable.

    A thumbnail is decoration: a picture Pillow cannot decode yields None rather than an
    error. As in `prepare_photo`, a missing file still raises.
    """
    with Path(source).open("rb") as file:
        try:
            with Image.open(file) as image:
                # The JPEG decoder downscales while decoding (draft) to about the target size, then a bilinear
                # pass: 1 ms for a 720x1280 cover where Pillow's defaults (2x the target, bicubic) took 4.5 ms,
                # and a 320 px thumbnail looks the same.
                image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), resample=Image.Resampling.BILINEAR, reducing_gap=1.0)
                _apply_orientation(image)
                rgb = _flatten_to_rgb(image)
                data, _quality, _size = _encode_jpeg_within(
                    rgb, MAX_THUMBNAIL_BYTES, THUMBNAIL_QUALITIES, subsampling=0
                )
                return data
        except Exception:  # noqa: BLE001 - any decoding failure means "no thumbnail", never a failed send
            return None


class ImageProcessor:
    """Runs `prepare_photo` and `make_thumbnail` in a process pool, off the event loop.

    Decoding a 10 MB photo takes long enough to stall every chat the bot serves. The pool
    (`WorkerPool`: "spawn" or "forkserver" workers) is created on first use so that importing or
    constructing this costs nothing.
    """

    def __init__(self, max_workers: int = 2, *, start_method: str = "spawn") -> None:
        # The executor class is looked up in this module so that the image tests can record the pools made.
        self._workers = WorkerPool(max_workers, start_method=start_method, executor_type=ProcessPoolExecutor)

    async def prepare_photo(self, source: Path, workdir: Path) -> PhotoPlan:
        """`prepare_photo` in a worker process."""
        return await self._run(prepare_photo, Path(source), Path(workdir))

    async def make_thumbnail(self, source: Path) -> bytes | None:
        """`make_thumbnail` in a worker process."""
        return await self._run(make_thumbnail, Path(source))

    async def render(self, function: Callable[..., _T], *args: Any) -> _T:
        """Any other picklable image function (the /stats chart) in a worker process."""
        return await self._run(function, *args)

    def close(self) -> None:
        """Stop the workers, dropping queued jobs. Safe to call more than once; later calls to
        `prepare_photo`/`make_thumbnail` raise RuntimeError."""
        self._workers.close()

    async def _run(self, function: Callable[..., _T], *args: Any) -> _T:
        return await self._workers.run(function, *args)


# --------------------------------------------------------------------------- helpers


def _decide_photo(file: io.BufferedReader, source: Path, size_bytes: int) -> PhotoPlan | _Encoded:
    """The whole decision, on the open source. Raises for bad image data; writes nothing."""
    with Image.open(file) as image:
        # Decode fully now: a corrupt body becomes a document here rather than a failed sendPhoto.
        image.load()
        image_format = image.format or "image"
        width, height = _displayed_size(image)
        if max(width, height) > MAX_ASPECT_RATIO * min(width, height):
            ratio = max(width, height) / min(width, height)
            return PhotoPlan(source, True, width, height, False,
                             f"aspect ratio {ratio:.1f} > {MAX_ASPECT_RATIO}: document")

        reasons: list[str] = []
        if image_format not in SENDABLE_PHOTO_FORMATS:
            reasons.append(f"{image_format.lower()}->jpeg")
        elif size_bytes > MAX_PHOTO_BYTES:
            reasons.append(f"{image_format.lower()} {size_bytes / 2**20:.1f} MB->jpeg")
        too_many_pixels = width + height > MAX_PHOTO_SIDES_SUM
        if not reasons and not too_many_pixels:
            return PhotoPlan(source, False, width, height, False, "ok")

        icc_profile = image.info.get("icc_profile")
        _apply_orientation(image)
        rgb = _flatten_to_rgb(image)
        if too_many_pixels:
            target = _fit_sides_sum(rgb.width, rgb.height)
            rgb = rgb.resize(target, Image.Resampling.LANCZOS)
            reasons.insert(0, f"resized {width}x{height}->{target[0]}x{target[1]}")
        data, quality, final_size = _encode_jpeg_within(
            rgb, MAX_PHOTO_BYTES, PHOTO_QUALITIES, icc_profile=icc_profile
        )
        if final_size != rgb.size:
            reasons.append(f"shrunk to {final_size[0]}x{final_size[1]} for size")
        if quality != PHOTO_QUALITIES[0]:
            reasons.append(f"quality {quality}")
        return _Encoded(data, final_size[0], final_size[1], ", ".join(reasons))


def _displayed_size(image: Image.Image) -> tuple[int, int]:
    """Size as viewers show it: EXIF orientations 5-8 swap width and height."""
    width, height = image.size
    try:
        orientation = image.getexif().get(ExifTags.Base.Orientation)
    except Exception:  # noqa: BLE001 - a broken EXIF block does not make the pixels unusable
        orientation = None
    if orientation in _ORIENTATIONS_SWAPPING_SIDES:
        return height, width
    return width, height


def _apply_orientation(image: Image.Image) -> None:
    """Rotate the pixels as EXIF says, since the JPEG we write carries no EXIF to say it."""
    with contextlib.suppress(Exception):  # a broken EXIF block: keep the pixels as stored, as _displayed_size does
        ImageOps.exif_transpose(image, in_place=True)


def _flatten_to_rgb(image: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency goes onto white (not JPEG's implicit black), 16-bit grey is scaled."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode == "RGB":
        return image
    if image.mode.startswith("I"):
        # convert("RGB") would clip 16-bit values to white; scale them to 8 bits first.
        return image.convert("I").point(lambda value: value * (1 / 256)).convert("L").convert("RGB")
    return image.convert("RGB")


def _limit_ratio(width: int, height: int) -> tuple[int, int]:
    """Undo rounding that pushed an allowed aspect ratio (<= 20) just past 20."""
    width = min(width, MAX_ASPECT_RATIO * height)
    height = min(height, MAX_ASPECT_RATIO * width)
    return width, height


def _fit_sides_sum(width: int, height: int) -> tuple[int, int]:
    """Proportional size with width + height <= 10000, in integers so it never rounds up."""
    total = width + height
    return _limit_ratio(max(1, width * MAX_PHOTO_SIDES_SUM // total), max(1, height * MAX_PHOTO_SIDES_SUM // total))


def _encode_jpeg_within(
    image: Image.Image,
    limit: int,
    qualities: Sequence[int],
    *,
    subsampling: int | None = None,
    icc_profile: bytes | None = None,
) -> tuple[bytes, int, tuple[int, int]]:
    """JPEG bytes of at most `limit`: lower the quality first, then the size.

    Returns the bytes, the quality used and the final pixel size.
    """
    while True:
        for quality in qualities:
            data = _jpeg_bytes(image, quality, subsampling, icc_profile)
            if len(data) <= limit:
                return data, quality, image.size
        # Bytes grow roughly with the pixel count, so scale the sides by the square root.
        scale = min(max(math.sqrt(limit / len(data)), 0.5), 0.9)
        smaller = _limit_ratio(max(1, int(image.width * scale)), max(1, int(image.height * scale)))
        if smaller == image.size:
            raise ValueError(f"cannot encode a JPEG of at most {limit} bytes")
        image = image.resize(smaller, Image.Resampling.LANCZOS)


def _jpeg_bytes(image: Image.Image, quality: int, subsampling: int | None, icc_profile: bytes | None) -> bytes:
    options: dict[str, Any] = {"quality": quality}
    if subsampling is not None:
        options["subsampling"] = subsampling
    if icc_profile:
        options["icc_profile"] = icc_profile  # keeps Display P3 phone photos from looking washed out
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    return buffer.getvalue()


def _output_name(source: Path) -> str:
    """`<source name>.photo.jpg`: distinct per source name, and always longer than (so never) the source."""
    return f"{source.name}.photo.jpg"


def _write_atomically(target: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so a concurrent reader never sees half a JPEG."""
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
        Path(temporary).replace(target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
