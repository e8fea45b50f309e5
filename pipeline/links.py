"""What a platform's links look like to everyone else: a `Link` is any allow-listed address of a post, and
`LinkRules` is what a platform provides to find, parse and check its addresses."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

from data import Platform
from pipeline.models import ItemRef
from pipeline.urls import HostRule, links_in_message


class Link(Protocol):
    """A link that passed its platform's allowlist."""

    @property
    def url(self) -> str:
        """The link as it will be fetched: https, no tracking query, no fragment."""

    @property
    def item_id(self) -> str | None:
        """The post's id, or None for a short or share link that must be followed first."""

    @property
    def token(self) -> str:
        """A short reversible form for a button's callback data (64 bytes at most, no ':')."""

    def item(self) -> ItemRef | None:
        """The post this link names, or None until a short or share link is followed."""


@dataclass(frozen=True, slots=True)
class LinkRules:
    """One platform's address rules. `from_token` parses (and so allow-lists) again: a forged token is None."""

    platform: Platform
    parse: Callable[[str], Link | None]
    from_token: Callable[[str], Link | None]
    item_url: Callable[[str], str]  # the canonical page of an item known only by its id
    is_page_host: HostRule  # where users' links and their redirects may point
    is_media_host: HostRule  # where the platform's media may be downloaded from

    def find(self, text: str | None, extra_urls: Iterable[str] = ()) -> list[Link]:
        """Every link of this platform in a message, in order, without duplicates."""
        return links_in_message(self.parse, text, extra_urls)
