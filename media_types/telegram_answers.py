"""Telegram's answers, handled once for every call the bot makes (an aiogram request middleware, outside the
flood control): a 429 becomes a hold every later send respects (media_types.outbound) and the call goes again
once it has passed, for as long as the waits add up to less than TELEGRAM_MAX_WAIT; a Bot API that cannot be
reached at all is tried again with backoff for as long; a send or edit whose connection broke before the answer
is sent again, counted as in doubt (at least once: a lost video is worse than a repeated one); a reply to a
message that is gone is sent without the reply."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError, TelegramRetryAfter
from aiogram.methods import TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import File, Message, MessageId, ResultChatMemberUnion, SentGuestMessage, Update, User

from data.metrics import IN_DOUBT, TELEGRAM_WAITS
from media_types.outbound import FloodControl
from media_types.uploads import connection_lost, never_reached_telegram, outage_delay, replayable

log = logging.getLogger(__name__)

# aiogram reads every answer as Response[T]; pydantic (2.13) keeps parametrized models only weakly, so a busy
# bot built Response[Message] again and again, ~4 ms each (create_generic_submodel under check_response in the
# cache-hit phase's profile). Held here for what the bot's calls return, each is built once.
_RESPONSE_MODELS = (
    Response[Message], Response[list[Message]], Response[bool], Response[Message | bool], Response[SentGuestMessage],
    Response[list[Update]], Response[User], Response[File], Response[MessageId], Response[ResultChatMemberUnion],
)

REPLY_GONE = "message to be replied not found"
NOT_MODIFIED = "message is not modified"


class TelegramAnswers(BaseRequestMiddleware):
    def __init__(self, flood: FloodControl, *, max_wait: float) -> None:
        self._flood = flood
        self._max_wait = max_wait

    async def __call__(
        self, make_request: NextRequestMiddlewareType[TelegramType], bot: Bot, method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        call = _Call(method, self._max_wait)
        while True:
            try:
                return await make_request(bot, call.method)
            except TelegramNetworkError as exc:
                await asyncio.sleep(call.delay_after(exc))
            except TelegramRetryAfter as exc:
                TELEGRAM_WAITS.inc()
                await self._flood.hold(getattr(method, "chat_id", None), exc.retry_after)
                call.waited += exc.retry_after
                if call.waited > self._max_wait or not replayable(method):
                    raise  # a one-shot stream goes again with the download stage's next attempt
                log.warning("%s: Telegram asks to wait %s s (%.0f s waited for this call)", method.__api_method__,
                            exc.retry_after, call.waited)
            except TelegramBadRequest as exc:
                if call.arrived_before(exc):  # an edit's result: True (the session passes results, not Responses)
                    return cast("Response[TelegramType]", True)
                call.drop_gone_reply(exc)


class _Call:
    """One call's way through Telegram's answers: how long it waited, and whether it went again in doubt."""

    def __init__(self, method: TelegramMethod[Any], max_wait: float) -> None:
        self.method = method
        self.waited = 0.0
        self._max_wait = max_wait
        self._outages = 0
        self._repeated_in_doubt = False

    def delay_after(self, exc: TelegramNetworkError) -> float:
        """Seconds before the call goes again after a network failure; raises when it may not."""
        delay, name = outage_delay(self._outages), self.method.__api_method__
        if not replayable(self.method) or self.waited + delay > self._max_wait:
            raise exc  # a one-shot stream goes again with the next download
        if never_reached_telegram(exc):
            log.warning("%s: the Bot API cannot be reached (%s); trying again in %.0f s (%.0f s waited for this "
                        "call)", name, exc.message, delay, self.waited + delay)
        elif connection_lost(exc) and name.startswith(("send", "edit")) and name != "sendChatAction":
            # What the user waits for: a duplicate costs less than a loss. Others (reactions, answers to
            # queries, deletions) would only fail on a repeat of what already arrived.
            IN_DOUBT.inc()
            self._repeated_in_doubt = True
            log.warning("%s: the connection broke before Telegram answered (%s); sending it again in %.0f s: it "
                        "may arrive twice", name, exc.message, delay)
        else:
            raise exc
        self._outages, self.waited = self._outages + 1, self.waited + delay
        return delay

    def arrived_before(self, exc: TelegramBadRequest) -> bool:
        """An edit repeated in doubt that Telegram finds already made: the first one arrived."""
        return (self._repeated_in_doubt and NOT_MODIFIED in exc.message.lower()
                and self.method.__api_method__.startswith("edit"))

    def drop_gone_reply(self, exc: TelegramBadRequest) -> None:
        """A reply to a message that is gone goes again without the reply; any other bad request is raised."""
        if (REPLY_GONE not in exc.message.lower() or getattr(self.method, "reply_parameters", None) is None
                or not replayable(self.method)):
            raise exc
        log.info("%s: the message to reply to is gone; sending without the reply", self.method.__api_method__)
        self.method = self.method.model_copy(update={"reply_parameters": None})
