"""The spam guard: a sender who floods links is muted for a while, and told once."""

from __future__ import annotations

import enum
import logging

from data import keys
from data.metrics import REJECTED
from data.shared import SharedState

log = logging.getLogger(__name__)


class Verdict(enum.Enum):
    ALLOW = "allow"
    MUTED_NOW = "muted_now"  # this message crossed the line: tell the sender once
    MUTED = "muted"  # still muted: ignore quietly


class SpamGuard:
    """Per sender, at most `max_links` links per `window` seconds; a sender over the line is muted for
    `mute_seconds`, and told once (the first process to claim the mute tells)."""

    def __init__(self, state: SharedState, *, max_links: int, window: float, mute_seconds: float) -> None:
        self._state = state
        self._max_links = max_links
        self._window = window
        self.mute_seconds = mute_seconds

    async def check(self, sender_id: int, links: int = 1) -> Verdict:
        if await self._state.get(keys.mute(sender_id, self.mute_seconds)) is not None:
            return Verdict.MUTED
        count = 0
        for _ in range(min(links, self._max_links + 1)):
            count = await self._state.hits(keys.spam_hits(sender_id, self._window))
        if count <= self._max_links:
            return Verdict.ALLOW
        REJECTED.labels("spam").inc()
        if self.mute_seconds and await self._state.claim(keys.mute(sender_id, self.mute_seconds)):
            log.info("sender %s is flooding; muted for %.0f s", sender_id, self.mute_seconds)
            return Verdict.MUTED_NOW
        return Verdict.MUTED
