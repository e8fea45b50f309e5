"""The inputs of the render scenario, made in the run: photo-post pictures that do not compress trivially
(gradients, shapes, grain) and a sound (a melody over noise, MP3), both deterministic per seed."""

from __future__ import annotations

import functools
import io
import math
import random
from array import array
from fractions import Fraction

import av
from av.audio.frame import AudioFrame
from PIL import Image, ImageDraw, ImageFilter

SOUND_RATE = 44_100
SOUND_BIT_RATE = 128_000
_FRAME_SAMPLES = 1152  # one MP3 frame
_NOTES = (220.0, 246.94, 277.18, 329.63, 369.99, 440.0, 493.88, 554.37)  # a pentatonic-ish scale


def picture(index: int, size: tuple[int, int] = (1080, 1440), seed: int = 0) -> bytes:
    """A JPEG of `size` (quality 90): a two-colour gradient, a few soft shapes and grain; about 200 kB at
    1080x1440, distinct for every (seed, index)."""
    rng = random.Random(seed * 10_007 + index)
    width, height = size

    def colour() -> tuple[int, int, int]:
        return rng.randrange(256), rng.randrange(256), rng.randrange(256)

    # Drawn and softened at half size (cheaper), then scaled up: the edges stay soft, as in a photo.
    half = (width // 2, height // 2)
    gradient = Image.linear_gradient("L").resize(half, Image.Resampling.BILINEAR)
    image = Image.composite(Image.new("RGB", half, colour()), Image.new("RGB", half, colour()), gradient)
    draw = ImageDraw.Draw(image)
    for _ in range(6):
        x, y = rng.randrange(half[0]), rng.randrange(half[1])
        radius = rng.randrange(min(half) // 10, min(half) // 3)
        box = (x - radius, y - radius, x + radius, y + radius)
        if rng.random() < 0.5:
            draw.ellipse(box, fill=colour())
        else:
            draw.rectangle(box, fill=colour())
    image = image.filter(ImageFilter.GaussianBlur(3)).resize(size, Image.Resampling.BICUBIC)
    # Coarse blotches (like out-of-focus detail) and fine grain (like a phone sensor's, shared by all pictures).
    coarse = (width // 8, height // 8)
    blotches = Image.merge("RGB", [Image.effect_noise(coarse, 40).resize(size, Image.Resampling.BICUBIC)
                                   for _ in range(3)])
    image = Image.blend(image, blotches, 0.18)
    image = Image.blend(image, _grain(size), 0.12)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


@functools.cache
def _grain(size: tuple[int, int]) -> Image.Image:
    return Image.merge("RGB", [Image.effect_noise(size, 20) for _ in range(3)])


def sound_mp3(seconds: float, seed: int = 0) -> bytes:
    """An MP3 of `seconds` (44.1 kHz stereo, 128 kb/s): a note every half second over soft noise."""
    rng = random.Random(seed)
    total = round(seconds * SOUND_RATE)
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as output:
        stream = output.add_stream("libmp3lame", rate=SOUND_RATE)
        stream.layout = "stereo"
        stream.format = "fltp"
        stream.bit_rate = SOUND_BIT_RATE
        note_samples = SOUND_RATE // 2
        frequency = rng.choice(_NOTES)
        written = 0
        while written < total:
            count = min(_FRAME_SAMPLES, total - written)
            left, right = array("f"), array("f")
            for offset in range(written, written + count):
                position = offset % note_samples
                if position == 0:
                    frequency = rng.choice(_NOTES)
                envelope = math.exp(-3.0 * position / note_samples)
                phase = 2 * math.pi * frequency * offset / SOUND_RATE
                tone = 0.35 * envelope * math.sin(phase)
                left.append(tone + 0.04 * (rng.random() - 0.5))
                right.append(0.9 * tone + 0.04 * (rng.random() - 0.5))
            frame = AudioFrame(format="fltp", layout="stereo", samples=count)
            frame.sample_rate = SOUND_RATE
            frame.pts = written
            frame.time_base = Fraction(1, SOUND_RATE)
            for plane, samples in zip(frame.planes, (left, right), strict=True):
                data = samples.tobytes()
                plane.update(data + bytes(plane.buffer_size - len(data)))
            output.mux(stream.encode(frame))
            written += count
        output.mux(stream.encode(None))
    return buffer.getvalue()
