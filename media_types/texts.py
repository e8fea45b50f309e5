"""Everything the user reads besides the media: captions, buttons, and the one table that turns a
pipeline error into a localized message. All user and TikTok text is HTML-escaped here."""

from __future__ import annotations

import html
from collections.abc import Callable

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from data import MediaKind
from media_types.cache import CachedItem
from media_types.job import Form
from pipeline import (
    ClassifiedContentError,
    InvalidLinkError,
    ItemDeletedError,
    ItemPrivateError,
    ItemUnderReviewError,
    LoginRequiredError,
    MediaError,
    NetworkError,
    NoSoundError,
    RateLimitedError,
    RegionBlockedError,
    TooLargeError,
    TooLongError,
    UnsupportedError,
)

CAPTION_LIMIT = 1024  # Telegram's, counted in UTF-16 code units after entity parsing

# A translator: (key, **arguments) -> text in the chat's language.
Translate = Callable[..., str]

ERROR_KEYS: dict[type[MediaError], str] = {
    ItemDeletedError: "error-deleted",
    ItemUnderReviewError: "error-under-review",
    ItemPrivateError: "error-private",
    RegionBlockedError: "error-region",
    LoginRequiredError: "error-login-required",
    ClassifiedContentError: "error-classified",
    TooLongError: "error-too-long",
    TooLargeError: "error-too-large",
    RateLimitedError: "error-rate-limited",
    NetworkError: "error-network",
    InvalidLinkError: "error-invalid-link",
    NoSoundError: "error-no-sound",
    UnsupportedError: "error-unsupported",
}


class MusicButton(CallbackData, prefix="mu"):
    """Press to get the item's sound; plain data, so it works on messages sent before a restart."""

    platform: str
    item_id: str


class FormButton(CallbackData, prefix="fm"):
    """🎬 under a slideshow's pictures (`form` "video": the post as one video) and 🖼 under its rendered video
    (`form` "post": the pictures)."""

    platform: str
    item_id: str
    form: str


class SlidePage(CallbackData, prefix="sl"):
    """Previous/next in an inline slideshow; the file ids come from the media cache, not from memory."""

    platform: str
    item_id: str
    index: int


class RetryButton(CallbackData, prefix="rt"):
    """Try a refused request again; the link travels as a token (Link.token)."""

    platform: str
    token: str


class Noop(CallbackData, prefix="noop"):
    """A button that only shows state (the page counter, "downloading…")."""


PLATFORM_NAMES = {"tiktok": "TikTok", "instagram": "Instagram"}


def error_text(error: MediaError, t: Translate, *, platform: str, max_duration: int, upload_limit: int) -> str:
    key = next((key for kind, key in ERROR_KEYS.items() if isinstance(error, kind)), "error-unexpected")
    return t(key, platform=PLATFORM_NAMES.get(platform, platform), minutes=max(1, max_duration // 60),
             megabytes=upload_limit // (1024 * 1024))


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _truncate(text: str, limit: int) -> str:
    """Cut to `limit` UTF-16 code units, ending with an ellipsis when anything was cut."""
    if utf16_length(text) <= limit:
        return text
    while utf16_length(text) > limit - 1:
        text = text[:-1]
    return text.rstrip() + "…"


def caption(description: str, url: str, t: Translate, *, note: str = "") -> str:
    """The TikTok description, then the source link (and an optional note), as Telegram HTML."""
    label = t("caption-source")
    tail = f"\n\n{note}" if note else ""
    room = CAPTION_LIMIT - utf16_length(label) - utf16_length(tail) - 2
    text = _truncate(description.strip(), max(room, 0))
    body = f"{html.escape(text)}\n\n" if text else ""
    return f'{body}<a href="{html.escape(url, quote=True)}">{html.escape(label)}</a>{html.escape(tail)}'


def item_buttons(platform: str, item_id: str, item: CachedItem, t: Translate) -> list[InlineKeyboardButton]:
    """What can be asked of a delivered post: its sound, and a slideshow's other form (🎬 the pictures as one
    video, or 🖼 the pictures of a rendered video)."""
    buttons = []
    if item.has_music:
        buttons.append(InlineKeyboardButton(
            text=t("button-sound"), callback_data=MusicButton(platform=platform, item_id=item_id).pack()))
    if item.slideshow:
        video = item.kind is MediaKind.IMAGES
        buttons.append(InlineKeyboardButton(
            text=t("button-video" if video else "button-pictures"),
            callback_data=FormButton(platform=platform, item_id=item_id, form=Form.VIDEO if video else Form.POST)
            .pack()))
    return buttons


def item_keyboard(platform: str, item_id: str, item: CachedItem, t: Translate) -> InlineKeyboardMarkup | None:
    buttons = item_buttons(platform, item_id, item, t)
    return InlineKeyboardMarkup(inline_keyboard=[buttons]) if buttons else None


def loading_keyboard(t: Translate) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=t("button-loading"), callback_data=Noop().pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])


def slide_keyboard(platform: str, item_id: str, item: CachedItem, index: int, t: Translate) -> InlineKeyboardMarkup:
    """◀ 3/12 ▶ (wrapping around), and the item's buttons under it."""
    total = len(item.pages)
    navigation = [
        InlineKeyboardButton(text="◀", callback_data=SlidePage(
            platform=platform, item_id=item_id, index=(index - 1) % total).pack()),
        InlineKeyboardButton(text=f"{index + 1}/{total}", callback_data=Noop().pack()),
        InlineKeyboardButton(text="▶", callback_data=SlidePage(
            platform=platform, item_id=item_id, index=(index + 1) % total).pack()),
    ]
    buttons = item_buttons(platform, item_id, item, t)
    return InlineKeyboardMarkup(inline_keyboard=[navigation, buttons] if buttons else [navigation])


def retry_keyboard(platform: str, token: str, t: Translate) -> InlineKeyboardMarkup:
    button = InlineKeyboardButton(text=t("button-retry"), callback_data=RetryButton(platform=platform,
                                                                                     token=token).pack())
    return InlineKeyboardMarkup(inline_keyboard=[[button]])
