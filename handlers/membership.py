"""Keep the chats table true: a user who blocks the bot is marked blocked (broadcasts skip them),
a group that adds the bot is registered."""

from __future__ import annotations

import logging

from aiogram import Router
from aiogram.filters import IS_MEMBER, IS_NOT_MEMBER, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated

from data import Repositories

log = logging.getLogger(__name__)


async def bot_removed(event: ChatMemberUpdated, repositories: Repositories) -> None:
    log.info("bot removed or blocked in chat %s", event.chat.id)
    await repositories.chats.mark_blocked(event.chat.id, event.chat.type)


async def bot_added(event: ChatMemberUpdated, repositories: Repositories) -> None:
    log.info("bot added or unblocked in chat %s", event.chat.id)
    await repositories.chats.register(event.chat.id, event.chat.type)


def create_router() -> Router:
    router = Router(name="membership")
    router.my_chat_member.register(bot_removed, ChatMemberUpdatedFilter(IS_MEMBER >> IS_NOT_MEMBER))
    router.my_chat_member.register(bot_added, ChatMemberUpdatedFilter(IS_NOT_MEMBER >> IS_MEMBER))
    return router
