"""Instagram: its links, and its posts read by yt-dlp's Instagram extractor (stage 2). The stages, proxies
and models are the pipeline's; nothing here knows of Telegram or of TikTok."""

from instagram_api.client import InstagramClient
from instagram_api.links import LINKS, InstagramLink, LinkKind, find_links, link_from_token, link_token, parse_link

__all__ = ["LINKS", "InstagramClient", "InstagramLink", "LinkKind", "find_links", "link_from_token", "link_token",
           "parse_link"]
