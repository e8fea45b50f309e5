"""What the fake origins share: failures scripted by the tests, and the record of every request received."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Failure:
    matches: Callable[[Any], bool]
    status: int | None  # None: answer normally, after the delay
    remaining: int
    delay: float


class RecordedTraffic:
    """Mixed into a fake origin, whose requests (hits) have `host` and `path`."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._failures: list[Failure] = []
        self._requests: list[Any] = []

    def fail_next(self, match: str | Callable[[Any], bool], *, status: int | None = 500, times: int = 1,
                  delay: float = 0.0) -> None:
        """Answer the next `times` matching requests with `status` after `delay` seconds (None: serve after the
        delay). A string matches requests whose host + path contains it ("/video/tos/", "cdninstagram.com")."""
        matches = match if callable(match) else (lambda hit: match in hit.host + hit.path)
        with self._lock:
            self._failures.append(Failure(matches, status, times, delay))

    @property
    def requests(self) -> list[Any]:
        """Every request received, in order."""
        with self._lock:
            return list(self._requests)

    def hits(self, substring: str) -> list[Any]:
        """Requests whose host + path contains `substring`."""
        return [hit for hit in self.requests if substring in hit.host + hit.path]

    def reset(self) -> None:
        """Forget recorded requests and pending scripted failures; registered content stays."""
        with self._lock:
            self._requests.clear()
            self._failures.clear()

    def _record(self, hit: Any) -> Failure | None:
        """Note an arriving request; the scripted failure it meets, if any (call with the lock held)."""
        self._requests.append(hit)
        for failure in self._failures:
            if failure.remaining > 0 and failure.matches(hit):
                failure.remaining -= 1
                return failure
        return None
