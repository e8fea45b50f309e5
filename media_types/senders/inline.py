"""Inline messages: Telegram shows only files it already has, so a new item is uploaded to the storage
channel first and then put into the inline message by its file id. A gallery shows one page at a time
with ◀ ▶ buttons; the pages come from the media cache, so they keep working after a restart."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from typing import Any

from aiogram import Bot
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
)
from PIL import Image

from data import Platform
from media_types.cache import CachedItem, FileKind, MediaCache, SentFile
from media_types.senders.base import AudioMeta, Sender, Upload, VideoMeta, sent_file, storage_caption, upload_timeout
from media_types.texts import Translate, caption, loading_keyboard, slide_keyboard
from pipeline import UnsupportedError


class InlineSender(Sender):
    @property
    def _inline_message_id(self) -> str:
        if self.job.inline_message_id is None:
            raise ValueError(f"request {self.job.request_id} has no inline message")
        return self.job.inline_message_id

    @property
    def _storage_channel(self) -> int:
        if self._storage is None:
            raise ValueError("inline mode needs STORAGE_CHANNEL_ID")
        return self._storage

    async def video(self, item_id: str, item: CachedItem, file: InputFile | str, *, as_document: bool = False,
                    meta: VideoMeta | None = None) -> SentFile:
        """Uploaded (if new) to the storage channel as a video, then shown in the inline message."""
        if isinstance(file, InputFile):
            shape = meta or VideoMeta()
            message = await self._send(lambda _reply: self._bot.send_video(
                self._storage_channel, file, duration=shape.duration, width=shape.width, height=shape.height,
                thumbnail=shape.thumbnail, supports_streaming=True, caption=storage_caption(self.job, item.url),
                request_timeout=upload_timeout(file)), streamed=True)
            sent = sent_file(message)
        else:
            sent = SentFile(FileKind.VIDEO, file)
        await self._bot.edit_message_media(
            inline_message_id=self._inline_message_id,
            media=InputMediaVideo(media=sent.file_id, caption=self._caption(item), supports_streaming=True),
            reply_markup=self._keyboard(item_id, item),
        )
        return sent

    async def gallery(self, item_id: str, item: CachedItem, uploads: Sequence[Upload]) -> list[SentFile]:
        """Uploaded (if new) to the storage channel in albums, then the first page shown."""
        if any(isinstance(file, InputFile) for _, file in uploads):
            sent = await self._albums(self._storage_channel, uploads, storage_caption(self.job, item.url),
                                      reply=False)
        else:
            sent = [SentFile(kind, file) for kind, file in uploads if isinstance(file, str)]
        shown = item.with_files(sent)
        if shown.pages:
            await show_page(self._bot, self._inline_message_id, self.job.platform, item_id, shown, 0, self.t)
        else:  # nothing Telegram shows as a photo or a clip: the first file, as a document
            await self._bot.edit_message_media(
                inline_message_id=self._inline_message_id,
                media=InputMediaDocument(media=sent[0].file_id, caption=self._caption(item)),
            )
        return sent

    async def audio(self, file: InputFile | str, meta: AudioMeta | None = None) -> SentFile:
        """Never asked: a sound button under an inline message sends the sound to the user's private chat."""
        raise UnsupportedError("an inline message cannot carry a sound file")

    async def _report(self, text: str, keyboard: InlineKeyboardMarkup | None, quiet_in_groups: bool) -> None:
        await self._bot.edit_message_caption(inline_message_id=self._inline_message_id, caption=text)

    async def _show_progress(self, text: str, note: Any) -> Any:
        """The placeholder's caption says how far it is; the media replaces it at the end."""
        await self._bot.edit_message_caption(inline_message_id=self._inline_message_id, caption=text,
                                             reply_markup=loading_keyboard(self.t))
        return True


async def show_page(bot: Bot, inline_message_id: str, platform: Platform, item_id: str, item: CachedItem,
                    index: int, t: Translate) -> None:
    """Page `index` (wrapping around) of a cached gallery in an inline message."""
    pages = item.pages
    index %= len(pages)
    media_type = InputMediaVideo if pages[index].kind is FileKind.VIDEO else InputMediaPhoto
    await bot.edit_message_media(
        inline_message_id=inline_message_id,
        media=media_type(media=pages[index].file_id, caption=caption(item.description, item.url, t)),
        reply_markup=slide_keyboard(platform.value, item_id, item, index, t),
    )


class InlineMode:
    """What inline mode needs besides deliveries: the "loading" picture a chosen result shows until its media
    arrives, and paging through a gallery."""

    def __init__(self, *, bot: Bot, cache: MediaCache, translate: Callable[[str], Translate],
                 storage_channel_id: int | None) -> None:
        self._bot = bot
        self._cache = cache
        self._translate = translate
        self.storage_channel_id = storage_channel_id
        self._placeholder: str | None = None
        self._placeholder_lock = asyncio.Lock()

    async def placeholder_file_id(self) -> str:
        """A small picture in the storage channel, uploaded once per process."""
        async with self._placeholder_lock:
            if self._placeholder is None:
                if self.storage_channel_id is None:
                    raise ValueError("inline mode needs STORAGE_CHANNEL_ID")
                message = await self._bot.send_photo(
                    self.storage_channel_id, BufferedInputFile(_placeholder_jpeg(), "loading.jpg"),
                    caption="inline placeholder",
                )
                self._placeholder = sent_file(message).file_id
            return self._placeholder

    async def show_slide(self, inline_message_id: str, platform: Platform, item_id: str, index: int,
                         language: str) -> bool:
        """Show picture `index` of an inline gallery, from the media cache; False when it is gone."""
        item = await self._cache.get(platform, item_id)
        if item is None or not item.pages:
            return False
        await show_page(self._bot, inline_message_id, platform, item_id, item, index, self._translate(language))
        return True


def _placeholder_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 320), (24, 24, 32)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
