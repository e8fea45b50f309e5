"""Instagram: the same shape as tiktok_api. Knows nothing of Telegram."""
