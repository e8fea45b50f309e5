"""The buttons under delivered media: the sound, inline slideshow pages, and state-only buttons.
Everything needed is in the callback data and the database, so old messages keep working after a restart."""

from __future__ import annotations

import re

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import or_f
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from data import Platform, Surface
from data.models import Chat
from handlers.requests import allowed, submit
from media_types import (
    DeliveryJob,
    DeliveryTasks,
    InlineMode,
    MusicButton,
    Noop,
    SlidePage,
    SpamGuard,
    position_of,
)
from pipeline import Platforms

_ITEM_ID = re.compile(r"^[A-Za-z0-9_-]{5,64}$")  # TikTok ids are digits, Instagram codes are not
_KNOWN_PLATFORMS = [platform.value for platform in Platform]


async def send_sound(
    callback: CallbackQuery, callback_data: MusicButton, tasks: DeliveryTasks,
    spam: SpamGuard, chat_settings: Chat | None, i18n: I18nContext, bot: Bot, platforms: Platforms,
) -> None:
    platform = Platform(callback_data.platform)
    link = platforms.link(platform, platforms.item_url(platform, callback_data.item_id))
    if link is None or link.item_id != callback_data.item_id:  # forged, or from a version with other ids
        await callback.answer(i18n.get("button-stale"))
        return
    message = callback.message if isinstance(callback.message, Message) else None
    if message is None:
        # Under an inline message there is no chat to answer in: the sound goes to the user's private chat,
        # which must exist.
        if chat_settings is None or chat_settings.blocked_at is not None:
            me = await bot.me()
            await callback.answer(url=f"https://t.me/{me.username}?start=sound")
            return
        chat_id, surface, reply_to = callback.from_user.id, Surface.PRIVATE, None
    else:
        chat_id, reply_to = message.chat.id, message.message_id
        surface = Surface.PRIVATE if message.chat.type == ChatType.PRIVATE else Surface.GROUP
    await callback.answer()
    if not await allowed(spam, callback.from_user.id, 1, bot, chat_id, i18n):
        return
    job = DeliveryJob(
        platform=platform, link=link.url, surface=surface,
        language=i18n.locale, chat_id=chat_id, user_id=callback.from_user.id, reply_to=reply_to, sound=True,
        position=position_of(reply_to) if reply_to is not None else None,
    )
    await submit([job], tasks, platforms, bot, i18n)


async def turn_page(callback: CallbackQuery, callback_data: SlidePage, inline_mode: InlineMode,
                    i18n: I18nContext) -> None:
    if callback.inline_message_id is None:
        await callback.answer()
        return
    shown = await inline_mode.show_slide(
        callback.inline_message_id, Platform(callback_data.platform), callback_data.item_id, callback_data.index,
        i18n.locale,
    )
    await callback.answer(None if shown else i18n.get("slideshow-gone"))


async def ignore(callback: CallbackQuery) -> None:
    await callback.answer()


def create_router() -> Router:
    router = Router(name="music")
    valid_item = F.item_id.regexp(_ITEM_ID) & F.platform.in_(_KNOWN_PLATFORMS)
    router.callback_query.register(send_sound, MusicButton.filter(valid_item))
    router.callback_query.register(turn_page, SlidePage.filter(valid_item))
    router.callback_query.register(ignore, Noop.filter())
    router.callback_query.register(ignore, or_f(MusicButton.filter(), SlidePage.filter()))  # forged or stale data
    return router
