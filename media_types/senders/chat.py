"""Private chats and groups: media is sent into the chat as a reply to the link. Groups get at most one
album of a gallery, and hear nothing about failures but a reaction."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from aiogram.types import InlineKeyboardMarkup, InputFile, Message, ReactionTypeEmoji

from media_types.albums import MAX_ALBUM
from media_types.cache import CachedItem, SentFile
from media_types.senders.activity import chat_action
from media_types.senders.base import (
    AudioMeta,
    Sender,
    Upload,
    VideoMeta,
    is_streamed,
    sent_file,
    storage_caption,
    upload_timeout,
)

FAILURE_REACTION = "😢"


class ChatSender(Sender):
    @property
    def chat_id(self) -> int:
        if self.job.chat_id is None:
            raise ValueError(f"request {self.job.request_id} has no chat")
        return self.job.chat_id

    def working(self) -> contextlib.AbstractAsyncContextManager[object]:
        """"Sending a file…", renewed until the item is sent."""
        return chat_action(self._bot, self.chat_id)

    async def video(self, item_id: str, item: CachedItem, file: InputFile | str, *, as_document: bool = False,
                    meta: VideoMeta | None = None) -> SentFile:
        text, keyboard, timeout = self._caption(item), self._keyboard(item_id, item), upload_timeout(file)
        shape = meta or VideoMeta()
        if as_document:
            message = await self._send(lambda reply: self._bot.send_document(
                self.chat_id, file, thumbnail=shape.thumbnail, caption=text, reply_markup=keyboard,
                reply_parameters=reply, request_timeout=timeout), streamed=is_streamed(file))
        else:
            message = await self._send(lambda reply: self._bot.send_video(
                self.chat_id, file, duration=shape.duration, width=shape.width, height=shape.height,
                thumbnail=shape.thumbnail, supports_streaming=True, caption=text, reply_markup=keyboard,
                reply_parameters=reply, request_timeout=timeout), streamed=is_streamed(file))
        return sent_file(message)

    async def gallery(self, item_id: str, item: CachedItem, uploads: Sequence[Upload]) -> list[SentFile]:
        """The gallery in albums, then its buttons (the sound, the slideshow as a video) in a message of their own:
        an album cannot carry buttons."""
        return await self._gallery(item_id, item, uploads, note="")

    async def _gallery(self, item_id: str, item: CachedItem, uploads: Sequence[Upload], note: str) -> list[SentFile]:
        sent = await self._albums(self.chat_id, uploads, self._caption(item, note), reply=True)
        keyboard = self._keyboard(item_id, item)
        if keyboard is not None:
            prompt = "sound-video-prompt" if item.has_music and item.slideshow else \
                "video-prompt" if item.slideshow else "sound-prompt"
            await self._send(lambda _reply: self._bot.send_message(self.chat_id, self.t(prompt), reply_markup=keyboard))
        return sent

    async def audio(self, file: InputFile | str, meta: AudioMeta | None = None) -> SentFile:
        """The item's sound (the music button)."""
        details = meta or AudioMeta()
        message = await self._send(lambda reply: self._bot.send_audio(
            self.chat_id, file, duration=details.duration, performer=details.performer, title=details.title,
            thumbnail=details.thumbnail, reply_parameters=reply, request_timeout=upload_timeout(file)),
            streamed=is_streamed(file))
        return sent_file(message)

    async def _report(self, text: str, keyboard: InlineKeyboardMarkup | None, quiet_in_groups: bool) -> None:
        await self._bot.send_message(self.chat_id, text, reply_parameters=self._reply, reply_markup=keyboard)

    async def _show_progress(self, text: str, note: Any) -> Any:
        """A message replying to the link, edited in place."""
        if isinstance(note, Message):
            await self._bot.edit_message_text(text, chat_id=self.chat_id, message_id=note.message_id)
            return note
        return await self._send(lambda reply: self._bot.send_message(self.chat_id, text, reply_parameters=reply),
                                recorded=False)  # shown or not depending on time: not a step of the delivery

    async def _remove_progress(self, note: Any) -> None:
        await self._bot.delete_message(self.chat_id, note.message_id)


class GroupSender(ChatSender):
    async def gallery(self, item_id: str, item: CachedItem, uploads: Sequence[Upload]) -> list[SentFile]:
        """At most one album's worth, with a note (README: groups get at most 10 pictures). The rest goes to
        the storage channel, when there is one, so the media cache holds the whole post for later requests."""
        if len(uploads) <= MAX_ALBUM:
            return await self._gallery(item_id, item, uploads, note="")
        note = self.t("images-more-in-private", shown=MAX_ALBUM, total=len(uploads))
        shown = await self._gallery(item_id, item, uploads[:MAX_ALBUM], note=note)
        if self._storage is None:
            return shown
        return shown + await self._albums(self._storage, uploads[MAX_ALBUM:], storage_caption(self.job, item.url),
                                          reply=False)

    async def _report(self, text: str, keyboard: InlineKeyboardMarkup | None, quiet_in_groups: bool) -> None:
        if not quiet_in_groups:
            await super()._report(text, keyboard, quiet_in_groups)
        elif self.job.reply_to is not None:
            await self._bot.set_message_reaction(self.chat_id, self.job.reply_to,
                                                 reaction=[ReactionTypeEmoji(emoji=FAILURE_REACTION)])

