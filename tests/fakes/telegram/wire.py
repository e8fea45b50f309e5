"""Calls read off the wire in whichever encoding the client chose, file parts paced to the shaped
bandwidth, and form strings decoded to the types api.json gives them."""

from __future__ import annotations

import asyncio
import hashlib
import json
from typing import Any

from aiohttp import web

from tests.fakes.telegram.records import ApiError, UploadedFile, bad_request
from tests.fakes.telegram.spec import ApiSpec

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
UPLOAD_CHUNK = 64 * 1024  # file parts are read in chunks of this size (and paced per chunk when shaped)


class Pacer:
    """Holds a reader to `bandwidth` bytes per second from its first byte on (None: no limit)."""

    def __init__(self, bandwidth: float | None) -> None:
        self.bandwidth = bandwidth
        self._start: float | None = None
        self._taken = 0

    async def take(self, size: int) -> None:
        if not self.bandwidth:
            return
        loop = asyncio.get_running_loop()
        if self._start is None:
            self._start = loop.time()
        self._taken += size
        delay = self._start + self._taken / self.bandwidth - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)


async def _read_file_part(part: Any, pacer: Pacer, keep_limit: int | None) -> UploadedFile:
    """A file part read in chunks, paced, hashed; its bytes are kept up to `keep_limit` (None: always)."""
    digest = hashlib.sha256()
    kept: bytearray | None = bytearray()
    size = 0
    while chunk := await part.read_chunk(UPLOAD_CHUNK):
        size += len(chunk)
        digest.update(chunk)
        if kept is not None:
            kept += chunk
            if keep_limit is not None and size > keep_limit:
                kept = None  # too big to be a photo: only its size and hash are recorded
        await pacer.take(len(chunk))
    content_type = part.headers.get("Content-Type", "application/octet-stream")
    return UploadedFile(part.filename, content_type, size, bytes(kept) if kept is not None else b"",
                        digest.hexdigest())


async def read_request(request: web.Request, pacer: Pacer | None = None,
                        keep_limit: int | None = None) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Raw fields and file parts of a call, whichever encoding the client chose."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "multipart/form-data":
        async for part in await request.multipart():
            if part.filename is None:
                raw[part.name] = await part.text()
                continue
            files[part.name] = await _read_file_part(part, pacer or Pacer(None), keep_limit)
    elif request.content_type == "application/json" and request.body_exists:
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON body must be an object")
        raw.update({key: value for key, value in body.items() if value is not None})
    elif request.body_exists:
        try:
            raw.update(await request.post())
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
    if any(upload.size > MAX_UPLOAD_BYTES for upload in files.values()):
        raise ApiError(413, "Request Entity Too Large")
    return raw, files


def decode_params(spec: ApiSpec, method: str, raw: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
    """Typed parameters: form strings decoded per their api.json type; direct file parts become attach://."""
    fields = spec.fields(method)
    params = {
        name: _coerce(value, fields[name].types) if name in fields and isinstance(value, str) else value
        for name, value in raw.items()
    }
    for name in files:
        if name in fields:
            params.setdefault(name, f"attach://{name}")
    return params


def _coerce(raw: str, types: tuple[str, ...]) -> Any:
    for type_name in types:
        if type_name in ("String", "InputFile"):
            continue
        try:
            return _parse_form_value(raw, type_name)
        except ValueError:
            continue
    return raw


def _parse_form_value(raw: str, type_name: str) -> Any:
    if type_name == "Integer":
        return int(raw)
    if type_name == "Float":
        return float(raw)
    if type_name in ("Boolean", "True"):
        if raw.lower() not in ("true", "false"):
            raise ValueError(raw)
        return raw.lower() == "true"
    return json.loads(raw)
