"""Telegram's answers, handled once for every call the bot makes (an aiogram request middleware):
a 429 is waited out (retry_after) a bounded number of times, and a reply to a message that is gone is
sent without the reply."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from data.metrics import TELEGRAM_WAITS
from media_types.uploads import replayable

log = logging.getLogger(__name__)

REPLY_GONE = "message to be replied not found"


class TelegramAnswers(BaseRequestMiddleware):
    def __init__(self, *, max_retries: int = 3, max_wait: float = 120.0) -> None:
        self._max_retries = max_retries
        self._max_wait = max_wait

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        retries = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                retries += 1
                if retries > self._max_retries or exc.retry_after > self._max_wait or not replayable(method):
                    raise
                TELEGRAM_WAITS.inc()
                log.warning("%s: Telegram asks to wait %s s (retry %d/%d)", method.__api_method__,
                            exc.retry_after, retries, self._max_retries)
                await asyncio.sleep(exc.retry_after)
            except TelegramBadRequest as exc:
                if (REPLY_GONE not in exc.message.lower() or getattr(method, "reply_parameters", None) is None
                        or not replayable(method)):
                    raise
                log.info("%s: the message to reply to is gone; sending without the reply", method.__api_method__)
                method = method.model_copy(update={"reply_parameters": None})
