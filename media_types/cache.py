"""The media cache: the Telegram file ids of every item already uploaded, plus what it takes to rebuild
the caption and the buttons without touching the platform again. A cached item is sent by file id, in
every chat and inline: one download and one upload per item and variant, ever."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from data import MediaKind, Platform, Repositories


class Variant(StrEnum):
    """The forms of one item: sent as media, sent as files (/mode), its sound, and a slideshow rendered as one
    video."""

    MEDIA = "media"
    DOCUMENTS = "documents"
    MUSIC = "music"
    RENDERED = "rendered"


class FileKind(StrEnum):
    """How Telegram holds a sent file (and so how it can be sent again)."""

    VIDEO = "video"
    PHOTO = "photo"
    DOCUMENT = "document"
    AUDIO = "audio"


@dataclass(frozen=True, slots=True)
class SentFile:
    kind: FileKind
    file_id: str


@dataclass(frozen=True, slots=True)
class CachedItem:
    kind: MediaKind
    url: str
    description: str = ""
    has_music: bool = False
    files: tuple[SentFile, ...] = ()
    slideshow: bool = False  # pictures only: its gallery offers 🎬 (one video), its rendered video 🖼 (pictures)

    @property
    def pages(self) -> list[SentFile]:
        """What an inline gallery pages through: its photos and clips."""
        return [f for f in self.files if f.kind in (FileKind.PHOTO, FileKind.VIDEO)]

    def with_files(self, files: list[SentFile] | tuple[SentFile, ...]) -> CachedItem:
        return replace(self, files=tuple(files))

    def to_json(self) -> list[dict[str, Any]]:
        meta = {"kind": self.kind.value, "url": self.url, "description": self.description,
                "has_music": self.has_music, "slideshow": self.slideshow}
        return [{"meta": meta}, *({"type": f.kind.value, "file_id": f.file_id} for f in self.files)]

    @classmethod
    def from_json(cls, entries: list[dict[str, Any]]) -> CachedItem | None:
        """None for an entry this version cannot read, so it is fetched again rather than mis-sent."""
        try:
            meta, *files = entries
            return cls(
                kind=MediaKind(meta["meta"]["kind"]), url=meta["meta"]["url"],
                description=meta["meta"]["description"], has_music=meta["meta"]["has_music"],
                files=tuple(SentFile(FileKind(entry["type"]), entry["file_id"]) for entry in files),
                # An entry cached before slideshows rendered and reels had sounds does not say whether the post
                # offers them: read it as a miss, so it is made again once and cached with its buttons.
                slideshow=meta["meta"]["slideshow"],
            )
        except (KeyError, TypeError, ValueError):
            return None


class MediaCache:
    """Cached items by platform, item id and variant (the repository stores them; this reads them)."""

    def __init__(self, repositories: Repositories) -> None:
        self._entries = repositories.media_cache

    async def get(self, platform: Platform, item_id: str, variant: Variant = Variant.MEDIA) -> CachedItem | None:
        entries = await self._entries.get(platform, item_id, variant)
        return CachedItem.from_json(entries) if entries else None

    async def put(self, platform: Platform, item_id: str, variant: Variant, item: CachedItem) -> None:
        await self._entries.put(platform, item_id, variant, item.to_json())

    async def drop(self, platform: Platform, item_id: str, variant: Variant) -> None:
        """Telegram no longer knows these file ids: the next request uploads the item again."""
        await self._entries.drop(platform, item_id, variant)
