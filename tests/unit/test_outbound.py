"""The outbound limiter: what each call weighs, and that it hands every call on unchanged (counted, never timed)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageText,
    ForwardMessage,
    GetMe,
    SendChatAction,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SetMessageReaction,
    TelegramMethod,
)
from aiogram.methods.base import Response
from aiogram.types import InputMediaPhoto, ReactionTypeEmoji

from data import keys
from data.shared import LocalState
from media_types.outbound import FloodControl, message_weight

PHOTO_URL = "https://example.com/photo.jpg"  # the fake accepts a URL where a file goes


def album(size: int) -> list[InputMediaPhoto]:
    return [InputMediaPhoto(media=f"{PHOTO_URL}?{i}") for i in range(size)]


@pytest.mark.parametrize(
    ("method", "weight"),
    [
        (SendMessage(chat_id=1, text="hi"), 1),
        (SendPhoto(chat_id=1, photo=PHOTO_URL), 1),
        (CopyMessage(chat_id=1, from_chat_id=2, message_id=3), 1),
        (ForwardMessage(chat_id=1, from_chat_id=2, message_id=3), 1),
        (SendMediaGroup(chat_id=1, media=album(2)), 2),
        (SendMediaGroup(chat_id=1, media=album(10)), 10),
        (SendChatAction(chat_id=1, action="upload_document"), 0),
        (GetMe(), 0),
        (EditMessageText(chat_id=1, message_id=2, text="edited"), 0),
        (SetMessageReaction(chat_id=1, message_id=2, reaction=[ReactionTypeEmoji(emoji="👍")]), 0),
        (AnswerCallbackQuery(callback_query_id="1"), 0),
    ],
    ids=lambda value: value.__api_method__ if isinstance(value, TelegramMethod) else str(value),
)
def test_message_weight(method: TelegramMethod[Any], weight: int) -> None:
    assert message_weight(method) == weight


async def test_the_limiter_hands_the_same_call_on_and_returns_its_answer_unchanged() -> None:
    limiter, bot = FloodControl(), Bot("1:a")
    handed: list[tuple[Bot, TelegramMethod[Any]]] = []
    answer: Response[Any] = Response(ok=True, result=True)

    async def make_request(to: Bot, method: TelegramMethod[Any]) -> Response[Any]:
        handed.append((to, method))
        return answer

    calls = [SendMessage(chat_id=5, text="hi"), SendMediaGroup(chat_id=-1005, media=album(3)), GetMe(),
             SendChatAction(chat_id=5, action="typing")]
    for method in calls:
        assert await limiter(make_request, bot, method) is answer
    assert [(to is bot, method) for to, method in handed] == [(True, method) for method in calls]
    await bot.session.close()


async def test_each_message_of_an_album_takes_a_place_in_the_windows() -> None:
    """An album of three takes three places of the chat's 3-in-3-s and of the 30-a-second overall; calls
    that send nothing take none."""
    shared = LocalState()
    limiter, bot = FloodControl(shared), Bot("1:a")

    async def make_request(_bot: Bot, _method: TelegramMethod[Any]) -> Response[Any]:
        return Response(ok=True, result=True)

    await limiter(make_request, bot, SendMediaGroup(chat_id=5, media=album(3)))
    await limiter(make_request, bot, SendChatAction(chat_id=5, action="typing"))
    await limiter(make_request, bot, GetMe())
    await bot.session.close()
    assert await shared.take(keys.flood_window(5), 3, 3.0) > 0  # the chat's window is full
    assert await shared.take(keys.flood_window(None), 30, 1.0, weight=27) == 0.0  # 27 of 30 were left...
    assert await shared.take(keys.flood_window(None), 30, 1.0) > 0  # ...and no more


@pytest.fixture
async def limited_bot(telegram) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
    session.middleware(FloodControl(LocalState()))
    bot = Bot(telegram.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))
    try:
        yield bot
    finally:
        await bot.session.close()


async def test_calls_through_the_limiter_reach_telegram_as_sent(limited_bot: Bot, telegram) -> None:
    me = await limited_bot.get_me()
    message = await limited_bot.send_message(7, "<b>hello</b>")
    messages = await limited_bot.send_media_group(-1007, album(3))
    assert await limited_bot.send_chat_action(7, "typing")

    assert me.id == telegram.bot_id
    assert message.text == "hello" and message.chat.id == 7
    assert len(messages) == 3
    [sent] = telegram.calls_to("sendMessage")
    assert sent.params["chat_id"] == 7 and sent.params["text"] == "<b>hello</b>"
    [group] = telegram.calls_to("sendMediaGroup")
    assert [item["media"] for item in group.params["media"]] == [item.media for item in album(3)]
    assert [call.method for call in telegram.calls] == ["getMe", "sendMessage", "sendMediaGroup", "sendChatAction"]
