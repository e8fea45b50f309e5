"""Turns extracted media into Telegram sends. Knows nothing of yt-dlp."""
