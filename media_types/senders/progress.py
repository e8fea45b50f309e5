"""A note that says how far a long piece of work is (a slideshow rendered, a video compressed): one message,
edited as the work goes on and removed when it is done. Work that ends quickly shows nothing."""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.exceptions import TelegramAPIError

log = logging.getLogger(__name__)

NOTE_AFTER = 3.0  # seconds of work before a note appears
EDIT_EVERY = 3.0  # seconds between edits at most once: a chat takes about a message a second


class ProgressNote:
    """`update(fraction)` shows or edits the note; `remove()` takes it away. A refusal is logged and the note
    given up: it is decoration, the media is what matters."""

    def __init__(self, text: Callable[[int], str], show: Callable[[str, Any], Awaitable[Any]],
                 remove: Callable[[Any], Awaitable[None]], *, after: float = NOTE_AFTER) -> None:
        self._text = text  # percent -> the note's text
        self._show = show  # (text, the note so far or None) -> the note
        self._remove = remove
        self._after = after
        self._started = time.monotonic()
        self._note: Any = None
        self._percent: int | None = None
        self._edited = 0.0

    async def update(self, fraction: float) -> None:
        """Show or edit the note, when it is time to; never raises."""
        now = time.monotonic()
        percent = max(0, min(99, int(fraction * 100)))  # 100 % is the media itself
        if now - self._started < self._after or percent == self._percent:
            return
        if self._note is not None and now - self._edited < EDIT_EVERY:
            return
        try:
            self._note = await self._show(self._text(percent), self._note)
        except Exception as exc:  # noqa: BLE001 - decoration: the media's own send meets whatever this was
            log.info("progress note given up: %s: %s", type(exc).__name__, exc)
            self._after = math.inf  # once refused (the chat blocked the bot, the note deleted): no more tries
        self._percent, self._edited = percent, now

    async def remove(self) -> None:
        if self._note is None:
            return
        try:
            await self._remove(self._note)
        except TelegramAPIError as exc:
            log.info("progress note not removed: %s", exc.message)
