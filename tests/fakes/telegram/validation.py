"""Every decoded call checked against api.json and the limits Telegram enforces, so the bot cannot send
what the real Bot API would reject."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.fakes.telegram.formatting import render_text
from tests.fakes.telegram.images import image_size
from tests.fakes.telegram.records import ApiError, UploadedFile, bad_request, utf16_len
from tests.fakes.telegram.spec import ApiSpec, FieldSpec

MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_TEXT, MAX_CAPTION = 4096, 1024
CHAT_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}

_PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "Integer": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "Float": lambda value: isinstance(value, (int, float)) and not isinstance(value, bool),
    "String": lambda value: isinstance(value, str),
    "InputFile": lambda value: isinstance(value, str),
    "Boolean": lambda value: isinstance(value, bool),
    "True": lambda value: value is True,
}


class RequestValidator:
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
                raise bad_request(f'unknown field "{prefix}{key}" for {owner}')
        for name, spec in fields.items():
            if name not in obj:
                if spec.required:
                    raise bad_request(f'field "{prefix}{name}" is required')
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
            raise bad_request(f'field "{path}" must be of type {" or ".join(types)}')

    def _check_variant(self, value: dict[str, Any], candidates: list[str], path: str) -> None:
        """Validate against the union member named by the value's tag (type/status), or the closest fit."""
        matching = [name for name in candidates if self.spec.accepts_tag(name, value)]
        if not matching:
            raise bad_request(f'field "{path}" has unsupported type "{value.get("type")}"')
        matching.sort(key=lambda name: len(value.keys() - self.spec.fields(name).keys()))
        errors = []
        for name in matching:
            try:
                self._check_object(name, value, path)
                return
            except ApiError as error:
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
                raise bad_request(f'field "{path}" refers to a file part that was not uploaded')
            if is_photo:
                _check_photo(upload)
        elif not reference.startswith(("http://", "https://")) and not self.is_known_file(reference):
            raise bad_request("wrong file identifier/HTTP URL specified")

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
                    raise bad_request("message caption is too long")
            elif not plain.strip():
                raise bad_request("message text is empty")
            elif utf16_len(plain) > MAX_TEXT:
                raise bad_request("message is too long")

    def _check_button(self, button: dict[str, Any], path: str) -> None:
        data = button.get("callback_data")
        if data is not None and not 1 <= len(data.encode()) <= 64:
            raise bad_request("BUTTON_DATA_INVALID")
        if not self.button_actions & button.keys():
            raise bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")

    @staticmethod
    def _check_album(params: dict[str, Any], path: str) -> None:
        media = params["media"]
        if not 2 <= len(media) <= 10:
            raise bad_request(f"media group must contain 2-10 items, got {len(media)}")
        kinds = {item["type"] for item in media}
        for exclusive in ("audio", "document"):
            if exclusive in kinds and len(kinds) > 1:
                raise bad_request(f"{exclusive} can't be mixed with other media types in a media group")

    @staticmethod
    def _check_chat_action(params: dict[str, Any], path: str) -> None:
        if params["action"] not in CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")



def _check_photo(upload: UploadedFile) -> None:
    """Telegram's photo limits: 10 MB, width + height <= 10000, aspect ratio <= 20."""
    if upload.size > MAX_PHOTO_BYTES:
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
    size = image_size(upload.data)
    if size is None:
        raise bad_request("IMAGE_PROCESS_FAILED")
    width, height = size
    if width + height > 10000 or max(width, height) > 20 * max(min(width, height), 1):
        raise bad_request("PHOTO_INVALID_DIMENSIONS")
