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
from aiogram.types import InlineQueryResultArticle, InputTextMessageContent, Message
from aiogram_i18n import I18nContext

from data import Surface
from data.models import Chat
from handlers.inline import CACHED, CACHED_VIDEO, PENDING, PENDING_VIDEO, cached_result, pending_result
from handlers.links import message_urls
from handlers.requests import submit
from media_types import Deliverer, DeliveryJob, DeliveryTasks, InlineMode, SpamGuard, Variant, Verdict
from pipeline import Platforms

log = logging.getLogger(__name__)
RESOLVE_WITHIN = 2.0  # seconds a short link may take to show which item it is before the answer goes without


async def answer_guest(message: Message, platforms: Platforms, inline_mode: InlineMode, deliverer: Deliverer,
                       tasks: DeliveryTasks, spam: SpamGuard, chat_settings: Chat | None, i18n: I18nContext,
                       bot: Bot) -> None:
    """The first supported link of the message is answered: one guest query, one answer."""
    query_id, caller = message.guest_query_id, message.from_user
    if query_id is None or caller is None:
        return
    text, entity_urls = message_urls(message)
    links = platforms.find_links(text, entity_urls)
    if not links:
        await _answer_text(bot, query_id, "guest-no-link", i18n)
        return
    if inline_mode.storage_channel_id is None:
        await _answer_text(bot, query_id, "guest-not-configured", i18n)
        return
    verdict = await spam.check(caller.id, 1)
    if verdict is Verdict.MUTED_NOW:  # told once, in the chat it asked in
        await _answer_text(bot, query_id, "spam-muted", i18n, seconds=round(spam.mute_seconds))
        return
    if verdict is Verdict.MUTED:  # quiet: a muted sender must not make the bot post into a chat again and again
        log.info("the guest query of muted sender %s is left unanswered", caller.id)
        return
    found = links[0]
    job = DeliveryJob(platform=found.platform, link=found.link.url, surface=Surface.GUEST, language=i18n.locale,
                      user_id=caller.id, slideshow_video=bool(chat_settings and chat_settings.slideshow_video))
    as_video = job.variant is Variant.RENDERED
    job, item_id = await deliverer.identified(job, within=RESOLVE_WITHIN)
    cached = (await deliverer.cached(job, item_id))[1] if item_id else None
    offered = cached_result(CACHED_VIDEO if as_video else CACHED, job.platform, item_id, cached, i18n) \
        if item_id and cached else None
    if offered is not None:
        await bot.answer_guest_query(query_id, offered)
        await deliverer.record_inline_hit(job, item_id)
        return
    placeholder = await pending_result(
        PENDING_VIDEO if as_video else PENDING, job.platform, inline_mode, i18n,
        "inline-video-title" if as_video else "inline-send-title",
        "inline-video-description" if as_video else "inline-send-description")
    sent = await bot.answer_guest_query(query_id, placeholder)
    await submit([dataclasses.replace(job, inline_message_id=sent.inline_message_id)], tasks, platforms, bot, i18n)


async def _answer_text(bot: Bot, query_id: str, key: str, i18n: I18nContext, **arguments: object) -> None:
    text = i18n.get(key, **arguments)
    await bot.answer_guest_query(query_id, InlineQueryResultArticle(
        id=key, title=text[:64], input_message_content=InputTextMessageContent(message_text=text)))


def create_router() -> Router:
    router = Router(name="guest")
    router.guest_message.register(answer_guest)
    return router
