"""Telegram's answers, handled once for every call the bot makes (an aiogram request middleware, outside the
flood control): a 429 becomes a hold every later send respects (media_types.outbound) and the call goes again
once it has passed, for as long as the waits add up to less than TELEGRAM_MAX_WAIT; a Bot API that cannot be
reached at all is tried again with backoff for as long; a reply to a message that is gone is sent without the
reply."""

from __future__ import annotations

import asyncio
import logging

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType

from data.metrics import TELEGRAM_WAITS
from media_types.outbound import FloodControl
from media_types.uploads import never_reached_telegram, outage_delay, replayable

log = logging.getLogger(__name__)

REPLY_GONE = "message to be replied not found"


class TelegramAnswers(BaseRequestMiddleware):
    def __init__(self, flood: FloodControl, *, max_wait: float) -> None:
        self._flood = flood
        self._max_wait = max_wait

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        waited, outage_attempts = 0.0, 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramNetworkError as exc:
                delay = outage_delay(outage_attempts)
                if not never_reached_telegram(exc) or not replayable(method) or waited + delay > self._max_wait:
                    raise  # it may have arrived (no repeat), or a one-shot stream goes with the next download
                outage_attempts, waited = outage_attempts + 1, waited + delay
                log.warning("%s: the Bot API cannot be reached (%s); trying again in %.0f s (%.0f s waited for "
                            "this call)", method.__api_method__, exc.message, delay, waited)
                await asyncio.sleep(delay)
            except TelegramRetryAfter as exc:
                TELEGRAM_WAITS.inc()
                await self._flood.hold(getattr(method, "chat_id", None), exc.retry_after)
                waited += exc.retry_after
                if waited > self._max_wait or not replayable(method):
                    raise  # a one-shot stream goes again with the download stage's next attempt
                log.warning("%s: Telegram asks to wait %s s (%.0f s waited for this call)", method.__api_method__,
                            exc.retry_after, waited)
            except TelegramBadRequest as exc:
                if (REPLY_GONE not in exc.message.lower() or getattr(method, "reply_parameters", None) is None
                        or not replayable(method)):
                    raise
                log.info("%s: the message to reply to is gone; sending without the reply", method.__api_method__)
                method = method.model_copy(update={"reply_parameters": None})
