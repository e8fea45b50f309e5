"""The buttons under delivered media: the sound, a slideshow's other form, inline slideshow pages, and
state-only buttons.
Everything needed is in the callback data and the database, so old messages keep working after a restart."""

from __future__ import annotations

import re
from typing import Any

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
    Form,
    FormButton,
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
    await _deliver_form(callback, callback_data.platform, callback_data.item_id, Form.SOUND, tasks, spam,
                        chat_settings, i18n, bot, platforms)


async def send_form(
    callback: CallbackQuery, callback_data: FormButton, tasks: DeliveryTasks,
    spam: SpamGuard, chat_settings: Chat | None, i18n: I18nContext, bot: Bot, platforms: Platforms,
) -> None:
    """🎬 (a slideshow as one video) or 🖼 (a rendered slideshow's pictures); under an inline message the
    inline message itself turns into the other form."""
    await _deliver_form(callback, callback_data.platform, callback_data.item_id, Form(callback_data.form), tasks,
                        spam, chat_settings, i18n, bot, platforms)


async def _deliver_form(
    callback: CallbackQuery, platform_name: str, item_id: str, form: Form, tasks: DeliveryTasks,
    spam: SpamGuard, chat_settings: Chat | None, i18n: I18nContext, bot: Bot, platforms: Platforms,
) -> None:
    platform = Platform(platform_name)
    link = platforms.link(platform, platforms.item_url(platform, item_id))
    if link is None or link.item_id != item_id:  # forged, or from a version with other ids
        await callback.answer(i18n.get("button-stale"))
        return
    message = callback.message if isinstance(callback.message, Message) else None
    place: dict[str, Any]
    if message is not None:
        surface = Surface.PRIVATE if message.chat.type == ChatType.PRIVATE else Surface.GROUP
        place = {"chat_id": message.chat.id, "reply_to": message.message_id, "surface": surface,
                 "position": position_of(message.message_id),
                 "file_mode": bool(chat_settings and chat_settings.file_mode)}
    elif form is not Form.SOUND and callback.inline_message_id is not None:
        place = {"inline_message_id": callback.inline_message_id, "surface": Surface.INLINE}
    elif chat_settings is None or chat_settings.blocked_at is not None:
        # A sound asked under an inline message goes to the user's private chat, which must exist.
        me = await bot.me()
        await callback.answer(url=f"https://t.me/{me.username}?start=sound")
        return
    else:
        place = {"chat_id": callback.from_user.id, "surface": Surface.PRIVATE}
    await callback.answer()
    if not await allowed(spam, callback.from_user.id, 1, bot, place.get("chat_id"), i18n,
                         inline_message_id=place.get("inline_message_id")):
        return
    job = DeliveryJob(platform=platform, link=link.url, language=i18n.locale, user_id=callback.from_user.id,
                      form=form, **place)
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
    router.callback_query.register(send_form, FormButton.filter(valid_item & F.form.in_([Form.VIDEO, Form.POST])))
    router.callback_query.register(turn_page, SlidePage.filter(valid_item))
    router.callback_query.register(ignore, Noop.filter())
    forged = or_f(MusicButton.filter(), FormButton.filter(), SlidePage.filter())  # or stale: answered, nothing more
    router.callback_query.register(ignore, forged)
    return router
