"""What extraction produces: plain data the delivery layer turns into Telegram sends."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A resolved item: what stage 1 produces from any link form."""

    item_id: str
    url: str  # the canonical page address
    is_photo: bool = False


@dataclass(frozen=True, slots=True)
class MediaRequest:
    """Everything needed to fetch one CDN resource: the CDN demands the page's cookies and Referer."""

    url: str
    headers: tuple[tuple[str, str], ...] = ()  # Referer and Cookie, as a browser on the page would send
    size: int | None = None  # as announced by TikTok, when it is


@dataclass(frozen=True, slots=True)
class VideoFormat:
    media: MediaRequest
    codec: str  # "h264", "h265", ...
    width: int | None
    height: int | None
    bitrate: int | None = None  # kbit/s
    format_id: str = ""
    has_audio: bool = True  # False for a video-only stream (DASH), which would arrive silent

    @property
    def is_h264(self) -> bool:
        return self.codec.lower() in ("h264", "avc", "avc1")


@dataclass(frozen=True, slots=True)
class Music:
    media: MediaRequest | None
    title: str
    author: str
    duration: int | None
    cover: MediaRequest | None = None


@dataclass(frozen=True, slots=True)
class Video:
    item: ItemRef
    formats: tuple[VideoFormat, ...]
    duration: int | None
    description: str
    author: str
    cover: MediaRequest | None
    music: Music | None


class EntryKind(StrEnum):
    PHOTO = "photo"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class GalleryEntry:
    """One picture (or clip) of a gallery, in the post's order."""

    kind: EntryKind
    media: MediaRequest
    width: int | None = None
    height: int | None = None
    duration: int | None = None


@dataclass(frozen=True, slots=True)
class Gallery:
    """Several pictures in order: a TikTok slideshow (photos and its sound), an Instagram photo post or
    carousel (photos and clips)."""

    item: ItemRef
    entries: tuple[GalleryEntry, ...]
    description: str
    author: str
    music: Music | None = None

    @property
    def is_slideshow(self) -> bool:
        """Two pictures or more and nothing else (a TikTok photo post, an Instagram photo carousel): what renders
        as one video."""
        return len(self.entries) > 1 and all(entry.kind is EntryKind.PHOTO for entry in self.entries)


MediaInfo = Video | Gallery


@dataclass(frozen=True, slots=True)
class DownloadedFile:
    """A file stage 3 wrote to the request's directory."""

    path: Path
    size: int
