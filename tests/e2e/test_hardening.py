"""Hardening end to end: spam counted per chat for messages sent on a chat's behalf, the webhook set again when
its secret changes, stale music buttons, inline requests behind the spam guard and the chat quota, broadcast
copies retried after a temporary error, and /metrics kept to this machine and free of proxy credentials."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from urllib.parse import urlsplit

import aiohttp
import psutil
import pytest

from tests.fakes.telegram.updates import ANONYMOUS_ADMIN, CHANNEL_BOT, TELEGRAM
from tests.fakes.world import ProxyConfig
from tests.harness import ADMIN, bot_in_world, eventually, free_port, running_bot, start_broadcast

USER = 5001
GROUP, SECOND_GROUP = -1009001, -1009002
NEWS, SPORTS = -1002001, -1002002  # two channels
VIDEO_IDS = [f"73123456789012345{n:02d}" for n in range(10, 14)]
MUTED_TEXT = "That's a lot of links at once"
STALE_TEXT = "This button no longer works. Send the link again."
INLINE_QUEUE_FULL = "⏳ Too many links at once. Try again in a moment."

pytestmark = pytest.mark.usefixtures("trust_world")


def channel(chat_id: int, title: str) -> dict:
    return {"id": chat_id, "type": "channel", "title": title}


def group(chat_id: int, title: str) -> dict:
    return {"id": chat_id, "type": "supergroup", "title": title}


def messages_to(telegram, chat_id: int) -> list[str]:
    return [c.params["text"] for c in telegram.calls_to("sendMessage") if c.params["chat_id"] == chat_id]


# 1. spam per sender_chat ------------------------------------------------------------------------------------------

# Two senders that share one service user in `from`: (service user, [(group, sender_chat) for each sender]).
FIRST, SECOND = group(GROUP, "Group"), group(SECOND_GROUP, "Second")
SHARED_SENDERS = {
    "anonymous admins of two groups": (ANONYMOUS_ADMIN, [(FIRST, FIRST), (SECOND, SECOND)]),
    "two channels posting in a group": (CHANNEL_BOT, [(FIRST, channel(NEWS, "News")),
                                                      (FIRST, channel(SPORTS, "Sports"))]),
    "two linked channels' posts": (TELEGRAM, [(FIRST, channel(NEWS, "News")), (SECOND, channel(SPORTS, "Sports"))]),
}


@pytest.mark.parametrize("case", list(SHARED_SENDERS))
async def test_senders_behind_one_service_user_are_counted_apart(telegram, world, tmp_path, case):
    """Two chats that post through the same service user (GroupAnonymousBot, Channel_Bot, 777000) each get
    their own spam allowance: all their links are delivered and nobody is muted."""
    service_user, senders = SHARED_SENDERS[case]
    posts = [world.tiktok.add_video(item_id) for item_id in VIDEO_IDS]
    async with bot_in_world(telegram, world, tmp_path, spam_max_links=2):
        for (where, sender_chat), pair in zip(senders, (posts[:2], posts[2:]), strict=True):
            telegram.group_message(where["id"], service_user, f"{pair[0].url} {pair[1].url}", title=where["title"],
                                   sender_chat=sender_chat)
        sent = await telegram.await_for("sendVideo", count=4, timeout=60)
    groups = [where["id"] for where, _ in senders]
    assert all(call.ok for call in sent)
    assert Counter(call.params["chat_id"] for call in sent) == Counter(groups * 2)
    assert not any(MUTED_TEXT in text for chat_id in groups for text in messages_to(telegram, chat_id))


async def test_a_flooding_channel_is_still_muted_and_the_other_is_not(telegram, world, tmp_path):
    """Counting per channel does not open a hole: the channel over the line is muted, the other is served."""
    posts = [world.tiktok.add_video(item_id) for item_id in VIDEO_IDS]
    async with bot_in_world(telegram, world, tmp_path, spam_max_links=2):
        telegram.group_message(GROUP, CHANNEL_BOT, " ".join(post.url for post in posts[:3]),
                               sender_chat=channel(NEWS, "News"))
        [notice] = await telegram.await_for("sendMessage", timeout=30,
                                            predicate=lambda c: MUTED_TEXT in c.params["text"])
        telegram.group_message(GROUP, CHANNEL_BOT, posts[3].url, sender_chat=channel(SPORTS, "Sports"))
        [video] = await telegram.await_for("sendVideo", timeout=60)
    assert notice.params["chat_id"] == GROUP
    assert video.ok and VIDEO_IDS[3] in video.params["caption"]
    assert all(not world.tiktok.hits(f"/video/{item_id}") for item_id in VIDEO_IDS[:3])


# 2. webhook fingerprint -------------------------------------------------------------------------------------------

def webhook_settings(port: int, secret: str) -> dict:
    return {"webhook_url": f"http://127.0.0.1:{port}/telegram/hook", "webhook_secret": secret,
            "webhook_host": "127.0.0.1", "webhook_port": port}


def logged(caplog, message: str) -> int:
    return sum(1 for record in caplog.records if record.name == "bot" and record.getMessage() == message)


async def test_a_new_webhook_secret_sets_the_webhook_again_and_only_once(telegram, tmp_path, caplog):
    """After a restart with a new secret (same URL) Telegram is told the new secret, so updates keep arriving;
    a further restart with the same configuration leaves the webhook alone."""
    caplog.set_level(logging.INFO, logger="bot")
    port = free_port()
    async with running_bot(telegram, tmp_path, **webhook_settings(port, "first-secret")):
        [first] = await telegram.await_for("setWebhook", timeout=30)
        await eventually(lambda: logged(caplog, "webhook set") == 1, 30, "the first webhook recorded")
    async with running_bot(telegram, tmp_path, **webhook_settings(port, "second-secret")):
        second = (await telegram.await_for("setWebhook", count=2, timeout=30))[-1]
        await eventually(lambda: logged(caplog, "webhook set") == 2, 30, "the second webhook recorded")
        telegram.command(USER, "help")
        await telegram.await_for("sendMessage", timeout=30)  # Telegram's POST carries the secret the bot checks
    async with running_bot(telegram, tmp_path, **webhook_settings(port, "second-secret")):
        await eventually(lambda: logged(caplog, "webhook already set") == 1, 30, "the webhook left alone")
        telegram.command(USER, "help")
        await telegram.await_for("sendMessage", count=2, timeout=30)
    assert first.params["secret_token"] == "first-secret" and second.params["secret_token"] == "second-secret"
    assert second.params["url"] == first.params["url"]
    assert len(telegram.calls_to("setWebhook")) == 2


# 3. stale music buttons -------------------------------------------------------------------------------------------

STALE_BUTTONS = {
    "tiktok id that is no id": "mu:tiktok:abcdefg",
    "instagram code too long to parse": "mu:instagram:" + "C" * 50,
}


@pytest.mark.parametrize("data", list(STALE_BUTTONS.values()), ids=list(STALE_BUTTONS))
async def test_a_stale_or_forged_music_button_is_answered_quietly(telegram, world, tmp_path, caplog, data):
    """A sound button whose item no longer parses says it no longer works, and nothing else happens: no
    message, no download, no failure in the statistics, no error in the log."""
    under = {"message_id": 7, "date": 0, "chat": {"id": USER, "type": "private", "first_name": "Alice"},
             "text": "an old post"}
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.callback_query(USER, data, message=under)
        [answer] = await telegram.await_for("answerCallbackQuery", timeout=30)
        await asyncio.sleep(1)  # room for anything the press might still set off
        stats = await bot.repositories.stats.collect()
    assert answer.ok and answer.params.get("text") == STALE_TEXT
    assert telegram.sent_messages() == []
    assert world.tiktok.requests == []
    assert stats.top_errors == []
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []


# 4. inline requests -----------------------------------------------------------------------------------------------

async def offered_result(telegram, user: int, url: str, answers: int = 1) -> str:
    telegram.inline_query(user, url)
    answer = (await telegram.await_for("answerInlineQuery", count=answers, timeout=30))[-1]
    return answer.params["results"][0]["id"]


async def test_a_muted_users_inline_message_says_so_and_nothing_is_fetched(telegram, world, tmp_path):
    """A user muted for flooding who picks an inline result sees the mute notice in that message instead of
    a placeholder loading forever, and the bot fetches nothing for it."""
    posts = [world.tiktok.add_video(item_id) for item_id in VIDEO_IDS[:3]]
    async with bot_in_world(telegram, world, tmp_path, spam_max_links=1):
        telegram.private_message(USER, f"{posts[0].url} {posts[1].url}")
        await telegram.await_for("sendMessage", timeout=30, predicate=lambda c: MUTED_TEXT in c.params["text"])
        result_id = await offered_result(telegram, USER, posts[2].url)
        telegram.chosen_inline_result(USER, result_id, posts[2].url, inline_message_id="inline-muted")
        [edit] = await telegram.await_for("editMessageCaption", timeout=30)
    assert edit.ok and edit.params["inline_message_id"] == "inline-muted"
    assert MUTED_TEXT in edit.params["caption"]
    assert world.tiktok.requests == []
    assert telegram.calls_to("editMessageMedia") == []


async def test_an_inline_request_over_the_users_quota_says_try_again(telegram, world, tmp_path):
    """With one request in flight allowed, a second inline result picked while the first still downloads
    says "too many links" in its message; the first still arrives."""
    slow, refused = world.tiktok.add_video(VIDEO_IDS[0]), world.tiktok.add_video(VIDEO_IDS[1])
    world.tiktok.fail_next("/video/tos/", status=None, delay=3)  # the first video's download takes a while
    async with bot_in_world(telegram, world, tmp_path, max_user_queue_size=1):
        result_id = await offered_result(telegram, USER, slow.url)
        telegram.chosen_inline_result(USER, result_id, slow.url, inline_message_id="inline-slow")
        await eventually(lambda: world.tiktok.hits("/video/tos/"), 30, "the first download under way")
        result_id = await offered_result(telegram, USER, refused.url, answers=2)
        telegram.chosen_inline_result(USER, result_id, refused.url, inline_message_id="inline-refused")
        [edit] = await telegram.await_for("editMessageCaption", timeout=30)
        [media] = await telegram.await_for("editMessageMedia", timeout=30)
    assert edit.ok and edit.params["inline_message_id"] == "inline-refused"
    assert edit.params["caption"] == INLINE_QUEUE_FULL
    assert media.ok and media.params["inline_message_id"] == "inline-slow"
    assert world.tiktok.hits(f"/video/{VIDEO_IDS[1]}") == []


# 5. broadcast retries ---------------------------------------------------------------------------------------------

async def test_a_broadcast_copy_that_failed_for_now_is_sent_later(telegram, world, tmp_path):
    """A recipient whose copy hit a Telegram 500 gets the message on a later try, and the admin's summary
    counts it as sent."""
    audience, unlucky = [1001, 1002, 1003], 1002
    async with bot_in_world(telegram, world, tmp_path) as bot:
        for chat_id in (*audience, ADMIN):
            await bot.repositories.chats.register(chat_id, "private")
        telegram.fail_next("copyMessage", error_code=500, predicate=lambda params: params["chat_id"] == unlucky)
        await start_broadcast(telegram, "📣 news for everyone")
        [finished] = await telegram.await_for("editMessageText", timeout=30,
                                              predicate=lambda c: "Broadcast finished" in c.params["text"])
    tries = [call for call in telegram.calls_to("copyMessage") if call.params["chat_id"] == unlucky]
    assert [call.ok for call in tries] == [False, True]
    copies = Counter(call.params["chat_id"] for call in telegram.calls_to("copyMessage") if call.ok)
    assert copies == Counter([*audience, ADMIN])
    assert "sent 4" in finished.params["text"] and "failed 0" in finished.params["text"]


# 6. /metrics ------------------------------------------------------------------------------------------------------

async def test_metrics_answer_on_loopback_only(telegram, world, tmp_path):
    """/healthz answers on 127.0.0.1, and its socket listens on that address alone (not 0.0.0.0)."""
    port = free_port()
    async with bot_in_world(telegram, world, tmp_path, metrics_port=port):
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200
        listening = {c.laddr.ip for c in psutil.Process().net_connections(kind="tcp")
                     if c.status == psutil.CONN_LISTEN and c.laddr.port == port}
    assert listening == {"127.0.0.1"}


@pytest.mark.parametrize("world_proxies", [{"secret": ProxyConfig(username="metrics-user", password="m3trics-pw")}])
async def test_proxy_failures_in_metrics_name_the_proxy_without_its_credentials(telegram, world, tmp_path):
    """A failed attempt through a proxy with a login shows in /metrics by the proxy's host and port only."""
    post = world.tiktok.add_video(VIDEO_IDS[0])
    world.tiktok.fail_item(VIDEO_IDS[0], times=1)
    proxy = urlsplit(world.proxy_urls["secret"])
    port = free_port()
    async with bot_in_world(telegram, world, tmp_path, metrics_port=port):
        telegram.private_message(USER, post.url)
        [video] = await telegram.await_for("sendVideo", timeout=60)
        async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/metrics") as response:
            metrics = await response.text()
    assert video.ok
    failures = [line for line in metrics.splitlines() if line.startswith("bot_proxy_failures_total{")]
    assert any(f"{proxy.hostname}:{proxy.port}" in line for line in failures), failures
    assert "metrics-user" not in metrics and "m3trics-pw" not in metrics
