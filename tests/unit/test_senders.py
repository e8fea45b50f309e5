"""One sender per surface, driven through the real aiogram Bot against the fake Telegram."""

from __future__ import annotations

import io

import pytest
from aiogram import Bot
from aiogram.types import BufferedInputFile
from PIL import Image

from data import MediaKind, Platform, Surface
from media_types.cache import CachedItem, FileKind, SentFile
from media_types.job import DeliveryJob
from media_types.senders import ChatBlockedError, ChatSender, Senders
from media_types.senders.chat import GroupSender
from media_types.senders.inline import InlineSender
from media_types.texts import MusicButton

ITEM = "7312345678901234567"
LINK = f"https://www.tiktok.com/@scout/video/{ITEM}"
USER, GROUP, STORAGE = 4242, -1001234, -1007777


def t(key: str, **arguments: object) -> str:
    """A translator without i18n: the key, then its arguments."""
    return " ".join([key, *(f"{name}={value}" for name, value in sorted(arguments.items()))])


def jpeg(side: int = 64) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (side, side), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


VIDEO = CachedItem(kind=MediaKind.VIDEO, url=LINK, description="Sunset & sea", has_music=True)
SILENT = CachedItem(kind=MediaKind.VIDEO, url=LINK, description="No sound here")
GALLERY = CachedItem(kind=MediaKind.IMAGES, url=LINK, description="Twelve pictures")


@pytest.fixture
async def video_id(bot: Bot, telegram) -> str:
    """A video Telegram already has (uploaded once to the storage channel), to send again by file id."""
    message = await bot.send_video(STORAGE, BufferedInputFile(b"\x00\x00\x00\x18ftypmp42" + bytes(2000), "v.mp4"))
    telegram.reset_calls()
    return message.video.file_id


def private_job(telegram, **fields: object) -> DeliveryJob:
    """A job answering a link the user just sent in private (the message is there to reply to)."""
    link_message = telegram.private_message(USER, LINK)["message"]
    return DeliveryJob(Platform.TIKTOK, LINK, Surface.PRIVATE, "en", chat_id=USER, user_id=USER,
                       reply_to=link_message["message_id"], **fields)


def group_job(telegram) -> DeliveryJob:
    link_message = telegram.group_message(GROUP, USER, LINK)["message"]
    return DeliveryJob(Platform.TIKTOK, LINK, Surface.GROUP, "en", chat_id=GROUP, user_id=USER,
                       reply_to=link_message["message_id"])


def inline_job() -> DeliveryJob:
    return DeliveryJob(Platform.TIKTOK, LINK, Surface.INLINE, "en", user_id=USER, inline_message_id="inline-77")


async def test_a_video_by_file_id_is_a_reply_with_its_caption_and_sound_button(bot, telegram, video_id) -> None:
    job = private_job(telegram)
    sent = await ChatSender(bot, job, t).video(ITEM, VIDEO, video_id)

    [call] = telegram.calls_to("sendVideo")
    assert call.ok and call.params["chat_id"] == USER and call.params["video"] == video_id
    assert call.params["reply_parameters"]["message_id"] == job.reply_to
    assert call.result["reply_to_message"]["message_id"] == job.reply_to
    assert call.params["caption"] == f'Sunset &amp; sea\n\n<a href="{LINK}">caption-source</a>'
    [[button]] = call.params["reply_markup"]["inline_keyboard"]
    assert button == {"text": "button-sound", "callback_data": MusicButton(platform="tiktok", item_id=ITEM).pack()}
    assert sent == SentFile(FileKind.VIDEO, call.result["video"]["file_id"])


async def test_a_video_without_sound_has_no_button(bot, telegram, video_id) -> None:
    await ChatSender(bot, private_job(telegram), t).video(ITEM, SILENT, video_id)
    [call] = telegram.calls_to("sendVideo")
    assert "reply_markup" not in call.params


async def test_as_document_sends_the_original_file(bot, telegram, video_id) -> None:
    sent = await ChatSender(bot, private_job(telegram, file_mode=True), t).video(
        ITEM, VIDEO, video_id, as_document=True)
    [call] = telegram.calls_to("sendDocument")
    assert call.params["chat_id"] == USER and call.params["document"] == video_id
    assert "caption-source" in call.params["caption"]
    assert telegram.calls_to("sendVideo") == []
    assert sent.kind is FileKind.DOCUMENT


async def test_a_group_gets_one_album_of_a_big_gallery_with_a_note(bot, telegram) -> None:
    uploads = [(FileKind.PHOTO, BufferedInputFile(jpeg(), f"{i}.jpg")) for i in range(12)]
    sent = await GroupSender(bot, group_job(telegram), t).gallery(ITEM, GALLERY, uploads)

    [album] = telegram.calls_to("sendMediaGroup")
    assert album.ok and album.params["chat_id"] == GROUP and len(album.params["media"]) == 10
    assert album.params["media"][0]["caption"].endswith("images-more-in-private shown=10 total=12")
    assert all("caption" not in item for item in album.params["media"][1:])
    assert telegram.calls_to("sendPhoto") == []
    assert len(sent) == 10 and {file.kind for file in sent} == {FileKind.PHOTO}


async def test_a_private_chat_gets_the_whole_gallery_in_even_albums(bot, telegram) -> None:
    uploads = [(FileKind.PHOTO, BufferedInputFile(jpeg(), f"{i}.jpg")) for i in range(12)]
    sent = await ChatSender(bot, private_job(telegram), t).gallery(ITEM, GALLERY, uploads)
    assert [len(call.params["media"]) for call in telegram.calls_to("sendMediaGroup")] == [6, 6]
    assert "images-more-in-private" not in telegram.calls_to("sendMediaGroup")[0].params["media"][0]["caption"]
    assert len(sent) == 12


async def test_a_group_hears_of_a_failure_by_a_reaction(bot, telegram) -> None:
    job = group_job(telegram)
    await GroupSender(bot, job, t).report("error-deleted")
    [reaction] = telegram.calls_to("setMessageReaction")
    assert reaction.ok and reaction.params["chat_id"] == GROUP and reaction.params["message_id"] == job.reply_to
    assert reaction.params["reaction"] == [{"type": "emoji", "emoji": "😢"}]
    assert telegram.calls_to("sendMessage") == []


async def test_news_for_everyone_is_a_message_even_in_a_group(bot, telegram) -> None:
    await GroupSender(bot, group_job(telegram), t).report("restarting", quiet_in_groups=False)
    [message] = telegram.calls_to("sendMessage")
    assert message.params["chat_id"] == GROUP and message.params["text"] == "restarting"
    assert telegram.calls_to("setMessageReaction") == []


async def test_a_private_chat_hears_of_a_failure_by_a_message(bot, telegram) -> None:
    job = private_job(telegram)
    await ChatSender(bot, job, t).report("error-deleted")
    [message] = telegram.calls_to("sendMessage")
    assert message.params["chat_id"] == USER and message.params["text"] == "error-deleted"
    assert message.params["reply_parameters"]["message_id"] == job.reply_to


async def test_an_inline_message_shows_the_failure_in_its_caption(bot, telegram) -> None:
    await InlineSender(bot, inline_job(), t, STORAGE).report("error-private")
    [edit] = telegram.calls_to("editMessageCaption")
    assert edit.ok and edit.params["inline_message_id"] == "inline-77" and edit.params["caption"] == "error-private"
    assert telegram.calls_to("sendMessage") == []


async def test_a_new_inline_video_goes_to_the_storage_channel_first(bot, telegram) -> None:
    job = inline_job()
    upload = BufferedInputFile(b"\x00\x00\x00\x18ftypmp42" + bytes(2000), "v.mp4")
    sent = await InlineSender(bot, job, t, STORAGE).video(ITEM, VIDEO, upload)

    [stored] = telegram.calls_to("sendVideo")
    assert stored.params["chat_id"] == STORAGE and stored.upload("video").size == 2012
    assert job.request_id in stored.params["caption"] and str(USER) not in stored.params["caption"]
    [edit] = telegram.calls_to("editMessageMedia")
    assert edit.params["inline_message_id"] == "inline-77"
    assert edit.params["media"]["media"] == sent.file_id == stored.result["video"]["file_id"]


async def test_a_blocked_chat_stops_the_work(bot, telegram, video_id) -> None:
    job = private_job(telegram)
    telegram.block_chat(USER)
    with pytest.raises(ChatBlockedError):
        await ChatSender(bot, job, t).video(ITEM, VIDEO, video_id)
    await ChatSender(bot, job, t).report("error-deleted")  # a report to a blocked chat is given up quietly
    assert [call.error for call in telegram.calls] == ["Forbidden: bot was blocked by the user"] * 2


@pytest.mark.parametrize(("surface", "kind"), [
    (Surface.PRIVATE, ChatSender), (Surface.GROUP, GroupSender), (Surface.INLINE, InlineSender),
])
async def test_senders_pick_one_class_per_surface(bot, surface: Surface, kind: type) -> None:
    languages: list[str] = []

    def translate(language: str):
        languages.append(language)
        return t

    job = DeliveryJob(Platform.TIKTOK, LINK, surface, "de", chat_id=None if surface is Surface.INLINE else GROUP,
                      user_id=USER, inline_message_id="inline-1" if surface is Surface.INLINE else None)
    sender = Senders(bot=bot, translate=translate, storage_channel_id=STORAGE).for_job(job)
    assert type(sender) is kind and sender.job is job and sender.t is t
    assert languages == ["de"]
