"""The fake Bot API server, driven by the real aiogram client over HTTP."""

import asyncio
import io
import json
import time
import urllib.request

import aiohttp
import pytest
import pytest_asyncio
from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import AnswerGuestQuery
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultCachedVideo,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    InputTextMessageContent,
    Message,
)
from PIL import Image

from tests.fakes.telegram import FakeTelegram, html_error, utf16_len

USER = 4242
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture
def fake():
    with FakeTelegram() as server:
        yield server


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def session():
    """One HTTP session for the module: closing one costs aiogram a fixed 0.25 s sleep."""
    session = AiohttpSession()
    yield session
    await session.close()


@pytest.fixture
def bot(fake, session):
    session.api = TelegramAPIServer.from_base(fake.base_url)
    return Bot(fake.token, session=session)


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


async def post(fake: FakeTelegram, method: str, data: dict, token: str | None = None) -> tuple[int, dict]:
    """A raw call, for requests aiogram's typed methods refuse to build."""
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.base_url}/bot{token or fake.token}/{method}", data=data) as response:
            return response.status, await response.json()


async def test_get_me_describes_the_bot(bot):
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (123456, "test_downloader_bot", True)
    assert me.supports_inline_queries and me.can_join_groups


async def test_send_message_is_recorded_and_answered_like_telegram(bot, fake):
    keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Again", callback_data="again")]])

    first = await bot.send_message(USER, "<b>Hi</b> there", parse_mode="HTML", reply_markup=keyboard)
    second = await bot.send_message(USER, "bye")

    assert second.message_id == first.message_id + 1
    assert first.text == "Hi there" and first.entities[0].type == "bold" and first.entities[0].length == 2
    assert first.reply_markup.inline_keyboard[0][0].callback_data == "again" and first.from_user.id == 123456
    call = fake.sent_messages()[0]
    assert call.method == "sendMessage" and call.params["chat_id"] == USER
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "Again", "callback_data": "again"}]]}


@pytest.mark.parametrize("text", ["<b>unclosed", "1 < 2", "<blink>x</blink>", "fish & chips", "<b><i>x</b></i>"])
async def test_unparsable_html_is_rejected(bot, fake, text):
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(USER, text, parse_mode="HTML")

    assert fake.calls_to("sendMessage")[-1].error.startswith("Bad Request: can't parse entities")
    assert html_error(text) == fake.calls_to("sendMessage")[-1].error and html_error("<b>fine</b>") is None


async def test_callback_data_is_limited_to_64_bytes_not_characters(bot):
    def keyboard(data: str) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="go", callback_data=data)]])

    await bot.send_message(USER, "ok", reply_markup=keyboard("ж" * 32))  # 64 bytes
    with pytest.raises(TelegramBadRequest, match="BUTTON_DATA_INVALID"):
        await bot.send_message(USER, "too long", reply_markup=keyboard("ж" * 32 + "x"))  # 65 bytes


async def test_button_without_action_is_rejected(bot):
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="dead")]])

    with pytest.raises(TelegramBadRequest, match="Text buttons are unallowed"):
        await bot.send_message(USER, "x", reply_markup=markup)


async def test_unknown_field_is_rejected(fake):
    status, body = await post(fake, "sendMessage", {"chat_id": "1", "text": "x", "colour": "red"})

    assert status == 400 and body["ok"] is False and body["error_code"] == 400
    assert 'unknown field "colour"' in body["description"]
    assert fake.calls_to("sendMessage")[0].error == body["description"]


async def test_unknown_nested_field_and_wrong_types_are_rejected(fake):
    markup = '{"inline_keyboard": [[{"text": "a", "callback_data": "b", "colour": 1}]]}'
    _, nested = await post(fake, "sendMessage", {"chat_id": "1", "text": "x", "reply_markup": markup})
    _, wrong_type = await post(fake, "deleteMessage", {"chat_id": "1", "message_id": "abc"})
    _, wrong_bool = await post(fake, "sendMessage", {"chat_id": "1", "text": "x", "disable_notification": "yes"})

    assert 'unknown field "reply_markup.inline_keyboard[0][0].colour"' in nested["description"]
    assert 'field "message_id" must be of type Integer' in wrong_type["description"]
    assert 'field "disable_notification" must be of type Boolean' in wrong_bool["description"]


async def test_missing_required_field_is_rejected(bot, fake):
    with pytest.raises(TelegramBadRequest, match='field "text" is required'):
        await bot.send_message(USER, "")  # aiogram drops empty values, as with a real bot bug

    status, body = await post(fake, "sendMessage", {"text": "no chat"})
    assert status == 400 and 'field "chat_id" is required' in body["description"]


async def test_unknown_method_and_wrong_token(fake):
    assert (await post(fake, "sendTelepathy", {}))[0] == 404
    status, body = await post(fake, "getMe", {}, token="999:wrong")
    assert (status, body["description"]) == (401, "Unauthorized")


async def test_uploaded_video_gets_a_file_id_that_can_be_resent_and_downloaded(bot, fake):
    payload = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 40

    sent = await bot.send_video(USER, BufferedInputFile(payload, "clip.mp4"), caption="clip", width=720,
                                height=1280, duration=9)

    [upload] = fake.calls_to("sendVideo")[0].files.values()
    assert upload.data == payload and upload.filename == "clip.mp4"
    video = sent.video
    assert video.file_id.startswith("FAKE-video") and video.file_size == len(payload)
    assert (video.width, video.height, video.duration, video.file_name, video.mime_type) == (
        720, 1280, 9, "clip.mp4", "video/mp4")
    again = await bot.send_video(USER + 1, video.file_id)
    assert (again.video.file_id, again.video.file_unique_id, again.video.file_size) == (
        video.file_id, video.file_unique_id, len(payload))
    assert (await bot.download(video.file_id)).read() == payload


async def test_made_up_or_forgotten_file_id_is_rejected(bot, fake):
    with pytest.raises(TelegramBadRequest, match="wrong file identifier/HTTP URL specified"):
        await bot.send_video(USER, "BAACAgIAAxkBAAIBZ2madeup")

    sent = await bot.send_document(USER, BufferedInputFile(b"%PDF-1.4", "a.pdf"))
    fake.forget_file_id(sent.document.file_id)
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_document(USER, sent.document.file_id)


async def test_urls_are_accepted_and_recorded(bot, fake):
    sent = await bot.send_photo(USER, "https://example.com/cat.jpg")

    assert sent.photo[-1].file_id.startswith("FAKE-photo")
    assert fake.calls_to("sendPhoto")[0].params["photo"] == "https://example.com/cat.jpg"


async def test_media_group_needs_two_to_ten_items_of_compatible_kinds(bot, fake):
    def photos(count: int) -> list[InputMediaPhoto]:
        return [InputMediaPhoto(media=BufferedInputFile(jpeg(40, 30), f"{i}.jpg")) for i in range(count)]

    for count in (1, 11):
        with pytest.raises(TelegramBadRequest, match="2-10 items"):
            await bot.send_media_group(USER, photos(count))
    mixed = [photos(1)[0], InputMediaDocument(media=BufferedInputFile(b"doc", "a.txt"))]
    with pytest.raises(TelegramBadRequest, match="document can't be mixed"):
        await bot.send_media_group(USER, mixed)

    album = await bot.send_media_group(USER, [*photos(1), InputMediaVideo(media=BufferedInputFile(b"v", "v.mp4"))])

    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    assert album[0].photo[-1].width == 40 and album[1].video.file_name == "v.mp4"
    assert len(fake.calls_to("sendMediaGroup")[-1].files) == 2


async def test_photo_with_extreme_dimensions_is_rejected(bot):
    with pytest.raises(TelegramBadRequest, match="PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(USER, BufferedInputFile(jpeg(12000, 800), "wide.jpg"))

    sent = await bot.send_photo(USER, BufferedInputFile(jpeg(1280, 720), "ok.jpg"))
    assert [(size.width, size.height) for size in sent.photo] == [(320, 180), (1280, 720)]


async def test_scripted_429_surfaces_retry_after(bot, fake):
    fake.fail_next("sendMessage", retry_after=7)

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER, "first")
    assert caught.value.retry_after == 7 and "retry after 7" in caught.value.message
    assert (await bot.send_message(USER, "second")).text == "second"


async def test_blocked_chat_surfaces_forbidden(bot, fake):
    fake.block_chat(USER)

    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(USER, "hello?")
    await bot.send_message(USER + 1, "others still work")
    fake.fail_next("sendChatAction", error_code=403, predicate=lambda params: params["chat_id"] == USER + 1)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_chat_action(USER + 1, "upload_video")


async def test_get_updates_confirms_with_offset(bot, fake):
    injected = [fake.private_message(USER, f"m{i}") for i in range(3)]

    seen, offset = [], None
    for _ in range(5):
        updates = await bot.get_updates(offset=offset, limit=2, timeout=0)
        if not updates:
            break
        seen += [update.update_id for update in updates]
        offset = updates[-1].update_id + 1

    assert seen == [update["update_id"] for update in injected]
    assert await bot.get_updates(offset=offset) == []


async def test_get_updates_without_offset_repeats_and_respects_allowed_updates(bot, fake):
    fake.private_message(USER, "hi")
    fake.inline_query(USER, "cats")

    assert len(await bot.get_updates()) == len(await bot.get_updates()) == 2
    only_messages = await bot.get_updates(allowed_updates=["message"])
    assert [update.message.text for update in only_messages] == ["hi"]


async def test_long_poll_returns_as_soon_as_an_update_arrives(bot, fake):
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    fake.command(USER, "start", "привет 😀")

    updates = await asyncio.wait_for(poll, 2)

    assert time.monotonic() - started < 1
    message = updates[0].message
    assert message.text == "/start привет 😀" and message.entities[0].length == 6


async def test_injected_updates_have_utf16_entities(fake):
    mention = fake.command(USER, "get", "x", chat_id=-1001, mention=True)["message"]
    link = fake.private_message(USER, "😀 look https://vm.tiktok.com/ZMabc/.")["message"]

    assert mention["chat"]["type"] == "supergroup"
    assert mention["entities"] == [{"type": "bot_command", "offset": 0, "length": len("/get@test_downloader_bot")}]
    url = "https://vm.tiktok.com/ZMabc/"
    assert link["entities"] == [{"type": "url", "offset": utf16_len("😀 look "), "length": len(url)}]
    assert Message.model_validate(link).entities[0].extract_from(link["text"]) == "https://vm.tiktok.com/ZMabc/"


async def test_dispatcher_round_trip_with_callback_and_edit(bot, fake):
    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="Edit", callback_data="e")]])
        await message.answer(message.text.upper(), reply_markup=keyboard)

    @dp.callback_query()
    async def edit(query) -> None:
        await query.message.edit_text("edited")
        await query.answer()

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=1))
    try:
        fake.private_message(USER, "hello")
        [reply] = await fake.await_for("sendMessage", timeout=5)
        fake.callback_query(USER, "e", message=reply.result)
        [edited] = await fake.await_for("editMessageText", timeout=5)
        await fake.await_for("answerCallbackQuery", timeout=5)
    finally:
        await dp.stop_polling()
        await polling

    assert reply.result["text"] == "HELLO" and edited.ok and edited.result["text"] == "edited"
    assert "reply_markup" not in edited.result  # editing without a keyboard removes it, as in Telegram


async def test_edits_follow_telegram_rules(bot, fake):
    sent = await bot.send_message(USER, "same")

    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("same", chat_id=USER, message_id=sent.message_id)
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=999)
    media = InputMediaPhoto(media=BufferedInputFile(jpeg(50, 50), "p.jpg"))
    assert await bot.edit_message_media(media, inline_message_id="inline-1") is True
    assert fake.calls_to("editMessageMedia")[0].params["media"]["media"].startswith("attach://")
    assert await bot.delete_message(USER, sent.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, sent.message_id)


async def test_commands_members_and_chats(bot, fake):
    await bot.set_my_commands([BotCommand(command="start", description="Start")],
                              scope=BotCommandScopeAllPrivateChats(), language_code="en")
    fake.set_chat_member(-1001, USER, "creator")

    private = await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
    assert [command.command for command in private] == ["start"]
    assert await bot.get_my_commands() == []
    assert (await bot.get_chat_member(-1001, USER)).status == "creator"
    assert (await bot.get_chat_member(-1001, USER + 1)).status == "member"
    assert (await bot.get_chat(-1001)).type == "supergroup"


async def test_waiting_helpers_find_calls_or_report_recent_ones(bot, fake):
    await bot.get_updates()
    await bot.send_message(USER, "hi")

    assert fake.wait_for("sendMessage")[0].params["text"] == "hi"
    with pytest.raises(AssertionError, match=r"expected 1 call\(s\) to sendVideo.*\n  sendMessage -> ok") as caught:
        await fake.await_for("sendVideo", timeout=0.05)
    assert "getUpdates" not in str(caught.value)


async def test_fields_aiogram_still_sends_for_bot_defaults_are_accepted(bot, fake):
    defaults = DefaultBotProperties(parse_mode="HTML", link_preview_is_disabled=True)
    bot = Bot(fake.token, session=bot.session, default=defaults)

    sent = await bot.send_message(USER, "<i>see</i> https://example.com", reply_to_message_id=1)

    assert sent.entities[0].type == "italic"
    assert fake.calls_to("sendMessage")[0].params["disable_web_page_preview"] is True


async def test_inline_results_are_validated_by_their_concrete_type(bot, fake):
    clip = await bot.send_video(USER, BufferedInputFile(b"clip", "clip.mp4"))
    text = InputTextMessageContent(message_text="hi")
    article = InlineQueryResultArticle(id="a", title="t", input_message_content=text)

    assert await bot.answer_inline_query("q", [article, InlineQueryResultCachedVideo(
        id="v", video_file_id=clip.video.file_id, title="clip")])
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.answer_inline_query("q", [InlineQueryResultCachedVideo(id="v", video_file_id="made-up", title="x")])
    hologram = '[{"type": "hologram", "id": "1"}]'
    _, body = await post(fake, "answerInlineQuery", {"inline_query_id": "q", "results": hologram})
    assert 'unsupported type "hologram"' in body["description"]


async def test_usable_from_sync_code_with_json_bodies(fake):
    def send_from_another_thread() -> dict:
        request = urllib.request.Request(f"{fake.base_url}/bot{fake.token}/sendMessage", method="POST",
                                         data=json.dumps({"chat_id": USER, "text": "plain"}).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    assert (await asyncio.to_thread(send_from_another_thread))["result"]["text"] == "plain"
    assert fake.wait_for("sendMessage", timeout=1)[0].params == {"chat_id": USER, "text": "plain"}


async def test_guest_queries_are_answered_once_with_a_valid_result_in_time(bot, fake, monkeypatch):
    from tests.fakes.telegram import guests

    query = fake.guest_message(USER, "https://www.tiktok.com/@a/video/1")
    message = query.update["guest_message"]
    assert message["guest_query_id"] == query.query_id and message["text"].startswith("@test_downloader_bot ")
    assert [e["type"] for e in message["entities"]] == ["mention", "url"]
    with pytest.raises(TelegramBadRequest, match="input_message_content"):  # validated against the spec
        await bot(AnswerGuestQuery(guest_query_id=query.query_id, result=InlineQueryResultArticle.model_construct(
            type="article", id="1", title="no content")))
    result = InlineQueryResultArticle(id="1", title="hi", input_message_content=InputTextMessageContent(
        message_text="hi"))
    sent = await bot.answer_guest_query(query.query_id, result)
    assert sent.inline_message_id == query.inline_message_id and query.answer["title"] == "hi"
    for query_id in (query.query_id, "guest-unknown"):  # once only; an id Telegram never issued
        with pytest.raises(TelegramBadRequest, match="query is too old"):
            await bot.answer_guest_query(query_id, result)
    monkeypatch.setattr(guests, "GUEST_ANSWER_DEADLINE", 0.0)
    late = fake.guest_message(USER, "hello")
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_guest_query(late.query_id, result)
