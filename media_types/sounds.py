"""The 🎵 button's sound. A TikTok post's own sound goes as it is, streamed from its CDN. Any other video (an
Instagram reel, a carousel's clips, a TikTok video without a sound URL) has its audio track taken out, without
re-encoding when it is AAC, and sent as an .m4a with the post's author and text."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiogram.types import BufferedInputFile, FSInputFile

from media_types.cache import SentFile
from media_types.encoding import encoding_errors
from media_types.playable import COMPRESS_SOURCE_FACTOR
from media_types.senders import AudioMeta, Sender
from media_types.uploads import StreamedUpload
from media_types.video import VideoEncoder
from pipeline import (
    EntryKind,
    MediaClient,
    MediaInfo,
    MediaRequest,
    MediaStream,
    NoSoundError,
    ProxySession,
    Video,
)

log = logging.getLogger(__name__)

TITLE_LENGTH = 64  # a sound's title is the post's text, cut: Telegram shows one line

# (client, cover, workdir, session) -> a thumbnail, or None
Thumbnail = Callable[[MediaClient, MediaRequest | None, Path, ProxySession], Awaitable[BufferedInputFile | None]]


class Sounds:
    def __init__(self, *, encoder: VideoEncoder, upload_limit: int, thumbnail: Thumbnail) -> None:
        self._encoder = encoder
        self._limit = upload_limit
        self._thumbnail = thumbnail

    async def send(self, client: MediaClient, media: MediaInfo, session: ProxySession, sender: Sender,
                   workdir: Path) -> list[SentFile]:
        """The post's sound (or its clips' sounds, in order); NoSoundError when it has none."""
        music = media.music
        if music is not None and music.media is not None:
            meta = AudioMeta(music.title or None, music.author or None, music.duration,
                             await self._thumbnail(client, music.cover, workdir, session))

            async def upload(stream: MediaStream) -> SentFile:
                return await sender.audio(StreamedUpload(stream, f"{_file_title(music.title)}.mp3"), meta)

            return [await client.stream(music.media, session, upload, max_bytes=self._limit)]
        return await self._extracted(client, media, session, sender, workdir)

    async def _extracted(self, client: MediaClient, media: MediaInfo, session: ProxySession, sender: Sender,
                         workdir: Path) -> list[SentFile]:
        if isinstance(media, Video):
            # Every format carries the same sound: the smallest with audio costs the least to download.
            with_audio = [f for f in media.formats if f.has_audio]
            clips = [min(with_audio, key=lambda f: f.media.size or 0).media] if with_audio else []
            cover = media.cover
        else:
            clips = [entry.media for entry in media.entries if entry.kind is EntryKind.VIDEO]
            cover = None
        title = _first_line(media.description) or media.author or "sound"
        thumbnail = await self._thumbnail(client, cover, workdir, session)
        sent = []
        for index, clip in enumerate(clips, 1):
            source = await client.download(clip, workdir / f"clip{index}.mp4", session,
                                           max_bytes=COMPRESS_SOURCE_FACTOR * self._limit)  # only its sound is sent
            try:
                with encoding_errors():
                    audio = await self._encoder.extract_audio(source.path, workdir / f"sound{index}.m4a")
            except NoSoundError:
                log.info("clip %d of %s has no audio track", index, media.item.item_id)
                continue
            name = f"{_file_title(title)}{f' {index}' if len(clips) > 1 else ''}.m4a"
            meta = AudioMeta(title, media.author or None, round(audio.duration), thumbnail)
            sent.append(await sender.audio(FSInputFile(audio.path, name), meta))
        if not sent:
            raise NoSoundError(f"{media.item.item_id} has no sound")
        return sent


def _first_line(text: str) -> str:
    line = text.strip().split("\n", 1)[0].strip()
    return line if len(line) <= TITLE_LENGTH else line[:TITLE_LENGTH - 1].rstrip() + "…"


def _file_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch.isalnum() or ch in " -_.")[:60].strip()
    return cleaned or "sound"
