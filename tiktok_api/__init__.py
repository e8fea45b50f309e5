"""TikTok: links, proxies, the three stages and media models. Knows nothing of Telegram."""

from tiktok_api.cdn import MediaStream
from tiktok_api.client import TikTokClient
from tiktok_api.errors import (
    ClassifiedContentError,
    InvalidLinkError,
    ItemDeletedError,
    ItemPrivateError,
    ItemUnderReviewError,
    LoginRequiredError,
    LoginWallError,
    MediaError,
    NetworkError,
    RateLimitedError,
    RegionBlockedError,
    TooLargeError,
    TooLongError,
    UnsupportedError,
)
from tiktok_api.links import (
    LinkKind,
    TikTokLink,
    find_links,
    link_from_token,
    link_token,
    parse_link,
)
from tiktok_api.models import (
    DownloadedFile,
    Gallery,
    GalleryEntry,
    ItemRef,
    MediaInfo,
    MediaRequest,
    Music,
    Video,
    VideoFormat,
)
from tiktok_api.pipeline import MediaClient, rank_formats
from tiktok_api.proxies import ProxyManager, ProxySession, display_proxy

__all__ = [
    "ClassifiedContentError", "DownloadedFile", "Gallery", "GalleryEntry", "InvalidLinkError", "ItemDeletedError",
    "ItemPrivateError", "ItemRef", "ItemUnderReviewError", "LinkKind", "LoginRequiredError", "LoginWallError",
    "MediaClient", "MediaError", "MediaInfo", "MediaRequest", "MediaStream", "Music", "NetworkError",
    "ProxyManager", "ProxySession", "RateLimitedError", "RegionBlockedError", "TikTokClient", "TikTokLink",
    "TooLargeError", "TooLongError", "UnsupportedError", "Video", "VideoFormat", "display_proxy", "find_links",
    "link_from_token", "link_token", "parse_link", "rank_formats",
]
