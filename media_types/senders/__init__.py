"""One sender per surface: how a private chat, a group and an inline message each show the same item."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiogram import Bot

from data import Surface
from data.shared import SharedState
from media_types.job import DeliveryJob
from media_types.senders.base import AudioMeta, ChatBlockedError, Sender, Upload, VideoMeta
from media_types.senders.chat import ChatSender, GroupSender
from media_types.senders.inline import InlineMode, InlineSender
from media_types.senders.record import SendRecord
from media_types.texts import Translate


class Senders:
    def __init__(self, *, bot: Bot, translate: Callable[[str], Translate], storage_channel_id: int | None,
                 patience: float = 900.0, turn: Callable[[DeliveryJob], Awaitable[None]] | None = None,
                 records: SharedState | None = None) -> None:
        """`turn` waits until a chat's earlier requests have gone first (DeliveryQueue.wait_for_turn); `records`
        keeps each job's sends where a run that takes the job over finds them (None: one process, no takeover)."""
        self._bot = bot
        self._records = records
        self._translate = translate
        self._storage_channel_id = storage_channel_id
        self._patience = patience
        self._turn = turn

    def for_job(self, job: DeliveryJob) -> Sender:
        t = self._translate(job.language)
        kind = {Surface.INLINE: InlineSender, Surface.GUEST: InlineSender, Surface.GROUP: GroupSender}.get(
            job.surface, ChatSender)
        return kind(self._bot, job, t, self._storage_channel_id, patience=self._patience, turn=self._turn,
                    record=SendRecord(self._records, job.request_id))


__all__ = ["AudioMeta", "ChatBlockedError", "ChatSender", "InlineMode", "Sender", "Senders", "Upload", "VideoMeta"]
