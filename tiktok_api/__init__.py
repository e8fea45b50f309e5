"""TikTok: links, proxies, the three stages and media models. Knows nothing of Telegram."""
