"""Real media bytes for tests: the committed sample files and images made on the fly.

Everything here decodes with real tools (Pillow, pillow-heif, FFmpeg), so the product's media handling is
exercised on genuine files rather than on placeholder bytes.
"""

from __future__ import annotations

import functools
import io
import struct
from pathlib import Path

import pillow_heif
from PIL import Image, ImageDraw

pillow_heif.register_heif_opener()

MEDIA_DIR = Path(__file__).with_name("media")
SAMPLE_WIDTH, SAMPLE_HEIGHT, SAMPLE_SECONDS = 360, 640, 2  # h264.mp4 / h265.mp4 / sound.mp3, see media/README.md
IMAGE_TYPES = {"JPEG": ("jpeg", "image/jpeg"), "WEBP": ("webp", "image/webp"), "HEIF": ("heic", "image/heic")}


@functools.cache
def sample(name: str) -> bytes:
    """The bytes of a committed sample file: "h264.mp4", "h265.mp4" or "sound.mp3"."""
    return (MEDIA_DIR / name).read_bytes()


def jpeg(width: int = 360, height: int = 640, color: tuple[int, int, int] = (200, 40, 80)) -> bytes:
    """A real JPEG of the given size; vary `color` to tell images apart."""
    return _encode(width, height, color, "JPEG")


def webp(width: int = 360, height: int = 640, color: tuple[int, int, int] = (40, 160, 90)) -> bytes:
    """A real WebP of the given size."""
    return _encode(width, height, color, "WEBP")


def heic(width: int = 360, height: int = 640, color: tuple[int, int, int] = (30, 90, 200)) -> bytes:
    """A real HEIC (HEIF) image of the given size, as TikTok photo posts sometimes serve."""
    return _encode(width, height, color, "HEIF")


def image_info(data: bytes) -> tuple[str, str, int, int]:
    """(extension, content type, width, height) of an encoded JPEG, WebP or HEIC image."""
    with Image.open(io.BytesIO(data)) as image:
        extension, content_type = IMAGE_TYPES[image.format]
        return extension, content_type, image.width, image.height


def mp4_of_size(n_bytes: int) -> bytes:
    """The real h264.mp4 padded with a trailing MP4 `free` box to exactly n_bytes, so it stays playable."""
    video = sample("h264.mp4")
    padding = n_bytes - len(video)
    if padding == 0:
        return video
    if padding < 8:
        raise ValueError(f"an MP4 of {n_bytes} bytes is impossible: the sample alone is {len(video)} bytes")
    if padding <= 0xFFFFFFFF:
        header = struct.pack(">I4s", padding, b"free")
    else:  # a box this big needs the 64-bit "largesize" form
        header = struct.pack(">I4sQ", 1, b"free", padding)
    return video + header + bytes(padding - len(header))


def _encode(width: int, height: int, color: tuple[int, int, int], image_format: str) -> bytes:
    image = Image.new("RGB", (width, height), color)
    ImageDraw.Draw(image).rectangle((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format=image_format)
    return buffer.getvalue()
