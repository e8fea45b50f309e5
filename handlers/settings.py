"""Per-chat settings: /lang (language) and /mode (file mode, slideshows as video). In groups only admins may
change them."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.filters import Command, Filter, or_f
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from aiogram_i18n import I18nContext

from data import Repositories
from data.models import Chat
from handlers.i18n import LANGUAGES


class LanguageChoice(CallbackData, prefix="lang"):
    code: str


class FileModeChoice(CallbackData, prefix="mode"):
    enabled: bool


class SlideshowVideoChoice(CallbackData, prefix="ssv"):
    enabled: bool


class MayChangeSettings(Filter):
    """Anyone in a private chat; in groups only the chat's creator and administrators,
    asked from Telegram on every message and every button press."""

    async def __call__(self, event: Message | CallbackQuery, bot: Bot) -> bool:
        message = event if isinstance(event, Message) else event.message
        if message is None:
            return False
        if message.chat.type == ChatType.PRIVATE:
            return True
        if isinstance(event, Message) and event.sender_chat and event.sender_chat.id == event.chat.id:
            return True  # an anonymous administrator posting as the group
        if event.from_user is None:
            return False
        member = await bot.get_chat_member(message.chat.id, event.from_user.id)
        return member.status in (ChatMemberStatus.CREATOR, ChatMemberStatus.ADMINISTRATOR)


def language_keyboard(i18n: I18nContext) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code in LANGUAGES:
        builder.button(text=i18n.get("language-name", code), callback_data=LanguageChoice(code=code))
    builder.adjust(2)
    return builder.as_markup()


def mode_text_and_keyboard(i18n: I18nContext, chat: Chat | None) -> tuple[str, InlineKeyboardMarkup]:
    """Both of /mode's settings, each with the button that flips it."""
    file_mode = bool(chat and chat.file_mode)
    slideshow_video = bool(chat and chat.slideshow_video)
    builder = InlineKeyboardBuilder()
    builder.button(text=i18n.get("mode-turn-off" if file_mode else "mode-turn-on"),
                   callback_data=FileModeChoice(enabled=not file_mode))
    builder.button(text=i18n.get("slideshow-video-turn-off" if slideshow_video else "slideshow-video-turn-on"),
                   callback_data=SlideshowVideoChoice(enabled=not slideshow_video))
    builder.adjust(1)
    text = "\n\n".join((i18n.get("mode-status-on" if file_mode else "mode-status-off"),
                         i18n.get("slideshow-video-on" if slideshow_video else "slideshow-video-off")))
    return text, builder.as_markup()


async def choose_language(message: Message, i18n: I18nContext) -> None:
    await message.answer(i18n.get("lang-choose"), reply_markup=language_keyboard(i18n))


async def set_language(callback: CallbackQuery, callback_data: LanguageChoice, i18n: I18nContext) -> None:
    await i18n.set_locale(callback_data.code)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_text(i18n.get("lang-changed"))


async def reject_language(callback: CallbackQuery, i18n: I18nContext) -> None:
    """A forged or stale code is refused; it never reaches the database."""
    await callback.answer(i18n.get("lang-unknown"), show_alert=True)


async def show_mode(message: Message, i18n: I18nContext, chat_settings: Chat | None) -> None:
    text, keyboard = mode_text_and_keyboard(i18n, chat_settings)
    await message.answer(text, reply_markup=keyboard)


async def set_mode(callback: CallbackQuery, callback_data: FileModeChoice | SlideshowVideoChoice, i18n: I18nContext,
                   repositories: Repositories) -> None:
    message = callback.message
    if message is None:  # MayChangeSettings let it through only with a message
        return
    chat_id, kind = message.chat.id, message.chat.type
    if isinstance(callback_data, FileModeChoice):
        await repositories.chats.set_file_mode(chat_id, kind, callback_data.enabled)
    else:
        await repositories.chats.set_slideshow_video(chat_id, kind, callback_data.enabled)
    text, keyboard = mode_text_and_keyboard(i18n, await repositories.chats.get(chat_id))
    await callback.answer()
    if isinstance(message, Message):
        await message.edit_text(text, reply_markup=keyboard)


async def refuse_non_admin(callback: CallbackQuery, i18n: I18nContext) -> None:
    await callback.answer(i18n.get("settings-admins-only"), show_alert=True)


def create_router() -> Router:
    """Order matters: a valid choice by someone allowed, then a forged code, then everyone else."""
    router = Router(name="settings")
    router.message.register(choose_language, Command("lang"), MayChangeSettings())
    router.message.register(show_mode, Command("mode"), MayChangeSettings())
    router.callback_query.register(set_language, LanguageChoice.filter(F.code.in_(LANGUAGES)), MayChangeSettings())
    router.callback_query.register(reject_language, LanguageChoice.filter(~F.code.in_(LANGUAGES)))
    router.callback_query.register(set_mode, or_f(FileModeChoice.filter(), SlideshowVideoChoice.filter()),
                                   MayChangeSettings())
    router.callback_query.register(refuse_non_admin, or_f(LanguageChoice.filter(), FileModeChoice.filter(),
                                                          SlideshowVideoChoice.filter()))
    return router
