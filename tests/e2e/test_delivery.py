"""Delivery end to end: the real bot (in-process) against the fake Telegram and the offline TikTok.
Uploaded bytes are compared with what the fake CDN served."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from data import Platform
from media_types.albums import album_sizes
from tests.fakes import media
from tests.fakes.tiktok import Music as FakeMusic
from tests.harness import STORAGE, bot_in_world, downloads, eventually

USER, OTHER, GROUP = 5001, 5002, -1009001
VIDEO_ID, SLIDES_ID = "7312345678901234567", "7312345678901234568"


@pytest.fixture
def video(world):
    return world.tiktok.add_video(VIDEO_ID, desc="dance <b>&</b> fun #fyp",
                                  music=FakeMusic(title="Song <One>", author="Band & Co", duration=2))


def slideshow_of(world, count: int, item_id: str = SLIDES_ID, images: list[bytes] | None = None):
    images = images or [media.jpeg(300 + i, 400, (20 * i % 255, 80, 160)) for i in range(count)]
    return world.tiktok.add_slideshow(item_id, images=images), images


def album_uploads(call) -> list[bytes]:
    return [call.upload(item["media"]).data for item in call.params["media"]]


def image_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


pytestmark = pytest.mark.usefixtures("trust_world")


async def test_private_video_arrives_with_its_metadata_and_the_sound_button(telegram, world, video, tmp_path):
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, f"look {video.url}?is_from_webapp=1")
        [sent] = await telegram.await_for("sendVideo", timeout=30)
        assert sent.ok, sent.error
        assert sent.upload("video").data == media.sample("h264.mp4")
        assert (sent.params["width"], sent.params["height"], sent.params["duration"]) == (360, 640, 2)
        assert sent.params["supports_streaming"] is True
        thumbnail = sent.upload("thumbnail")
        assert thumbnail.data[:2] == b"\xff\xd8" and max(image_size(thumbnail.data)) <= 320
        assert thumbnail.size <= 200 * 1024
        assert "dance &lt;b&gt;&amp;&lt;/b&gt; fun #fyp" in sent.params["caption"]
        assert f'href="https://www.tiktok.com/@alice/video/{VIDEO_ID}"' in sent.params["caption"]
        [[button]] = sent.params["reply_markup"]["inline_keyboard"]
        assert button["callback_data"] == f"mu:tiktok:{VIDEO_ID}"
        assert sent.params["reply_parameters"]["message_id"] > 0
        assert telegram.calls_to("sendChatAction")
        assert await downloads(bot) == [(USER, USER, "private", "tiktok", VIDEO_ID, "video", False)]


async def test_cache_hit_sends_by_file_id_without_download_or_upload(telegram, world, video, tmp_path):
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, video.url)
        [first] = await telegram.await_for("sendVideo", timeout=30)
        await downloads(bot)  # recorded last, after the file ids are cached
        traffic = len(world.tiktok.requests)
        telegram.private_message(OTHER, video.url)
        second = (await telegram.await_for("sendVideo", count=2, timeout=30))[-1]
        assert second.ok and second.files == {}
        assert second.params["video"] == first.result["video"]["file_id"]
        assert len(world.tiktok.requests) == traffic  # no page, no CDN
        assert [row[-1] for row in await downloads(bot, 2)] == [False, True]


async def test_wrong_file_id_is_dropped_and_the_item_uploaded_again(telegram, world, video, tmp_path):
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, video.url)
        [first] = await telegram.await_for("sendVideo", timeout=30)
        await downloads(bot)  # recorded last, after the file ids are cached
        stale = first.result["video"]["file_id"]
        telegram.forget_file_id(stale)
        telegram.private_message(USER, video.url)
        calls = await telegram.await_for("sendVideo", count=3, timeout=30)
        assert calls[1].params["video"] == stale and "wrong file identifier" in calls[1].error
        assert calls[2].ok and calls[2].upload("video").data == media.sample("h264.mp4")
        await downloads(bot, 2)
        cached = await bot.repositories.media_cache.get(Platform.TIKTOK, VIDEO_ID, "media")
        assert cached[1]["file_id"] == calls[2].result["video"]["file_id"]


@pytest.mark.parametrize("count", [3, 11, 12])
async def test_slideshow_goes_as_albums_of_two_to_ten(telegram, world, tmp_path, count):
    post, images = slideshow_of(world, count)
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, post.url)
        prompt = (await telegram.await_for("sendMessage", timeout=30))[-1]
        albums = telegram.calls_to("sendMediaGroup")
        assert [len(call.params["media"]) for call in albums] == album_sizes(count)
        assert all(call.ok for call in albums)
        assert [data for call in albums for data in album_uploads(call)] == images
        assert albums[0].params["media"][0]["caption"].endswith("🔗 Source</a>")
        assert prompt.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"mu:tiktok:{SLIDES_ID}"
        assert (await downloads(bot))[0][5] == "images"


async def test_heic_and_oversized_images_are_converted_and_nothing_is_dropped(telegram, world, tmp_path):
    heic, wide, narrow = media.heic(400, 300), media.jpeg(12000, 800), media.jpeg(30, 900)
    post, _ = slideshow_of(world, 3, images=[heic, wide, narrow])
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, post.url)
        await telegram.await_for("sendMessage", timeout=30)
        [photos] = telegram.calls_to("sendMediaGroup")
        [document] = telegram.calls_to("sendDocument")
    converted_heic, resized = album_uploads(photos)
    assert converted_heic[:2] == b"\xff\xd8" and image_size(converted_heic) == (400, 300)
    assert image_size(resized) == (9375, 625)
    assert document.ok and document.upload("document").data == narrow  # ratio 30: only a document shows it


async def test_file_mode_sends_originals_as_documents(telegram, world, video, tmp_path):
    heic = media.heic(200, 200)
    post, images = slideshow_of(world, 2, images=[heic, media.jpeg(100, 100)])
    async with bot_in_world(telegram, world, tmp_path) as bot:
        await bot.repositories.chats.set_file_mode(USER, "private", True)
        telegram.private_message(USER, video.url)
        [document] = await telegram.await_for("sendDocument", timeout=30)
        assert document.upload("document").data == media.sample("h264.mp4")
        telegram.private_message(USER, post.url)
        [album] = await telegram.await_for("sendMediaGroup", timeout=30)
        assert [item["type"] for item in album.params["media"]] == ["document", "document"]
        assert album_uploads(album) == images
    assert telegram.calls_to("sendVideo") == []


async def test_music_button_sends_the_sound_even_after_a_restart(telegram, world, video, tmp_path):
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, video.url)
        [sent] = await telegram.await_for("sendVideo", timeout=30)
        await downloads(bot)
    async with bot_in_world(telegram, world, tmp_path) as bot:  # a new process: nothing in memory
        telegram.callback_query(USER, f"mu:tiktok:{VIDEO_ID}", message=sent.result)
        [audio] = await telegram.await_for("sendAudio", timeout=30)
        assert audio.ok and audio.upload("audio").data == media.sample("sound.mp3")
        assert (audio.params["title"], audio.params["performer"], audio.params["duration"]) == (
            "Song <One>", "Band & Co", 2)
        assert audio.upload("thumbnail") is not None
        assert audio.params["reply_parameters"]["message_id"] == sent.result["message_id"]
        assert (await downloads(bot, 2))[-1][5:] == ("music", False)
        telegram.callback_query(OTHER, f"mu:tiktok:{VIDEO_ID}", message=sent.result)
        second = (await telegram.await_for("sendAudio", count=2, timeout=30))[-1]
        assert second.params["audio"] == audio.result["audio"]["file_id"]


async def test_forged_music_button_is_ignored(telegram, world, tmp_path):
    async with bot_in_world(telegram, world, tmp_path):
        telegram.callback_query(USER, "mu:tiktok:../../etc", message=None, inline_message_id="x")
        answer = (await telegram.await_for("answerCallbackQuery", timeout=10))[-1]
        assert answer.ok
    assert world.tiktok.requests == [] and telegram.calls_to("sendAudio") == []


async def test_groups_answer_links_and_ignore_chatter_and_errors(telegram, world, video, tmp_path):
    gone = world.tiktok.add_unavailable("7312345678901234999", 10204)
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.group_message(GROUP, USER, "hello everyone, what's up?")
        telegram.group_message(GROUP, USER, gone)
        reaction = (await telegram.await_for("setMessageReaction", timeout=30))[-1]
        assert reaction.params["chat_id"] == GROUP
        telegram.group_message(GROUP, USER, f"{video.url}")
        [sent] = await telegram.await_for("sendVideo", timeout=30)
        assert sent.params["chat_id"] == GROUP
        assert telegram.calls_to("sendMessage") == []  # never an error text in a group
        assert (await downloads(bot))[0][2] == "group"


async def test_groups_get_the_first_ten_images_with_a_note(telegram, world, tmp_path):
    post, images = slideshow_of(world, 12)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.group_message(GROUP, USER, post.url)
        # The group's one album (the two pictures it is not shown go to the storage channel in an album too).
        [album] = await telegram.await_for("sendMediaGroup", timeout=30,
                                           predicate=lambda call: call.params["chat_id"] == GROUP)
        await telegram.await_for("sendMessage", timeout=10)  # the sound button
    assert album_uploads(album) == images[:10]
    assert "Showing 10 of 12 images" in album.params["media"][0]["caption"]


async def test_a_group_shown_ten_pictures_leaves_the_whole_post_in_the_cache(telegram, world, tmp_path):
    """The pictures a group is not shown go to the storage channel, so a private chat later gets all 12 by
    file id, without TikTok."""
    post, images = slideshow_of(world, 12)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.group_message(GROUP, USER, post.url)
        await telegram.await_for("sendMediaGroup", count=2, timeout=30)
        cdn_hits = len(world.tiktok.cdn_hits())
        telegram.private_message(USER, post.url)
        private = await telegram.await_for("sendMediaGroup", count=2, timeout=30,
                                           predicate=lambda c: c.params["chat_id"] == USER)
    stored = [c for c in telegram.calls_to("sendMediaGroup") if c.params["chat_id"] == STORAGE]
    assert [len(c.params["media"]) for c in stored] == [2] and album_uploads(stored[0]) == images[10:]
    sent_ids = [item["media"] for album in private for item in album.params["media"]]
    assert len(sent_ids) == 12 and all(isinstance(file_id, str) and not file_id.startswith("attach://")
                                       for file_id in sent_ids)
    assert len(world.tiktok.cdn_hits()) == cdn_hits


async def test_without_a_storage_channel_a_partly_shown_post_is_not_cached(telegram, world, tmp_path):
    """In file mode as well: the group gets 10 files, a private chat later gets all 12."""
    post, images = slideshow_of(world, 12)
    async with bot_in_world(telegram, world, tmp_path, storage_channel_id=None) as bot:
        for chat, kind in ((GROUP, "group"), (USER, "private")):
            await bot.repositories.chats.set_file_mode(chat, kind, True)
        telegram.group_message(GROUP, USER, post.url)
        [group] = await telegram.await_for("sendMediaGroup", timeout=30)
        telegram.private_message(USER, post.url)
        private = await telegram.await_for("sendMediaGroup", count=2, timeout=30,
                                           predicate=lambda c: c.params["chat_id"] == USER)
    assert len(group.params["media"]) == 10
    assert sorted(data for album in private for data in album_uploads(album)) == sorted(images)


async def test_inline_video_goes_through_the_storage_channel(telegram, world, video, tmp_path):
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.inline_query(USER, video.url)
        [answer] = await telegram.await_for("answerInlineQuery", timeout=30)
        [result] = answer.params["results"]
        assert result["type"] == "photo" and result["reply_markup"]["inline_keyboard"]
        telegram.chosen_inline_result(USER, result["id"], video.url, inline_message_id="inline-1")
        [edit] = await telegram.await_for("editMessageMedia", timeout=30)
        stored = [c for c in telegram.calls_to("sendVideo") if c.params["chat_id"] == STORAGE]
        assert len(stored) == 1 and stored[0].upload("video").data == media.sample("h264.mp4")
        assert str(USER) not in stored[0].params["caption"] and "Alice" not in stored[0].params["caption"]
        assert edit.ok and edit.params["inline_message_id"] == "inline-1"
        assert edit.params["media"]["media"] == stored[0].result["video"]["file_id"]
        assert (await downloads(bot))[0][2:] == ("inline", "tiktok", VIDEO_ID, "video", False)

        telegram.inline_query(OTHER, video.url)  # now cached: offered directly by file id
        second = (await telegram.await_for("answerInlineQuery", count=2, timeout=10))[-1]
        assert second.params["results"][0]["video_file_id"] == stored[0].result["video"]["file_id"]


async def test_inline_slideshow_pages_survive_a_restart(telegram, world, tmp_path):
    post, images = slideshow_of(world, 3)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.inline_query(USER, post.url)
        [answer] = await telegram.await_for("answerInlineQuery", timeout=30)
        telegram.chosen_inline_result(USER, answer.params["results"][0]["id"], post.url, inline_message_id="slides")
        [first] = await telegram.await_for("editMessageMedia", timeout=30)
    [stored] = [c for c in telegram.calls_to("sendMediaGroup") if c.params["chat_id"] == STORAGE]
    assert album_uploads(stored) == images
    file_ids = [m["photo"][-1]["file_id"] for m in stored.result]
    assert first.params["media"]["media"] == file_ids[0]
    navigation = first.params["reply_markup"]["inline_keyboard"][0]
    assert [b["text"] for b in navigation] == ["◀", "1/3", "▶"]
    async with bot_in_world(telegram, world, tmp_path):
        telegram.callback_query(USER, navigation[2]["callback_data"], inline_message_id="slides")
        second = (await telegram.await_for("editMessageMedia", count=2, timeout=30))[-1]
    assert second.ok and second.params["media"]["media"] == file_ids[1]
    assert [b["text"] for b in second.params["reply_markup"]["inline_keyboard"][0]] == ["◀", "2/3", "▶"]


async def test_inline_mode_without_a_storage_channel_says_so(telegram, world, video, tmp_path):
    async with bot_in_world(telegram, world, tmp_path, storage_channel_id=None):
        telegram.inline_query(USER, video.url)
        [answer] = await telegram.await_for("answerInlineQuery", timeout=30)
    [result] = answer.params["results"]
    assert result["type"] == "article" and "not set up" in result["title"]


ERRORS = [
    ("deleted", lambda w: w.tiktok.add_unavailable("7312345678900000001", 10204), "This post was deleted"),
    ("private", lambda w: w.tiktok.add_unavailable("7312345678900000002", 10222), "This post is private"),
    ("region", lambda w: w.tiktok.add_unavailable("7312345678900000003", 10231), "isn't available in the region"),
    ("too long", lambda w: w.tiktok.add_video("7312345678900000004", duration=4000), "too long"),
    ("unsupported link", lambda w: "https://www.youtube.com/watch?v=abc", "This link isn't one of them"),
    ("no link", lambda w: "hi bot, how are you?", "Send me a link"),
]


@pytest.mark.parametrize(("name", "make", "expected"), ERRORS, ids=[e[0] for e in ERRORS])
async def test_each_error_gets_its_own_message(telegram, world, tmp_path, name, make, expected):
    target = make(world)
    text = target if isinstance(target, str) else target.url
    async with bot_in_world(telegram, world, tmp_path, max_video_duration=3600):
        telegram.private_message(USER, text)
        reply = (await telegram.await_for("sendMessage", timeout=30))[-1]
    assert reply.ok and expected in reply.params["text"]


@pytest.mark.parametrize("world_proxies", [{"limited": "rate_limited"}])
async def test_rate_limited_everywhere_is_reported(telegram, world, video, tmp_path):
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, video.url)
        reply = (await telegram.await_for("sendMessage", timeout=60))[-1]
    assert "limiting requests" in reply.params["text"]


@pytest.mark.parametrize("world_proxies", [{"dead": "dead"}])
async def test_unreachable_tiktok_is_a_network_error(telegram, world, video, tmp_path):
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, video.url)
        reply = (await telegram.await_for("sendMessage", timeout=60))[-1]
    assert "couldn't reach TikTok" in reply.params["text"]


@pytest.mark.parametrize("kind", ["photo", "voice"])
async def test_media_instead_of_a_link_is_explained(telegram, world, tmp_path, kind):
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, "", **{kind: True})
        reply = (await telegram.await_for("sendMessage", timeout=30))[-1]
    assert "I work with links" in reply.params["text"]


async def test_telegram_429_is_waited_out(telegram, world, video, tmp_path):
    telegram.fail_next("sendVideo", error_code=429, retry_after=1)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, video.url)
        calls = await telegram.await_for("sendVideo", count=2, timeout=30)
    assert calls[0].error and calls[1].ok
    assert calls[1].at - calls[0].at >= 1.0
    assert calls[1].upload("video").data == media.sample("h264.mp4")
    # The upload streams from the CDN, so the resend after the wait streams the video again.
    assert len([hit for hit in world.tiktok.cdn_hits() if "/video/tos/" in hit.path]) == 2


async def test_user_who_blocked_the_bot_is_marked_and_left_alone(telegram, world, video, tmp_path):
    telegram.block_chat(USER)
    async with bot_in_world(telegram, world, tmp_path) as bot:
        await bot.repositories.chats.register(USER, "private")
        telegram.private_message(USER, video.url)
        await telegram.await_for("sendVideo", timeout=30)

        async def blocked():
            return (await bot.repositories.chats.get(USER)).blocked_at is not None

        await eventually(blocked)
    assert telegram.calls_to("sendMessage") == []


async def test_reply_to_a_deleted_message_is_sent_without_the_reply(telegram, world, video, tmp_path):
    telegram.fail_next("sendVideo", error_code=400, description="Bad Request: message to be replied not found")
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, video.url)
        calls = await telegram.await_for("sendVideo", count=2, timeout=30)
    assert calls[0].params.get("reply_parameters") and "reply_parameters" not in calls[1].params
    assert calls[1].ok



async def test_sound_under_an_inline_message_goes_to_the_private_chat_or_offers_start(
    telegram, world, video, tmp_path,
):
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.callback_query(OTHER, f"mu:tiktok:{VIDEO_ID}", inline_message_id="inline-9")
        offer = (await telegram.await_for("answerCallbackQuery", timeout=30))[-1]
        assert offer.params["url"] == "https://t.me/test_downloader_bot?start=sound"
        assert telegram.calls_to("sendAudio") == []

        await bot.repositories.chats.register(USER, "private")
        telegram.callback_query(USER, f"mu:tiktok:{VIDEO_ID}", inline_message_id="inline-9")
        [audio] = await telegram.await_for("sendAudio", timeout=30)
    assert audio.params["chat_id"] == USER and audio.upload("audio").data == media.sample("sound.mp3")
