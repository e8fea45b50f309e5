"""TikTok: its links, and its items read from their pages (stage 2). The stages, proxies and models are the
pipeline's; nothing here knows of Telegram or of Instagram."""

from tiktok_api.client import TikTokClient
from tiktok_api.links import LINKS, LinkKind, TikTokLink, find_links, link_from_token, link_token, parse_link

__all__ = ["LINKS", "LinkKind", "TikTokClient", "TikTokLink", "find_links", "link_from_token", "link_token",
           "parse_link"]
