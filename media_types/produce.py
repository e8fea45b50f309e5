"""Making what was never sent before: extract the item, stream or download its media, convert what Telegram
would refuse, and hand it to the job's sender. Returns what the media cache keeps."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from concurrent.futures import BrokenExecutor
from pathlib import Path
from typing import NamedTuple

from aiogram.types import BufferedInputFile, FSInputFile

from data import MediaKind
from media_types.cache import CachedItem, FileKind, SentFile, Variant
from media_types.images import ImageProcessor
from media_types.senders import AudioMeta, Sender, Upload, VideoMeta
from media_types.uploads import StreamedUpload
from pipeline import (
    EntryKind,
    Gallery,
    ItemRef,
    MediaClient,
    MediaError,
    MediaRequest,
    MediaStream,
    ProxySession,
    UnsupportedError,
    Video,
    VideoFormat,
    rank_formats,
)

log = logging.getLogger(__name__)

MAX_COVER_BYTES = 20 * 1024 * 1024


class Produced(NamedTuple):
    item: CachedItem
    whole: bool  # False when the surface took only part of the post: not worth caching


class Producer:
    def __init__(self, *, images: ImageProcessor, upload_limit: int) -> None:
        self._images = images
        self._upload_limit = upload_limit

    async def media(self, client: MediaClient, item: ItemRef, session: ProxySession, sender: Sender) -> Produced:
        media = await client.extract(item, session)
        with tempfile.TemporaryDirectory(prefix="delivery-") as workdir:
            if isinstance(media, Video):
                return Produced(await self._video(client, media, session, sender, Path(workdir)), whole=True)
            return await self._gallery(client, media, session, sender, Path(workdir))

    async def music(self, client: MediaClient, item: ItemRef, session: ProxySession,
                    sender: Sender) -> Produced:
        media = await client.extract(item, session)
        music = media.music
        if music is None or music.media is None:
            raise UnsupportedError(f"{item.item_id} has no sound")
        with tempfile.TemporaryDirectory(prefix="music-") as workdir:
            meta = AudioMeta(music.title or None, music.author or None, music.duration,
                             await self._thumbnail(client, music.cover, Path(workdir), session))

            async def upload(stream: MediaStream) -> SentFile:
                return await sender.audio(StreamedUpload(stream, f"{_file_title(music.title)}.mp3"), meta)

            sent = await client.stream(music.media, session, upload, max_bytes=self._upload_limit)
        return Produced(CachedItem(MediaKind.MUSIC, item.url, files=(sent,)), whole=True)

    async def _video(self, client: MediaClient, video: Video, session: ProxySession, sender: Sender,
                     workdir: Path) -> CachedItem:
        """Stream the best fitting format from the CDN straight into the upload."""
        rank_formats(video.formats, self._upload_limit)  # nothing fits: fail before any download
        has_music = video.music is not None and video.music.media is not None
        post = CachedItem(MediaKind.VIDEO, video.item.url, video.description, has_music)
        # The cover comes in while the video's CDN request is on its way; the upload starts with both.
        cover = asyncio.create_task(self._thumbnail(client, video.cover, workdir, session))

        async def upload(chosen: VideoFormat, stream: MediaStream) -> SentFile:
            meta = VideoMeta(chosen.width, chosen.height, video.duration, await cover)
            return await sender.video(video.item.item_id, post, StreamedUpload(stream, f"{video.item.item_id}.mp4"),
                                      as_document=sender.job.file_mode, meta=meta)

        try:
            sent = await client.stream_video(video, session, upload, max_bytes=self._upload_limit)
        finally:
            cover.cancel()
            await asyncio.gather(cover, return_exceptions=True)  # done before its directory goes
        return post.with_files((sent,))

    async def _gallery(self, client: MediaClient, gallery: Gallery, session: ProxySession, sender: Sender,
                       workdir: Path) -> Produced:
        """Pictures (and clips) in order. Photos Telegram would refuse are converted or sent as files."""
        files = await client.download_gallery(gallery, workdir, session, max_bytes=self._upload_limit)
        uploads: list[Upload]
        if sender.job.variant is Variant.DOCUMENTS:
            uploads = [(FileKind.DOCUMENT, FSInputFile(f.path)) for f in files]
        else:
            uploads = list(await asyncio.gather(*(
                self._prepared(entry.kind, file.path, workdir, gallery.item.item_id)
                for entry, file in zip(gallery.entries, files, strict=True)
            )))
        has_music = gallery.music is not None and gallery.music.media is not None
        post = CachedItem(MediaKind.IMAGES, gallery.item.url, gallery.description, has_music)
        sent = await sender.gallery(gallery.item.item_id, post, uploads)
        return Produced(post.with_files(sent), whole=len(sent) == len(uploads))

    async def _prepared(self, kind: EntryKind, path: Path, workdir: Path, item_id: str) -> Upload:
        """A clip goes as a video; a picture as a photo Telegram accepts, or as a document."""
        if kind is EntryKind.VIDEO:
            return FileKind.VIDEO, FSInputFile(path)
        plan = await self._images.prepare_photo(path, workdir)
        if plan.converted or plan.as_document:
            log.info("image %s of %s: %s", path.name, item_id, plan.reason)
        return (FileKind.DOCUMENT if plan.as_document else FileKind.PHOTO), FSInputFile(plan.path)

    async def _thumbnail(self, client: MediaClient, cover: MediaRequest | None, workdir: Path,
                         session: ProxySession) -> BufferedInputFile | None:
        """The cover as a Telegram thumbnail; a missing cover never fails the delivery."""
        if cover is None:
            return None
        try:
            file = await client.download(cover, workdir / "cover", session, max_bytes=MAX_COVER_BYTES)
            data = await self._images.make_thumbnail(file.path)
        except (MediaError, OSError, BrokenExecutor) as exc:  # a crashed image worker or a full disk included
            log.info("no thumbnail: %s: %s", type(exc).__name__, exc)
            return None
        return BufferedInputFile(data, "thumbnail.jpg") if data else None


def _file_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch.isalnum() or ch in " -_.")[:60].strip()
    return cleaned or "sound"
