"""Guest mode end to end: `python main.py` against the fake Telegram and the offline TikTok. A user writes
"@bot <link>" in a chat the bot is not in; the bot answers the guest query at once (the media by file id when
it has it, else the "downloading" placeholder it then edits into the media), each query once."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes import media
from tests.fakes.telegram import FakeTelegram
from tests.fakes.tiktok import Music as FakeMusic
from tests.fakes.world import TikTokWorld
from tests.harness import STORAGE, eventually, free_port, start_main, stop_main

USER, OTHER, THIRD = 7101, 7102, 7103
VIDEO_ID, SLIDES_ID, GONE_ID = "7312345678907770001", "7312345678907770002", "7312345678907770003"


@contextlib.contextmanager
def bot_process(telegram: FakeTelegram, world: TikTokWorld, tmp_path: Path, **env: str) -> Iterator[Path]:
    """`python main.py` polling the fake Telegram through the world's proxies; yields its log, and checks
    at the end that it stopped cleanly with no traceback and no secret in it."""
    log = tmp_path / "bot.log"
    environment = {**os.environ, **world.env(), "BOT_TOKEN": telegram.token, "TG_SERVER": telegram.base_url,
                   "DB_URL": f"sqlite:///{tmp_path / 'bot.sqlite3'}", "STORAGE_CHANNEL_ID": str(STORAGE),
                   "LOG_LEVEL": "INFO", **env}
    process = start_main([], environment, log)
    try:
        yield log
    finally:
        code = stop_main(process)
    text = log.read_text()
    assert code == 0, text
    assert "Traceback" not in text, text
    assert telegram.token.split(":")[1] not in text


def answers_to(telegram: FakeTelegram, query) -> list:
    return [call for call in telegram.calls_to("answerGuestQuery") if call.params["guest_query_id"] == query.query_id]


def edits_of(telegram: FakeTelegram, method: str, query) -> list:
    return [call for call in telegram.calls_to(method)
            if call.ok and call.params.get("inline_message_id") == query.inline_message_id]


def keyboard(params: dict) -> dict[str, str]:
    return {b["text"]: b.get("callback_data", "") for row in params["reply_markup"]["inline_keyboard"] for b in row}


pytestmark = pytest.mark.usefixtures("trust_world")


async def test_a_video_is_answered_at_once_then_shown_and_the_next_guest_gets_it_by_file_id(
        telegram, world, tmp_path) -> None:
    video = world.tiktok.add_video(VIDEO_ID, desc="guest <b>dance</b>",
                                   music=FakeMusic(title="Song", author="Band", duration=2))
    port = free_port()  # by webhook, where Telegram delivers at least once
    hook = {"WEBHOOK_URL": f"http://127.0.0.1:{port}/hook", "WEBHOOK_SECRET": "guest-hook-secret",
            "WEBHOOK_HOST": "127.0.0.1", "WEBHOOK_PORT": str(port)}
    with bot_process(telegram, world, tmp_path, **hook) as log:
        [registered] = await telegram.await_for("setWebhook", timeout=60)
        assert "guest_message" in registered.params["allowed_updates"]
        assert telegram.calls_to("getMe")[0].response["result"]["supports_guest_queries"] is True
        first = telegram.guest_message(USER, f"look {video.url}", chat_type="private")
        await eventually(lambda: first.answer is not None, 30, "the guest query answered")
        assert first.answer["type"] == "photo" and first.answer["caption"] == "⏳ Downloading…"
        [shown] = await eventually(lambda: edits_of(telegram, "editMessageMedia", first), 30, "the video shown")
        [stored] = [call for call in telegram.calls_to("sendVideo") if call.ok and call.params["chat_id"] == STORAGE]
        assert stored.upload("video").data == media.sample("h264.mp4")  # the bytes the CDN served
        assert str(USER) not in stored.params["caption"] and "Alice" not in stored.params["caption"]
        file_id = stored.result["video"]["file_id"]
        assert shown.params["media"]["type"] == "video" and shown.params["media"]["media"] == file_id
        assert "guest &lt;b&gt;dance&lt;/b&gt;" in shown.params["media"]["caption"]
        assert keyboard(shown.params) == {"🎵 Sound": f"mu:tiktok:{VIDEO_ID}"}

        # The next guest query for it is answered with the video itself: no page, no CDN, no placeholder.
        traffic = len(world.tiktok.requests)
        second = telegram.guest_message(OTHER, video.url)
        await eventually(lambda: second.answer is not None, 30, "the second guest query answered")
        assert second.answer["type"] == "video" and second.answer["video_file_id"] == file_id
        assert keyboard(second.answer) == {"🎵 Sound": f"mu:tiktok:{VIDEO_ID}"}
        assert len(world.tiktok.requests) == traffic

        # Telegram delivering the same guest update again gets no second answer.
        telegram.redeliver(second.update)
        await eventually(lambda: "was delivered again; it is handled already" in log.read_text(), 30, "the repeat")
        assert len(answers_to(telegram, second)) == 1

        # 🎵 under the guest message: the sound goes to the caller's private chat once they started the bot.
        telegram.command(USER, "start")
        await telegram.await_for("sendMessage", timeout=30, predicate=lambda c: c.params["chat_id"] == USER)
        telegram.callback_query(USER, f"mu:tiktok:{VIDEO_ID}", inline_message_id=first.inline_message_id)
        [audio] = await telegram.await_for("sendAudio", timeout=30)
    assert audio.params["chat_id"] == USER and audio.upload("audio").data == media.sample("sound.mp3")
    assert all(call.ok for call in telegram.calls_to("answerGuestQuery"))
    assert not [call for call in telegram.calls if call.params.get("chat_id") in (OTHER, -1009990001)]


async def test_a_slideshow_shows_its_pictures_with_paging_or_its_rendered_video_by_the_callers_setting(
        telegram, world, tmp_path) -> None:
    images = [media.jpeg(360, 480, color) for color in ((220, 40, 40), (40, 200, 60), (40, 60, 220))]
    post = world.tiktok.add_slideshow(SLIDES_ID, images=images, music=FakeMusic(title="Tune", duration=2))
    with bot_process(telegram, world, tmp_path):
        await telegram.await_polling(timeout=60)
        pictures = telegram.guest_message(USER, post.url)
        [page] = await eventually(lambda: edits_of(telegram, "editMessageMedia", pictures), 60, "the first page")
        assert page.params["media"]["type"] == "photo"
        assert {"◀", "▶"} <= set(keyboard(page.params))

        # The caller turns "slideshows as one video" on in /mode; their next guest query gets the video.
        telegram.command(OTHER, "mode")
        status = (await telegram.await_for("sendMessage", timeout=30, predicate=lambda c: c.params["chat_id"] == OTHER))
        toggle = next(data for data in keyboard(status[-1].params).values() if data.startswith("ssv:"))
        telegram.callback_query(OTHER, toggle, message=status[-1].result)
        await telegram.await_for("editMessageText", timeout=30)
        rendered = telegram.guest_message(OTHER, post.url)
        await eventually(lambda: rendered.answer is not None, 30, "the guest query answered")
        assert rendered.answer["title"] == "🎬 Send as one video"
        [video] = await eventually(lambda: edits_of(telegram, "editMessageMedia", rendered), 120, "the video")
    assert video.params["media"]["type"] == "video"
    [stored] = [call for call in telegram.calls_to("sendVideo") if call.ok and call.params["chat_id"] == STORAGE]
    assert video.params["media"]["media"] == stored.result["video"]["file_id"]
    assert stored.params["width"] == 360 and stored.params["height"] == 480


async def test_failures_hints_and_the_spam_guard_answer_in_a_short_text(telegram, world, tmp_path) -> None:
    gone = world.tiktok.add_unavailable(GONE_ID, 10204)
    video = world.tiktok.add_video(VIDEO_ID)
    with bot_process(telegram, world, tmp_path, SPAM_MAX_LINKS="3", SPAM_WINDOW_SECONDS="60"):
        await telegram.await_polling(timeout=60)
        failed = telegram.guest_message(USER, gone)
        said = (await eventually(lambda: [call for call in edits_of(telegram, "editMessageCaption", failed)
                                          if "⏳" not in call.params["caption"]], 30, "the failure said"))[-1]
        assert "This post was deleted" in said.params["caption"]

        hint = telegram.guest_message(THIRD, "what can you do?")
        await eventually(lambda: hint.answer is not None, 30, "the hint")
        assert hint.answer["type"] == "article"
        assert "TikTok or Instagram link" in hint.answer["input_message_content"]["message_text"]

        # USER has used one link of three; the fourth crosses the line (told once), the fifth gets nothing.
        asked = [telegram.guest_message(USER, video.url) for _ in range(4)]
        await eventually(lambda: sum(query.answer is not None for query in asked) == 3, 30, "three answers")
        muted = [query for query in asked if query.answer and query.answer["type"] == "article"]
        assert len(muted) == 1 and "a lot of links at once" in muted[0].answer["input_message_content"]["message_text"]
        await eventually(lambda: [query for query in asked if query.answer is None], 5, "one left unanswered")
    assert sum(query.answer is None for query in asked) == 1


async def test_without_a_storage_channel_a_guest_query_says_so(telegram, world, tmp_path) -> None:
    video = world.tiktok.add_video(VIDEO_ID)
    with bot_process(telegram, world, tmp_path, STORAGE_CHANNEL_ID=""):
        await telegram.await_polling(timeout=60)
        query = telegram.guest_message(USER, video.url)
        await eventually(lambda: query.answer is not None, 30, "the answer")
    assert "not set up yet" in query.answer["input_message_content"]["message_text"]
    assert world.tiktok.requests == []
