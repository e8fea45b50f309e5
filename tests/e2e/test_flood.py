"""Nothing a user sends is dropped under Telegram's flood limits, enforced strictly by the fake (3 messages
per rolling 3 s in a chat, 20 per minute in a group, 30 a second overall, album items counted): the bot queues
what a chat sends instead of refusing it, keeps to the limits before sending, delivers in the order sent, and
waits out the few 429s it still meets instead of turning them into failures."""

from __future__ import annotations

import asyncio

import pytest

from tests.fakes import media
from tests.harness import bot_in_world

USER, GROUP = 5001, -1009001
pytestmark = pytest.mark.usefixtures("trust_world")


def posts_in_order_delivered(telegram, chat_id: int, posts: list) -> list:
    """The posts whose media reached the chat, in the order it did (a caption links its post)."""
    arrived = []
    for call in telegram.calls:
        if not call.ok or call.params.get("chat_id") != chat_id:
            continue
        if call.method == "sendMediaGroup":
            caption = call.params["media"][0].get("caption", "")
        elif call.method in ("sendVideo", "sendPhoto"):
            caption = call.params.get("caption", "")
        else:
            continue
        arrived += [post for post in posts if f"/{post.item_id}" in caption]
    return arrived


async def test_eight_links_pasted_at_once_all_arrive_in_order_with_at_most_two_429s(telegram, world, tmp_path):
    flood = telegram.enforce_flood_limits()
    videos = [world.tiktok.add_video(f"73123456789012345{n:02d}") for n in range(4)]
    slideshows = [world.tiktok.add_slideshow(f"73123456789012346{n:02d}",
                                             images=[media.jpeg(200 + n, 300, (n * 40, 90, 160))] * 3)
                  for n in range(4)]
    posts = [post for pair in zip(videos, slideshows, strict=True) for post in pair]
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, " ".join(post.url for post in posts))
        await telegram.await_for("sendVideo", count=4, timeout=120, predicate=lambda c: c.ok)
        await telegram.await_for("sendMediaGroup", count=4, timeout=120, predicate=lambda c: c.ok)
    assert posts_in_order_delivered(telegram, USER, posts) == posts
    assert not any("several links in progress" in c.params.get("text", "") for c in telegram.calls_to("sendMessage"))
    assert [c.params["reaction"][0]["emoji"] for c in telegram.calls_to("setMessageReaction")] == ["👀"]
    assert flood.refused <= 2, flood.refused


async def test_twenty_users_with_three_links_each_get_all_sixty(telegram, world, tmp_path):
    flood = telegram.enforce_flood_limits()
    users = range(7000, 7020)
    posts = {user: [world.tiktok.add_video(f"7312345678{user:05d}{n:04d}") for n in range(2)]
             + [world.tiktok.add_slideshow(f"7312345678{user:05d}9999",
                                           images=[media.jpeg(150, 200, (user % 255, 10, 10))] * 3)]
             for user in users}
    async with bot_in_world(telegram, world, tmp_path):
        for user in users:
            telegram.private_message(user, " ".join(post.url for post in posts[user]))
            await asyncio.sleep(0.01)
        await telegram.await_for("sendVideo", count=40, timeout=180, predicate=lambda c: c.ok)
        await telegram.await_for("sendMediaGroup", count=20, timeout=180, predicate=lambda c: c.ok)
    for user in users:
        assert posts_in_order_delivered(telegram, user, posts[user]) == posts[user]
    assert flood.refused <= 3, flood.refused


async def test_a_twelve_picture_slideshow_reaches_a_group(telegram, world, tmp_path):
    flood = telegram.enforce_flood_limits()
    images = [media.jpeg(120 + n, 160, (n * 20, 40, 80)) for n in range(12)]
    post = world.tiktok.add_slideshow("7312345678901234999", images=images)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.group_message(GROUP, USER, post.url)
        [album] = await telegram.await_for("sendMediaGroup", timeout=60,
                                           predicate=lambda c: c.ok and c.params["chat_id"] == GROUP)
    assert len(album.params["media"]) == 10 and flood.refused == 0


async def test_a_delivery_outlasts_more_429s_than_attempts(telegram, world, tmp_path):
    """Five 429s on the video's upload (a one-shot stream: each try fetches it again) use none of the
    download's three attempts: the video arrives, and nothing tells the user it failed."""
    video = world.tiktok.add_video("7312345678901234777")
    telegram.fail_next("sendVideo", error_code=429, retry_after=1, times=5)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, video.url)
        [sent] = await telegram.await_for("sendVideo", timeout=60, predicate=lambda c: c.ok)
    assert sent.upload("video").data == media.sample("h264.mp4")
    assert len([c for c in telegram.calls_to("sendVideo") if not c.ok]) == 5
    assert telegram.calls_to("sendMessage") == []


async def test_a_long_wait_for_one_chat_lends_its_slot_to_another(telegram, world, tmp_path):
    """With one delivery at a time, a chat Telegram holds for 15 s does not keep another chat waiting."""
    held, other = world.tiktok.add_video("7312345678901234801"), world.tiktok.add_video("7312345678901234802")
    telegram.fail_next("sendVideo", error_code=429, retry_after=15, predicate=lambda p: p["chat_id"] == USER)
    async with bot_in_world(telegram, world, tmp_path, max_concurrent_deliveries=1):
        telegram.private_message(USER, held.url)
        await telegram.await_for("sendVideo", timeout=30, predicate=lambda c: not c.ok)
        telegram.private_message(USER + 1, other.url)
        await telegram.await_for("sendVideo", count=2, timeout=60, predicate=lambda c: c.ok)
    delivered_to = [c.params["chat_id"] for c in telegram.calls_to("sendVideo") if c.ok]
    assert delivered_to == [USER + 1, USER]


async def test_links_are_delivered_even_when_marking_them_queued_fails(telegram, world, tmp_path):
    """The 👀 reaction is a courtesy: Telegram failing it (a 500) loses none of the message's links."""
    posts = [world.tiktok.add_video(f"73123456789012347{n:02d}") for n in range(4)]
    telegram.fail_next("setMessageReaction", error_code=500)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, " ".join(post.url for post in posts))
        await telegram.await_for("sendVideo", count=4, timeout=60, predicate=lambda c: c.ok)
    assert posts_in_order_delivered(telegram, USER, posts) == posts
