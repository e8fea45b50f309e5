"""Scrapers' JSON exports as `fetch` input: a JSON array (or an object holding one), or JSON Lines, of records
that name an item by its id and/or a link, maybe carry a direct media URL (a signed CDN address that expires
within hours: only a hint), and a context such as the search query that found it.

The common shapes are recognised by their field names; any field can be named instead by a dotted path
("media.source_url", "videoMeta.downloadAddr", "mediaUrls.0"). A record without a usable id or link is reported
and skipped, never fatal."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ID_FIELDS = ("aweme_id", "awemeId", "item_id", "itemId", "video_id", "videoId", "id")
LINK_FIELDS = ("webVideoUrl", "web_video_url", "share_url", "shareUrl", "postUrl", "post_url", "url", "link")
MEDIA_FIELDS = ("media.source_url", "media.url", "videoUrl", "video_url", "videoMeta.downloadAddr",
                "video.playAddr", "downloadUrl", "download_url", "mediaUrls.0")
GROUP_FIELDS = ("query_context", "searchQuery", "search_query", "query", "keyword", "hashtag", "input")
LIST_KEYS = ("items", "data", "results", "records", "videos")  # where an object export keeps its records
MAX_FOLDER_BYTES = 100
RESERVED = {"con", "prn", "aux", "nul", *(f"com{n}" for n in range(1, 10)), *(f"lpt{n}" for n in range(1, 10))}


@dataclass(frozen=True, slots=True)
class Fields:
    """Dotted paths chosen by the user; None: found by name."""

    id: str | None = None
    url: str | None = None
    group: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    position: int  # 1-based, in the export
    item_id: str | None
    urls: tuple[str, ...]  # every address the record gives: item links and media URLs, the caller tells them apart
    group: str | None

    @property
    def label(self) -> str:
        return f"record {self.position}" + (f" ({self.item_id})" if self.item_id else "")


class ExportError(ValueError):
    """The file is no export at all (not JSON, not JSON Lines, no records)."""


def is_export(path: Path) -> bool:
    """JSON or JSON Lines, by its name or its first character; else a list of links."""
    if path.suffix.lower() in (".json", ".jsonl", ".ndjson"):
        return True
    with path.open("rb") as file:
        start = file.read(256).lstrip(b"\xef\xbb\xbf \t\r\n")
    return start[:1] == b"{" or (start[:1] == b"[" and start[1:].lstrip()[:1] in (b"{", b"]"))  # not "[a](link)"


def read_export(path: Path, fields: Fields, *, group_by: bool) -> tuple[list[Record], list[str]]:
    """The usable records, and one line per record skipped (why)."""
    records, skipped = [], []
    for position, raw in enumerate(_raw_records(path), start=1):
        if not isinstance(raw, dict):
            skipped.append(f"record {position}: not an object")
            continue
        item_id = _text(lookup(raw, fields.id) if fields.id else _first(raw, ID_FIELDS))
        urls = [lookup(raw, fields.url)] if fields.url else [_first(raw, LINK_FIELDS), _first(raw, MEDIA_FIELDS)]
        found = tuple(url for url in map(_text, urls) if url and url.startswith(("http://", "https://")))
        group = _text(lookup(raw, fields.group) if fields.group else _first(raw, GROUP_FIELDS)) if group_by else None
        if item_id is None and not found:
            skipped.append(f"record {position}: no item id and no link")
            continue
        records.append(Record(position, item_id, found, group))
    return records, skipped


def lookup(record: Any, dotted: str) -> Any:
    """The value at a dotted path ("media.source_url", "mediaUrls.0"); None where the path leads nowhere."""
    value = record
    for part in dotted.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def safe_folder(value: str) -> str:
    """A folder name from any text: one path component (no separators, no "..", no control characters), not
    a name Windows reserves, at most MAX_FOLDER_BYTES bytes of UTF-8; never empty."""
    name = unicodedata.normalize("NFKC", value)
    name = re.sub(r'[\x00-\x1f\x7f/\\:*?"<>|]+', "_", name)
    name = " ".join(name.split()).strip(" .")
    name = re.sub(r"_{2,}", "_", re.sub(r"_?\.{2,}_?", "_", name))  # "../.." leaves no dot run behind
    if name.split(".")[0].lower() in RESERVED:
        name = f"_{name}"
    encoded = name.encode()[:MAX_FOLDER_BYTES]
    name = encoded.decode(errors="ignore").rstrip(" .")
    return name or "_"


def _raw_records(path: Path) -> Iterator[Any]:
    text = path.read_text(encoding="utf-8-sig")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        yield from _json_lines(text)
        return
    except (ValueError, RecursionError) as exc:  # a number too long to read, nesting too deep
        raise ExportError(f"unreadable JSON: {type(exc).__name__}") from None
    if isinstance(document, dict):
        document = next((document[key] for key in LIST_KEYS if isinstance(document.get(key), list)), [document])
    if not isinstance(document, list):
        raise ExportError("the JSON holds neither a list of records nor an object")
    yield from document


def _json_lines(text: str) -> Iterator[Any]:
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ExportError("no records")
    for number, line in lines:
        try:
            yield json.loads(line)
        except (ValueError, RecursionError) as exc:
            if number == lines[0][0]:
                raise ExportError(f"neither JSON nor JSON Lines: {exc}") from None
            yield f"line {number} is not JSON"  # reported as a record that is not an object


def _first(record: dict[str, Any], paths: tuple[str, ...]) -> Any:
    return next((value for path in paths if (value := lookup(record, path)) not in (None, "", [])), None)


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | str):
        text = str(value).strip()
        return text or None
    return None
