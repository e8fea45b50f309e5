"""The official Bot API description (api.json) read once, plus the fields Telegram and aiogram use that it
lacks: what the validator checks calls against and what answers are completed from."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

API_JSON = Path(__file__).parents[1] / "botapi" / "api.json"  # tests/fakes/botapi

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
