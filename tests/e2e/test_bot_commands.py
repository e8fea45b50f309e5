"""/start, /help, /lang, /mode and chat membership, through the real Dispatcher and the fake Telegram."""

from __future__ import annotations

from handlers.i18n import LANGUAGES
from tests.fakes.telegram import FakeTelegram
from tests.harness import eventually, running_bot

USER = 1001
GROUP = -100500


def last_text(telegram: FakeTelegram, method: str = "sendMessage") -> str:
    return telegram.calls_to(method)[-1].params["text"]


async def reply_to(telegram: FakeTelegram, method: str = "sendMessage", count: int = 1):
    return (await telegram.await_for(method, count=count))[-1]


async def test_start_greets_in_the_users_language_and_records_the_referral_once(telegram, tmp_path) -> None:
    async with running_bot(telegram, tmp_path) as bot:
        telegram.command(USER, "start", "promo_42", language_code="uk", first_name="<Taras>")
        greeting = await reply_to(telegram)
        assert greeting.ok and greeting.params["chat_id"] == USER
        assert "&lt;Taras&gt;" in greeting.params["text"]  # user text is escaped for parse_mode=HTML
        assert "Привіт" in greeting.params["text"]

        telegram.command(USER, "start", "other_campaign", language_code="uk")
        await reply_to(telegram, count=2)
        chat = await bot.repositories.chats.get(USER)
        assert chat.referral == "promo_42"
        assert chat.kind == "private"


async def test_unknown_telegram_language_falls_back_to_english(telegram, tmp_path) -> None:
    async with running_bot(telegram, tmp_path):
        telegram.command(USER, "help", language_code="pt-br")
        assert "How to use me" in (await reply_to(telegram)).params["text"]


async def test_command_menu_is_set_for_every_language(telegram, tmp_path) -> None:
    async with running_bot(telegram, tmp_path):
        calls = telegram.calls_to("setMyCommands")
    by_language = {call.params.get("language_code"): call.params["commands"] for call in calls}
    assert set(by_language) == {None, *LANGUAGES}
    assert [c["command"] for c in by_language["ru"]] == ["start", "help", "lang", "mode"]
    assert by_language["ru"][2]["description"] != by_language["en"][2]["description"]
    assert by_language[None] == by_language["en"]


async def test_lang_keyboard_changes_the_language_for_later_answers(telegram, tmp_path) -> None:
    async with running_bot(telegram, tmp_path) as bot:
        telegram.command(USER, "lang")
        menu = await reply_to(telegram)
        buttons = [b for row in menu.params["reply_markup"]["inline_keyboard"] for b in row]
        assert [b["callback_data"] for b in buttons] == [f"lang:{code}" for code in LANGUAGES]

        telegram.callback_query(USER, "lang:ru", message=menu.result)
        edited = await reply_to(telegram, "editMessageText")
        assert edited.params["text"] == "Язык изменён на русский."
        assert (await bot.repositories.chats.get(USER)).language == "ru"

        telegram.command(USER, "help", language_code="en")
        assert "Как мной пользоваться" in (await reply_to(telegram, count=2)).params["text"]


async def test_forged_language_code_is_refused(telegram, tmp_path) -> None:
    async with running_bot(telegram, tmp_path) as bot:
        telegram.command(USER, "lang")
        menu = await reply_to(telegram)
        telegram.callback_query(USER, "lang:xx", message=menu.result)
        answer = await reply_to(telegram, "answerCallbackQuery")
        assert answer.params["show_alert"] is True
        assert await bot.repositories.chats.get(USER) is None
        assert telegram.calls_to("editMessageText") == []


async def test_mode_toggles_file_mode(telegram, tmp_path) -> None:
    async with running_bot(telegram, tmp_path) as bot:
        telegram.command(USER, "mode")
        status = await reply_to(telegram)
        assert "File mode is <b>off</b>" in status.params["text"]
        [button], [slideshow_button] = status.params["reply_markup"]["inline_keyboard"]
        assert slideshow_button["text"] == "Slideshows as one video"
        telegram.callback_query(USER, button["callback_data"], message=status.result)
        edited = await reply_to(telegram, "editMessageText")
        assert "File mode is <b>on</b>" in edited.params["text"]
        assert (await bot.repositories.chats.get(USER)).file_mode is True


async def test_in_groups_only_admins_change_settings(telegram, tmp_path) -> None:
    member, admin = 2001, 2002
    telegram.set_chat_member(GROUP, admin, "administrator")
    async with running_bot(telegram, tmp_path) as bot:
        telegram.command(member, "mode", chat_id=GROUP, mention=True)
        telegram.command(admin, "mode", chat_id=GROUP, mention=True)
        status = await reply_to(telegram)
        assert status.params["chat_id"] == GROUP
        # The member's command got no answer at all: exactly one message reached the group.
        await telegram.await_for("getChatMember", count=2)
        assert len(telegram.calls_to("sendMessage")) == 1

        [button], [slideshow_button] = status.params["reply_markup"]["inline_keyboard"]
        for pressed in (button, slideshow_button):
            telegram.callback_query(member, pressed["callback_data"], message=status.result)
        refusals = await telegram.await_for("answerCallbackQuery", count=2, timeout=10)
        assert all(refusal.params["show_alert"] is True for refusal in refusals)
        assert (await bot.repositories.chats.get(GROUP)) is None

        telegram.callback_query(admin, button["callback_data"], message=status.result)
        await reply_to(telegram, "editMessageText")
        telegram.callback_query(admin, slideshow_button["callback_data"], message=status.result)
        await telegram.await_for("editMessageText", count=2, timeout=10)
        group = await bot.repositories.chats.get(GROUP)
        assert (group.file_mode, group.slideshow_video, group.kind) == (True, True, "supergroup")


async def test_blocking_the_bot_is_recorded(telegram, tmp_path) -> None:
    async with running_bot(telegram, tmp_path) as bot:
        telegram.command(USER, "start")
        await reply_to(telegram)
        telegram.my_chat_member(USER, USER, old_status="member", new_status="kicked", chat_type="private")

        async def blocked() -> bool:
            return (await bot.repositories.chats.get(USER)).blocked_at is not None

        await eventually(blocked)
