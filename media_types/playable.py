"""Videos every Telegram client plays, under the upload limit. An H.264 format goes as it is, streamed from the
CDN into the upload. Without one, the H.265 video is transcoded to H.264 (up to a length limit; many clients
show H.265 as grey frames) or, when longer, tagged `hvc1` (Apple's players need the tag). A video whose every
format is over the limit is compressed to fit (up to the same length) instead of refused."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram.types import FSInputFile, InputFile

from media_types.cache import SentFile
from media_types.encoding import encoding_errors
from media_types.senders import Sender, VideoMeta
from media_types.uploads import StreamedUpload
from media_types.video import RenderedVideo, VideoEncoder
from pipeline import (
    MediaClient,
    MediaStream,
    ProxySession,
    TooLargeError,
    Video,
    VideoFormat,
    rank_formats,
)

log = logging.getLogger(__name__)

# A compressed video may come from a source this many times the upload limit (TikTok's largest formats of a
# three-minute video stay well within it); a bigger download is refused rather than fetched to be shrunk.
COMPRESS_SOURCE_FACTOR = 4
H265_CODECS = frozenset({"h265", "hevc", "bytevc1"})  # how the platforms name it; only these can be tagged hvc1

# How a produced video reaches its surface: the file and what Telegram shows before it plays.
VideoUpload = Callable[[InputFile, VideoMeta], Awaitable[SentFile]]


def has_sound(video: Video) -> bool:
    """A sound of its own (TikTok's music), or an audio track the 🎵 button can take out."""
    return (video.music is not None and video.music.media is not None) or any(f.has_audio for f in video.formats)


class PlayableVideos:
    def __init__(self, *, encoder: VideoEncoder, upload_limit: int, max_duration: int) -> None:
        self._encoder = encoder
        self._limit = upload_limit
        self._max_duration = max_duration  # seconds a video may last to be transcoded or compressed

    async def send(self, client: MediaClient, video: Video, session: ProxySession, sender: Sender, workdir: Path,
                   upload: VideoUpload) -> SentFile:
        try:
            fitting = rank_formats(video.formats, self._limit)
        except TooLargeError:
            fitting = []
        h264 = [f for f in fitting if f.is_h264]
        if h264:
            try:
                return await self._streamed(client, video, session, h264, upload)
            except TooLargeError:
                log.info("every H.264 format of %s is over the limit after all", video.item.item_id)
        elif fitting and fitting[0].codec.lower() in H265_CODECS:
            return await self._converted(client, video, fitting[0], session, sender, workdir, upload)
        elif fitting:  # neither H.264 nor H.265 (VP9...): as it is, as before
            return await self._streamed(client, video, session, fitting, upload)
        return await self._compressed(client, video, session, sender, workdir, upload)

    async def _streamed(self, client: MediaClient, video: Video, session: ProxySession, formats: list[VideoFormat],
                        upload: VideoUpload) -> SentFile:
        """The first of `formats` that fits, from the CDN straight into the upload."""
        async def stream(chosen: VideoFormat, media: MediaStream) -> SentFile:
            meta = VideoMeta(chosen.width, chosen.height, video.duration)
            return await upload(StreamedUpload(media, f"{video.item.item_id}.mp4"), meta)

        return await client.stream_video(video, session, stream, max_bytes=self._limit, formats=formats)

    async def _converted(self, client: MediaClient, video: Video, chosen: VideoFormat, session: ProxySession,
                         sender: Sender, workdir: Path, upload: VideoUpload) -> SentFile:
        """No H.264 format: transcode a short video, tag a long one."""
        source = await client.download(chosen.media, workdir / "source.mp4", session, max_bytes=self._limit)
        output = workdir / f"{video.item.item_id}.mp4"
        with encoding_errors():
            duration = await self._duration(video, source.path)
            if duration <= self._max_duration:
                async with sender.progress("progress-convert") as shown:
                    result = await self._encoder.to_h264(source.path, output, max_bytes=self._limit,
                                                         on_progress=shown)
                log.info("%s: %s transcoded to H.264", video.item.item_id, chosen.codec)
            else:
                result = await self._encoder.tag_hvc1(source.path, output)
                log.info("%s: %.0f s of %s is too long to transcode; tagged hvc1", video.item.item_id, duration,
                         chosen.codec)
        return await self._upload_file(result, video, upload)

    async def _compressed(self, client: MediaClient, video: Video, session: ProxySession, sender: Sender,
                          workdir: Path, upload: VideoUpload) -> SentFile:
        """Every format is over the limit: re-encode the smallest to fit, if it is short enough."""
        if video.duration is not None and video.duration > self._max_duration:
            raise TooLargeError(f"every format of {video.item.item_id} is over {self._limit} bytes, and "
                                f"{video.duration} s is too long to compress")
        smallest = min(video.formats, key=lambda f: (not f.has_audio, f.media.size or math.inf))
        source = await client.download(smallest.media, workdir / "source.mp4", session,
                                       max_bytes=COMPRESS_SOURCE_FACTOR * self._limit)
        output = workdir / f"{video.item.item_id}.mp4"
        with encoding_errors():
            duration = await self._duration(video, source.path)
            if duration > self._max_duration:
                raise TooLargeError(f"{duration:.0f} s is too long to compress")
            async with sender.progress("progress-compress", after=0,
                                       megabytes=self._limit // (1024 * 1024)) as shown:
                result = await self._encoder.fit_video(source.path, output, max_bytes=self._limit, on_progress=shown)
        log.info("%s: compressed from %d to %d bytes", video.item.item_id, source.size, result.size)
        return await self._upload_file(result, video, upload)

    async def _duration(self, video: Video, path: Path) -> float:
        """What the file says; the page's figure when the file does not say."""
        info = await self._encoder.probe(path)
        return info.duration or float(video.duration or 0)

    @staticmethod
    async def _upload_file(result: RenderedVideo, video: Video, upload: VideoUpload) -> SentFile:
        meta = VideoMeta(result.width, result.height, round(result.duration))
        return await upload(FSInputFile(result.path, f"{video.item.item_id}.mp4"), meta)
