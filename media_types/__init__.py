"""Turns extracted media into Telegram sends. Knows nothing of yt-dlp.

The public names load on first use (PEP 562): the image worker processes import media_types.images
and must not pay for importing aiogram."""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "CachedItem": "media_types.cache",
    "Deliverer": "media_types.delivery",
    "DeliveryJob": "media_types.job",
    "DeliveryQueue": "media_types.limits",
    "DeliveryTasks": "media_types.jobs",
    "FailureReporter": "media_types.failures",
    "ImageProcessor": "media_types.images",
    "InlineMode": "media_types.senders",
    "Ledger": "media_types.ledger",
    "MediaCache": "media_types.cache",
    "MusicButton": "media_types.texts",
    "Noop": "media_types.texts",
    "FloodControl": "media_types.outbound",
    "Form": "media_types.job",
    "FormButton": "media_types.texts",
    "Producer": "media_types.produce",
    "RetryButton": "media_types.texts",
    "Senders": "media_types.senders",
    "SlidePage": "media_types.texts",
    "SpamGuard": "media_types.spam",
    "TelegramAnswers": "media_types.telegram_answers",
    "Variant": "media_types.cache",
    "Verdict": "media_types.spam",
    "caption": "media_types.texts",
    "create_platforms": "media_types.platforms",
    "error_text": "media_types.texts",
    "loading_keyboard": "media_types.texts",
    "item_keyboard": "media_types.texts",
    "retry_keyboard": "media_types.texts",
    "position_of": "media_types.job",
    "retry_token": "media_types.job",
    "slide_keyboard": "media_types.texts",
}

__all__ = sorted(_EXPORTS)  # noqa: PLE0605 - the names load lazily, below


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'media_types' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
