"""VideoEncoder: the work runs in a spawned worker while the event loop goes on, progress arrives as growing
fractions ending at 1.0, and the workers' errors come back as themselves."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import av
import pytest

from media_types.video import EncodingError, NoAudioError, VideoEncoder
from media_types.video.encoder import ENCODING_NICENESS
from tests.fakes.media import MEDIA_DIR, SAMPLE_HEIGHT, SAMPLE_WIDTH, noise_video, png

COLORS = [(200, 30, 40), (30, 170, 60), (40, 60, 210), (220, 200, 30), (20, 20, 20), (240, 240, 240)]


@pytest.fixture(scope="module")
def encoder() -> Iterator[VideoEncoder]:
    """One encoder for the module: a spawned worker takes about a second to start."""
    encoder = VideoEncoder(1)
    yield encoder
    encoder.close()


def _pictures(folder: Path) -> list[Path]:
    paths = []
    for index, color in enumerate(COLORS):
        path = folder / f"{index}.png"
        path.write_bytes(png(540, 960, color))
        paths.append(path)
    return paths


async def test_a_render_reports_growing_progress_while_the_loop_runs_on(encoder, tmp_path: Path) -> None:
    fractions: list[float] = []
    ticks = 0

    async def record(fraction: float) -> None:
        fractions.append(fraction)

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        result = await encoder.render_slideshow(_pictures(tmp_path), None, tmp_path / "out" / "slideshow.mp4",
                                                max_bytes=10_000_000, on_progress=record)
    finally:
        ticker.cancel()
    elapsed = loop.time() - started

    assert result.duration == pytest.approx(18.0, abs=0.04)
    assert (result.width, result.height) == (540, 960)
    assert ticks >= elapsed / 0.01 / 4  # the loop kept turning the whole time (blocked, it would not tick at all)
    assert len(fractions) >= 2
    assert fractions == sorted(set(fractions))  # strictly growing
    assert fractions[0] > 0 and fractions[-1] == 1.0
    assert [path.name for path in result.path.parent.iterdir()] == ["slideshow.mp4"]  # no progress file left


async def test_a_failing_progress_callback_is_logged_and_ignored(encoder, tmp_path: Path, caplog) -> None:
    async def broken(fraction: float) -> None:
        raise RuntimeError("the progress message was deleted")

    with caplog.at_level(logging.ERROR, logger="media_types.video.encoder"):
        result = await encoder.to_h264(MEDIA_DIR / "h265.mp4", tmp_path / "h264.mp4", max_bytes=5_000_000,
                                       on_progress=broken)

    assert (result.width, result.height) == (SAMPLE_WIDTH, SAMPLE_HEIGHT)
    assert "progress callback failed" in caplog.text


async def test_every_job_runs_and_errors_come_back_as_themselves(encoder, tmp_path: Path) -> None:
    noisy = noise_video(tmp_path / "noisy.mp4", 2.0)
    silent = noise_video(tmp_path / "silent.mp4", 0.5, audio=False)
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 50)

    info = await encoder.probe(MEDIA_DIR / "h265.mp4")
    audio = await encoder.extract_audio(MEDIA_DIR / "h264.mp4", tmp_path / "sound.m4a")
    fitted = await encoder.fit_video(noisy, tmp_path / "fitted.mp4", max_bytes=150_000)
    tagged = await encoder.tag_hvc1(MEDIA_DIR / "h265.mp4", tmp_path / "tagged.mp4")

    assert (info.codec, info.width, info.height) == ("hevc", SAMPLE_WIDTH, SAMPLE_HEIGHT)
    assert (audio.codec, audio.reencoded) == ("aac", False)
    assert fitted.size <= 150_000
    with av.open(str(tagged.path)) as container:
        assert container.streams.video[0].codec_tag == "hvc1"
    with pytest.raises(NoAudioError):
        await encoder.extract_audio(silent, tmp_path / "none.m4a")
    with pytest.raises(EncodingError):
        await encoder.probe(garbage)


async def test_a_closed_encoder_refuses_work(tmp_path: Path) -> None:
    encoder = VideoEncoder(1)
    encoder.close()
    encoder.close()

    with pytest.raises(RuntimeError):
        await encoder.probe(MEDIA_DIR / "h264.mp4")


async def test_encoding_runs_below_the_bots_own_priority(encoder) -> None:
    """A render must not slow the chats the bot answers meanwhile: the workers run niced."""
    assert await encoder._pool.run(os.nice, 0) == min(19, os.nice(0) + ENCODING_NICENESS)
