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

from data import Platform, Surface
from pipeline import Platforms
from handlers.requests import submit
from media_types import (
    Deliverer,
    DeliveryJob,
    DeliveryTasks,
    caption,
    loading_keyboard,
    music_keyboard,
    slide_keyboard,
)

PENDING, CACHED = "p", "c"  # result id prefixes: "needs the chosen-result flow" / "complete as offered"


async def answer_query(query: InlineQuery, deliverer: Deliverer, platforms: Platforms, i18n: I18nContext) -> None:
    links = platforms.find_links(query.query)
    if not links:
        await query.answer([], cache_time=60, is_personal=False, button=InlineQueryResultsButton(
            text=i18n.get("inline-paste-link"), start_parameter="inline"))
        return
    if deliverer.storage_channel_id is None:
        await query.answer([InlineQueryResultArticle(
            id="not-configured", title=i18n.get("inline-not-configured-title"),
            description=i18n.get("inline-not-configured-text"),
            input_message_content=InputTextMessageContent(message_text=i18n.get("inline-not-configured-text")),
        )], cache_time=300)
        return
    platform, link = links[0].platform, links[0].link
    result = await _cached_result(platform, link.item_id, deliverer, i18n) if link.item_id else None
    if result is None:
        result = InlineQueryResultCachedPhoto(
            id=f"{PENDING}:{platform.value}", photo_file_id=await deliverer.placeholder_file_id(),
            title=i18n.get("inline-send-title"), description=i18n.get("inline-send-description"),
            caption=i18n.get("inline-loading"), reply_markup=loading_keyboard(i18n.get),
        )
    await query.answer([result], cache_time=0, is_personal=True)


async def _cached_result(platform: Platform, item_id: str, deliverer: Deliverer, i18n: I18nContext):
    """An item already uploaded goes out as it is: no download, no upload, no placeholder."""
    item = await deliverer.cached(platform, item_id)
    if item is None:
        return None
    text = caption(item.description, item.url, i18n.get)
    if item.kind == "video":
        keyboard = music_keyboard(platform.value, item_id, i18n.get) if item.has_music else None
        return InlineQueryResultCachedVideo(
            id=f"{CACHED}:{platform.value}:{item_id}", video_file_id=item.files[0].file_id,
            title=i18n.get("inline-send-title"), caption=text, reply_markup=keyboard,
        )
    pages = [f for f in item.files if f.kind in ("photo", "video")]
    if not pages or pages[0].kind != "photo":
        return None  # the placeholder flow shows the first page, whatever it is
    return InlineQueryResultCachedPhoto(
        id=f"{CACHED}:{platform.value}:{item_id}", photo_file_id=pages[0].file_id,
        title=i18n.get("inline-send-title"), caption=text,
        reply_markup=slide_keyboard(platform.value, item_id, 0, len(pages), i18n.get, with_music=item.has_music),
    )


async def deliver_chosen(result: ChosenInlineResult, deliverer: Deliverer, tasks: DeliveryTasks,
                         platforms: Platforms, i18n: I18nContext, bot: Bot) -> None:
    """Telegram reports the chosen result (inline feedback must be on: /setinlinefeedback in @BotFather)."""
    links = platforms.find_links(result.query)
    if not links or result.inline_message_id is None:
        return
    platform, link = links[0].platform, links[0].link
    job = DeliveryJob(
        platform=platform, link=link.url, surface=Surface.INLINE, language=i18n.locale,
        user_id=result.from_user.id, inline_message_id=result.inline_message_id,
    )
    if result.result_id.startswith(f"{CACHED}:"):
        await deliverer.record_cached_inline(job, result.result_id.rsplit(":", 1)[1])
    else:
        await submit([job], tasks, deliverer, bot, i18n)


def create_router() -> Router:
    router = Router(name="inline")
    router.inline_query.register(answer_query)
    router.chosen_inline_result.register(deliver_chosen)
    return router
