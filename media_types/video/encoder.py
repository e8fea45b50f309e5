"""The event loop's side of video work: each job runs in a worker process, its progress polled from a file."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar

from media_types.video import convert, slideshow
from media_types.video.convert import ExtractedAudio
from media_types.video.probe import RenderedVideo, VideoInfo, probe
from media_types.workers import WorkerPool

__all__ = ["PROGRESS_POLL_SECONDS", "ProgressCallback", "VideoEncoder"]

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[float], Awaitable[None]]
PROGRESS_POLL_SECONDS = 0.5
ENCODING_NICENESS = 10  # added to the workers' nice value: the bot's process goes first
_T = TypeVar("_T")


class VideoEncoder:
    """Renders, converts and probes videos in `workers` worker processes, never on the event loop.

    Encoding a minute of video keeps a core busy for seconds to minutes; in a worker it stalls no chat.
    With `on_progress`, the job writes its fraction done to a hidden file beside the output, and the
    callback gets each new value (at most every 0.5 s, the last one 1.0). A failing callback is logged
    and ignored: progress is decoration. The worker functions raise the errors of `media_types.video.errors`.
    """

    def __init__(self, workers: int, *, start_method: str = "spawn") -> None:
        self._pool = WorkerPool(workers, start_method=start_method, initializer=lower_priority)

    async def render_slideshow(
        self,
        pictures: Sequence[Path],
        sound: Path | None,
        output: Path,
        *,
        max_bytes: int,
        on_progress: ProgressCallback | None = None,
    ) -> RenderedVideo:
        """`slideshow.render_slideshow` in a worker."""
        job = functools.partial(slideshow.render_slideshow, [Path(picture) for picture in pictures],
                                Path(sound) if sound is not None else None, Path(output), max_bytes=max_bytes)
        return await self._run_reporting(job, Path(output), on_progress)

    async def extract_audio(self, video: Path, output: Path) -> ExtractedAudio:
        """`convert.extract_audio` in a worker."""
        return await self._pool.run(convert.extract_audio, Path(video), Path(output))

    async def to_h264(
        self, source: Path, output: Path, *, max_bytes: int, on_progress: ProgressCallback | None = None
    ) -> RenderedVideo:
        """`convert.to_h264` in a worker."""
        job = functools.partial(convert.to_h264, Path(source), Path(output), max_bytes=max_bytes)
        return await self._run_reporting(job, Path(output), on_progress)

    async def fit_video(
        self, source: Path, output: Path, *, max_bytes: int, on_progress: ProgressCallback | None = None
    ) -> RenderedVideo:
        """`convert.fit_video` in a worker."""
        job = functools.partial(convert.fit_video, Path(source), Path(output), max_bytes=max_bytes)
        return await self._run_reporting(job, Path(output), on_progress)

    async def tag_hvc1(self, source: Path, output: Path) -> RenderedVideo:
        """`convert.tag_hvc1` in a worker."""
        return await self._pool.run(convert.tag_hvc1, Path(source), Path(output))

    async def probe(self, path: Path) -> VideoInfo:
        """`probe.probe` in a worker: FFmpeg parsing a hostile file may take long or crash, never the loop."""
        return await self._pool.run(probe, Path(path))

    def close(self) -> None:
        """Stop the workers (waiting for running jobs, dropping queued ones); later calls raise RuntimeError."""
        self._pool.close()

    async def _run_reporting(
        self, job: functools.partial[_T], output: Path, on_progress: ProgressCallback | None
    ) -> _T:
        """Run `job` in a worker; with `on_progress`, give it a progress file and poll that meanwhile."""
        if on_progress is None:
            return await self._pool.run(job)
        progress_file = output.parent / f".{output.name}.{uuid.uuid4().hex}.progress"
        await asyncio.to_thread(output.parent.mkdir, parents=True, exist_ok=True)
        work = asyncio.ensure_future(self._pool.run(functools.partial(job, progress=progress_file)))
        reported: float | None = None
        try:
            while True:
                done, _ = await asyncio.wait({work}, timeout=PROGRESS_POLL_SECONDS)
                fraction = await asyncio.to_thread(_read_fraction, progress_file)
                if fraction is not None and fraction != reported:
                    reported = fraction
                    await _tell(on_progress, fraction)
                if done:
                    return work.result()
        finally:
            work.cancel()  # a job already running in a worker finishes there; one still queued never starts
            await asyncio.to_thread(progress_file.unlink, missing_ok=True)


def _read_fraction(path: Path) -> float | None:
    """The fraction in the progress file, or None before the worker first wrote it."""
    try:
        return float(path.read_text(encoding="ascii"))
    except (FileNotFoundError, ValueError):
        return None


async def _tell(on_progress: ProgressCallback, fraction: float) -> None:
    try:
        await on_progress(fraction)
    except Exception:
        logger.exception("video progress callback failed at %.2f", fraction)


def lower_priority() -> None:
    """Encoding is background work: under a render the bot's own process still answers every chat at once
    (with equal priority a cache hit took 1.6-2.3x longer during three renders on 2 cores)."""
    os.nice(ENCODING_NICENESS)
