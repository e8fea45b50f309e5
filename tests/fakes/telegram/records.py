"""What the fake records and scripts: calls and their uploads, the files it issued, scripted failures and
the Telegram error answer every layer raises."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part exactly as the bot uploaded it."""

    filename: str
    content_type: str
    size: int
    data: bytes = field(repr=False)  # b"" once dropped (FakeTelegram(keep_uploads=False))
    sha256: str = ""  # hex digest of the part's bytes


@dataclass
class Call:
    """One HTTP call to the fake, valid or rejected, with what it answered."""

    method: str
    params: dict[str, Any]
    files: dict[str, UploadedFile]
    at: float  # arrival, on the time.monotonic() clock
    response: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    done_at: float | None = None  # when the answer was sent (after any shaped latency), same clock

    @property
    def upload_bytes(self) -> int:
        """Bytes of every file part this call uploaded."""
        return sum(upload.size for upload in self.files.values())

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def result(self) -> Any:
        return self.response.get("result")

    def upload(self, reference: str) -> UploadedFile | None:
        """The file behind a parameter name ("video") or an "attach://..." value (album items, thumbnails);
        None when that value is a file id or URL, not an upload."""
        value = self.params.get(reference, reference)
        if isinstance(value, str) and value.startswith("attach://"):
            return self.files.get(value.removeprefix("attach://"))
        return None


@dataclass
class StoredFile:
    """A file the fake issued an id for: what it holds and how messages show it."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes = field(repr=False)
    file_path: str
    file_name: str | None = None
    media: Any = None  # the object a message carries under its `kind` key
    recorded_size: int | None = None  # the upload's size when its bytes were not kept

    @property
    def size(self) -> int:
        return len(self.data) if self.recorded_size is None else self.recorded_size


@dataclass
class ScriptedFailure:
    method: str
    error: ApiError
    remaining: int
    predicate: Callable[[dict[str, Any]], bool] | None


@dataclass
class ScriptedCut:
    method: str
    handled: bool
    remaining: int


class ApiError(Exception):
    """A Telegram error answer: HTTP status = error_code, plus an optional retry_after."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(400, f"Bad Request: {message}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2
