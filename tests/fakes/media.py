"""Real media bytes for tests: the committed sample files and images made on the fly.

Everything here decodes with real tools (Pillow, pillow-heif, FFmpeg), so the product's media handling is
exercised on genuine files rather than on placeholder bytes.
"""

from __future__ import annotations

import array
import functools
import io
import math
import random
import struct
from pathlib import Path

import av
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


# --------------------------------------------------------------------------- made with PyAV, for the video tests


def png(width: int = 360, height: int = 640, color: tuple[int, int, int] = (220, 180, 30)) -> bytes:
    """A real PNG (lossless, so its colours come back exactly) with the same white rectangle as `jpeg`."""
    return _encode(width, height, color, "PNG")


def tone(path: Path, seconds: float, *, frequency: float = 440.0, codec: str = "aac") -> Path:
    """A sine tone of `seconds`, stereo 44.1 kHz, as a real audio file: "aac" (write .m4a) or "libmp3lame" (.mp3)."""
    container_format = "ipod" if codec == "aac" else None
    with av.open(str(path), "w", format=container_format) as output:
        _write_tone(output, _tone_stream(output, codec), seconds, frequency)
    return path


def noise_video(path: Path, seconds: float, *, width: int = 160, height: int = 288, fps: int = 15,
                audio: bool = True, seed: int = 1) -> Path:
    """A real MP4 (H.264, with an AAC tone unless `audio` is False) of random noise: it compresses as badly as
    a video can, the worst case for a size limit."""
    noise = random.Random(seed)
    with av.open(str(path), "w", format="mp4") as output:
        video = output.add_stream("libx264", rate=fps, options={"preset": "ultrafast", "crf": "18"})
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        sound = _tone_stream(output, "aac") if audio else None  # every stream before the first packet
        for index in range(round(seconds * fps)):
            frame = av.VideoFrame(width, height, "yuv420p")
            for plane in frame.planes:
                plane.update(noise.randbytes(plane.buffer_size))
            frame.pts = index
            output.mux(video.encode(frame))
        output.mux(video.encode(None))
        if sound is not None:
            _write_tone(output, sound, seconds, 440.0)
    return path


def remuxed(source: Path, output: Path, *, codec_tag: str | None = None, rotation: int | None = None) -> Path:
    """`source`'s streams copied into a new MP4 untouched, the video's codec tag or display rotation changed."""
    with av.open(str(source)) as container, av.open(str(output), "w", format="mp4") as target:
        copies = {}
        for stream in container.streams:
            copy = target.add_stream_from_template(stream)
            if stream.type == "video" and codec_tag is not None:
                copy.codec_tag = codec_tag
            if stream.type == "video" and rotation is not None:
                copy.set_display_rotation(rotation)
            copies[stream.index] = copy
        for packet in container.demux():
            if packet.dts is not None:
                packet.stream = copies[packet.stream.index]
                target.mux(packet)
    return output


def _tone_stream(output: av.container.OutputContainer, codec: str) -> av.AudioStream:
    stream = output.add_stream(codec, rate=44_100)
    stream.layout, stream.format = "stereo", "fltp"
    return stream


def _write_tone(output: av.container.OutputContainer, stream: av.AudioStream, seconds: float, frequency: float) -> None:
    rate = stream.rate
    chunk = 1024 if stream.codec_context.name == "aac" else 1152  # the encoders' frame sizes
    total = round(seconds * rate)
    for start in range(0, total, chunk):
        samples = min(chunk, total - start)
        wave = array.array("f", (0.3 * math.sin(2 * math.pi * frequency * (start + n) / rate) for n in range(samples)))
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
        frame.sample_rate, frame.pts = rate, start
        for plane in frame.planes:
            plane.update(wave.tobytes().ljust(plane.buffer_size, b"\0"))
        output.mux(stream.encode(frame))
    output.mux(stream.encode(None))
