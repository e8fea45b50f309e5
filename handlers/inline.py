"""Inline mode: `@bot link` in any chat. The result first shows a placeholder; once chosen, the media is
downloaded, uploaded to the storage channel and put into the inline message by its file id. Items
already in the media cache are offered directly."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import (
    ChosenInlineResult,
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultCachedVideo,
    InlineQueryResultsButton,
    InputTextMessageContent,
)
from aiogram_i18n import I18nContext

from data import MediaKind, Platform, Surface
from handlers.requests import allowed, submit
from media_types import (
    CachedItem,
    Deliverer,
    DeliveryJob,
    DeliveryTasks,
    InlineMode,
    MediaCache,
    SpamGuard,
    caption,
    loading_keyboard,
    music_keyboard,
    slide_keyboard,
)
from media_types.cache import FileKind
from pipeline import Platforms

PENDING, CACHED = "p", "c"  # result id prefixes: "needs the chosen-result flow" / "complete as offered"


async def answer_query(query: InlineQuery, platforms: Platforms, inline_mode: InlineMode, media_cache: MediaCache,
                       i18n: I18nContext) -> None:
    links = platforms.find_links(query.query)
    if not links:
        await query.answer([], cache_time=60, is_personal=False, button=InlineQueryResultsButton(
            text=i18n.get("inline-paste-link"), start_parameter="inline"))
        return
    if inline_mode.storage_channel_id is None:
        await query.answer([InlineQueryResultArticle(
            id="not-configured", title=i18n.get("inline-not-configured-title"),
            description=i18n.get("inline-not-configured-text"),
            input_message_content=InputTextMessageContent(message_text=i18n.get("inline-not-configured-text")),
        )], cache_time=300)
        return
    platform, link = links[0].platform, links[0].link
    cached = await media_cache.get(platform, link.item_id) if link.item_id else None
    result = _cached_result(platform, link.item_id, cached, i18n) if link.item_id and cached else None
    if result is None:
        result = InlineQueryResultCachedPhoto(
            id=f"{PENDING}:{platform.value}", photo_file_id=await inline_mode.placeholder_file_id(),
            title=i18n.get("inline-send-title"), description=i18n.get("inline-send-description"),
            caption=i18n.get("inline-loading"), reply_markup=loading_keyboard(i18n.get),
        )
    await query.answer([result], cache_time=0, is_personal=True)


def _cached_result(platform: Platform, item_id: str, item: CachedItem,
                   i18n: I18nContext) -> InlineQueryResultCachedVideo | InlineQueryResultCachedPhoto | None:
    """An item already uploaded goes out as it is: no download, no upload, no placeholder."""
    text = caption(item.description, item.url, i18n.get)
    if item.kind is MediaKind.VIDEO:
        keyboard = music_keyboard(platform.value, item_id, i18n.get) if item.has_music else None
        return InlineQueryResultCachedVideo(
            id=f"{CACHED}:{platform.value}:{item_id}", video_file_id=item.files[0].file_id,
            title=i18n.get("inline-send-title"), caption=text, reply_markup=keyboard,
        )
    pages = item.pages
    if not pages or pages[0].kind is not FileKind.PHOTO:
        return None  # the placeholder flow shows the first page, whatever it is
    return InlineQueryResultCachedPhoto(
        id=f"{CACHED}:{platform.value}:{item_id}", photo_file_id=pages[0].file_id,
        title=i18n.get("inline-send-title"), caption=text,
        reply_markup=slide_keyboard(platform.value, item_id, 0, len(pages), i18n.get, with_music=item.has_music),
    )


async def deliver_chosen(result: ChosenInlineResult, deliverer: Deliverer, tasks: DeliveryTasks,
                         platforms: Platforms, spam: SpamGuard, i18n: I18nContext, bot: Bot) -> None:
    """Telegram reports the chosen result (inline feedback must be on: /setinlinefeedback in @BotFather)."""
    links = platforms.find_links(result.query)
    if not links or result.inline_message_id is None:
        return
    job = DeliveryJob(
        platform=links[0].platform, link=links[0].link.url, surface=Surface.INLINE, language=i18n.locale,
        user_id=result.from_user.id, inline_message_id=result.inline_message_id,
    )
    if result.result_id.startswith(f"{CACHED}:"):
        await deliverer.record_inline_hit(job, result.result_id.rsplit(":", 1)[1])
    elif await allowed(spam, result.from_user.id, 1, bot, None, i18n, inline_message_id=result.inline_message_id):
        await submit([job], tasks, platforms, bot, i18n)


def create_router() -> Router:
    router = Router(name="inline")
    router.inline_query.register(answer_query)
    router.chosen_inline_result.register(deliver_chosen)
    return router
