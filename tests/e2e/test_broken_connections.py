"""A connection to the Bot API that breaks mid-call (a network blip, Telegram's front restarting): the call
may have arrived or not, and the bot cannot ask. It sends again what the user waits for (at least once, each
repeat counted in bot_sends_in_doubt_total and logged), so nothing is lost; a call that was surely not
handled arrives exactly once. Cosmetic calls (the chat action) fail quietly and never hold up a delivery."""

from __future__ import annotations

import logging

import pytest

from data.metrics import IN_DOUBT
from tests.fakes import media
from tests.harness import bot_in_world, downloads

USER, OTHER = 5101, 5102
VIDEO_ID = "7312345678901234999"

pytestmark = pytest.mark.usefixtures("trust_world")


@pytest.fixture
def video(world):
    return world.tiktok.add_video(VIDEO_ID)


def in_doubt() -> float:
    return IN_DOUBT._value.get()


def delivered_to(telegram, chat: int) -> list:
    return [call for call in telegram.calls_to("sendVideo") if call.ok and call.params["chat_id"] == chat]


@pytest.mark.parametrize("handled", [False, True], ids=["lost-on-the-way", "handled-answer-lost"])
async def test_a_file_id_send_whose_connection_breaks_goes_again(telegram, world, video, tmp_path, handled,
                                                                caplog) -> None:
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, video.url)
        await telegram.await_for("sendVideo", timeout=30)
        await downloads(bot)  # cached from here on
        before = in_doubt()
        telegram.cut_next("sendVideo", handled=handled)
        with caplog.at_level(logging.WARNING, logger="media_types.telegram_answers"):
            telegram.private_message(OTHER, video.url)
            await downloads(bot, 2)
    sent = delivered_to(telegram, OTHER)
    assert len(sent) == (2 if handled else 1)  # handled: the chat has it twice, and that was counted
    assert all(call.files == {} for call in sent)  # by file id: a resend is no upload
    assert in_doubt() == before + 1
    assert "sendVideo: the connection broke before Telegram answered" in caplog.text
    assert "may arrive twice" in caplog.text


async def test_a_streamed_upload_whose_connection_breaks_goes_again_with_a_new_download(
        telegram, world, video, tmp_path) -> None:
    telegram.cut_next("sendVideo", handled=False)
    before = in_doubt()
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, video.url)
        await downloads(bot)
    [sent] = delivered_to(telegram, USER)
    assert sent.upload("video").data == media.sample("h264.mp4")
    assert len([hit for hit in world.tiktok.cdn_hits() if "/video/tos/" in hit.path]) == 2
    assert in_doubt() == before + 1


async def test_a_broken_chat_action_is_no_error_and_holds_nothing_up(telegram, world, video, tmp_path,
                                                                     caplog) -> None:
    telegram.cut_next("sendChatAction", handled=False, times=5)
    before = in_doubt()
    with caplog.at_level(logging.INFO):
        async with bot_in_world(telegram, world, tmp_path) as bot:
            telegram.private_message(USER, video.url)
            await downloads(bot)
    assert len(delivered_to(telegram, USER)) == 1
    assert in_doubt() == before  # a status repeated is no send in doubt
    assert "could not show upload_document in chat" in caplog.text
    assert "Task exception was never retrieved" not in caplog.text
    assert "Traceback" not in caplog.text


async def test_an_edit_repeated_in_doubt_that_had_arrived_is_taken_as_done(telegram, world, tmp_path,
                                                                           caplog) -> None:
    """The /mode switch's edit is handled, its answer lost; the repeat finds the message already so ("message
    is not modified"), which means the first one arrived: no error reaches the handler."""
    before = in_doubt()
    with caplog.at_level(logging.INFO):
        async with bot_in_world(telegram, world, tmp_path):
            telegram.command(USER, "mode")
            [status] = await telegram.await_for("sendMessage", timeout=30)
            toggle = status.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            telegram.cut_next("editMessageText", handled=True)
            telegram.callback_query(USER, toggle, message=status.result)
            edits = await telegram.await_for("editMessageText", count=2, timeout=30)
            await telegram.await_for("answerCallbackQuery", timeout=30)
    assert edits[0].ok and "message is not modified" in (edits[1].error or "")
    assert in_doubt() == before + 1
    assert "Cause exception while process update" not in caplog.text
    assert "Traceback" not in caplog.text
