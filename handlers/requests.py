"""Taking requests in, for every handler that starts deliveries: the spam guard first, then each job's
place in its chat's quota, then the global first-come-first-served queue."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ReactionTypeEmoji, ReplyParameters
from aiogram_i18n import I18nContext

from data import Surface
from handlers.context import REQUEST_IDS
from media_types import DeliveryJob, DeliveryTasks, SpamGuard, Verdict, retry_keyboard, retry_token
from pipeline import Platforms

log = logging.getLogger(__name__)
QUEUED = "👀"
COURTESY_SECONDS = 3.0  # the longest a cosmetic call may hold up taking requests in


async def allowed(spam: SpamGuard, sender_id: int, links: int, bot: Bot, chat_id: int | None,
                  i18n: I18nContext, *, inline_message_id: str | None = None) -> bool:
    """False for a muted sender; in a chat the message that crosses the line gets one notice, and an inline
    message always says why it will not load."""
    verdict = await spam.check(sender_id, links)
    text = i18n.get("spam-muted", seconds=round(spam.mute_seconds))
    try:
        if verdict is Verdict.MUTED_NOW and chat_id is not None:
            await bot.send_message(chat_id, text)
        elif verdict is not Verdict.ALLOW and inline_message_id is not None:
            await bot.edit_message_caption(inline_message_id=inline_message_id, caption=text)
    except (TelegramBadRequest, TelegramForbiddenError) as exc:
        log.info("could not tell %s about the mute: %s", sender_id, exc.message)
    return verdict is Verdict.ALLOW


async def submit(jobs: list[DeliveryJob], tasks: DeliveryTasks, platforms: Platforms, bot: Bot,
                 i18n: I18nContext) -> None:
    """Submit every job the chat's quota admits (in one process they run here, concurrently; with Redis
    they go to the workers); a refused one gets a retry button in private chats, a note in its inline
    message, and nothing in groups (it is counted and logged)."""
    admitted: list[DeliveryJob] = []
    request_ids = REQUEST_IDS.get()
    try:
        for asked in jobs:
            job = dataclasses.replace(asked, request_id=request_ids.next()) if request_ids is not None else asked
            if await tasks.admit(job):
                admitted.append(job)
                continue
            log.info("request %s for %s refused: %s", job.request_id, job.link,
                     "shutting down" if tasks.closing else "too many in flight")
            if job.surface is not Surface.GROUP:
                await _refuse(job, tasks, platforms, bot, i18n)
        await _show_queued(admitted, tasks, bot)
    except BaseException:  # nothing admitted may keep its place without being submitted
        log.exception("taking %d request(s) in failed; their places are given back", len(admitted))
        await asyncio.shield(asyncio.gather(*(tasks.release(job) for job in admitted), return_exceptions=True))
        raise
    await asyncio.gather(*(tasks.submit(job) for job in admitted))


async def _show_queued(admitted: list[DeliveryJob], tasks: DeliveryTasks, bot: Bot) -> None:
    """A private chat whose links wait for others sees 👀 on its message: the rest is coming, one by one
    and in order. Groups stay quiet."""
    for job in admitted:
        if job.surface is Surface.PRIVATE and job.reply_to is not None and await tasks.must_wait(job):
            try:  # a courtesy, never worth delaying the requests: a Bot API that does not answer is not waited for
                async with asyncio.timeout(COURTESY_SECONDS):
                    await bot.set_message_reaction(job.owner, job.reply_to,
                                                   reaction=[ReactionTypeEmoji(emoji=QUEUED)])
            except (TelegramAPIError, TimeoutError) as exc:
                log.info("could not mark request %s as queued: %s", job.request_id, getattr(exc, "message", "timeout"))
            return


async def _refuse(job: DeliveryJob, tasks: DeliveryTasks, platforms: Platforms, bot: Bot,
                  i18n: I18nContext) -> None:
    try:
        if job.inline_message_id is not None:
            text = i18n.get("shutdown-retry" if tasks.closing else "inline-queue-full")
            await bot.edit_message_caption(inline_message_id=job.inline_message_id, caption=text)
            return
        token = retry_token(job, platforms)
        keyboard = retry_keyboard(job.platform.value, token, i18n.get) if token else None
        text = i18n.get("shutdown-retry" if tasks.closing else "queue-full")
        reply = ReplyParameters(message_id=job.reply_to, allow_sending_without_reply=True) if job.reply_to else None
        await bot.send_message(job.owner, text, reply_markup=keyboard, reply_parameters=reply)
    except TelegramAPIError as exc:
        log.info("could not refuse request %s: %s", job.request_id, exc.message)
