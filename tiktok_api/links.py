"""TikTok links: strict URL parsing with a host allowlist. A URL is parsed, never substring-tested."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

from tiktok_api.errors import InvalidLinkError

# Hosts users paste links from. Anything else (another host, an IP address, a private name) is never fetched.
PAGE_HOSTS = frozenset({"tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"})
SHORT_HOSTS = frozenset({"vm.tiktok.com", "vt.tiktok.com"})
# Where TikTok's pages point for media; a CDN URL outside these domains is refused.
MEDIA_DOMAINS = ("tiktok.com", "tiktokcdn.com", "tiktokcdn-us.com", "tiktokv.com", "tiktokv.us", "ibyteimg.com",
                 "byteoversea.com", "muscdn.com")

_ITEM_ID = r"(?P<id>\d{5,25})"
_PATHS = (
    ("video", re.compile(rf"^/@(?P<user>[\w.-]+)/video/{_ITEM_ID}/?$")),
    ("photo", re.compile(rf"^/@(?P<user>[\w.-]+)/photo/{_ITEM_ID}/?$")),
    ("video", re.compile(rf"^/v/{_ITEM_ID}(?:\.html)?/?$")),
    ("video", re.compile(rf"^/embed(?:/v2)?/{_ITEM_ID}/?$")),
    ("video", re.compile(rf"^/share/video/{_ITEM_ID}/?$")),
)
_SHORT_CODE = re.compile(r"^/(?P<code>[A-Za-z0-9_-]{5,20})/?$")
_T_CODE = re.compile(r"^/t/(?P<code>[A-Za-z0-9_-]{5,20})/?$")
L = TypeVar("L")
# Punctuation that wraps or ends a URL in prose: "(see https://...)," -> the URL alone.
WRAPPING = "()[]{}<>\"'«»“”‘’.,!?;:"


class LinkKind(StrEnum):
    VIDEO = "video"
    PHOTO = "photo"
    SHORT = "short"


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


def host_of(url: str) -> str | None:
    """The lower-cased host of an http(s) URL, or None for anything that is not one."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    if parts.username is not None or parts.password is not None:
        return None  # "https://tiktok.com@evil.example/" style tricks
    return parts.hostname.lower().rstrip(".")


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def is_page_host(host: str | None) -> bool:
    return host is not None and host in PAGE_HOSTS


def in_domains(host: str | None, domains: tuple[str, ...]) -> bool:
    """One of `domains` or a subdomain of one; never an IP literal."""
    if host is None or is_ip_literal(host):
        return False
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def is_media_host(host: str | None) -> bool:
    """A TikTok CDN host."""
    return in_domains(host, MEDIA_DOMAINS)


def require_allowed(url: str, allowed: Callable[[str | None], bool]) -> None:
    """Raise InvalidLinkError before anything is requested from a host outside the allowlist."""
    if not allowed(host_of(url)):
        raise InvalidLinkError(f"refusing to fetch {host_of(url) or 'a non-http URL'}: not an allowed host")


def split_allowed(raw: str, page_host: Callable[[str | None], bool]) -> tuple[str, str] | None:
    """(host, path) of a pasted URL (scheme optional) whose host passes `page_host` on the default port;
    None for anything else."""
    text = raw.strip()
    if not re.match(r"^https?://", text, re.IGNORECASE):
        text = "https://" + text
    host = host_of(text)
    if not page_host(host):
        return None
    parts = urlsplit(text)
    try:
        if parts.port not in (None, 80, 443):
            return None
    except ValueError:
        return None
    return host, parts.path or "/"


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
        match = pattern.match(path)
        if match:
            user = match.groupdict().get("user")
            return TikTokLink(_clean(host, path), LinkKind(kind), match["id"], user)
    return None


def _clean(host: str, path: str) -> str:
    """The link without tracking query strings or fragments, always https."""
    return f"https://{host}{path}"


def links_in_message(parse: Callable[[str], L | None], text: str | None, extra_urls: list[str] = ()) -> list[L]:
    """Every link `parse` accepts in a message, in order, without duplicates: each whitespace-separated
    word of the text is parsed as a whole URL (so an address inside another site's URL is not one), then
    the addresses behind text_link entities."""
    found: dict[str, L] = {}
    for candidate in [*(word.strip(WRAPPING) for word in (text or "").split()), *extra_urls]:
        link = parse(candidate)
        if link is not None:
            found.setdefault(getattr(link, "item_id", None) or link.url, link)
    return list(found.values())


def find_links(text: str | None, extra_urls: list[str] = ()) -> list[TikTokLink]:
    """Every TikTok link in a message."""
    return links_in_message(parse_link, text, extra_urls)


def link_token(link: TikTokLink) -> str:
    """A short, reversible form of a link for a button's callback data (64 bytes at most):
    "i.<item id>" for items, "vm.<code>", "vt.<code>" or "t.<code>" for short links (no ":", the separator
    of aiogram's callback data)."""
    if link.kind is not LinkKind.SHORT:
        return f"i.{link.item_id}"
    parts = urlsplit(link.url)
    match = _T_CODE.match(parts.path) or _SHORT_CODE.match(parts.path)
    prefix = "t" if parts.path.startswith("/t/") else parts.hostname.split(".")[0]
    return f"{prefix}.{match['code']}"


def link_from_token(token: str) -> TikTokLink | None:
    """The link a token stands for, parsed (and so allow-listed) again; None for anything forged."""
    prefix, _, code = token.partition(".")
    if prefix == "i":
        return parse_link(f"https://www.tiktok.com/@_/video/{code}")
    hosts = {"vm": "https://vm.tiktok.com/", "vt": "https://vt.tiktok.com/", "t": "https://www.tiktok.com/t/"}
    return parse_link(f"{hosts[prefix]}{code}/") if prefix in hosts else None
