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
    Form,
    InlineMode,
    MediaCache,
    SpamGuard,
    Variant,
    caption,
    item_keyboard,
    loading_keyboard,
    slide_keyboard,
)
from media_types.cache import FileKind
from pipeline import Platforms

# Result id prefixes: "needs the chosen-result flow" / "complete as offered", for the post or a slideshow's video.
PENDING, CACHED, PENDING_VIDEO, CACHED_VIDEO = "p", "c", "pv", "cv"


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
    platform, item_id = links[0].platform, links[0].link.item_id
    cached = await media_cache.get(platform, item_id) if item_id else None
    result = cached_result(CACHED, platform, item_id, cached, i18n) if item_id and cached else None
    if result is None:
        result = await pending_result(PENDING, platform, inline_mode, i18n, "inline-send-title",
                                       "inline-send-description")
    results: list[InlineQueryResultCachedVideo | InlineQueryResultCachedPhoto | None] = [result]
    known = links[0].link.item()
    if (cached is not None and cached.slideshow) or (cached is None and known is not None and known.is_photo):
        # A slideshow (or what its link says is one) is also offered as one video with its sound.
        rendered = await media_cache.get(platform, item_id, Variant.RENDERED) if item_id else None
        results.append(cached_result(CACHED_VIDEO, platform, item_id, rendered, i18n) if item_id and rendered
                       else await pending_result(PENDING_VIDEO, platform, inline_mode, i18n, "inline-video-title",
                                                  "inline-video-description"))
    await query.answer([r for r in results if r is not None], cache_time=0, is_personal=True)


async def pending_result(prefix: str, platform: Platform, inline_mode: InlineMode, i18n: I18nContext, title: str,
                          description: str) -> InlineQueryResultCachedPhoto:
    """The "loading" picture; once chosen, the media replaces it (deliver_chosen)."""
    return InlineQueryResultCachedPhoto(
        id=f"{prefix}:{platform.value}", photo_file_id=await inline_mode.placeholder_file_id(),
        title=i18n.get(title), description=i18n.get(description),
        caption=i18n.get("inline-loading"), reply_markup=loading_keyboard(i18n.get),
    )


def cached_result(prefix: str, platform: Platform, item_id: str, item: CachedItem,
                   i18n: I18nContext) -> InlineQueryResultCachedVideo | InlineQueryResultCachedPhoto | None:
    """An item already uploaded goes out as it is: no download, no upload, no placeholder."""
    text = caption(item.description, item.url, i18n.get)
    if item.kind is MediaKind.VIDEO:
        keyboard = item_keyboard(platform.value, item_id, item, i18n.get)
        return InlineQueryResultCachedVideo(
            id=f"{prefix}:{platform.value}:{item_id}", video_file_id=item.files[0].file_id,
            title=i18n.get("inline-video-title" if prefix == CACHED_VIDEO else "inline-send-title"), caption=text,
            reply_markup=keyboard,
        )
    pages = item.pages
    if not pages or pages[0].kind is not FileKind.PHOTO:
        return None  # the placeholder flow shows the first page, whatever it is
    return InlineQueryResultCachedPhoto(
        id=f"{prefix}:{platform.value}:{item_id}", photo_file_id=pages[0].file_id,
        title=i18n.get("inline-send-title"), caption=text,
        reply_markup=slide_keyboard(platform.value, item_id, item, 0, i18n.get),
    )


async def deliver_chosen(result: ChosenInlineResult, deliverer: Deliverer, tasks: DeliveryTasks,
                         platforms: Platforms, spam: SpamGuard, i18n: I18nContext, bot: Bot) -> None:
    """Telegram reports the chosen result (inline feedback must be on: /setinlinefeedback in @BotFather)."""
    links = platforms.find_links(result.query)
    if not links or result.inline_message_id is None:
        return
    prefix = result.result_id.split(":", 1)[0]
    job = DeliveryJob(
        platform=links[0].platform, link=links[0].link.url, surface=Surface.INLINE, language=i18n.locale,
        user_id=result.from_user.id, inline_message_id=result.inline_message_id,
        form=Form.VIDEO if prefix in (PENDING_VIDEO, CACHED_VIDEO) else Form.POST,
    )
    if prefix in (CACHED, CACHED_VIDEO):
        await deliverer.record_inline_hit(job, result.result_id.split(":")[2])
    elif await allowed(spam, result.from_user.id, 1, bot, None, i18n, inline_message_id=result.inline_message_id):
        await submit([job], tasks, platforms, bot, i18n)


def create_router() -> Router:
    router = Router(name="inline")
    router.inline_query.register(answer_query)
    router.chosen_inline_result.register(deliver_chosen)
    return router
