"""Admin tools (ADMIN_IDS only, checked on every handler and every button): /stats with a chart,
/broadcast (reply to the message to send), /export (CSV of chats)."""

from __future__ import annotations

import csv
import html
import io

from aiogram import Router
from aiogram.filters import Command, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_i18n import I18nContext

from data import Repositories, Settings
from data.models import BroadcastStatus
from media_types import ImageProcessor
from media_types.broadcast import Broadcaster
from media_types.charts import render_daily_chart
from pipeline import Platforms


class IsAdmin(Filter):
    async def __call__(self, event: Message | CallbackQuery, settings: Settings) -> bool:
        return event.from_user is not None and event.from_user.id in settings.admin_ids


class BroadcastChoice(CallbackData, prefix="bc"):
    broadcast_id: int
    send: bool


def _counts(values: dict[str, int] | list[tuple[str, int]]) -> str:
    items = values.items() if isinstance(values, dict) else values
    return html.escape(", ".join(f"{name} {count}" for name, count in items)) or "—"


async def stats(message: Message, repositories: Repositories, images: ImageProcessor, platforms: Platforms,
                i18n: I18nContext) -> None:
    await repositories.downloads.flush()
    figures = await repositories.stats.collect()
    await message.answer(i18n.get(
        "admin-stats", users=figures.users, blocked=figures.blocked, groups=figures.groups,
        day=figures.downloads["24h"], week=figures.downloads["7d"], month=figures.downloads["30d"],
        total=figures.downloads["all"], platforms=_counts(figures.by_platform), kinds=_counts(figures.by_kind),
        hits=round(figures.cache_hit_ratio * 100), errors=_counts(figures.top_errors),
    ) + "\n" + i18n.get("admin-proxies", states=html.escape("\n" + "\n".join(platforms.proxy_reports()))))
    points = [(day.strftime("%d.%m"), count) for day, count in figures.daily]
    chart = await images.render(render_daily_chart, points, i18n.get("admin-chart-title"))
    await message.answer_photo(BufferedInputFile(chart, "downloads.png"))


async def export(message: Message, repositories: Repositories) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "kind", "language", "file_mode", "registered_at", "referral", "blocked_at",
                     "slideshow_video"])
    for chat in await repositories.chats.export():
        writer.writerow([chat.id, chat.kind, chat.language or "", int(chat.file_mode), chat.registered_at,
                         chat.referral or "", chat.blocked_at or "", int(chat.slideshow_video)])
    await message.answer_document(BufferedInputFile(buffer.getvalue().encode("utf-8"), "chats.csv"))


async def broadcast(message: Message, repositories: Repositories, i18n: I18nContext) -> None:
    source = message.reply_to_message
    if source is None or message.from_user is None:
        await message.answer(i18n.get("broadcast-usage"))
        return
    broadcast_id = await repositories.broadcasts.create(message.from_user.id, source.chat.id, source.message_id)
    audience = await repositories.broadcasts.audience()
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[
        InlineKeyboardButton(text=i18n.get("broadcast-send", total=audience),
                             callback_data=BroadcastChoice(broadcast_id=broadcast_id, send=True).pack()),
        InlineKeyboardButton(text=i18n.get("broadcast-cancel"),
                             callback_data=BroadcastChoice(broadcast_id=broadcast_id, send=False).pack()),
    ]])
    await message.answer(i18n.get("broadcast-confirm", total=audience), reply_markup=keyboard)


async def confirm_broadcast(callback: CallbackQuery, callback_data: BroadcastChoice, repositories: Repositories,
                            broadcaster: Broadcaster, i18n: I18nContext) -> None:
    target = BroadcastStatus.RUNNING if callback_data.send else BroadcastStatus.CANCELLED
    moved = await repositories.broadcasts.set_status(callback_data.broadcast_id, target,
                                                     only_from=BroadcastStatus.DRAFT)
    await callback.answer()
    if isinstance(callback.message, Message):
        await callback.message.edit_reply_markup(reply_markup=None)
    if moved and callback_data.send:
        broadcaster.start(callback_data.broadcast_id, callback.from_user.id, i18n.locale)


def create_router() -> Router:
    """Every handler carries IsAdmin itself: a non-admin's command falls through to the link handler
    (which treats it as text), and a non-admin's button press does nothing."""
    router = Router(name="admin")
    router.message.register(stats, Command("stats"), IsAdmin())
    router.message.register(export, Command("export"), IsAdmin())
    router.message.register(broadcast, Command("broadcast"), IsAdmin())
    router.callback_query.register(confirm_broadcast, BroadcastChoice.filter(), IsAdmin())
    router.callback_query.register(ignore_button, BroadcastChoice.filter())
    return router


async def ignore_button(callback: CallbackQuery) -> None:
    await callback.answer()
