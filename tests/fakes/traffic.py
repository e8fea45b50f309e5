"""What the fake origins share: failures scripted by the tests, and the record of every request received."""

from __future__ import annotations

import asyncio
import re
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

    @staticmethod
    async def _scripted_answer(failure: Failure | None) -> web.Response | None:
        """What a scripted failure answers (after its delay); None to answer normally."""
        if failure is None:
            return None
        await asyncio.sleep(failure.delay)
        if failure.status is None:
            return None
        return web.Response(status=failure.status, text=f"scripted failure {failure.status}")


def ranged_response(request: web.Request, data: bytes, content_type: str, headers: dict[str, str]) -> web.Response:
    """A CDN's answer for a stored file: the whole file, or the single byte range asked for (206/416)."""
    headers = {"Accept-Ranges": "bytes", **headers}
    byte_range = _byte_range(request.headers.get("Range"), len(data))
    if byte_range is None:
        return web.Response(body=data, content_type=content_type, headers=headers)
    if byte_range == ():
        return web.Response(status=416, headers={"Content-Range": f"bytes */{len(data)}"})
    first, last = byte_range
    headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return web.Response(status=206, body=data[first:last + 1], content_type=content_type, headers=headers)


def _byte_range(header: str | None, size: int) -> tuple[int, int] | tuple[()] | None:
    """(first, last) of a single `bytes=` range; None to send everything; () if it cannot be satisfied."""
    match = re.fullmatch(r"bytes=(\d*)-(\d*)", (header or "").strip())
    if not match or match.group(1, 2) == ("", ""):
        return None
    first, last = match.group(1, 2)
    if first == "":  # the last N bytes
        return (max(size - int(last), 0), size - 1) if int(last) > 0 and size else ()
    if int(first) >= size:
        return ()
    if last and int(last) < int(first):
        return None
    return int(first), (min(int(last), size - 1) if last else size - 1)
