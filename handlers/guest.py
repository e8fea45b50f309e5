"""Guest mode (Bot API 10.0): "@bot <link>" in a chat the bot is not a member of. Telegram sends the message
as a guest message, and the bot answers it once (answerGuestQuery) with an inline result that Telegram posts
into that chat as an inline message; from then on it is an inline message like any other (inline mode edits,
pages and buttons all work on it).

When to answer: the Bot API sets no deadline for a guest query (the queries it does set one for, pre-checkout
and join requests, get 10 s). The bot does not wait for the media: a cached item is answered at once by its file
id (a short link is resolved first, for at most RESOLVE_WITHIN s), anything else at once with the "downloading"
placeholder, which the delivery then edits into the media however long the download takes, as in inline mode.
A failure edits the placeholder into a short localized text."""

from __future__ import annotations

import dataclasses
import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.types import InlineQueryResultArticle, InlineQueryResultUnion, InputTextMessageContent, Message
from aiogram_i18n import I18nContext

from data import Surface, keys
from data.models import Chat
from data.shared import SharedState
from handlers.inline import CACHED, CACHED_VIDEO, PENDING, PENDING_VIDEO, cached_result, pending_result
from handlers.links import message_urls
from handlers.requests import submit
from media_types import Deliverer, DeliveryJob, DeliveryTasks, InlineMode, SpamGuard, Variant, Verdict
from pipeline import Platforms

log = logging.getLogger(__name__)
RESOLVE_WITHIN = 2.0  # seconds a short link may take to show which item it is before the answer goes without


async def answer_guest(message: Message, platforms: Platforms, inline_mode: InlineMode, deliverer: Deliverer,
                       tasks: DeliveryTasks, spam: SpamGuard, shared: SharedState, chat_settings: Chat | None,
                       i18n: I18nContext, bot: Bot) -> None:
    """The first supported link of the message is answered: one guest query, one answer. Every guest message
    passes the spam guard first, link or not: a muted caller cannot make the bot post into a chat."""
    query_id, caller = message.guest_query_id, message.from_user
    if query_id is None or caller is None:
        return
    verdict = await spam.check(caller.id, 1)
    if verdict is Verdict.MUTED:
        log.info("the guest query of muted sender %s is left unanswered", caller.id)
        return
    if verdict is Verdict.MUTED_NOW:  # told once, in the chat it asked in
        await _answer(bot, query_id, _text(i18n.get("spam-muted", seconds=round(spam.mute_seconds))))
        return
    text, entity_urls = message_urls(message)
    links = platforms.find_links(text, entity_urls)
    if not links or inline_mode.storage_channel_id is None:
        await _answer(bot, query_id, _text(i18n.get("guest-no-link" if not links else "guest-not-configured")))
        return
    job = DeliveryJob(platform=links[0].platform, link=links[0].link.url, surface=Surface.GUEST,
                      language=i18n.locale, user_id=caller.id,
                      slideshow_video=bool(chat_settings and chat_settings.slideshow_video))
    answered = await shared.get(keys.guest_answer(query_id))  # this update again, after a failure below
    job, item = await deliverer.identified(job, within=RESOLVE_WITHIN)
    variant, cached = await deliverer.cached(job, item.item_id) if item else (job.variant, None)
    as_video = variant is Variant.RENDERED and (cached is not None or (item is not None and item.is_photo))
    if answered is None and item is not None and cached is not None:
        offered = cached_result(CACHED_VIDEO if as_video else CACHED, job.platform, item.item_id, cached, i18n)
        if offered is not None:
            if await _answer(bot, query_id, offered) is not None:
                await deliverer.record_inline_hit(job, item.item_id)
            return
    if answered is None:
        placeholder = await pending_result(
            PENDING_VIDEO if as_video else PENDING, job.platform, inline_mode, i18n,
            "inline-video-title" if as_video else "inline-send-title",
            "inline-video-description" if as_video else "inline-send-description")
        answered = await _answer(bot, query_id, placeholder)
        if answered is None:
            return
        await shared.put(keys.guest_answer(query_id), answered)
    await submit([dataclasses.replace(job, inline_message_id=answered)], tasks, platforms, bot, i18n)


def _text(text: str) -> InlineQueryResultArticle:
    return InlineQueryResultArticle(id="text", title=text[:64],
                                    input_message_content=InputTextMessageContent(message_text=text))


async def _answer(bot: Bot, query_id: str, result: InlineQueryResultUnion) -> str | None:
    """The inline message the answer became; None when Telegram refused it (the query expired, say): the
    caller's message stays without an answer, and nothing else can reach that chat."""
    try:
        sent = await bot.answer_guest_query(query_id, result)
    except TelegramAPIError as exc:
        log.warning("guest query %s could not be answered: %s", query_id, exc.message)
        return None
    return sent.inline_message_id


def create_router() -> Router:
    router = Router(name="guest")
    router.guest_message.register(answer_guest)
    return router
