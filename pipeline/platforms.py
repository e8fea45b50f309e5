"""The registry of supported platforms: the one place that turns text into links, and a link's platform
into the client that fetches it. Everything above the platform packages goes through it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from data import Platform
from pipeline.client import MediaClient
from pipeline.links import Link
from pipeline.urls import WRAPPING, links_in_message
from pipeline.watch import StageAlarm


@dataclass(frozen=True, slots=True)
class FoundLink:
    platform: Platform
    link: Link

    @property
    def item_id(self) -> str | None:
        return self.link.item_id

    @property
    def url(self) -> str:
        return self.link.url


class Platforms:
    def __init__(self, clients: Iterable[MediaClient]) -> None:
        self._clients = {client.platform: client for client in clients}

    def client(self, platform: Platform) -> MediaClient:
        return self._clients[platform]

    def find_links(self, text: str | None, extra_urls: Iterable[str] = ()) -> list[FoundLink]:
        """Every supported link of a message (its text, then the addresses behind its text links), with
        its platform."""
        return links_in_message(self._parse_one, text, extra_urls)

    def _parse_one(self, candidate: str) -> FoundLink | None:
        for platform, client in self._clients.items():
            if (link := client.links.parse(candidate)) is not None:
                return FoundLink(platform, link)
        return None

    def parse(self, raw: str) -> FoundLink | None:
        """One pasted address (wrapping punctuation ignored), whatever its platform; None if unsupported."""
        return self._parse_one(raw.strip().strip(WRAPPING))

    def link(self, platform: Platform, url: str) -> Link | None:
        """A stored link of a known platform, parsed (and so allow-listed) again."""
        return self._clients[platform].links.parse(url)

    def item_url(self, platform: Platform, item_id: str) -> str:
        return self._clients[platform].links.item_url(item_id)

    def from_token(self, platform: Platform, token: str) -> Link | None:
        """The link a button's token stands for; None for anything forged."""
        return self._clients[platform].links.from_token(token)

    def on_alarm(self, listener: Callable[[StageAlarm], None]) -> None:
        """Who hears when a stage of any platform breaks or recovers."""
        for client in self._clients.values():
            client.watch.on_change = listener

    def proxy_reports(self) -> list[str]:
        """Each platform's proxies as this process sees them, one line each (for /stats and `fetch -v`)."""
        return [f"{platform}: {report}" for platform, client in self._clients.items()
                for report in client.proxies.reports()]

    async def close(self) -> None:
        for client in self._clients.values():
            await client.close()
