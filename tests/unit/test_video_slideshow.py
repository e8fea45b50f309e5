"""Slideshows rendered for real and read back with PyAV: codecs, length, every picture in its place, the sound
looped or cut, and the size limit."""

from __future__ import annotations

import array
import struct
from pathlib import Path

import av
import pytest
from PIL import Image, ImageStat

from media_types.video import CannotFitError, EncodingError, plan_slideshow, render_slideshow
from media_types.video.slideshow import SLIDESHOW_FPS
from tests.fakes.media import heic, jpeg, png, tone, webp

FRAME = 1 / SLIDESHOW_FPS
COLORS = [(200, 30, 40), (30, 170, 60), (40, 60, 210)]
SMALL = (160, 288)  # pictures of one small size make a small frame: fast to encode


def _pictures(folder: Path, sizes: list[tuple[int, int]], colors=COLORS) -> list[Path]:
    paths = []
    for index, ((width, height), color) in enumerate(zip(sizes, colors, strict=False)):
        path = folder / f"{index}.png"
        path.write_bytes(png(width, height, color))
        paths.append(path)
    return paths


def _frame_at(video: Path, seconds: float) -> Image.Image:
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            if frame.time >= seconds:
                return frame.to_image()
    raise AssertionError(f"no frame at {seconds} s")


def _mean(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> tuple[float, ...]:
    return tuple(ImageStat.Stat(image.crop(box) if box else image).mean)


def _close(actual: tuple[float, ...], expected: tuple[float, ...], tolerance: float = 8) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def _durations(video: Path) -> dict[str, float]:
    with av.open(str(video)) as container:
        return {stream.type: float(stream.duration * stream.time_base) for stream in container.streams}


def _samples(video: Path) -> list[float]:
    """The first channel of the decoded audio."""
    values: list[float] = []
    with av.open(str(video)) as container:
        for frame in container.decode(audio=0):
            values += array.array("f", bytes(frame.planes[0]))[: frame.samples]
    return values


def _loudness(samples: list[float]) -> float:
    return (sum(value * value for value in samples) / len(samples)) ** 0.5


def _top_level_boxes(path: Path) -> list[str]:
    boxes, data, offset = [], path.read_bytes(), 0
    while offset < len(data):
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        boxes.append(kind.decode())
        offset += size
    return boxes


# --------------------------------------------------------------------------- the plan


@pytest.mark.parametrize(
    ("size", "frame"),
    [((721, 1281), (720, 1280)), ((4000, 3000), (1440, 1080)), ((1000, 4000), (480, 1920)), ((1, 1), (2, 2))],
)
def test_a_common_size_is_kept_even_and_within_1920x1080(size, frame) -> None:
    plan = plan_slideshow([size] * 2, None)
    assert (plan.width, plan.height) == frame


def test_mixed_sizes_get_a_portrait_full_hd_frame() -> None:
    plan = plan_slideshow([(720, 1280), (1080, 1080)], 9.0)
    assert (plan.width, plan.height, plan.pictures, plan.fps) == (1080, 1920, 2, SLIDESHOW_FPS)


@pytest.mark.parametrize(
    ("pictures", "sound_seconds", "each"),
    [(4, 10.0, 2.5), (10, 5.0, 1.5), (2, 60.0, 4.0), (3, None, 3.0), (3, 0.0, 3.0)],
)
def test_each_picture_gets_an_equal_share_of_the_sound_within_bounds(pictures, sound_seconds, each) -> None:
    plan = plan_slideshow([SMALL] * pictures, sound_seconds)
    assert plan.seconds_per_picture == each
    assert plan.total_seconds == pytest.approx(each * pictures)


def test_a_slideshow_needs_a_picture() -> None:
    with pytest.raises(ValueError):
        plan_slideshow([], 3.0)


# --------------------------------------------------------------------------- the render


def test_every_picture_shows_in_order_for_its_share_of_the_sound(tmp_path: Path) -> None:
    pictures = _pictures(tmp_path, [SMALL] * 3)
    sound = tone(tmp_path / "sound.m4a", 5.0)
    output = tmp_path / "out" / "slideshow.mp4"

    result = render_slideshow(pictures, sound, output, max_bytes=10_000_000, progress=tmp_path / "progress")

    plan = plan_slideshow([SMALL] * 3, 5.0)
    assert (result.path, result.width, result.height) == (output, *SMALL)
    assert result.size == output.stat().st_size
    assert result.duration == pytest.approx(5.0, abs=FRAME)
    with av.open(str(output)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.name, video.codec_context.pix_fmt, video.profile) == ("h264", "yuv420p", "High")
        assert (audio.codec_context.name, audio.rate, audio.layout.name) == ("aac", 44_100, "stereo")
    durations = _durations(output)
    assert durations["video"] == pytest.approx(plan.total_seconds, abs=FRAME)
    assert durations["audio"] == pytest.approx(durations["video"], abs=FRAME)
    for index, picture in enumerate(pictures):
        middle = (index + 0.5) * plan.seconds_per_picture
        with Image.open(picture) as source:
            assert _close(_mean(_frame_at(output, middle)), _mean(source.convert("RGB")))
    assert _top_level_boxes(output).index("moov") < _top_level_boxes(output).index("mdat")  # +faststart
    assert (tmp_path / "progress").read_text() == "1.000"
    assert sorted(path.name for path in output.parent.iterdir()) == ["slideshow.mp4"]


def test_jpeg_webp_and_heic_pictures_all_show(tmp_path: Path) -> None:
    pictures = []
    for index, (encode, color) in enumerate(zip((jpeg, webp, heic), COLORS, strict=True)):
        pictures.append(tmp_path / f"{index}.picture")
        pictures[-1].write_bytes(encode(*SMALL, color))
    output = tmp_path / "slideshow.mp4"

    render_slideshow(pictures, None, output, max_bytes=10_000_000)

    for index, picture in enumerate(pictures):
        with Image.open(picture) as source:
            assert _close(_mean(_frame_at(output, index * 3 + 1.5)), _mean(source.convert("RGB")), tolerance=12)


def test_a_picture_of_another_shape_is_letterboxed_not_stretched(tmp_path: Path) -> None:
    landscape, portrait = _pictures(tmp_path, [(320, 180), (180, 320)])
    output = tmp_path / "slideshow.mp4"

    result = render_slideshow([landscape, portrait], tone(tmp_path / "sound.m4a", 3.0), output, max_bytes=10_000_000)

    assert (result.width, result.height) == (1080, 1920)
    frame = _frame_at(output, 0.75)
    picture_top = (1920 - 608) // 2  # 320x180 fitted to the width: 1080x608, centred
    assert max(_mean(frame, (0, 0, 1080, picture_top - 8))) < 6  # a black bar above...
    assert max(_mean(frame, (0, picture_top + 616, 1080, 1920))) < 6  # ...and below
    assert _close(_mean(frame, (0, picture_top + 8, 1080, picture_top + 100)), COLORS[0])
    assert min(frame.getpixel((540, 960))) > 240  # the white rectangle in the middle, not smeared over the frame
    assert _close(_mean(_frame_at(output, 2.25), (0, 0, 1080, 100)), COLORS[1])  # the portrait one fills it


def test_a_short_sound_loops_to_the_end(tmp_path: Path) -> None:
    output = tmp_path / "slideshow.mp4"
    render_slideshow(_pictures(tmp_path, [SMALL] * 2), tone(tmp_path / "sound.mp3", 1.0, codec="libmp3lame"),
                     output, max_bytes=10_000_000)

    durations = _durations(output)
    assert durations["video"] == pytest.approx(3.0, abs=FRAME)  # 2 pictures of at least 1.5 s
    assert durations["audio"] == pytest.approx(durations["video"], abs=FRAME)
    samples = _samples(output)
    assert _loudness(samples[-20_000:-4_000]) > 0.1  # still the tone in its third second: looped, not silence


def test_a_long_sound_is_cut_at_the_end(tmp_path: Path) -> None:
    output = tmp_path / "slideshow.mp4"
    render_slideshow(_pictures(tmp_path, [SMALL] * 2), tone(tmp_path / "sound.m4a", 12.0), output,
                     max_bytes=10_000_000)

    durations = _durations(output)
    assert durations["video"] == pytest.approx(8.0, abs=FRAME)  # 2 pictures of at most 4 s
    assert durations["audio"] == pytest.approx(8.0, abs=FRAME)


def test_without_a_sound_the_video_still_has_a_silent_track(tmp_path: Path) -> None:
    output = tmp_path / "slideshow.mp4"
    result = render_slideshow(_pictures(tmp_path, [SMALL]), None, output, max_bytes=10_000_000)

    assert result.duration == pytest.approx(3.0, abs=FRAME)
    durations = _durations(output)
    assert durations["audio"] == pytest.approx(durations["video"], abs=FRAME)
    assert max(abs(value) for value in _samples(output)) < 1e-3


def test_exif_orientation_and_transparency(tmp_path: Path) -> None:
    """A photo stored on its side shows upright; transparent pixels go onto black."""
    sideways = tmp_path / "sideways.jpg"
    stored = Image.new("RGB", (288, 160), COLORS[2])
    stored.paste((255, 255, 255), (0, 0, 144, 160))  # the stored left half becomes the top after turning
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 clockwise to display"
    stored.save(sideways, exif=exif, quality=95)
    cutout = tmp_path / "cutout.png"
    transparent = Image.new("RGBA", SMALL, (255, 255, 255, 0))
    transparent.paste((200, 30, 40, 255), (40, 72, 120, 216))
    transparent.save(cutout)
    output = tmp_path / "slideshow.mp4"

    result = render_slideshow([sideways, cutout], None, output, max_bytes=10_000_000)

    assert (result.width, result.height) == SMALL  # the sideways photo's displayed size, shared by both
    upright = _frame_at(output, 1.5)
    assert min(_mean(upright, (0, 0, 160, 130))) > 240  # white on top
    assert _close(_mean(upright, (0, 158, 160, 288)), COLORS[2])
    cut = _frame_at(output, 4.5)
    assert max(_mean(cut, (0, 0, 160, 60))) < 6
    assert _close(_mean(cut, (50, 82, 110, 206)), (200, 30, 40))


def test_a_limit_no_encoding_meets_raises_and_leaves_nothing(tmp_path: Path) -> None:
    pictures = _pictures(tmp_path, [SMALL] * 2)
    output = tmp_path / "out" / "slideshow.mp4"

    with pytest.raises(CannotFitError):
        render_slideshow(pictures, None, output, max_bytes=2_000)

    assert list(output.parent.iterdir()) == []


def test_an_undecodable_picture_is_named_by_its_index(tmp_path: Path) -> None:
    good, _ = _pictures(tmp_path, [SMALL] * 2)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not a picture")
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(png(*SMALL)[:200])

    with pytest.raises(EncodingError, match="picture 1"):
        render_slideshow([good, broken], None, tmp_path / "a.mp4", max_bytes=10_000_000)
    with pytest.raises(EncodingError, match="picture 2"):
        render_slideshow([good, good, truncated], None, tmp_path / "b.mp4", max_bytes=10_000_000)
    assert not (tmp_path / "a.mp4").exists()
    assert not (tmp_path / "b.mp4").exists()
