"""Telegram's flood limits, enforced strictly: at most 3 messages per rolling 3 s in a private chat, 20 per
rolling 60 s in a group or channel, 30 per rolling second overall, an album counting one message per item.
A call over a limit is answered 429 with the retry_after that would have let it through (a lone album
bigger than a limit needs an empty window)."""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram.records import ApiError

COUNTED_PREFIXES = ("send", "copyMessage", "forwardMessage")


@dataclass
class Window:
    limit: int
    seconds: float
    sent: deque[float] = field(default_factory=deque)

    def wait(self, weight: int, now: float) -> float:
        """Seconds until `weight` more messages fit; 0 when they fit now."""
        while self.sent and self.sent[0] <= now - self.seconds:
            self.sent.popleft()
        need = len(self.sent) + weight - self.limit if weight <= self.limit else len(self.sent)
        return 0.0 if need <= 0 else self.sent[need - 1] + self.seconds - now


def weight_of(method: str, params: dict[str, Any]) -> int:
    if method == "sendChatAction" or not method.startswith(COUNTED_PREFIXES):
        return 0
    return len(params["media"]) if method == "sendMediaGroup" else 1


class FloodModel:
    def __init__(self, *, private: tuple[int, float] = (3, 3.0), group: tuple[int, float] = (20, 60.0),
                 overall: tuple[int, float] = (30, 1.0)) -> None:
        self._private, self._group = private, group
        self._overall = Window(*overall)
        self._chats: dict[int | str, Window] = {}
        self.refused = 0  # calls answered 429

    def admit(self, method: str, params: dict[str, Any]) -> None:
        """Let the call count against the windows, or raise the 429 Telegram would."""
        weight = weight_of(method, params)
        if not weight:
            return
        chat_id = params["chat_id"]
        now = time.monotonic()
        if chat_id not in self._chats:
            is_group = isinstance(chat_id, str) or int(chat_id) < 0
            self._chats[chat_id] = Window(*(self._group if is_group else self._private))
        windows = (self._chats[chat_id], self._overall)
        wait = max(window.wait(weight, now) for window in windows)
        if wait > 0:
            self.refused += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for window in windows:
            window.sent.extend([now] * weight)
