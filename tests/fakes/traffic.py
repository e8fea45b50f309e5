"""What the fake origins share: failures scripted by the tests, and the record of every request received."""

from __future__ import annotations

import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from multidict import CIMultiDict


@dataclass
class Hit:
    """One request a fake origin received, with the status it answered."""

    host: str
    path: str
    query: str
    method: str
    headers: CIMultiDict[str]
    body: bytes = b""
    status: int | None = None
    at: float = field(default_factory=time.monotonic)  # arrival, on the time.monotonic() clock
    done_at: float | None = None  # when the answer was handed over (a paced body: its last byte written)
    sent: int = 0  # body bytes answered

    @classmethod
    def of(cls, request: web.Request, body: bytes = b"") -> Hit:
        return cls((request.url.host or "").lower(), request.path, request.rel_url.raw_query_string,
                   request.method, CIMultiDict(request.headers), body)

    @property
    def form(self) -> dict[str, str]:
        """The fields of a form-encoded body (e.g. a GraphQL POST), last value wins."""
        return {key: values[-1] for key, values in urllib.parse.parse_qs(self.body.decode("latin-1")).items()}


@dataclass
class Failure:
    matches: Callable[[Hit], bool]
    status: int | None  # None: answer normally, after the delay
    remaining: int
    delay: float


class RecordedTraffic:
    """Mixed into a fake origin."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        self._failures: list[Failure] = []
        self._requests: list[Hit] = []

    def fail_next(self, match: str | Callable[[Hit], bool], *, status: int | None = 500, times: int = 1,
                  delay: float = 0.0) -> None:
        """Answer the next `times` matching requests with `status` after `delay` seconds (None: serve after the
        delay). A string matches requests whose host + path contains it ("/video/tos/", "cdninstagram.com")."""
        matches = match if callable(match) else (lambda hit: match in hit.host + hit.path)
        with self._lock:
            self._failures.append(Failure(matches, status, times, delay))

    @property
    def requests(self) -> list[Hit]:
        """Every request received, in order."""
        with self._lock:
            return list(self._requests)

    def hits(self, substring: str) -> list[Hit]:
        """Requests whose host + path contains `substring`."""
        return [hit for hit in self.requests if substring in hit.host + hit.path]

    def reset(self) -> None:
        """Forget recorded requests and pending scripted failures; registered content stays."""
        with self._lock:
            self._requests.clear()
            self._failures.clear()

    def _record(self, hit: Hit) -> Failure | None:
        """Note an arriving request; the scripted failure it meets, if any (call with the lock held)."""
        self._requests.append(hit)
        for failure in self._failures:
            if failure.remaining > 0 and failure.matches(hit):
                failure.remaining -= 1
                return failure
        return None
