"""The Dispatcher: middlewares in their order, every feature's Router, and the command menu."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.types import BotCommand
from aiogram_i18n.cores import BaseCore, FluentRuntimeCore

from data.shared import SharedState
from handlers import admin, guest, inline, links, membership, music, settings, start
from handlers.context import ChatSettings, DropRepeatedUpdates, LogContext
from handlers.factory import HandlerContext
from handlers.i18n import LANGUAGES, create_i18n_middleware

# Each command with the translation key of its menu description.
COMMANDS = (("start", "cmd-start"), ("help", "cmd-help"), ("lang", "cmd-lang"), ("mode", "cmd-mode"))


def create_dispatcher(i18n_core: FluentRuntimeCore, state: SharedState, context: HandlerContext, *,
                      on_shutdown: Callable[[], Awaitable[None]] | None = None) -> Dispatcher:
    """`context` reaches handlers as arguments. Commands come before links, so "/help" is never taken for a
    bad link. `on_shutdown` runs first when the bot stops, while translations are still loaded."""
    dispatcher = Dispatcher(**context)
    if on_shutdown is not None:
        dispatcher.shutdown.register(on_shutdown)
    dispatcher.update.outer_middleware(DropRepeatedUpdates(state))
    dispatcher.update.outer_middleware(LogContext())
    dispatcher.update.outer_middleware(ChatSettings())  # before i18n, which reads the language from it
    create_i18n_middleware(i18n_core).setup(dispatcher)
    dispatcher.include_routers(
        start.create_router(), settings.create_router(), admin.create_router(), membership.create_router(),
        music.create_router(), inline.create_router(), guest.create_router(), links.create_router(),
    )
    dispatcher.startup.register(set_commands)
    return dispatcher


async def set_commands(bot: Bot, i18n_middleware: Any) -> None:
    """The command menu in every language we speak, English for everyone else."""
    core: BaseCore[Any] = i18n_middleware.core
    for language in (None, *LANGUAGES):
        commands = [BotCommand(command=name, description=core.get(key, language or "en")) for name, key in COMMANDS]
        await bot.set_my_commands(commands, language_code=language)
