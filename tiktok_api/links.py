"""TikTok links: strict URL parsing with a host allowlist (pipeline.urls). A URL is parsed, never
substring-tested."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from data import Platform
from pipeline import ItemRef, LinkRules, in_domains, links_in_message, split_allowed

# Hosts users paste links from. Anything else (another host, an IP address, a private name) is never fetched.
PAGE_HOSTS = frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"})
SHORT_HOSTS = frozenset({"vm.tiktok.com", "vt.tiktok.com"})
# Where TikTok's pages point for media; a CDN URL outside these domains is refused.
MEDIA_DOMAINS = ("tiktok.com", "tiktokcdn.com", "tiktokcdn-us.com", "tiktokv.com", "tiktokv.us", "ibyteimg.com",
                 "byteoversea.com", "muscdn.com")


class LinkKind(StrEnum):
    VIDEO = "video"
    PHOTO = "photo"
    SHORT = "short"


_ITEM_ID = r"(?P<id>[0-9]{5,25})"  # ASCII digits only: \d also takes Arabic-Indic and full-width ones
_PATHS = (
    (LinkKind.VIDEO, re.compile(rf"^/@(?P<user>[A-Za-z0-9_.-]+)/video/{_ITEM_ID}/?$")),
    (LinkKind.PHOTO, re.compile(rf"^/@(?P<user>[A-Za-z0-9_.-]+)/photo/{_ITEM_ID}/?$")),
    (LinkKind.VIDEO, re.compile(rf"^/v/{_ITEM_ID}(?:\.html)?/?$")),
    (LinkKind.VIDEO, re.compile(rf"^/embed(?:/v2)?/{_ITEM_ID}/?$")),
    (LinkKind.VIDEO, re.compile(rf"^/share/video/{_ITEM_ID}/?$")),
)
_SHORT_CODE = re.compile(r"^/(?P<code>[A-Za-z0-9_-]{5,20})/?$")
_T_CODE = re.compile(r"^/t/(?P<code>[A-Za-z0-9_-]{5,20})/?$")


@dataclass(frozen=True, slots=True)
class TikTokLink:
    """A link that passed the allowlist: either an item (kind video/photo, item_id set) or a short link."""

    url: str
    kind: LinkKind
    item_id: str | None = None
    user: str | None = None

    @property
    def canonical_url(self) -> str:
        """The page yt-dlp extracts; photo posts are served at the /video/ address too."""
        return f"https://www.tiktok.com/@{self.user or '_'}/video/{self.item_id}"

    @property
    def token(self) -> str:
        return link_token(self)

    def item(self) -> ItemRef | None:
        if self.item_id is None:
            return None
        return ItemRef(self.item_id, self.canonical_url, is_photo=self.kind is LinkKind.PHOTO)


def is_page_host(host: str | None) -> bool:
    return host is not None and host in PAGE_HOSTS


def is_media_host(host: str | None) -> bool:
    """A TikTok CDN host."""
    return in_domains(host, MEDIA_DOMAINS)


def parse_link(raw: str) -> TikTokLink | None:
    """Parse one URL (scheme optional); None unless it is a TikTok item or short link on an allowed host."""
    if (split := split_allowed(raw, is_page_host)) is None:
        return None
    host, path = split
    if host in SHORT_HOSTS:
        match = _SHORT_CODE.match(path)
        return TikTokLink(_clean(host, path), LinkKind.SHORT) if match else None
    if _T_CODE.match(path):
        return TikTokLink(_clean(host, path), LinkKind.SHORT)
    for kind, pattern in _PATHS:
        if match := pattern.match(path):
            return TikTokLink(_clean(host, path), kind, match["id"], match.groupdict().get("user"))
    return None


def _clean(host: str, path: str) -> str:
    """The link without tracking query strings or fragments, always https."""
    return f"https://{host}{path}"


def find_links(text: str | None, extra_urls: Iterable[str] = ()) -> list[TikTokLink]:
    """Every TikTok link in a message."""
    return links_in_message(parse_link, text, extra_urls)


def link_token(link: TikTokLink) -> str:
    """"i.<item id>" for items, "vm.<code>", "vt.<code>" or "t.<code>" for short links."""
    if link.kind is not LinkKind.SHORT:
        return f"i.{link.item_id}"
    parts = urlsplit(link.url)
    match = _T_CODE.match(parts.path) or _SHORT_CODE.match(parts.path)
    if match is None or parts.hostname is None:
        raise ValueError(f"{link.url} is not a short link parse_link made")
    prefix = "t" if parts.path.startswith("/t/") else parts.hostname.split(".")[0]
    return f"{prefix}.{match['code']}"


def link_from_token(token: str) -> TikTokLink | None:
    """The link a token stands for, parsed (and so allow-listed) again; None for anything forged."""
    prefix, _, code = token.partition(".")
    if prefix == "i":
        return parse_link(item_url(code))
    hosts = {"vm": "https://vm.tiktok.com/", "vt": "https://vt.tiktok.com/", "t": "https://www.tiktok.com/t/"}
    return parse_link(f"{hosts[prefix]}{code}/") if prefix in hosts else None


def item_url(item_id: str) -> str:
    return f"https://www.tiktok.com/@_/video/{item_id}"


LINKS = LinkRules(platform=Platform.TIKTOK, parse=parse_link, from_token=link_from_token, item_url=item_url,
                  is_page_host=is_page_host, is_media_host=is_media_host)
