"""Photos and thumbnails within Telegram's limits, on real images made with Pillow and pillow-heif."""

from __future__ import annotations

import io
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import ClassVar

import pytest
from PIL import Image

from media_types import images
from media_types.images import (
    MAX_PHOTO_BYTES,
    MAX_THUMBNAIL_BYTES,
    ImageProcessor,
    PhotoPlan,
    make_thumbnail,
    prepare_photo,
)

ORIENTATION = 0x0112


def _save(image: Image.Image, path: Path, **options) -> Path:
    image.save(path, **options)
    return path


def _noise(width: int, height: int) -> Image.Image:
    """Random pixels: the worst case for every compressor."""
    return Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))


def _halves(width: int, height: int, left: str = "red", right: str = "blue", mode: str = "RGB") -> Image.Image:
    image = Image.new(mode, (width, height), right)
    image.paste(Image.new(mode, (width // 2, height), left), (0, 0))
    return image


def _rotated_exif() -> bytes:
    """EXIF saying "rotate 90 degrees clockwise to display" (orientation 6)."""
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    return exif.tobytes()


def _opened(path: Path) -> tuple[str, tuple[int, int]]:
    with Image.open(path) as image:
        image.load()
        return image.format, image.size


def _assert_sendable_jpeg(plan: PhotoPlan, source: Path, size: tuple[int, int]) -> None:
    assert not plan.as_document
    assert plan.converted
    assert plan.path != source
    assert (plan.width, plan.height) == size
    assert _opened(plan.path) == ("JPEG", size)
    assert plan.path.stat().st_size <= MAX_PHOTO_BYTES


def _close(first: tuple[int, ...], second: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(first, second, strict=True))


# --------------------------------------------------------------------------- prepare_photo


def test_jpeg_within_limits_is_sent_untouched(tmp_path: Path) -> None:
    source = _save(_halves(640, 480), tmp_path / "photo.jpg", quality=85)
    before = source.read_bytes()
    workdir = tmp_path / "work"

    plan = prepare_photo(source, workdir)

    assert plan == PhotoPlan(source, False, 640, 480, False, "ok")
    assert source.read_bytes() == before
    assert not workdir.exists() or not any(workdir.iterdir())


def test_png_with_alpha_is_sent_as_png(tmp_path: Path) -> None:
    """Decision: PNG is a format sendPhoto takes, so a transparent PNG within limits goes out as is;
    Telegram does its own flattening. Only a PNG that must be re-encoded is flattened (on white)."""
    source = _save(_halves(64, 48, left=(255, 0, 0, 0), right=(0, 0, 255, 255), mode="RGBA"), tmp_path / "a.png")
    before = source.read_bytes()

    plan = prepare_photo(source, tmp_path / "work")

    assert plan == PhotoPlan(source, False, 64, 48, False, "ok")
    assert source.read_bytes() == before


def test_heic_becomes_a_jpeg_of_the_same_size(tmp_path: Path) -> None:
    source = _save(_halves(300, 200), tmp_path / "slide.heic")
    assert _opened(source)[0] == "HEIF"
    before = source.read_bytes()

    plan = prepare_photo(source, tmp_path / "work")

    _assert_sendable_jpeg(plan, source, (300, 200))
    assert plan.path.parent == tmp_path / "work"
    assert plan.reason == "heif->jpeg"
    assert source.read_bytes() == before


def test_webp_with_transparency_becomes_a_jpeg_on_white_next_to_the_source(tmp_path: Path) -> None:
    """Converting into the source's own directory must not overwrite the source."""
    image = _halves(120, 80, left=(0, 0, 0, 0), right=(255, 0, 0, 255), mode="RGBA")
    source = _save(image, tmp_path / "slide.webp", lossless=True)
    before = source.read_bytes()

    plan = prepare_photo(source, tmp_path)

    _assert_sendable_jpeg(plan, source, (120, 80))
    assert plan.reason == "webp->jpeg"
    assert source.read_bytes() == before
    with Image.open(plan.path) as result:
        assert _close(result.getpixel((10, 40)), (255, 255, 255))  # transparent -> white, not black
        assert _close(result.getpixel((110, 40)), (255, 0, 0))


def test_gif_sends_its_first_frame_as_jpeg(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (50, 40), "lime"), Image.new("RGB", (50, 40), "blue")]
    source = tmp_path / "anim.gif"
    frames[0].save(source, save_all=True, append_images=frames[1:], duration=100)

    plan = prepare_photo(source, tmp_path / "work")

    _assert_sendable_jpeg(plan, source, (50, 40))
    with Image.open(plan.path) as result:
        assert _close(result.getpixel((25, 20)), (0, 255, 0))


def test_too_many_pixels_are_scaled_down_proportionally(tmp_path: Path) -> None:
    source = _save(Image.new("RGB", (12000, 800), "orange"), tmp_path / "wide.jpg")

    plan = prepare_photo(source, tmp_path / "work")

    _assert_sendable_jpeg(plan, source, (9375, 625))
    assert plan.reason == "resized 12000x800->9375x625"


def test_scaling_down_never_rounds_the_aspect_ratio_past_20(tmp_path: Path) -> None:
    """9600x480 is exactly 20:1; naive rounding of the downscale gives 9523x476, just over 20."""
    source = _save(Image.new("L", (9600, 480), 200), tmp_path / "strip.png")

    plan = prepare_photo(source, tmp_path / "work")

    assert not plan.as_document
    width, height = _opened(plan.path)[1]
    assert (width, height) == (plan.width, plan.height)
    assert width + height <= 10000
    assert width <= 20 * height
    assert width >= 9500


@pytest.mark.parametrize(("name", "size"), [("tall.png", (30, 900)), ("long.heic", (900, 30))])
def test_aspect_ratio_over_20_goes_out_as_the_original_document(tmp_path: Path, name: str, size) -> None:
    source = _save(Image.new("RGB", size, "green"), tmp_path / name)
    workdir = tmp_path / "work"

    plan = prepare_photo(source, workdir)

    assert plan == PhotoPlan(source, True, *size, False, "aspect ratio 30.0 > 20: document")
    assert not workdir.exists() or not any(workdir.iterdir())


def test_a_photo_over_10_mb_is_reencoded_under_10_mb(tmp_path: Path) -> None:
    source = _save(_noise(1900, 1900), tmp_path / "noise.png", compress_level=0)
    assert source.stat().st_size > MAX_PHOTO_BYTES

    plan = prepare_photo(source, tmp_path / "work")

    _assert_sendable_jpeg(plan, source, (1900, 1900))
    assert plan.reason.startswith("png 10.3 MB->jpeg")


def test_lower_quality_then_fewer_pixels_until_it_fits(tmp_path: Path, monkeypatch) -> None:
    """Noise does not fit 60 kB even at the lowest quality, so the picture must shrink as well."""
    monkeypatch.setattr(images, "MAX_PHOTO_BYTES", 60_000)
    source = _save(_noise(500, 400), tmp_path / "noise.png")

    plan = prepare_photo(source, tmp_path / "work")

    assert not plan.as_document and plan.converted
    assert plan.path.stat().st_size <= 60_000
    assert _opened(plan.path) == ("JPEG", (plan.width, plan.height))
    assert plan.width < 500 and plan.height < 400
    assert abs(plan.width / plan.height - 500 / 400) < 0.02
    assert f"shrunk to {plan.width}x{plan.height}" in plan.reason and "quality" in plan.reason


def test_a_corrupt_picture_is_sent_as_a_document(tmp_path: Path) -> None:
    good = io.BytesIO()
    _noise(400, 300).save(good, "JPEG")
    cases = {
        "garbage.jpg": b"this is not an image at all" * 10,
        "truncated.jpg": good.getvalue()[: len(good.getvalue()) // 2],
        "empty.heic": b"",
    }
    for name, data in cases.items():
        source = tmp_path / name
        source.write_bytes(data)

        plan = prepare_photo(source, tmp_path / "work")

        assert plan.as_document, name
        assert (plan.path, plan.converted, plan.width, plan.height) == (source, False, 0, 0), name
        assert plan.reason.startswith("unreadable image"), name
        assert source.read_bytes() == data


def test_a_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        prepare_photo(tmp_path / "missing.jpg", tmp_path / "work")
    with pytest.raises(FileNotFoundError):
        make_thumbnail(tmp_path / "missing.jpg")


@pytest.mark.parametrize("extension", ["webp", "heic"])
def test_exif_orientation_is_applied_when_converting(tmp_path: Path, extension: str) -> None:
    """Stored 200x100 red|blue with orientation 6 displays 100x200 with red on top."""
    source = _save(_halves(200, 100), tmp_path / f"rotated.{extension}", exif=_rotated_exif(), quality=95)

    plan = prepare_photo(source, tmp_path / "work")

    _assert_sendable_jpeg(plan, source, (100, 200))
    with Image.open(plan.path) as result:
        assert _close(result.getpixel((50, 20)), (255, 0, 0))
        assert _close(result.getpixel((50, 180)), (0, 0, 255))


def test_a_rotated_jpeg_is_sent_as_is_with_its_displayed_size(tmp_path: Path) -> None:
    """Decision: width/height report the displayed size, even when the file is not touched."""
    source = _save(_halves(200, 100), tmp_path / "rotated.jpg", exif=_rotated_exif())

    plan = prepare_photo(source, tmp_path / "work")

    assert plan == PhotoPlan(source, False, 100, 200, False, "ok")


# --------------------------------------------------------------------------- make_thumbnail


def _thumbnail_image(data: bytes | None) -> Image.Image:
    assert data is not None
    assert len(data) <= MAX_THUMBNAIL_BYTES
    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.format == "JPEG"
    return image


def test_thumbnail_of_a_portrait_cover(tmp_path: Path) -> None:
    source = _save(_halves(1080, 1920), tmp_path / "cover.jpg", quality=95)

    thumbnail = _thumbnail_image(make_thumbnail(source))

    assert thumbnail.size == (180, 320)
    # The picture itself survives the decoder's downscaling: red left half, blue right half.
    assert _close(thumbnail.getpixel((45, 160)), (255, 0, 0)) and _close(thumbnail.getpixel((135, 160)), (0, 0, 255))


def test_thumbnail_of_noise_still_fits_200_kb(tmp_path: Path) -> None:
    source = _save(_noise(320, 320), tmp_path / "noise.png")

    thumbnail = _thumbnail_image(make_thumbnail(source))

    assert thumbnail.size == (320, 320)


def test_thumbnail_is_upright_and_flattened(tmp_path: Path) -> None:
    rotated = _save(_halves(400, 200), tmp_path / "rotated.jpg", exif=_rotated_exif())
    upright = _thumbnail_image(make_thumbnail(rotated))
    assert upright.size == (160, 320)
    # Turned a quarter clockwise: the red left half is now on top, the blue one below.
    assert _close(upright.getpixel((80, 60)), (255, 0, 0)) and _close(upright.getpixel((80, 260)), (0, 0, 255))

    clear = _save(Image.new("RGBA", (100, 100), (0, 0, 0, 0)), tmp_path / "clear.png")
    thumbnail = _thumbnail_image(make_thumbnail(clear))
    assert thumbnail.size == (100, 100)
    assert _close(thumbnail.getpixel((50, 50)), (255, 255, 255))


def test_no_thumbnail_for_a_corrupt_picture(tmp_path: Path) -> None:
    source = tmp_path / "cover.jpg"
    source.write_bytes(b"\xff\xd8\xff\xe0 broken")

    assert make_thumbnail(source) is None


# --------------------------------------------------------------------------- ImageProcessor


class _RecordingPool(ProcessPoolExecutor):
    """A real process pool that remembers how it was made and what ran in it."""

    instances: ClassVar[list[_RecordingPool]] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.start_method = kwargs["mp_context"].get_start_method()
        self.submitted: list[str] = []
        self.instances.append(self)

    def submit(self, fn, /, *args, **kwargs):
        self.submitted.append(fn.__name__)
        return super().submit(fn, *args, **kwargs)


@pytest.fixture
def recording_pool(monkeypatch) -> type[_RecordingPool]:
    monkeypatch.setattr(_RecordingPool, "instances", [])
    monkeypatch.setattr(images, "ProcessPoolExecutor", _RecordingPool)
    return _RecordingPool


async def test_processor_runs_both_jobs_in_a_spawned_pool(tmp_path: Path, recording_pool) -> None:
    slide = _save(_halves(300, 200), tmp_path / "slide.heic")
    cover = _save(_halves(1080, 1920), tmp_path / "cover.jpg")
    processor = ImageProcessor()
    assert recording_pool.instances == []  # nothing started before the first job
    try:
        plan = await processor.prepare_photo(slide, tmp_path / "work")
        thumbnail = await processor.make_thumbnail(cover)
    finally:
        processor.close()
    processor.close()

    _assert_sendable_jpeg(plan, slide, (300, 200))
    assert _thumbnail_image(thumbnail).size == (180, 320)
    [pool] = recording_pool.instances
    assert pool.start_method == "spawn"
    assert pool.submitted == ["prepare_photo", "make_thumbnail"]
    with pytest.raises(RuntimeError):
        await processor.make_thumbnail(cover)


async def test_processor_replaces_a_pool_whose_worker_died(tmp_path: Path, recording_pool) -> None:
    cover = _save(_halves(64, 64), tmp_path / "cover.jpg")
    processor = ImageProcessor(max_workers=1)
    try:
        with pytest.raises(BrokenProcessPool):
            await processor._run(os._exit, 1)
        assert _thumbnail_image(await processor.make_thumbnail(cover)).size == (64, 64)
    finally:
        processor.close()
    assert len(recording_pool.instances) == 2


def test_processor_refuses_fork_and_closes_unused() -> None:
    with pytest.raises(ValueError):
        ImageProcessor(start_method="fork")
    with pytest.raises(ValueError):
        ImageProcessor(max_workers=0)
    processor = ImageProcessor()
    processor.close()
    processor.close()
