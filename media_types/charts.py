"""The /stats chart: downloads per day as a PNG bar chart, drawn with Pillow in the image process pool."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT, MARGIN = 800, 400, 40
BACKGROUND, BARS, TEXT = (255, 255, 255), (52, 120, 246), (40, 40, 40)


def render_daily_chart(points: list[tuple[str, int]], title: str) -> bytes:
    """One bar per (label, count), labelled, scaled to the largest count; a picklable plain function."""
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    draw.text((MARGIN, 10), title, fill=TEXT, font=font)
    top = max((count for _, count in points), default=0) or 1
    plot_height = HEIGHT - 2 * MARGIN - 20
    slot = (WIDTH - 2 * MARGIN) / max(len(points), 1)
    for index, (label, count) in enumerate(points):
        left = MARGIN + index * slot + slot * 0.15
        right = MARGIN + (index + 1) * slot - slot * 0.15
        bottom = HEIGHT - MARGIN
        height = plot_height * count / top
        if count:
            draw.rectangle((left, bottom - height, right, bottom), fill=BARS)
        draw.text((left, bottom - height - 14), str(count), fill=TEXT, font=font)
        draw.text((left, bottom + 4), label, fill=TEXT, font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
