"""When a platform breaks (a new page layout, a block of every proxy), one way of failing takes over a stage.
StageWatch keeps each stage's last outcomes and says when one way of failing crosses a share of them
(broken) and when it falls back under half that share (recovered), so the operators hear it once each way."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

from data import Platform
from data.metrics import STAGE_BROKEN
from pipeline.errors import MediaError

_NUMBERS = re.compile(r"\d+")
_URLS = re.compile(r"\S+://\S+")


@dataclass(frozen=True, slots=True)
class StageAlarm:
    platform: Platform
    stage: str
    way: str  # how it fails, e.g. "NetworkError: Unable to extract universal data for rehydration"
    failures: int  # of the last `window` outcomes, failed this way
    window: int
    broken: bool  # True: it just broke; False: it just recovered


def way_of_failing(exc: MediaError) -> str:
    """The kind and the message of a failure, without the URLs and numbers that differ from item to item."""
    message = _NUMBERS.sub("#", _URLS.sub("<url>", str(exc)))
    return f"{type(exc).__name__}: {message}"[:120]


class StageWatch:
    def __init__(self, platform: Platform, *, window: int, ratio: float) -> None:
        self._platform = platform
        self._window = window
        self._ratio = ratio
        self._outcomes: dict[str, deque[str | None]] = {}
        self._broken: dict[str, str] = {}  # stage -> the way it is broken
        self._seen_healthy: set[str] = set()  # stages this process has seen working
        self.on_change: Callable[[StageAlarm], None] | None = None

    def record(self, stage: str, failure: MediaError | None) -> None:
        """A stage ended: None for success, or the transient failure it gave up on."""
        outcomes = self._outcomes.setdefault(stage, deque(maxlen=self._window))
        outcomes.append(way_of_failing(failure) if failure is not None else None)
        if len(outcomes) < self._window:
            return
        ways = Counter(way for way in outcomes if way is not None)
        top = ways.most_common(1)[0] if ways else ("", 0)
        if stage not in self._broken and stage not in self._seen_healthy and top[1] < self._ratio * self._window / 2:
            # The first full window this process sees working: say so once, so that an alarm raised before a
            # restart (by this process or another) is taken back rather than left standing.
            self._seen_healthy.add(stage)
            self._change(StageAlarm(self._platform, stage, top[0], top[1], self._window, False))
        elif stage in self._broken:
            count = ways[self._broken[stage]]
            if count < self._ratio * self._window / 2:
                self._seen_healthy.add(stage)
                self._change(StageAlarm(self._platform, stage, self._broken.pop(stage), count, self._window, False))
        elif top[1] >= self._ratio * self._window:
            self._broken[stage] = top[0]
            self._change(StageAlarm(self._platform, stage, top[0], top[1], self._window, True))

    def _change(self, alarm: StageAlarm) -> None:
        STAGE_BROKEN.labels(alarm.platform.value, alarm.stage).set(1 if alarm.broken else 0)
        if self.on_change is not None:
            self.on_change(alarm)
