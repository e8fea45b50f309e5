"""/start (recording a deep-link referral once) and /help."""

from __future__ import annotations

import html
import re

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import Message
from aiogram_i18n import I18nContext

from data import Repositories

# Telegram allows deep-link payloads of up to 64 characters from this alphabet.
_REFERRAL = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def start(
    message: Message, command: CommandObject, i18n: I18nContext, repositories: Repositories, bot: Bot,
) -> None:
    referral = command.args if command.args and _REFERRAL.match(command.args) else None
    await repositories.chats.register(message.chat.id, message.chat.type, referral=referral)
    me = await bot.me()
    name = message.from_user.first_name if message.from_user else ""
    await message.answer(i18n.get("start-welcome", name=html.escape(name), bot=me.username))


async def help_command(message: Message, i18n: I18nContext, bot: Bot) -> None:
    me = await bot.me()
    await message.answer(i18n.get("help-text", bot=me.username))


def create_router() -> Router:
    router = Router(name="start")
    router.message.register(start, CommandStart())
    router.message.register(help_command, Command("help"))
    return router
