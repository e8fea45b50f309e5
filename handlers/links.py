"""Messages with links: in private chats and in groups, each supported link becomes a delivery.
Private chats also get told what to send instead; groups hear nothing unless a link is supported."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message
from aiogram_i18n import I18nContext

from data import Platform, Surface
from data.models import Chat
from handlers.requests import allowed, submit
from media_types import DeliveryJob, DeliveryTasks, RetryButton, SpamGuard, position_of
from pipeline import FoundLink, Platforms

# Messages that carry media instead of a link.
_MEDIA_KINDS = ("photo", "video", "voice", "audio", "video_note", "document", "sticker", "animation")


def message_urls(message: Message) -> tuple[str | None, list[str]]:
    """The message's text (or caption) and the addresses behind its text_link entities."""
    text = message.text or message.caption
    entities = message.entities or message.caption_entities or []
    return text, [entity.url for entity in entities if entity.type == "text_link" and entity.url]


def sender_id(message: Message) -> int:
    """Who the spam guard counts: the chat a message was sent on behalf of (an anonymous admin, a channel,
    a linked channel), whose messages all come from one shared service user; else the user."""
    if message.sender_chat is not None:
        return message.sender_chat.id
    return message.from_user.id if message.from_user is not None else message.chat.id


class HasLinks(Filter):
    """Passes messages with at least one supported link, handing the links to the handler."""

    async def __call__(self, message: Message, platforms: Platforms) -> bool | dict[str, list[FoundLink]]:
        text, entity_urls = message_urls(message)
        links = platforms.find_links(text, entity_urls)
        return {"links": links} if links else False


def _jobs(links: list[FoundLink], chat_id: int, chat_type: str, user_id: int | None, message_id: int,
          reply_to: int | None, chat_settings: Chat | None, i18n: I18nContext) -> list[DeliveryJob]:
    """One job per link, in the order of the links; `message_id` places them in the chat's order."""
    surface = Surface.PRIVATE if chat_type == ChatType.PRIVATE else Surface.GROUP
    file_mode = bool(chat_settings and chat_settings.file_mode)
    slideshow_video = bool(chat_settings and chat_settings.slideshow_video)
    return [
        DeliveryJob(platform=found.platform, link=found.link.url, surface=surface, language=i18n.locale,
                    file_mode=file_mode, slideshow_video=slideshow_video, chat_id=chat_id, user_id=user_id,
                    reply_to=reply_to, position=position_of(message_id, index))
        for index, found in enumerate(links)
    ]


async def deliver_links(
    message: Message, links: list[FoundLink], tasks: DeliveryTasks,
    spam: SpamGuard, chat_settings: Chat | None, i18n: I18nContext, bot: Bot, platforms: Platforms,
) -> None:
    if not await allowed(spam, sender_id(message), len(links), bot, message.chat.id, i18n):
        return
    user_id = message.from_user.id if message.from_user else None
    jobs = _jobs(links, message.chat.id, message.chat.type, user_id, message.message_id, message.message_id,
                 chat_settings, i18n)
    await submit(jobs, tasks, platforms, bot, i18n)


async def retry(
    callback: CallbackQuery, callback_data: RetryButton, tasks: DeliveryTasks,
    spam: SpamGuard, chat_settings: Chat | None, i18n: I18nContext, bot: Bot, platforms: Platforms,
) -> None:
    """The retry button of a refused request: the same way in as a new message."""
    await callback.answer()
    platform = Platform(callback_data.platform)
    link = platforms.from_token(platform, callback_data.token)
    message = callback.message
    if link is None or not isinstance(message, Message):
        return
    if not await allowed(spam, callback.from_user.id, 1, bot, message.chat.id, i18n):
        return
    jobs = _jobs([FoundLink(platform, link)], message.chat.id, message.chat.type, callback.from_user.id,
                 message.message_id, None, chat_settings, i18n)
    await submit(jobs, tasks, platforms, bot, i18n)


async def explain_what_to_send(message: Message, i18n: I18nContext) -> None:
    """A private message without a supported link: say what the bot needs."""
    _text, entity_urls = message_urls(message)
    has_url = bool(entity_urls) or any(entity.type == "url" for entity in message.entities or [])
    if any(getattr(message, kind) for kind in _MEDIA_KINDS):
        key = "error-not-a-link"
    elif has_url:
        key = "error-unsupported-link"
    else:
        key = "error-no-link"
    await message.reply(i18n.get(key))


def create_router() -> Router:
    router = Router(name="links")
    router.message.register(deliver_links, HasLinks())
    router.message.register(explain_what_to_send, F.chat.type == ChatType.PRIVATE)
    router.callback_query.register(retry, RetryButton.filter(F.platform.in_([p.value for p in Platform])))
    return router
