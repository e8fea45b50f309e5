"""One sender per surface: how a private chat, a group and an inline message each show the same item."""

from __future__ import annotations

from collections.abc import Callable

from aiogram import Bot

from data import Surface
from media_types.job import DeliveryJob
from media_types.senders.base import AudioMeta, ChatBlockedError, Sender, Upload, VideoMeta
from media_types.senders.chat import ChatSender, GroupSender
from media_types.senders.inline import InlineMode, InlineSender
from media_types.texts import Translate


class Senders:
    def __init__(self, *, bot: Bot, translate: Callable[[str], Translate], storage_channel_id: int | None) -> None:
        self._bot = bot
        self._translate = translate
        self._storage_channel_id = storage_channel_id

    def for_job(self, job: DeliveryJob) -> Sender:
        t = self._translate(job.language)
        if job.surface is Surface.INLINE:
            return InlineSender(self._bot, job, t, self._storage_channel_id)
        return (GroupSender if job.surface is Surface.GROUP else ChatSender)(self._bot, job, t,
                                                                             self._storage_channel_id)


__all__ = ["AudioMeta", "ChatBlockedError", "ChatSender", "InlineMode", "Sender", "Senders", "Upload", "VideoMeta"]
