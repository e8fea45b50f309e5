"""Instagram links: strict URL parsing with a host allowlist (pipeline.urls)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from data import Platform
from pipeline import ItemRef, LinkRules, in_domains, links_in_message, split_allowed

PAGE_HOSTS = frozenset({"instagram.com", "www.instagram.com", "m.instagram.com"})
MEDIA_DOMAINS = ("cdninstagram.com", "fbcdn.net")

# Post codes are 11 characters, private posts' longer; 48 keeps every button's data within 64 bytes.
_CODE = r"(?P<code>[A-Za-z0-9_-]{5,48})"
_POST = re.compile(rf"^/(?:[A-Za-z0-9._]{{1,30}}/)?(?P<kind>p|reels?|tv)/{_CODE}/?$")
_SHARE = re.compile(rf"^/share/(?:(?P<kind>p|reels?|tv)/)?{_CODE}/?$")


class LinkKind(StrEnum):
    POST = "post"  # /p/, /reel/, /reels/, /tv/, with or without a username before it
    SHARE = "share"  # /share/...: a redirect to the post


@dataclass(frozen=True, slots=True)
class InstagramLink:
    url: str
    kind: LinkKind
    code: str

    @property
    def item_id(self) -> str | None:
        """A post's shortcode; share links have none until resolved."""
        return self.code if self.kind is LinkKind.POST else None

    @property
    def canonical_url(self) -> str:
        return item_url(self.code)

    @property
    def token(self) -> str:
        return link_token(self)

    def item(self) -> ItemRef | None:
        return ItemRef(self.code, self.canonical_url) if self.kind is LinkKind.POST else None


def is_page_host(host: str | None) -> bool:
    return host is not None and host in PAGE_HOSTS


def is_media_host(host: str | None) -> bool:
    return in_domains(host, MEDIA_DOMAINS)


def parse_link(raw: str) -> InstagramLink | None:
    """A post or share link on an allowed host; None for anything else."""
    if (split := split_allowed(raw, is_page_host)) is None:
        return None
    _, path = split
    if match := _SHARE.match(path):
        return InstagramLink(f"https://www.instagram.com{path}", LinkKind.SHARE, match["code"])
    if match := _POST.match(path):
        return InstagramLink(item_url(match["code"]), LinkKind.POST, match["code"])
    return None


def find_links(text: str | None, extra_urls: Iterable[str] = ()) -> list[InstagramLink]:
    """Every Instagram post link in a message (the same rules as TikTok's)."""
    return links_in_message(parse_link, text, extra_urls)


def link_token(link: InstagramLink) -> str:
    """"p.<code>" or "s.<code>" for a button's callback data."""
    return f"{'s' if link.kind is LinkKind.SHARE else 'p'}.{link.code}"


def link_from_token(token: str) -> InstagramLink | None:
    prefix, _, code = token.partition(".")
    paths = {"p": "/p/", "s": "/share/"}
    return parse_link(f"https://www.instagram.com{paths[prefix]}{code}/") if prefix in paths else None


def item_url(code: str) -> str:
    return f"https://www.instagram.com/p/{code}/"


LINKS = LinkRules(platform=Platform.INSTAGRAM, parse=parse_link, from_token=link_from_token, item_url=item_url,
                  is_page_host=is_page_host, is_media_host=is_media_host)
