"""Telegram's formatted text: parse_mode=HTML parsed (and rejected) as Telegram does, and the entities it
adds to users' plain text."""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.telegram.records import ApiError, bad_request, utf16_len

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


def _parse_error(reason: str, source: str, index: int) -> ApiError:
    return bad_request(f"can't parse entities: {reason} at byte offset {len(source[:index].encode())}")


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
        raise bad_request(f'can\'t parse entities: can\'t find end tag corresponding to start tag "{unclosed}"')
    return "".join(text), sorted(entities, key=lambda entity: (entity["offset"], -entity["length"]))


def html_error(text: str) -> str | None:
    """Why Telegram would reject `text` sent with parse_mode=HTML, or None: lets tests check templates offline."""
    try:
        parse_html(text)
    except ApiError as error:
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
        raise bad_request("unsupported parse_mode")
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
