"""Uploads that read straight from the CDN: the bytes go into Telegram's multipart request as they
arrive, so the user waits for the larger of download and upload, not their sum, and memory holds a few
chunks, not the video."""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, Awaitable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.types import InputFile
from aiohttp import (
    ClientConnectionResetError,
    ClientConnectorError,
    ClientOSError,
    ClientPayloadError,
    ClientSSLError,
    ServerDisconnectedError,
)

from data.metrics import IN_DOUBT
from pipeline import MediaStream, NetworkError

T = TypeVar("T")
log = logging.getLogger(__name__)


class StreamedUpload(InputFile):
    """An InputFile over an open CDN stream. It can be read once: a resend needs a new download, which
    the download stage's retry provides (see media_types.senders.base)."""

    replayable = False

    def __init__(self, stream: MediaStream, filename: str) -> None:
        super().__init__(filename=filename)
        self._stream = stream
        self._read = False

    async def read(self, bot: Bot) -> AsyncGenerator[bytes, None]:
        if self._read:
            raise NetworkError("the CDN stream was already sent once")
        self._read = True
        async for chunk in self._stream.chunks():
            yield chunk


async def upload_failure_is_retryable(request: Awaitable[T]) -> T:
    """An upload that failed on Telegram's side (network, 5xx) becomes a retryable NetworkError, so the
    download stage repeats download and upload together (a 429, or a Bot API that cannot be reached at all,
    is the sender's to wait out)."""
    try:
        return await request
    except TelegramNetworkError as exc:
        if never_reached_telegram(exc):
            raise
        if connection_lost(exc):
            IN_DOUBT.inc()
            log.warning("an upload's connection broke before Telegram answered (%s); it goes again with the next "
                        "download: it may arrive twice", exc.message)
        raise NetworkError(f"upload failed: {exc}") from None
    except TelegramServerError as exc:
        raise NetworkError(f"upload failed: {exc}") from None


def never_reached_telegram(error: TelegramNetworkError) -> bool:
    """No connection could even be opened (the Bot API is down, unreachable): the call surely did not arrive,
    so sending it again can make no duplicate. A certificate refused is no outage: waiting would not help."""
    cause = error.__cause__
    return isinstance(cause, ClientConnectorError) and not isinstance(cause, ClientSSLError)


def connection_lost(error: TelegramNetworkError) -> bool:
    """The connection broke after the call went out and before Telegram answered: it may have arrived or not
    ("in doubt"). A timeout is not counted here: Telegram may still be working on the call."""
    cause = error.__cause__
    broken = (ServerDisconnectedError, ClientOSError, ClientConnectionResetError, ClientPayloadError)
    return isinstance(cause, broken) and not isinstance(cause, ClientConnectorError)


def outage_delay(attempt: int) -> float:
    """Seconds before trying an unreachable Bot API again: 1, 2, 4, 8, then every 10."""
    return min(10.0, 2.0 ** attempt)


def replayable(method: object) -> bool:
    """False when a call carries a one-shot stream, which a resend could not read again."""
    return all(getattr(value, "replayable", True) for value in vars(method).values())
