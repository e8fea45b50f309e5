"""The download pipeline every platform shares: links and their allowlists, the sticky proxy session, the
three stages with their retry budgets, page and CDN clients, the yt-dlp pool, the item models, the typed
errors, the registry of platforms and the fetch CLI. Knows nothing of Telegram or of any one platform."""

from pipeline.cdn import MediaStream
from pipeline.client import MediaClient
from pipeline.errors import (
    ClassifiedContentError,
    ConsumerBusyError,
    InvalidLinkError,
    ItemDeletedError,
    ItemPrivateError,
    ItemUnderReviewError,
    LoginRequiredError,
    LoginWallError,
    MediaError,
    NetworkError,
    NoSoundError,
    RateLimitedError,
    RegionBlockedError,
    TooLargeError,
    TooLongError,
    UnsupportedError,
    error_for,
)
from pipeline.extractor import int_or_none
from pipeline.formats import rank_formats
from pipeline.links import Link, LinkRules
from pipeline.models import (
    DownloadedFile,
    EntryKind,
    Gallery,
    GalleryEntry,
    ItemRef,
    MediaInfo,
    MediaRequest,
    Music,
    Video,
    VideoFormat,
)
from pipeline.platforms import FoundLink, Platforms
from pipeline.proxies import ProxyManager, ProxySession, display_proxy
from pipeline.stages import run_stage
from pipeline.urls import WRAPPING, host_of, in_domains, links_in_message, short_url, split_allowed
from pipeline.watch import StageAlarm, StageWatch

__all__ = [
    "WRAPPING", "ClassifiedContentError", "ConsumerBusyError", "DownloadedFile", "EntryKind", "FoundLink",
    "Gallery", "GalleryEntry",
    "InvalidLinkError", "ItemDeletedError", "ItemPrivateError", "ItemRef", "ItemUnderReviewError", "Link",
    "LinkRules", "LoginRequiredError", "LoginWallError", "MediaClient", "MediaError", "MediaInfo", "MediaRequest",
    "MediaStream", "Music", "NetworkError", "NoSoundError", "Platforms", "ProxyManager", "ProxySession",
    "RateLimitedError", "RegionBlockedError", "StageAlarm", "StageWatch", "TooLargeError", "TooLongError",
    "UnsupportedError", "Video", "VideoFormat",
    "display_proxy", "error_for", "host_of", "in_domains", "int_or_none", "links_in_message", "rank_formats",
    "run_stage", "short_url", "split_allowed",
]
