"""Media no other bot makes, end to end: slideshows rendered as one video with their sound (🎬, the /mode
setting, inline), the sound of any video (🎵 under Instagram reels), H.265-only videos made playable and
videos over the upload limit compressed. What reached the fake Telegram is decoded with PyAV."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import pytest
from PIL import Image, ImageStat

from media_types.video.slideshow import SLIDESHOW_FPS as FPS
from tests.fakes import media
from tests.fakes.tiktok import Music as FakeMusic
from tests.fakes.tiktok import VideoFormat as FakeFormat
from tests.harness import STORAGE, bot_in_world, downloads, eventually

USER, OTHER, THIRD = 6001, 6002, 6003
SLIDES_ID, VIDEO_ID = "7312345678905550001", "7312345678905550002"
COLORS = [(220, 40, 40), (40, 200, 60), (40, 60, 220)]
PICTURE_SECONDS = 1.5  # a 2 s sound shared by three pictures is clamped up to 1.5 s each

pytestmark = pytest.mark.usefixtures("trust_world")


@dataclass
class Decoded:
    video_codec: str
    width: int
    height: int
    duration: float
    audio_codec: str | None
    audio_duration: float
    pixel_format: str
    codec_tag: str


def decode(data: bytes) -> Decoded:
    with av.open(io.BytesIO(data)) as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        audio_duration = float(audio.duration * audio.time_base) if audio and audio.duration else 0.0
        duration = float(video.duration * video.time_base) if video.duration else container.duration / av.time_base
        return Decoded(video.codec_context.name, video.codec_context.width, video.codec_context.height,
                       duration, audio.codec_context.name if audio else None,
                       audio_duration, video.codec_context.format.name if video.codec_context.format else "",
                       video.codec_tag)


def mean_colors_at(data: bytes, seconds: list[float]) -> list[tuple[float, ...]]:
    """The mean RGB of the frame shown at each moment (the first frame at or after it)."""
    wanted = sorted(seconds)
    found: list[tuple[float, ...]] = []
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(video=0):
            if wanted and frame.time is not None and frame.time >= wanted[0]:
                found.append(tuple(ImageStat.Stat(frame.to_image()).mean))
                wanted.pop(0)
    return found


def close_to(color: tuple[float, ...], expected: tuple[float, ...], tolerance: float = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=True))


def picture_mean(data: bytes) -> tuple[float, ...]:
    with Image.open(io.BytesIO(data)) as image:
        return tuple(ImageStat.Stat(image.convert("RGB")).mean)


@pytest.fixture
def slideshow(world):
    images = [media.jpeg(360, 480, color) for color in COLORS]
    post = world.tiktok.add_slideshow(SLIDES_ID, images=images, desc="three <colours>",
                                      music=FakeMusic(title="Tune", author="Band", duration=2))
    return post, images


def buttons(call) -> dict[str, str]:
    return {b["text"]: b["callback_data"] for row in call.params["reply_markup"]["inline_keyboard"] for b in row}


async def test_the_video_button_renders_the_slideshow_once_with_its_sound(telegram, world, slideshow, tmp_path):
    post, images = slideshow
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, post.url)
        prompt = (await telegram.await_for("sendMessage", timeout=30))[-1]
        assert set(buttons(prompt)) == {"🎵 Sound", "🎬 Video"}
        telegram.callback_query(USER, buttons(prompt)["🎬 Video"], message=prompt.result)
        [sent] = await telegram.await_for("sendVideo", timeout=60)
        assert sent.ok, sent.error
        data = sent.upload("video").data
        shown = decode(data)
        assert (shown.video_codec, shown.audio_codec, shown.pixel_format) == ("h264", "aac", "yuv420p")
        assert (shown.width, shown.height) == (360, 480)  # the pictures' common size
        plan = PICTURE_SECONDS * len(images)
        assert abs(shown.duration - plan) <= 1 / FPS  # within one frame of the plan
        assert abs(shown.audio_duration - plan) <= 0.1  # the 2 s sound looped to the video's length
        middles = [PICTURE_SECONDS * (i + 0.5) for i in range(len(images))]
        for color, image in zip(mean_colors_at(data, middles), images, strict=True):
            assert close_to(color, picture_mean(image))
        assert (sent.params["width"], sent.params["height"], sent.params["duration"]) == (360, 480, round(plan))
        assert sent.params["supports_streaming"] is True and sent.upload("thumbnail") is not None
        assert "three &lt;colours&gt;" in sent.params["caption"]
        assert set(buttons(sent)) == {"🎵 Sound", "🖼 Pictures"}

        cdn = len(world.tiktok.cdn_hits())
        telegram.callback_query(OTHER, buttons(prompt)["🎬 Video"], message=prompt.result)
        again = (await telegram.await_for("sendVideo", count=2, timeout=30))[-1]
        assert again.ok and again.files == {} and again.params["video"] == sent.result["video"]["file_id"]
        assert len(world.tiktok.cdn_hits()) == cdn  # nothing downloaded, nothing rendered


async def test_the_chat_setting_sends_slideshows_as_video_and_pictures_on_request(telegram, world, slideshow,
                                                                                  tmp_path):
    post, images = slideshow
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.command(USER, "mode")
        menu = (await telegram.await_for("sendMessage", timeout=10))[-1]
        telegram.callback_query(USER, buttons(menu)["Slideshows as one video"], message=menu.result)
        edited = (await telegram.await_for("editMessageText", timeout=10))[-1]
        assert "one video" in edited.params["text"] and "Slideshows as pictures" in buttons(edited)
        assert (await bot.repositories.chats.get(USER)).slideshow_video is True

        telegram.private_message(USER, post.url)
        [video] = await telegram.await_for("sendVideo", timeout=60)
        assert decode(video.upload("video").data).video_codec == "h264"
        assert telegram.calls_to("sendMediaGroup") == []
        telegram.callback_query(USER, buttons(video)["🖼 Pictures"], message=video.result)
        [album] = await telegram.await_for("sendMediaGroup", timeout=30)
        assert [album.upload(item["media"]).data for item in album.params["media"]] == images


async def test_a_burst_of_video_requests_renders_once(telegram, world, slideshow, tmp_path):
    post, _ = slideshow
    async with bot_in_world(telegram, world, tmp_path) as bot:
        for user in (USER, OTHER, THIRD):
            await bot.repositories.chats.set_slideshow_video(user, "private", True)
        for user in (USER, OTHER, THIRD):
            telegram.private_message(user, post.url)
        sent = await telegram.await_for("sendVideo", count=3, timeout=60)
    assert all(call.ok for call in sent)
    uploads = [call for call in sent if call.files]
    assert len(uploads) == 1  # one render, one upload; the others by its file id
    assert {call.params["video"] for call in sent if not call.files} == {uploads[0].result["video"]["file_id"]}


async def test_inline_mode_offers_a_slideshow_as_one_video(telegram, world, slideshow, tmp_path):
    post, _ = slideshow
    async with bot_in_world(telegram, world, tmp_path):
        telegram.inline_query(USER, post.url)
        [answer] = await telegram.await_for("answerInlineQuery", timeout=30)
        titles = [result["title"] for result in answer.params["results"]]
        assert titles == ["Send this post", "🎬 Send as one video"]
        video_result = answer.params["results"][1]
        telegram.chosen_inline_result(USER, video_result["id"], post.url, inline_message_id="as-video")
        [edit] = await telegram.await_for("editMessageMedia", timeout=60)
        [stored] = [c for c in telegram.calls_to("sendVideo") if c.params["chat_id"] == STORAGE]
        assert decode(stored.upload("video").data).audio_codec == "aac"
        assert edit.ok and edit.params["media"]["type"] == "video"
        assert edit.params["media"]["media"] == stored.result["video"]["file_id"]

        telegram.inline_query(OTHER, post.url)  # now rendered: offered by file id
        second = (await telegram.await_for("answerInlineQuery", count=2, timeout=10))[-1]
        assert second.params["results"][1]["video_file_id"] == stored.result["video"]["file_id"]


async def test_an_instagram_reel_has_a_sound_button_that_takes_its_audio_out(telegram, world, tmp_path):
    reel = world.instagram.add_reel("ReelSound1", caption="beach day\nwith friends", user="surfer")
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, reel.url)
        [video] = await telegram.await_for("sendVideo", timeout=30)
        assert video.upload("video").data == media.sample("h264.mp4")
        telegram.callback_query(USER, buttons(video)["🎵 Sound"], message=video.result)
        [audio] = await telegram.await_for("sendAudio", timeout=30)
        assert audio.ok, audio.error
        assert (audio.params["title"], audio.params["performer"]) == ("beach day", "surfer")
        sound = audio.upload("audio")
        assert sound.filename.endswith(".m4a")
        with av.open(io.BytesIO(sound.data)) as container, av.open(io.BytesIO(media.sample("h264.mp4"))) as source:
            assert not container.streams.video
            [track], [original] = container.streams.audio, source.streams.audio
            assert track.codec_context.name == "aac"
            # taken out as it was: the same packets, not a re-encoding
            assert [bytes(p) for p in container.demux(track) if p.size] == \
                [bytes(p) for p in source.demux(original) if p.size]

        telegram.callback_query(OTHER, buttons(video)["🎵 Sound"], message=video.result)
        again = (await telegram.await_for("sendAudio", count=2, timeout=30))[-1]
        assert again.files == {} and again.params["audio"] == audio.result["audio"]["file_id"]


async def test_a_carousels_sound_button_sends_the_sound_of_each_clip_that_has_one(telegram, world, tmp_path):
    silent = media.noise_video(tmp_path / "silent.mp4", 1, audio=False).read_bytes()
    carousel = world.instagram.add_carousel("CarSound12", items=[
        ("photo", None), ("video", None), ("video", silent), ("photo", None)])
    async with bot_in_world(telegram, world, tmp_path) as bot:
        telegram.private_message(USER, carousel.url)
        prompt = (await telegram.await_for("sendMessage", timeout=30))[-1]
        assert set(buttons(prompt)) == {"🎵 Sound"}  # clips among the pictures: no slideshow to render
        telegram.callback_query(USER, buttons(prompt)["🎵 Sound"], message=prompt.result)
        [audio] = await telegram.await_for("sendAudio", timeout=30)
        assert (await downloads(bot, 2))[-1][5] == "music"  # the sound request is done: every clip was tried
    assert audio.ok and decode_audio_codec(audio.upload("audio").data) == "aac"
    assert len(telegram.calls_to("sendAudio")) == 1  # the silent clip gives none


def decode_audio_codec(data: bytes) -> str:
    with av.open(io.BytesIO(data)) as container:
        [track] = container.streams.audio
        return track.codec_context.name


async def test_an_h265_only_video_is_transcoded_to_h264(telegram, world, tmp_path):
    post = world.tiktok.add_video(VIDEO_ID, formats=[FakeFormat(codec="h265")])
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, post.url)
        [sent] = await telegram.await_for("sendVideo", timeout=60)
    shown = decode(sent.upload("video").data)
    assert (shown.video_codec, shown.pixel_format, shown.audio_codec) == ("h264", "yuv420p", "aac")
    assert (shown.width, shown.height) == (media.SAMPLE_WIDTH, media.SAMPLE_HEIGHT)
    assert abs(shown.duration - media.SAMPLE_SECONDS) <= 0.1
    assert (sent.params["width"], sent.params["height"], sent.params["duration"]) == (360, 640, 2)


async def test_a_long_h265_only_video_is_tagged_hvc1_not_transcoded(telegram, world, tmp_path):
    post = world.tiktok.add_video(VIDEO_ID, formats=[FakeFormat(codec="h265")])
    async with bot_in_world(telegram, world, tmp_path, convert_max_duration=1):
        telegram.private_message(USER, post.url)
        [sent] = await telegram.await_for("sendVideo", timeout=60)
    shown = decode(sent.upload("video").data)
    assert (shown.video_codec, shown.codec_tag) == ("hevc", "hvc1")


async def test_a_video_over_the_upload_limit_is_compressed_and_the_user_told(telegram, world, tmp_path):
    limit = 50 * 1024 * 1024
    post = world.tiktok.add_video(VIDEO_ID, formats=[FakeFormat(data=media.mp4_of_size(limit + 1024 * 1024))])
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, post.url)
        [sent] = await telegram.await_for("sendVideo", timeout=60)
        note = next(c for c in telegram.calls_to("sendMessage") if "compressing" in c.params["text"])
        deleted = await eventually(lambda: [c for c in telegram.calls_to("deleteMessage")
                                            if c.params["message_id"] == note.result["message_id"]])
    assert deleted and "50 MB" in note.params["text"]
    upload = sent.upload("video")
    assert upload.size < limit
    shown = decode(upload.data)
    assert (shown.video_codec, shown.audio_codec) == ("h264", "aac")
    assert abs(shown.duration - media.SAMPLE_SECONDS) <= 0.1


async def test_a_video_too_large_and_too_long_to_compress_is_refused_without_a_download(telegram, world, tmp_path):
    post = world.tiktok.add_video(VIDEO_ID, duration=600,
                                  formats=[FakeFormat(data=media.mp4_of_size(51 * 1024 * 1024))])
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, post.url)
        reply = (await telegram.await_for("sendMessage", timeout=60))[-1]
    assert "too large" in reply.params["text"] and world.tiktok.cdn_hits() == []


async def test_a_video_asked_as_video_by_a_chat_with_the_setting_comes_from_the_post_cache(telegram, world,
                                                                                          tmp_path):
    """A video has no other form: the setting's jobs take its cached post, by file id."""
    post = world.tiktok.add_video(VIDEO_ID)
    async with bot_in_world(telegram, world, tmp_path) as bot:
        await bot.repositories.chats.set_slideshow_video(OTHER, "private", True)
        telegram.private_message(USER, post.url)
        [first] = await telegram.await_for("sendVideo", timeout=30)
        await downloads(bot)
        cdn = len(world.tiktok.cdn_hits())
        telegram.private_message(OTHER, post.url)
        second = (await telegram.await_for("sendVideo", count=2, timeout=30))[-1]
    assert second.files == {} and second.params["video"] == first.result["video"]["file_id"]
    assert len(world.tiktok.cdn_hits()) == cdn


async def test_a_single_picture_is_no_slideshow(telegram, world, tmp_path):
    photo = world.instagram.add_photo("OnePhoto12", image=media.jpeg(600, 800))
    async with bot_in_world(telegram, world, tmp_path) as bot:
        await bot.repositories.chats.set_slideshow_video(USER, "private", True)
        telegram.private_message(USER, photo.url)
        [sent] = await telegram.await_for("sendPhoto", timeout=30)
        await downloads(bot)
    assert sent.params.get("reply_markup") is None and telegram.calls_to("sendVideo") == []


@pytest.mark.parametrize("data", [f"fm:tiktok:{SLIDES_ID}:sound", "fm:tiktok:../../x:video", "fm:youtube:abcdef:video"])
async def test_a_forged_form_button_does_nothing(telegram, world, slideshow, tmp_path, data):
    async with bot_in_world(telegram, world, tmp_path):
        telegram.callback_query(USER, data, message={"message_id": 5, "date": 0,
                                                     "chat": {"id": USER, "type": "private"}})
        answer = (await telegram.await_for("answerCallbackQuery", timeout=10))[-1]
    assert answer.ok and world.tiktok.requests == []
    assert telegram.calls_to("sendVideo") == telegram.calls_to("sendAudio") == []
