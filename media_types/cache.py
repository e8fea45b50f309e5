"""What the media cache stores for an item: the Telegram file ids, plus what it takes to rebuild the
caption and the buttons without touching TikTok again."""

from __future__ import annotations

from dataclasses import dataclass, field

# Variants of one item: sent as media, sent as files (/mode), and its sound.
MEDIA, DOCUMENTS, MUSIC = "media", "documents", "music"


@dataclass(frozen=True, slots=True)
class SentFile:
    kind: str  # "video", "photo", "document" or "audio"
    file_id: str


@dataclass(frozen=True, slots=True)
class CachedItem:
    kind: str  # "video", "images" or "music"
    url: str
    description: str = ""
    has_music: bool = False
    files: tuple[SentFile, ...] = field(default_factory=tuple)

    def to_json(self) -> list[dict]:
        meta = {"kind": self.kind, "url": self.url, "description": self.description, "has_music": self.has_music}
        return [{"meta": meta}, *({"type": f.kind, "file_id": f.file_id} for f in self.files)]

    @classmethod
    def from_json(cls, entries: list[dict]) -> CachedItem | None:
        """None for an entry this version cannot read, so it is fetched again rather than mis-sent."""
        try:
            meta, *files = entries
            return cls(
                kind=meta["meta"]["kind"], url=meta["meta"]["url"], description=meta["meta"]["description"],
                has_music=meta["meta"]["has_music"],
                files=tuple(SentFile(entry["type"], entry["file_id"]) for entry in files),
            )
        except (KeyError, TypeError, ValueError):
            return None
