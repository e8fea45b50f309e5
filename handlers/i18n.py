"""Translations (aiogram-i18n with Fluent, files in locale/) and where each chat's language comes from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from aiogram.types import Chat, User
from aiogram_i18n import I18nMiddleware
from aiogram_i18n.cores import FluentRuntimeCore
from aiogram_i18n.managers import BaseManager

from data import Repositories
from data.models import Chat as ChatRow

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("en", "ru", "uk", "ar", "hi", "id", "so", "vi")
DEFAULT_LANGUAGE = "en"


def language_from_telegram(language_code: str | None) -> str:
    """Map Telegram's IETF tag ("pt-br", "uk") to a language we speak, English otherwise."""
    base = (language_code or "").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


def settings_chat_id(chat: Chat | None, user: User | None) -> int | None:
    """Whose settings apply: the chat's, or for inline queries (no chat) the user's private chat."""
    if chat is not None:
        return chat.id
    return user.id if user is not None else None


class ChatLanguageManager(BaseManager):
    """The language stored for the chat (/lang), else the user's Telegram language."""

    async def get_locale(self, chat_settings: ChatRow | None = None, event_from_user: User | None = None) -> str:
        if chat_settings is not None and chat_settings.language in LANGUAGES:
            return chat_settings.language
        return language_from_telegram(event_from_user.language_code if event_from_user else None)

    async def set_locale(
        self, locale: str, repositories: Repositories, event_chat: Chat | None = None,
        event_from_user: User | None = None,
    ) -> None:
        chat_id = settings_chat_id(event_chat, event_from_user)
        if chat_id is None:
            return  # an update from nobody (a channel post) has no settings to keep
        kind = event_chat.type if event_chat is not None else "private"
        await repositories.chats.set_language(chat_id, kind, locale)


def create_i18n_core() -> FluentRuntimeCore:
    return FluentRuntimeCore(path=LOCALE_DIR / "{locale}", default_locale=DEFAULT_LANGUAGE)


def create_i18n_middleware(core: FluentRuntimeCore) -> I18nMiddleware:
    return I18nMiddleware(core=core, manager=ChatLanguageManager(), default_locale=DEFAULT_LANGUAGE)


def translator(core: FluentRuntimeCore) -> Callable[[str], Callable[..., str]]:
    """language -> t(key, **arguments), for code that runs outside an update's i18n context."""

    def for_language(language: str) -> Callable[..., str]:
        return lambda key, **arguments: core.get(key, language, **arguments)

    return for_language
