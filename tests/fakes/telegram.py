"""A fake Telegram Bot API server for tests.

The real aiogram client talks to it over HTTP, so the tests exercise request serialisation, file
uploads and error handling exactly as in production.  Every call is validated against the official
Bot API description (api.json) and Telegram's documented limits, answered with Telegram-shaped
objects and recorded for assertions.

    with FakeTelegram() as fake:
        bot = Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))

For benchmarks, `fake.shape(latency=0.05, bandwidth=20e6)` delays every answer but getUpdates by 50 ms and
reads uploaded files at 20 MB/s per connection, and `FakeTelegram(keep_uploads=False)` records only the size
and SHA-256 of each upload instead of its bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import hashlib
import io
import itertools
import json
import logging
import mimetypes
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image

from tests.fakes.server import BackgroundServer

logger = logging.getLogger(__name__)
API_JSON = Path(__file__).with_name("botapi") / "api.json"
BOT_USERNAME = "test_downloader_bot"
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_TEXT, MAX_CAPTION = 4096, 1024
UPLOAD_CHUNK = 64 * 1024  # file parts are read in chunks of this size (and paced per chunk when shaped)

# Fields dropped from api.json that Telegram still accepts and aiogram 3.31 still sends
# (e.g. disable_web_page_preview whenever DefaultBotProperties(link_preview_is_disabled=...) is set).
LEGACY_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "sendMessage": {"disable_web_page_preview": ("Boolean",)},
    "editMessageText": {"disable_web_page_preview": ("Boolean",)},
    "InputTextMessageContent": {"disable_web_page_preview": ("Boolean",)},
    "answerInlineQuery": {"switch_pm_text": ("String",), "switch_pm_parameter": ("String",)},
    "InlineQueryResultArticle": {"hide_url": ("Boolean",)},
}
# ...and the reply fields superseded by reply_parameters, on every method that has reply_parameters.
LEGACY_REPLY_FIELDS = {"reply_to_message_id": ("Integer",), "allow_sending_without_reply": ("Boolean",)}
# Required by aiogram 3.31 (Bot API 10.3) in answers, though api.json (10.1) does not know them yet.
NEWER_REQUIRED_FIELDS = {"ChatMemberAdministrator": {"can_send_welcome_messages": False}}

SEND_MEDIA_METHODS = {
    "sendPhoto": "photo", "sendVideo": "video", "sendAudio": "audio", "sendDocument": "document",
    "sendAnimation": "animation", "sendVoice": "voice", "sendVideoNote": "video_note",
}
HELD_METHODS = {*SEND_MEDIA_METHODS, "sendMediaGroup"}
MEDIA_METADATA = ("width", "height", "duration", "length", "performer", "title")
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}
NOT_FOUND_TO_EDIT = "message to edit not found"
HIDDEN_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly "
                "the same as a content and reply markup of the current message")
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user",
    404: "Not Found", 413: "Request Entity Too Large", 429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error", 502: "Bad Gateway",
}


# --------------------------------------------------------------------------- recorded data


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
class _ScriptedFailure:
    method: str
    error: _ApiError
    remaining: int
    predicate: Callable[[dict[str, Any]], bool] | None


class _ApiError(Exception):
    """A Telegram error answer: HTTP status = error_code, plus an optional retry_after."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.retry_after = code, description, retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(message: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {message}")


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram entity offsets and lengths."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- api.json


@dataclass(frozen=True)
class FieldSpec:
    types: tuple[str, ...]
    required: bool


class ApiSpec:
    """The Bot API description: fields of every method and type, unions and their tags."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.methods = {name: self._fields(name, spec, is_method=True) for name, spec in raw["methods"].items()}
        self.types = {name: self._fields(name, spec) for name, spec in raw["types"].items() if "fields" in spec}
        self.unions = {name: spec["subtypes"] for name, spec in raw["types"].items() if "subtypes" in spec}
        self.returns = {name: spec.get("returns", []) for name, spec in raw["methods"].items()}
        self._by_lower_name = {name.lower(): name for name in self.methods}
        self._tags = {name: tag for name, spec in raw["types"].items() if (tag := _type_tag(spec))}

    @staticmethod
    def _fields(owner: str, spec: dict[str, Any], is_method: bool = False) -> dict[str, FieldSpec]:
        fields = {f["name"]: FieldSpec(tuple(f["types"]), f["required"]) for f in spec.get("fields", [])}
        legacy = dict(LEGACY_FIELDS.get(owner, {}))
        if is_method and "reply_parameters" in fields:
            legacy.update(LEGACY_REPLY_FIELDS)
        for name, types in legacy.items():
            fields.setdefault(name, FieldSpec(types, False))
        return fields

    def method(self, name: str) -> str | None:
        """Canonical method name; Telegram matches method names case-insensitively."""
        return self._by_lower_name.get(name.lower())

    def fields(self, owner: str) -> dict[str, FieldSpec]:
        return self.methods.get(owner) or self.types.get(owner, {})

    def expand(self, types: tuple[str, ...] | list[str]) -> list[str]:
        """Replace abstract types (InputMedia, InlineQueryResult, ...) by their concrete subtypes."""
        expanded: list[str] = []
        for name in types:
            for concrete in self.expand(self.unions[name]) if name in self.unions else [name]:
                if concrete not in expanded:
                    expanded.append(concrete)
        return expanded

    def accepts_tag(self, type_name: str, value: dict[str, Any]) -> bool:
        tag = self._tags.get(type_name)
        return tag is None or value.get(tag[0]) == tag[1]

    def variant(self, union: str, tag_value: str) -> str:
        """The concrete subtype of `union` tagged `tag_value`, e.g. ChatMember/"creator" -> ChatMemberOwner."""
        for name in self.expand([union]):
            if self._tags.get(name, (None, None))[1] == tag_value:
                return name
        raise ValueError(f"{union} has no variant {tag_value!r}")

    def with_defaults(self, type_name: str, obj: dict[str, Any]) -> dict[str, Any]:
        """`obj` plus zero values for the required fields it lacks, so aiogram can parse it."""
        zeros = {"Integer": 0, "Float": 0.0, "Boolean": False, "String": ""}
        result = {**NEWER_REQUIRED_FIELDS.get(type_name, {}), **obj}
        for name, spec in self.fields(type_name).items():
            if spec.required and name not in result:
                kind = spec.types[0]
                if kind.startswith("Array of "):
                    result[name] = []
                else:
                    result[name] = zeros[kind] if kind in zeros else self.with_defaults(kind, {})
        return result


def _type_tag(spec: dict[str, Any]) -> tuple[str, str] | None:
    """The (field, value) pair that identifies a union member, read from its first field's description."""
    first = (spec.get("fields") or [{}])[0]
    match = re.search(r'(?:must be|always) "?([\w-]+)', first.get("description", ""))
    return (first["name"], match.group(1)) if match and first["name"] in ("type", "status", "source") else None


@functools.cache
def load_spec() -> ApiSpec:
    """api.json parsed once per process."""
    return ApiSpec(json.loads(API_JSON.read_text(encoding="utf-8")))


# --------------------------------------------------------------------------- formatted text

_TAG_RE = re.compile(r"""<(/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*>""")
_ATTR_RE = re.compile(r"""([\w-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")
_CHAR_REF_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d+)|#[xX]([0-9a-fA-F]+));")
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline", "ins": "underline",
    "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
    "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre", "blockquote": "blockquote",
    "tg-emoji": "custom_emoji", "tg-time": "date_time",
}
_REQUIRED_ATTRIBUTES = {"span": ("class", "tg-spoiler"), "tg-emoji": ("emoji-id", None), "tg-time": ("unix", None)}


def _parse_error(reason: str, source: str, index: int) -> _ApiError:
    return _bad_request(f"can't parse entities: {reason} at byte offset {len(source[:index].encode())}")


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities of a parse_mode=HTML string, rejecting what Telegram rejects."""
    text: list[str] = []
    position = 0
    open_tags: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []
    index = 0
    while index < len(source):
        char = source[index]
        if char == "<":
            match = _TAG_RE.match(source, index)
            if match is None:
                raise _parse_error('unexpected "<", use "&lt;" for a literal one,', source, index)
            closing, name = match.group(1), match.group(2).lower()
            if closing:
                if not open_tags or open_tags[-1][0] != name:
                    expected = f'"</{open_tags[-1][0]}>"' if open_tags else "no end tag"
                    raise _parse_error(f'unmatched end tag "</{name}>", expected {expected},', source, index)
                tag, start, attributes = open_tags.pop()
                if entity := _html_entity(tag, attributes, start, position - start):
                    entities.append(entity)
            else:
                open_tags.append((name, position, _tag_attributes(name, match.group(3), source, index)))
            index = match.end()
            continue
        if char == "&":
            match = _CHAR_REF_RE.match(source, index)
            named, decimal, hexadecimal = match.groups() if match else (None, None, None)
            code_point = int(decimal) if decimal else int(hexadecimal or "0", 16)
            if match is None or not (named or 0 < code_point <= 0x10FFFF):
                raise _parse_error('unexpected "&", use "&amp;" for a literal one,', source, index)
            char = _NAMED_REFS[named] if named else chr(code_point)
            index = match.end()
        else:
            index += 1
        text.append(char)
        position += utf16_len(char)
    if open_tags:
        unclosed = open_tags[-1][0]
        raise _bad_request(f'can\'t parse entities: can\'t find end tag corresponding to start tag "{unclosed}"')
    return "".join(text), sorted(entities, key=lambda entity: (entity["offset"], -entity["length"]))


def html_error(text: str) -> str | None:
    """Why Telegram would reject `text` sent with parse_mode=HTML, or None: lets tests check templates offline."""
    try:
        parse_html(text)
    except _ApiError as error:
        return error.description
    return None


def _tag_attributes(name: str, raw: str, source: str, index: int) -> dict[str, str]:
    if name not in _HTML_ENTITY_TYPES:
        raise _parse_error(f'unsupported start tag "{name}"', source, index)
    attributes = {key.lower(): value.strip("\"'") if value else "" for key, value in _ATTR_RE.findall(raw)}
    if name in _REQUIRED_ATTRIBUTES:
        key, expected = _REQUIRED_ATTRIBUTES[name]
        if key not in attributes or (expected is not None and attributes[key] != expected):
            raise _parse_error(f'tag "{name}" must have attribute {key}="{expected or "..."}"', source, index)
    return attributes


def _html_entity(tag: str, attributes: dict[str, str], offset: int, length: int) -> dict[str, Any] | None:
    if length == 0 or (tag == "a" and "href" not in attributes):
        return None
    entity: dict[str, Any] = {"type": _HTML_ENTITY_TYPES[tag], "offset": offset, "length": length}
    if tag == "a":
        entity["url"] = attributes["href"]
    elif tag == "blockquote" and "expandable" in attributes:
        entity["type"] = "expandable_blockquote"
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = attributes["emoji-id"]
    elif tag == "tg-time":
        entity["unix_time"] = int(attributes["unix"]) if attributes["unix"].isdigit() else 0
        if "format" in attributes:
            entity["date_time_format"] = attributes["format"]
    return entity


def render_text(text: str, parse_mode: str | None, entities: list[dict] | None) -> tuple[str, list[dict]]:
    """What a message shows for `text`: explicit entities win, HTML is parsed, other modes are kept as is."""
    if entities is not None:
        return text, entities
    if parse_mode is not None and parse_mode.lower() not in ("html", "markdown", "markdownv2"):
        raise _bad_request("unsupported parse_mode")
    if parse_mode and parse_mode.lower() == "html":
        return parse_html(text)
    return text, []


_AUTO_ENTITY_RE = re.compile(
    r"(?P<url>(?:https?://|www\.)[^\s<>]+"
    r"|(?<![\w@/.])(?:[\w-]+\.)+(?:com|net|org|ru|io|me|tv|co|app|ly)\b(?:/[^\s<>]*)?)"
    r"|(?P<bot_command>(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?)"
    r"|(?P<mention>(?<![\w@])@[A-Za-z0-9_]{5,32})"
)


def detect_entities(text: str) -> list[dict[str, Any]]:
    """Entities Telegram adds to a user's plain text by itself: links, /commands and @mentions."""
    entities = []
    for match in _AUTO_ENTITY_RE.finditer(text):
        kind = match.lastgroup
        value = match.group().rstrip(".,;:!?)'\"") if kind == "url" else match.group()
        offset = utf16_len(text[: match.start()])
        entities.append({"type": kind, "offset": offset, "length": utf16_len(value)})
    return entities


# --------------------------------------------------------------------------- request parsing


class _Pacer:
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


async def _read_file_part(part: Any, pacer: _Pacer, keep_limit: int | None) -> UploadedFile:
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


async def _read_request(request: web.Request, pacer: _Pacer | None = None,
                        keep_limit: int | None = None) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    """Raw fields and file parts of a call, whichever encoding the client chose."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.content_type == "multipart/form-data":
        async for part in await request.multipart():
            if part.filename is None:
                raw[part.name] = await part.text()
                continue
            files[part.name] = await _read_file_part(part, pacer or _Pacer(None), keep_limit)
    elif request.content_type == "application/json" and request.body_exists:
        try:
            body = await request.json()
        except ValueError:
            raise _bad_request("can't parse JSON body") from None
        if not isinstance(body, dict):
            raise _bad_request("JSON body must be an object")
        raw.update({key: value for key, value in body.items() if value is not None})
    elif request.body_exists:
        try:
            raw.update(await request.post())
        except web.HTTPRequestEntityTooLarge:
            raise _ApiError(413, "Request Entity Too Large") from None
    if any(upload.size > MAX_UPLOAD_BYTES for upload in files.values()):
        raise _ApiError(413, "Request Entity Too Large")
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


# --------------------------------------------------------------------------- validation

_PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "Integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "Float": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "String": lambda value: isinstance(value, str),
    "InputFile": lambda value: isinstance(value, str),
    "Boolean": lambda value: isinstance(value, bool),
    "True": lambda value: value is True,
}


class _RequestValidator:
    """Checks one decoded call against api.json and the limits Telegram enforces."""

    def __init__(self, spec: ApiSpec, files: dict[str, UploadedFile], is_known_file: Callable[[str], bool]) -> None:
        self.spec, self.files, self.is_known_file = spec, files, is_known_file
        self.button_actions = set(spec.fields("InlineKeyboardButton")) - {"text", "icon_custom_emoji_id", "style"}
        self.rules: dict[str, Callable[[dict[str, Any], str], None]] = {
            "InlineKeyboardButton": self._check_button,
            "sendMediaGroup": self._check_album,
            "sendChatAction": self._check_chat_action,
        }

    def check_method(self, method: str, params: dict[str, Any]) -> None:
        self._check_object(method, params, "")

    def _check_object(self, owner: str, obj: dict[str, Any], path: str) -> None:
        fields = self.spec.fields(owner)
        prefix = f"{path}." if path else ""
        for key in obj:
            if key not in fields:
                raise _bad_request(f'unknown field "{prefix}{key}" for {owner}')
        for name, spec in fields.items():
            if name not in obj:
                if spec.required:
                    raise _bad_request(f'field "{prefix}{name}" is required')
                continue
            self._check_value(obj[name], spec.types, prefix + name)
            if self._is_file_field(owner, name, spec):
                self._check_file_reference(obj[name], prefix + name, is_photo=self._is_photo(owner, name))
        self._check_formatted_text(owner, obj)
        if rule := self.rules.get(owner):
            rule(obj, path)

    def _check_value(self, value: Any, types: tuple[str, ...], path: str) -> None:
        concrete = self.spec.expand(types)
        item_types = tuple(name.removeprefix("Array of ") for name in concrete if name.startswith("Array of "))
        if isinstance(value, list) and item_types:
            for index, item in enumerate(value):
                self._check_value(item, item_types, f"{path}[{index}]")
            return
        objects = [name for name in concrete if name in self.spec.types]
        if isinstance(value, dict) and objects:
            self._check_variant(value, objects, path)
            return
        if not any(_PRIMITIVES.get(name, lambda _: False)(value) for name in concrete):
            raise _bad_request(f'field "{path}" must be of type {" or ".join(types)}')

    def _check_variant(self, value: dict[str, Any], candidates: list[str], path: str) -> None:
        """Validate against the union member named by the value's tag (type/status), or the closest fit."""
        matching = [name for name in candidates if self.spec.accepts_tag(name, value)]
        if not matching:
            raise _bad_request(f'field "{path}" has unsupported type "{value.get("type")}"')
        matching.sort(key=lambda name: len(value.keys() - self.spec.fields(name).keys()))
        errors = []
        for name in matching:
            try:
                self._check_object(name, value, path)
                return
            except _ApiError as error:
                errors.append(error)
        raise errors[0]

    @staticmethod
    def _is_file_field(owner: str, name: str, spec: FieldSpec) -> bool:
        if "InputFile" in spec.types:
            return True
        if owner.startswith(("InputMedia", "InputPaidMedia")):
            return name in ("media", "thumbnail", "cover")
        return owner.startswith("InlineQueryResultCached") and name.endswith("_file_id")

    @staticmethod
    def _is_photo(owner: str, name: str) -> bool:
        return (owner, name) in (("sendPhoto", "photo"), ("InputMediaPhoto", "media"))

    def _check_file_reference(self, reference: str, path: str, is_photo: bool) -> None:
        if reference.startswith("attach://"):
            upload = self.files.get(reference.removeprefix("attach://"))
            if upload is None:
                raise _bad_request(f'field "{path}" refers to a file part that was not uploaded')
            if is_photo:
                _check_photo(upload)
        elif not reference.startswith(("http://", "https://")) and not self.is_known_file(reference):
            raise _bad_request("wrong file identifier/HTTP URL specified")

    def _check_formatted_text(self, owner: str, obj: dict[str, Any]) -> None:
        """Text and captions of objects that take a parse_mode: markup must parse, length within limits."""
        if "parse_mode" not in self.spec.fields(owner):
            return
        for name in ("text", "caption", "message_text"):
            if not isinstance(obj.get(name), str):
                continue
            plain, _ = render_text(obj[name], obj.get("parse_mode"), None)
            if name == "caption":
                if utf16_len(plain) > MAX_CAPTION:
                    raise _bad_request("message caption is too long")
            elif not plain.strip():
                raise _bad_request("message text is empty")
            elif utf16_len(plain) > MAX_TEXT:
                raise _bad_request("message is too long")

    def _check_button(self, button: dict[str, Any], path: str) -> None:
        data = button.get("callback_data")
        if data is not None and not 1 <= len(data.encode()) <= 64:
            raise _bad_request("BUTTON_DATA_INVALID")
        if not self.button_actions & button.keys():
            raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")

    @staticmethod
    def _check_album(params: dict[str, Any], path: str) -> None:
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise _bad_request(f"media group must contain 2-10 items, got {len(media)}")
        kinds = {item["type"] for item in media}
        for exclusive in ("audio", "document"):
            if exclusive in kinds and len(kinds) > 1:
                raise _bad_request(f"{exclusive} can't be mixed with other media types in a media group")

    @staticmethod
    def _check_chat_action(params: dict[str, Any], path: str) -> None:
        if params["action"] not in CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")


def _image_size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _check_photo(upload: UploadedFile) -> None:
    """Telegram's photo limits: 10 MB, width + height <= 10000, aspect ratio <= 20."""
    if upload.size > MAX_PHOTO_BYTES:
        raise _bad_request("PHOTO_INVALID_DIMENSIONS")
    size = _image_size(upload.data)
    if size is None:
        raise _bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > 10000 or max(width, height) > 20 * max(min(width, height), 1):
        raise _bad_request("PHOTO_INVALID_DIMENSIONS")


def _thumbnail(data: bytes, side: int = 320) -> tuple[bytes, int, int] | None:
    """A JPEG preview like the smaller PhotoSize Telegram generates, when the photo is bigger than `side`."""
    size = _image_size(data)
    if size is None or max(size) <= side:
        return None
    with Image.open(io.BytesIO(data)) as original:
        image = original.convert("RGB")
        image.thumbnail((side, side))
        buffer = io.BytesIO()
        image.save(buffer, "JPEG")
        return buffer.getvalue(), image.width, image.height


def _sample_jpeg() -> bytes:
    """A small real photo for injected user messages, so handlers that open it with Pillow work."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "JPEG")
    return buffer.getvalue()


# --------------------------------------------------------------------------- the server


class FakeTelegram(BackgroundServer):
    """A Bot API server on 127.0.0.1 running in its own thread, usable from sync and async tests alike."""

    thread_name = "fake-telegram"

    def __init__(self, token: str = "123456:TEST-token", *, keep_uploads: bool = True) -> None:
        super().__init__()
        self.token = token
        # False: calls record each upload's size and SHA-256 only (photos keep their bytes while the call is
        # validated), stored videos and documents hold no bytes, so big uploads do not pile up in memory.
        self.keep_uploads = keep_uploads
        self._latency = 0.0
        self._upload_bandwidth: float | None = None
        self.bot_id = int(token.split(":", 1)[0])
        self._spec = load_spec()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._calls: list[Call] = []
        self._polls_started = 0
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] = []
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._files: dict[str, StoredFile] = {}
        self._blocked: set[int] = set()
        self._members: dict[tuple[int, int], str] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._failures: list[_ScriptedFailure] = []
        # Webhook mode: where updates are POSTed instead of being served to getUpdates.
        self._webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status) of every POST
        # Holding media sends (to kill a bot process at a known point): the client ports of the calls held
        # now, and of those whose client was gone when they were let go (they are not executed).
        self._holding = False
        self._held: list[int] = []
        self.abandoned_ports: list[int] = []
        self._handlers: dict[str, Callable[[str, dict[str, Any], dict[str, UploadedFile]], Any]] = {
            "getMe": lambda *_: self._bot_user(full=True),
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            **dict.fromkeys(SEND_MEDIA_METHODS, self._send_media),
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "deleteMessage": self._delete_message,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getFile": self._get_file,
        }
        self._runner: web.AppRunner | None = None
        self._update_arrived: asyncio.Event | None = None
        self._closing = False

    # ----------------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self.port}"

    async def _open(self, sock: socket.socket) -> None:
        self._closing = False
        self._update_arrived = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _close(self) -> None:
        """Answer pending long polls and close connections."""
        self._closing = True
        self._update_arrived.set()
        await self._runner.cleanup()

    # ----------------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        held = self._holding and request.match_info["method"] in HELD_METHODS
        if held and not await self._held_until_let_go(request):
            return web.Response(status=499)
        call = Call(method=request.match_info["method"], params={}, files={}, at=time.monotonic())
        with self._lock:
            latency, pacer = self._latency, _Pacer(self._upload_bandwidth)
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            raw, call.files = await _read_request(request, pacer, None if self.keep_uploads else MAX_PHOTO_BYTES)
            call.params = raw
            method = self._spec.method(call.method)
            if method is None:
                raise _ApiError(404, "Not Found")
            call.method = method
            if method == "getUpdates":
                if self._webhook is not None:
                    raise _ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                         "use deleteWebhook to delete the webhook first")
                params = self._accept(call)
                with self._lock:
                    self._polls_started += 1
                result = await self._get_updates(params)
            else:
                with self._lock:
                    result = self._execute(method, self._accept(call), call.files)
            call.response, status = {"ok": True, "result": result}, 200
        except _ApiError as error:
            call.response, call.error, status = error.body(), error.description, error.code
        except Exception as error:  # a bug in the fake: answer like a Telegram outage and keep the trace
            logger.exception("FakeTelegram failed on %s", call.method)
            call.error, status = f"fake crashed: {error!r}", 500
            call.response = _ApiError(500, "Internal Server Error").body()
        if latency and call.method.lower() != "getupdates":
            await asyncio.sleep(latency)
        if not self.keep_uploads:
            call.files = {name: dataclasses.replace(upload, data=b"") for name, upload in call.files.items()}
        call.done_at = time.monotonic()
        with self._lock:
            self._calls.append(call)
        return web.json_response(call.response, status=status)

    def _accept(self, call: Call) -> dict[str, Any]:
        """Decode and validate a call, then apply blocked chats and scripted failures."""
        with self._lock:
            call.params = decode_params(self._spec, call.method, call.params, call.files)
            _RequestValidator(self._spec, call.files, self._files.__contains__).check_method(call.method, call.params)
            self._raise_if_blocked(call.method, call.params)
            self._raise_scripted_failure(call.method, call.params)
            return call.params

    def _execute(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """Run the method's handler; others answer true, or a bare message where aiogram expects one."""
        if handler := self._handlers.get(method):
            return handler(method, params, files)
        if self._spec.returns[method][:1] == ["Message"] and "chat_id" in params:
            return self._new_message(params, {})
        return True

    async def _handle_file(self, request: web.Request) -> web.Response:
        with self._lock:
            stored = next((f for f in self._files.values() if f.file_path == request.match_info["file_path"]), None)
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(_ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _raise_if_blocked(self, method: str, params: dict[str, Any]) -> None:
        if method.startswith(("send", "copy", "forward", "edit")) and params.get("chat_id") in self._blocked:
            raise _ApiError(403, "Forbidden: bot was blocked by the user")

    def _raise_scripted_failure(self, method: str, params: dict[str, Any]) -> None:
        for failure in self._failures:
            if failure.method != method or failure.remaining == 0:
                continue
            if failure.predicate is None or failure.predicate(params):
                failure.remaining -= 1
                raise failure.error

    # ----------------------------------------------------------------------- recorded calls

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every call so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def sent_messages(self) -> list[Call]:
        """Successful calls that created messages (sendMessage, sendVideo, sendMediaGroup, ...)."""
        creating = {name for name, returns in self._spec.returns.items()
                    if name.startswith("send") and {"Message", "Array of Message"} & set(returns)}
        return [call for call in self.calls if call.ok and call.method in creating]

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _matching(self, method: str, predicate: Callable[[Call], bool] | None) -> list[Call]:
        return [call for call in self.calls_to(method) if predicate is None or predicate(call)]

    def _timeout_report(self, method: str, count: int, timeout: float) -> str:
        recent = [call for call in self.calls if call.method != "getUpdates"][-15:]
        lines = [f"  {call.method} -> {call.error or 'ok'} {json.dumps(call.params, default=str)[:200]}"
                 for call in recent]
        return (f"expected {count} call(s) to {method} within {timeout}s, got {len(self._matching(method, None))};"
                " recent calls:\n" + ("\n".join(lines) or "  (none)"))

    def wait_for(self, method: str, count: int = 1, timeout: float = 10,
                 predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        """Block until `count` calls (valid or rejected) to `method` match `predicate`; returns all matches."""
        deadline = time.monotonic() + timeout
        while len(found := self._matching(method, predicate)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_report(method, count, timeout))
            time.sleep(0.01)
        return found

    async def await_for(self, method: str, count: int = 1, timeout: float = 10,
                        predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        """wait_for for async tests: polls with asyncio.sleep so the caller's loop keeps running."""
        deadline = time.monotonic() + timeout
        while len(found := self._matching(method, predicate)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_report(method, count, timeout))
            await asyncio.sleep(0.01)
        return found

    @property
    def polls_started(self) -> int:
        """How many getUpdates requests bots have opened so far."""
        return self._polls_started

    async def await_polling(self, polls: int = 1, timeout: float = 30) -> None:
        """Wait until the bot has opened `polls` getUpdates requests (a long poll is recorded in
        `calls` only when it returns, which may be many seconds later)."""
        deadline = time.monotonic() + timeout
        while self._polls_started < polls:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot opened {self._polls_started} of {polls} long polls in {timeout} s")
            await asyncio.sleep(0.01)

    # ----------------------------------------------------------------------- network shaping

    def shape(self, *, latency: float = 0.0, bandwidth: float | None = None) -> None:
        """Add `latency` seconds before every answer (getUpdates excepted: an update reaches a waiting long
        poll at once) and read uploaded files at `bandwidth` bytes per second per connection (None or 0:
        unlimited). Nothing is shaped by default."""
        if latency < 0 or (bandwidth is not None and bandwidth < 0):
            raise ValueError("latency and bandwidth must not be negative")
        with self._lock:
            self._latency, self._upload_bandwidth = latency, bandwidth or None

    # ----------------------------------------------------------------------- holding media sends

    def hold_media_sends(self) -> None:
        """Media sends arriving from now on wait, unread, until let_go(): a test can then kill the process
        that sent one mid-upload, with none of that process's sends half done anywhere else."""
        with self._lock:
            self._holding = True

    def held_ports(self) -> list[int]:
        """The client (source) ports of the media sends held now."""
        with self._lock:
            return list(self._held)

    def let_go(self) -> None:
        with self._lock:
            self._holding = False

    async def _held_until_let_go(self, request: web.Request) -> bool:
        """False when the client went away while its call was held (the call is dropped, as Telegram
        would never have seen it)."""
        port = request.transport.get_extra_info("peername")[1]
        with self._lock:
            self._held.append(port)
        try:
            while self._holding and not self._closing:
                await asyncio.sleep(0.02)
        finally:
            with self._lock:
                self._held.remove(port)
        if request.transport is None or request.transport.is_closing():
            with self._lock:
                self.abandoned_ports.append(port)
            return False
        return True

    # ----------------------------------------------------------------------- scripting

    def fail_next(self, method: str, *, error_code: int = 429, description: str | None = None,
                  retry_after: int | None = None, times: int = 1,
                  predicate: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Answer the next `times` valid calls to `method` (whose params match `predicate`) with an error."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        text = description or DEFAULT_DESCRIPTIONS.get(error_code, "Error").format(retry_after=retry_after)
        with self._lock:
            self._failures.append(_ScriptedFailure(method, _ApiError(error_code, text, retry_after), times, predicate))

    def block_chat(self, chat_id: int) -> None:
        """Make sends to this chat fail like for a user who blocked the bot."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.discard(chat_id)

    def set_chat_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Status getChatMember reports: creator, administrator, member, restricted, left or kicked."""
        self._spec.variant("ChatMember", status)
        with self._lock:
            self._members[(chat_id, user_id)] = status

    def forget_file_id(self, file_id: str) -> None:
        """Later sends by this file_id fail with "wrong file identifier", as for an expired id."""
        with self._lock:
            self._files.pop(file_id, None)

    def stored_file(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)

    # ----------------------------------------------------------------------- injecting updates

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (assigning update_id if missing) and wake a waiting long poll."""
        with self._lock:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
            for value in update.values():
                if isinstance(value, dict) and "message_id" in value and "chat" in value:
                    self._messages[(value["chat"]["id"], value["message_id"])] = value
            self._updates.append(update)
        if self._loop is not None and self._update_arrived is not None:
            self._loop.call_soon_threadsafe(self._update_arrived.set)
        return update

    def private_message(self, user_id: int, text: str, *, entities: list[dict] | None = None,
                        language_code: str = "en", first_name: str = "Alice", username: str | None = None,
                        photo: bool = False, voice: bool = False,
                        reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """A user writes to the bot in private; URLs, /commands and @mentions get entities unless given.
        `reply_to` is a message (e.g. an earlier injected one) this one replies to."""
        user = self._user(user_id, first_name, username, language_code)
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
        message = self._user_message(chat, user, text, entities, photo=photo, voice=voice)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return self.inject({"message": message})

    def group_message(self, chat_id: int, user_id: int, text: str, *, entities: list[dict] | None = None,
                      chat_type: str = "supergroup", title: str = "Group") -> dict[str, Any]:
        """A user writes in a group the bot is in."""
        user = self._user(user_id)
        chat = self._group(chat_id, chat_type, title)
        return self.inject({"message": self._user_message(chat, user, text, entities)})

    def command(self, user_id: int, name: str, args: str = "", *, chat_id: int | None = None,
                mention: bool = False, **kwargs: Any) -> dict[str, Any]:
        """/name [args] with its bot_command entity; in a group when chat_id is given (kwargs go to the builder)."""
        command = f"/{name}" + (f"@{BOT_USERNAME}" if mention else "")
        text = f"{command} {args}" if args else command
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        if chat_id is None:
            return self.private_message(user_id, text, entities=entities, **kwargs)
        return self.group_message(chat_id, user_id, text, entities=entities, **kwargs)

    def inline_query(self, user_id: int, query: str, *, chat_type: str = "sender") -> dict[str, Any]:
        user = self._user(user_id)
        inline_query = {"id": str(next(self._ids)), "from": user, "query": query, "offset": "", "chat_type": chat_type}
        return self.inject({"inline_query": inline_query})

    def chosen_inline_result(self, user_id: int, result_id: str, query: str, *,
                             inline_message_id: str | None = None) -> dict[str, Any]:
        """The user picked an inline result; inline_message_id defaults to a fresh id the bot can edit."""
        result = {"result_id": result_id, "from": self._user(user_id), "query": query,
                  "inline_message_id": inline_message_id or f"inline-{next(self._ids)}"}
        return self.inject({"chosen_inline_result": result})

    def callback_query(self, user_id: int, data: str, *, message: dict[str, Any] | None = None,
                       inline_message_id: str | None = None) -> dict[str, Any]:
        """The user presses a button under `message` (a Message dict, e.g. call.result) or an inline message."""
        if (message is None) == (inline_message_id is None):
            raise ValueError("pass exactly one of message= or inline_message_id=")
        query = {"id": str(next(self._ids)), "from": self._user(user_id), "data": data}
        if message is not None:
            query |= {"message": message, "chat_instance": f"ci{message['chat']['id']}"}
        else:
            query |= {"inline_message_id": inline_message_id, "chat_instance": f"ci{inline_message_id}"}
        return self.inject({"callback_query": query})

    def my_chat_member(self, chat_id: int, user_id: int, *, old_status: str = "left", new_status: str = "member",
                       chat_type: str = "supergroup", title: str = "Group") -> dict[str, Any]:
        """The bot's own membership changed: added to a group by default; in a private chat
        (chat_id == user_id) new_status="kicked" means the user blocked the bot, and sends start failing."""
        user = self._user(user_id)
        if chat_id == user_id:
            chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            (self.block_chat if new_status == "kicked" else self.unblock_chat)(chat_id)
        else:
            chat = self._group(chat_id, chat_type, title)
        bot = self._bot_user()
        return self.inject({"my_chat_member": {
            "chat": chat, "from": user, "date": int(time.time()),
            "old_chat_member": self._member(old_status, bot), "new_chat_member": self._member(new_status, bot),
        }})

    def _user(self, user_id: int, first_name: str = "Alice", username: str | None = None,
              language_code: str = "en") -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        if username:
            user["username"] = username
        with self._lock:
            self._users[user_id] = user
            self._chats.setdefault(user_id, {"id": user_id, "type": "private", "first_name": first_name})
        return user

    def _group(self, chat_id: int, chat_type: str, title: str) -> dict[str, Any]:
        with self._lock:
            self._chats[chat_id] = {"id": chat_id, "type": chat_type, "title": title}
            return self._chats[chat_id]

    def _user_message(self, chat: dict[str, Any], user: dict[str, Any], text: str, entities: list[dict] | None,
                      *, photo: bool = False, voice: bool = False) -> dict[str, Any]:
        entities = detect_entities(text) if entities is None else entities
        with self._lock:
            message = {"message_id": self._next_message_id(chat["id"]), "from": user, "chat": chat,
                       "date": int(time.time())}
            if photo:
                message["photo"] = self._issue_file("photo", _sample_jpeg(), None, {}).media
            if voice:
                metadata = {"duration": 3, "mime_type": "audio/ogg"}
                message["voice"] = self._issue_file("voice", b"OggS" + bytes(60), None, metadata).media
        key = "caption" if photo or voice else "text"
        if text:
            message[key] = text
            if entities:
                message[f"{key}_entities" if key == "caption" else "entities"] = entities
        return message

    # ----------------------------------------------------------------------- shared builders

    def _bot_user(self, full: bool = False) -> dict[str, Any]:
        user = {"id": self.bot_id, "is_bot": True, "first_name": "Test Downloader", "username": BOT_USERNAME}
        if full:
            user |= {"can_join_groups": True, "can_read_all_group_messages": False,
                     "supports_inline_queries": True, "can_connect_to_business": False, "has_main_web_app": False}
        return user

    def _member(self, status: str, user: dict[str, Any]) -> dict[str, Any]:
        type_name = self._spec.variant("ChatMember", status)
        member = {"status": status, "user": user}
        if status == "administrator":
            member |= {name: True for name, spec in self._spec.fields(type_name).items()
                       if name.startswith("can_") and name != "can_be_edited" and spec.types == ("Boolean",)}
        return self._spec.with_defaults(type_name, member)

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        """The chat object for an id: one seen in updates, or a plausible private chat/supergroup/channel."""
        if chat_id not in self._chats:
            if isinstance(chat_id, str):
                chat = {"id": -1001000000000 - next(self._ids), "type": "channel", "title": chat_id,
                        "username": chat_id.lstrip("@")}
            elif chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": "User"}
            else:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": kind, "title": "Group"}
            self._chats[chat_id] = chat
        return self._chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _new_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        """A message from the bot in params["chat_id"], echoing the inline keyboard and the replied message."""
        chat = self._chat(params["chat_id"])
        message = {"message_id": self._next_message_id(chat["id"]), "from": self._bot_user(), "chat": chat,
                   "date": int(time.time()), **content}
        reply_to = (params.get("reply_parameters") or {}).get("message_id", params.get("reply_to_message_id"))
        if replied := self._messages.get((chat["id"], reply_to)):
            message["reply_to_message"] = {key: value for key, value in replied.items() if key != "reply_to_message"}
        if markup := _inline_markup(params):
            message["reply_markup"] = markup
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _media_content(self, kind: str, source: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        """Message fields for a media item: the file (remembered or newly issued) and its caption."""
        reference = source["media" if "media" in source else kind]
        if reference in self._files:
            media = self._files[reference].media
        else:
            metadata = {key: source[key] for key in MEDIA_METADATA if key in source}
            if (thumbnail := source.get("thumbnail", "")).startswith("attach://"):
                metadata["thumbnail"] = self._resolve_file("thumbnail", thumbnail, files, {}).media[-1]
            media = self._resolve_file(kind, reference, files, metadata).media
        return {kind: media, **_caption(source)}

    def _resolve_file(self, kind: str, reference: str, files: dict[str, UploadedFile],
                      metadata: dict[str, Any]) -> StoredFile:
        if reference.startswith("attach://"):
            upload = files[reference.removeprefix("attach://")]
            mime_type = mimetypes.guess_type(upload.filename)[0] or upload.content_type
            data = upload.data if self.keep_uploads or kind in ("photo", "thumbnail") else b""
            return self._issue_file(kind, data, upload.filename, metadata | {"mime_type": mime_type}, upload.size)
        return self._issue_file(kind, b"", reference.rsplit("/", 1)[-1] or None, metadata)

    def _issue_file(self, kind: str, data: bytes, file_name: str | None, metadata: dict[str, Any],
                    size: int | None = None) -> StoredFile:
        """Remember a new file and build the object messages show for it (a PhotoSize list for photos);
        `size` is the upload's size when `data` does not hold its bytes."""
        if kind in ("photo", "thumbnail"):
            return self._issue_photo(kind, data, file_name)
        stored = self._store(kind, data, file_name)
        if size is not None and size != len(data):
            stored.recorded_size = size
        type_name = "".join(part.title() for part in kind.split("_"))
        allowed = self._spec.fields(type_name)
        media = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        media |= {key: value for key, value in (metadata | {"file_name": file_name}).items()
                  if key in allowed and value is not None}
        if stored.size:
            media["file_size"] = stored.size
        stored.media = self._spec.with_defaults(type_name, media)
        return stored

    def _issue_photo(self, kind: str, data: bytes, file_name: str | None) -> StoredFile:
        width, height = _image_size(data) or (0, 0)
        variants = [(data, width, height)]
        if preview := _thumbnail(data):
            variants.insert(0, preview)
        stored = [self._store(kind, variant, file_name) for variant, _, _ in variants]
        sizes = [{"file_id": f.file_id, "file_unique_id": f.file_unique_id, "width": w, "height": h}
                 | ({"file_size": f.size} if f.size else {}) for f, (_, w, h) in zip(stored, variants, strict=False)]
        for item in stored:
            item.media = sizes
        return stored[-1]

    def _store(self, kind: str, data: bytes, file_name: str | None) -> StoredFile:
        number = next(self._ids)
        suffix = Path(file_name or "").suffix or (".jpg" if kind in ("photo", "thumbnail") else "")
        stored = StoredFile(f"FAKE-{kind}-{number}-{secrets.token_hex(4)}", f"U{number:06d}", kind, data,
                            f"{kind}s/file_{number}{suffix}", file_name)
        self._files[stored.file_id] = stored
        return stored

    def _find_message(self, params: dict[str, Any], not_found: str) -> dict[str, Any]:
        if "chat_id" not in params or "message_id" not in params:
            raise _bad_request("message identifier is not specified")
        message = self._messages.get((self._chat(params["chat_id"])["id"], params["message_id"]))
        if message is None:
            raise _bad_request(not_found)
        return message

    def _edit(self, params: dict[str, Any], changes: dict[str, Any], remove: tuple[str, ...] = ()) -> Any:
        """Apply an edit like Telegram: inline messages answer true, unchanged content is an error."""
        if params.get("inline_message_id"):
            return True
        message = self._find_message(params, NOT_FOUND_TO_EDIT)
        edited = {key: value for key, value in message.items() if key not in remove and key != "reply_markup"}
        edited |= {key: value for key, value in changes.items() if value}
        if markup := _inline_markup(params):
            edited["reply_markup"] = markup
        if {**edited, "edit_date": None} == {**message, "edit_date": None}:
            raise _bad_request(NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        self._messages[(message["chat"]["id"], message["message_id"])] = edited
        return edited

    # ----------------------------------------------------------------------- method handlers

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long poll: answer as soon as an update is pending or after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(params.get("timeout", 0), 0)
        while True:
            self._update_arrived.clear()
            batch = self._take_updates(params)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_arrived.wait(), remaining)

    def _take_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirm updates below `offset`, drop types not allowed, return up to `limit` without removing them."""
        with self._lock:
            if "allowed_updates" in params:
                self._allowed_updates = params["allowed_updates"]
            offset = params.get("offset")
            if offset is not None and offset < 0:
                self._updates = self._updates[offset:]
            elif offset is not None:
                self._updates = [update for update in self._updates if update["update_id"] >= offset]
            self._updates = [update for update in self._updates if self._is_allowed(update)]
            return self._updates[: min(max(params.get("limit", 100), 1), 100)]

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        return kind in self._allowed_updates if self._allowed_updates else kind not in HIDDEN_BY_DEFAULT

    def _delete_webhook(self, method: str, params: dict[str, Any], files: dict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    def _set_webhook(self, method: str, params: dict[str, Any], files: dict) -> bool:
        """From now on updates are POSTed to the URL (with the secret token header), retried until the bot
        answers 2xx, as Telegram does."""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._allowed_updates = params["allowed_updates"]
        self._webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._push_updates())
        self._update_arrived.set()
        return True

    def _get_webhook_info(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        return {"url": self._webhook["url"] if self._webhook else "", "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}

    async def _push_updates(self) -> None:
        """Webhook delivery: the oldest pending update first, at least once."""
        async with aiohttp.ClientSession() as http:
            while self._webhook is not None and not self._closing:
                with self._lock:
                    pending = [u for u in self._updates if self._is_allowed(u)]
                if not pending:
                    self._update_arrived.clear()
                    await self._update_arrived.wait()
                    continue
                update, webhook = pending[0], self._webhook
                secret = webhook["secret_token"]
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                try:
                    async with http.post(webhook["url"], json=update, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=10)) as response:
                        status = response.status
                except (TimeoutError, aiohttp.ClientError):
                    status = 0
                with self._lock:
                    self.webhook_deliveries.append((update["update_id"], status))
                    if 200 <= status < 300:
                        self._updates = [u for u in self._updates if u is not update]
                if not 200 <= status < 300:
                    await asyncio.sleep(0.2)

    def redeliver(self, update: dict[str, Any]) -> None:
        """Telegram delivers at least once: the same update (same update_id) sent again."""
        with self._lock:
            self._updates.append(update)
        if self._loop is not None and self._update_arrived is not None:
            self._loop.call_soon_threadsafe(self._update_arrived.set)

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code", "")

    def _set_my_commands(self, method: str, params: dict[str, Any], files: dict) -> bool:
        self._commands[self._commands_key(params)] = params["commands"]
        return True

    def _get_my_commands(self, method: str, params: dict[str, Any], files: dict) -> list[dict[str, Any]]:
        return self._commands.get(self._commands_key(params), [])

    def _send_message(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        text, entities = render_text(params["text"], params.get("parse_mode"), params.get("entities"))
        return self._new_message(params, {"text": text, **({"entities": entities} if entities else {})})

    def _send_media(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        return self._new_message(params, self._media_content(SEND_MEDIA_METHODS[method], params, files))

    def _send_media_group(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> list[dict]:
        contents = [self._media_content(item["type"], item, files) for item in params["media"]]
        group_id = str(next(self._ids))
        return [self._new_message(params, {**content, "media_group_id": group_id}) for content in contents]

    def _copy_message(self, method: str, params: dict[str, Any], files: dict) -> dict[str, int]:
        original = self._find_message({"chat_id": params["from_chat_id"], "message_id": params["message_id"]},
                                      "message to copy not found")
        envelope = ("message_id", "from", "chat", "date", "reply_markup", "reply_to_message", "edit_date")
        content = {key: value for key, value in original.items() if key not in envelope}
        if "caption" in params:
            content = {key: value for key, value in content.items() if key not in ("caption", "caption_entities")}
            content |= _caption(params)
        return {"message_id": self._new_message(params, content)["message_id"]}

    def _edit_message_text(self, method: str, params: dict[str, Any], files: dict) -> Any:
        if not params.get("inline_message_id") and "text" not in self._find_message(params, NOT_FOUND_TO_EDIT):
            raise _bad_request("there is no text in the message to edit")
        text, entities = render_text(params["text"], params.get("parse_mode"), params.get("entities"))
        return self._edit(params, {"text": text, "entities": entities}, remove=("entities",))

    def _edit_message_caption(self, method: str, params: dict[str, Any], files: dict) -> Any:
        return self._edit(params, _caption(params), remove=("caption", "caption_entities"))

    def _edit_message_reply_markup(self, method: str, params: dict[str, Any], files: dict) -> Any:
        return self._edit(params, {})

    def _edit_message_media(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if params.get("inline_message_id"):
            return True
        self._find_message(params, NOT_FOUND_TO_EDIT)
        content = self._media_content(params["media"]["type"], params["media"], files)
        return self._edit(params, content, remove=(*SEND_MEDIA_METHODS.values(), "caption", "caption_entities"))

    def _delete_message(self, method: str, params: dict[str, Any], files: dict) -> bool:
        message = self._find_message(params, "message to delete not found")
        del self._messages[(message["chat"]["id"], message["message_id"])]
        return True

    def _get_chat(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        return self._spec.with_defaults("ChatFullInfo", {**chat, "max_reaction_count": 11})

    def _get_chat_member(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        chat_id, user_id = self._chat(params["chat_id"])["id"], params["user_id"]
        user = self._bot_user() if user_id == self.bot_id else self._users.get(
            user_id, {"id": user_id, "is_bot": False, "first_name": "User"})
        return self._member(self._members.get((chat_id, user_id), "member"), user)

    def _get_file(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        stored = self._files.get(params["file_id"])
        if stored is None:
            raise _bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise _bad_request("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": stored.size, "file_path": stored.file_path}


def _caption(source: dict[str, Any]) -> dict[str, Any]:
    if not source.get("caption"):
        return {}
    text, entities = render_text(source["caption"], source.get("parse_mode"), source.get("caption_entities"))
    return {"caption": text, **({"caption_entities": entities} if entities else {})}


def _inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """Telegram echoes only inline keyboards in the sent message."""
    markup = params.get("reply_markup")
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
