"""Making what was never sent before: extract the item, stream or download its media, convert what Telegram
would refuse or could not play, and hand it to the job's sender. Returns what the media cache keeps."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from concurrent.futures import BrokenExecutor
from pathlib import Path
from typing import NamedTuple

from aiogram.types import BufferedInputFile, FSInputFile, InputFile

from data import MediaKind
from media_types.cache import CachedItem, FileKind, SentFile, Variant
from media_types.encoding import encoding_errors
from media_types.images import ImageProcessor
from media_types.playable import PlayableVideos, has_sound
from media_types.senders import Sender, Upload, VideoMeta
from media_types.sounds import Sounds
from media_types.video import VideoEncoder
from pipeline import (
    EntryKind,
    Gallery,
    ItemRef,
    MediaClient,
    MediaError,
    MediaRequest,
    ProxySession,
    Video,
)

log = logging.getLogger(__name__)

MAX_COVER_BYTES = 20 * 1024 * 1024


class Produced(NamedTuple):
    item: CachedItem
    variant: Variant  # the form it was sent in, which the media cache keeps it under
    whole: bool = True  # False when the surface took only part of the post: not worth caching


class Producer:
    def __init__(self, *, images: ImageProcessor, encoder: VideoEncoder, upload_limit: int,
                 convert_max_duration: int) -> None:
        self._images = images
        self._encoder = encoder
        self._upload_limit = upload_limit
        self._videos = PlayableVideos(encoder=encoder, upload_limit=upload_limit, max_duration=convert_max_duration)
        self._sounds = Sounds(encoder=encoder, upload_limit=upload_limit, thumbnail=self._thumbnail)

    async def media(self, client: MediaClient, item: ItemRef, session: ProxySession, sender: Sender) -> Produced:
        """The post, in the form the job asks for: a slideshow as one video when it wants the rendered form."""
        media = await client.extract(item, session)
        job = sender.job
        with tempfile.TemporaryDirectory(prefix="delivery-") as workdir:
            if isinstance(media, Video):
                return Produced(await self._video(client, media, session, sender, Path(workdir)), job.post_variant)
            if job.variant is Variant.RENDERED and media.is_slideshow:
                return Produced(await self._slideshow_video(client, media, session, sender, Path(workdir)),
                                Variant.RENDERED)
            return await self._gallery(client, media, session, sender, Path(workdir))

    async def music(self, client: MediaClient, item: ItemRef, session: ProxySession, sender: Sender) -> Produced:
        media = await client.extract(item, session)
        with tempfile.TemporaryDirectory(prefix="music-") as workdir:
            files = await self._sounds.send(client, media, session, sender, Path(workdir))
        return Produced(CachedItem(MediaKind.MUSIC, item.url, files=tuple(files)), Variant.MUSIC)

    async def _video(self, client: MediaClient, video: Video, session: ProxySession, sender: Sender,
                     workdir: Path) -> CachedItem:
        """In a form every client plays and under the upload limit (media_types.playable)."""
        post = CachedItem(MediaKind.VIDEO, video.item.url, video.description, has_sound(video))
        as_document = sender.job.post_variant is Variant.DOCUMENTS
        # The cover comes in while the video's CDN request is on its way; the upload starts with both.
        cover = asyncio.create_task(self._thumbnail(client, video.cover, workdir, session))

        async def upload(file: InputFile, meta: VideoMeta) -> SentFile:
            shaped = VideoMeta(meta.width, meta.height, meta.duration, await cover)
            return await sender.video(video.item.item_id, post, file, as_document=as_document, meta=shaped)

        try:
            sent = await self._videos.send(client, video, session, sender, workdir, upload)
        finally:
            cover.cancel()
            await asyncio.gather(cover, return_exceptions=True)  # done before its directory goes
        return post.with_files((sent,))

    async def _slideshow_video(self, client: MediaClient, gallery: Gallery, session: ProxySession, sender: Sender,
                               workdir: Path) -> CachedItem:
        """The pictures in order, each for an equal share of the sound, as one MP4 (media_types.video)."""
        item_id = gallery.item.item_id
        pictures = await client.download_gallery(gallery, workdir, session, max_bytes=self._upload_limit)
        sound = None
        if gallery.music is not None and gallery.music.media is not None:
            sound = await client.download(gallery.music.media, workdir / "sound", session, max_bytes=self._upload_limit)
        async with sender.progress("progress-render") as shown:
            with encoding_errors():
                video = await self._encoder.render_slideshow(
                    [picture.path for picture in pictures], sound.path if sound else None, workdir / f"{item_id}.mp4",
                    max_bytes=self._upload_limit, on_progress=shown)
        log.info("slideshow %s rendered: %d pictures, %.1f s, %dx%d, %d bytes", item_id, len(pictures),
                 video.duration, video.width, video.height, video.size)
        post = CachedItem(MediaKind.VIDEO, gallery.item.url, gallery.description, has_music=sound is not None,
                          slideshow=True)
        meta = VideoMeta(video.width, video.height, round(video.duration), await self._cover_of(pictures[0].path))
        sent = await sender.video(item_id, post, FSInputFile(video.path, f"{item_id}.mp4"), meta=meta)
        return post.with_files((sent,))

    async def _gallery(self, client: MediaClient, gallery: Gallery, session: ProxySession, sender: Sender,
                       workdir: Path) -> Produced:
        """Pictures (and clips) in order. Photos Telegram would refuse are converted or sent as files."""
        files = await client.download_gallery(gallery, workdir, session, max_bytes=self._upload_limit)
        variant = sender.job.post_variant
        uploads: list[Upload]
        if variant is Variant.DOCUMENTS:
            uploads = [(FileKind.DOCUMENT, FSInputFile(f.path)) for f in files]
        else:
            uploads = list(await asyncio.gather(*(
                self._prepared(entry.kind, file.path, workdir, gallery.item.item_id)
                for entry, file in zip(gallery.entries, files, strict=True)
            )))
        has_music = gallery.music is not None and gallery.music.media is not None
        has_clips = any(entry.kind is EntryKind.VIDEO for entry in gallery.entries)
        post = CachedItem(MediaKind.IMAGES, gallery.item.url, gallery.description, has_music or has_clips,
                          slideshow=gallery.is_slideshow)
        sent = await sender.gallery(gallery.item.item_id, post, uploads)
        return Produced(post.with_files(sent), variant, whole=len(sent) == len(uploads))

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
        except (MediaError, OSError) as exc:
            log.info("no cover: %s: %s", type(exc).__name__, exc)
            return None
        return await self._cover_of(file.path)

    async def _cover_of(self, picture: Path) -> BufferedInputFile | None:
        try:
            data = await self._images.make_thumbnail(picture)
        except (OSError, BrokenExecutor) as exc:  # a crashed image worker or a full disk included
            log.info("no thumbnail: %s: %s", type(exc).__name__, exc)
            return None
        return BufferedInputFile(data, "thumbnail.jpg") if data else None
