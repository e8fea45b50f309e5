"""Instagram: the same shape as tiktok_api (links, client); the pipeline machinery is tiktok_api's.
Knows nothing of Telegram."""

from instagram_api.client import InstagramClient
from instagram_api.links import InstagramLink, LinkKind, find_links, parse_link

__all__ = ["InstagramClient", "InstagramLink", "LinkKind", "find_links", "parse_link"]
