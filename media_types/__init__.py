"""Turns extracted media into Telegram sends. Knows nothing of yt-dlp.

The public names load on first use (PEP 562): the image worker processes import media_types.images
and must not pay for importing aiogram."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "DeliveryJob": "media_types.delivery",
    "Deliverer": "media_types.delivery",
    "ImageProcessor": "media_types.images",
    "TelegramAnswers": "media_types.telegram_answers",
    "MusicButton": "media_types.texts",
    "SlidePage": "media_types.texts",
    "Noop": "media_types.texts",
    "RetryButton": "media_types.texts",
    "retry_keyboard": "media_types.texts",
    "DeliveryQueue": "media_types.limits",
    "DeliveryTasks": "media_types.jobs",
    "SpamGuard": "media_types.limits",
    "Verdict": "media_types.limits",
    "OutboundLimiter": "media_types.outbound",
    "caption": "media_types.texts",
    "error_text": "media_types.texts",
    "loading_keyboard": "media_types.texts",
    "music_keyboard": "media_types.texts",
    "slide_keyboard": "media_types.texts",
    "MEDIA": "media_types.cache",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'media_types' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
