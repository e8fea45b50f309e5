"""URL rules every platform shares: a URL is parsed, never substring-tested, and only hosts on an
allowlist are ever fetched (no IP literals, no user-info tricks, no other ports)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from pipeline.errors import InvalidLinkError

L = TypeVar("L")
HostRule = Callable[[str | None], bool]
# Punctuation that wraps or ends a URL in prose: "(see https://...)," -> the URL alone.
WRAPPING = "()[]{}<>\"'«»“”‘’.,!?;:"
MEDIA_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".mp4")
STANDARD_PORTS = {"https": 443, "http": 80}


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


def in_domains(host: str | None, domains: tuple[str, ...]) -> bool:
    """One of `domains` or a subdomain of one; never an IP literal."""
    if host is None or is_ip_literal(host):
        return False
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def require_allowed(url: str, allowed: HostRule) -> None:
    """Raise InvalidLinkError before anything is requested from a host outside the allowlist, or on a port
    other than its scheme's own (https on 443, http on 80)."""
    if not allowed(host_of(url)):
        raise InvalidLinkError(f"refusing to fetch {host_of(url) or 'a non-http URL'}: not an allowed host")
    parts = urlsplit(url.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port not in (None, STANDARD_PORTS[parts.scheme.lower()]):
        raise InvalidLinkError(f"refusing to fetch {host_of(url)} on port {port}: only {parts.scheme}'s own")


def scheme_of(url: str) -> str:
    return urlsplit(url.strip()).scheme.lower()


def split_allowed(raw: str, page_host: HostRule) -> tuple[str, str] | None:
    """(host, path) of a pasted URL (scheme optional) whose host passes `page_host` on the default port;
    None for anything else."""
    text = raw.strip()
    if not re.match(r"^https?://", text, re.IGNORECASE):
        text = "https://" + text
    host = host_of(text)
    if host is None or not page_host(host):
        return None
    parts = urlsplit(text)
    try:
        if parts.port not in (None, 80, 443):
            return None
    except ValueError:
        return None
    return host, parts.path or "/"


def links_in_message(parse: Callable[[str], L | None], text: str | None, extra_urls: Iterable[str] = ()) -> list[L]:
    """Every link `parse` accepts in a message, in order, without duplicates: each whitespace-separated
    word of the text is parsed as a whole URL (so an address inside another site's URL is not one), then
    the addresses behind text_link entities."""
    found: dict[str, L] = {}
    for candidate in [*(word.strip(WRAPPING) for word in (text or "").split()), *extra_urls]:
        link = parse(candidate)
        if link is not None:
            found.setdefault(str(getattr(link, "item_id", None) or getattr(link, "url", candidate)), link)
    return list(found.values())


def short_url(url: str) -> str:
    """A URL for logs: host and path, without signatures and tokens in the query."""
    parts = urlsplit(url)
    return f"{parts.hostname}{parts.path}"


def media_suffix(url: str, default: str) -> str:
    """The file suffix a media URL names, when it is one we expect; `default` otherwise."""
    suffix = Path(urlsplit(url).path).suffix.lower()
    return suffix if suffix in MEDIA_SUFFIXES else default
