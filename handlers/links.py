"""Messages with links: in private chats and in groups, each supported link becomes a delivery.
Private chats also get told what to send instead; groups hear nothing unless a link is supported."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import Message
from aiogram_i18n import I18nContext

from data import Platform, Repositories, Surface
from media_types import Deliverer, DeliveryJob
from tiktok_api import TikTokLink, find_links

# Messages that carry media instead of a link.
_MEDIA_KINDS = ("photo", "video", "voice", "audio", "video_note", "document", "sticker", "animation")


def message_urls(message: Message) -> tuple[str | None, list[str]]:
    """The message's text (or caption) and the addresses behind its text_link entities."""
    text = message.text or message.caption
    entities = message.entities or message.caption_entities or []
    return text, [entity.url for entity in entities if entity.type == "text_link" and entity.url]


class HasLinks(Filter):
    """Passes messages with at least one supported link, handing the links to the handler."""

    async def __call__(self, message: Message) -> bool | dict:
        text, entity_urls = message_urls(message)
        links = find_links(text, entity_urls)
        return {"links": links} if links else False


async def deliver_links(
    message: Message, links: list[TikTokLink], deliverer: Deliverer, repositories: Repositories, i18n: I18nContext,
) -> None:
    chat = await repositories.chats.get(message.chat.id)
    surface = Surface.PRIVATE if message.chat.type == ChatType.PRIVATE else Surface.GROUP
    for link in links:
        await deliverer.deliver(DeliveryJob(
            platform=Platform.TIKTOK, link=link.url, surface=surface, language=i18n.locale,
            file_mode=bool(chat and chat.file_mode), chat_id=message.chat.id,
            user_id=message.from_user.id if message.from_user else None, reply_to=message.message_id,
        ))


async def explain_what_to_send(message: Message, i18n: I18nContext) -> None:
    """A private message without a supported link: say what the bot needs."""
    text, entity_urls = message_urls(message)
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
    return router
