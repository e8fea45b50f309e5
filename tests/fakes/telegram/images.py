"""Pillow at the few places the fake looks into pictures: photo sizes, the preview Telegram generates
and a real photo for injected messages."""

from __future__ import annotations

import io

from PIL import Image


def image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None



def thumbnail(data: bytes, side: int = 320) -> tuple[bytes, int, int] | None:
    """A JPEG preview like the smaller PhotoSize Telegram generates, when the photo is bigger than `side`."""
    size = image_size(data)
    if size is None or max(size) <= side:
        return None
    with Image.open(io.BytesIO(data)) as original:
        image = original.convert("RGB")
        image.thumbnail((side, side))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG")
        return buffer.getvalue(), image.width, image.height


def sample_jpeg() -> bytes:
    """A small real photo for injected user messages, so handlers that open it with Pillow work."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "JPEG")
    return buffer.getvalue()
