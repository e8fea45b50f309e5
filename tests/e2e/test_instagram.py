"""Instagram: the pipeline over the real yt-dlp Instagram extractor, and delivery on every surface, with the
uploaded bytes compared to what the fake CDN served."""

from __future__ import annotations

import pytest

from data.config import PipelineSettings
from instagram_api import InstagramClient, parse_link
from pipeline import Gallery, ItemDeletedError, LoginRequiredError, Video
from tests.fakes import media
from tests.harness import STORAGE, bot_in_world

USER, GROUP = 7001, -1007002

pytestmark = pytest.mark.usefixtures("trust_world")


@pytest.fixture
async def client(world):
    client = InstagramClient(PipelineSettings(_env_file=None, proxy_file=world.proxy_file, ssl_cert_file=world.ca_path))
    yield client
    await client.close()


async def fetch(client: InstagramClient, url: str):
    session = client.session()
    return session, await client.extract(await client.resolve(parse_link(url), session), session)


async def test_reel_photo_and_carousel_are_extracted_in_order(world, client, tmp_path) -> None:
    reel = world.instagram.add_reel("ReelAbc123", caption="dance <3")
    session, video = await fetch(client, reel.url)
    assert isinstance(video, Video) and video.formats[0].width == 360 and video.description == "dance <3"
    _, file = await client.download_video(video, tmp_path, session)
    assert file.path.read_bytes() == media.sample("h264.mp4")

    photo = world.instagram.add_photo("PhotoAbc12", image=media.jpeg(800, 600))
    _, post = await fetch(client, photo.url)
    assert isinstance(post, Gallery) and [e.kind for e in post.entries] == ["photo"]

    kinds = ["photo", "video", "photo", "photo", "video", "photo", "video", "photo", "photo", "video", "photo",
             "photo"]
    carousel = world.instagram.add_carousel("CarouselAb1", items=[(kind, None) for kind in kinds])
    session, gallery = await fetch(client, carousel.url)
    assert [entry.kind for entry in gallery.entries] == kinds
    files = await client.download_gallery(gallery, tmp_path, session)
    assert [f.path.read_bytes() for f in files] == [item.data for item in carousel.items]


async def test_missing_and_login_walled_posts_are_typed(world, client) -> None:
    with pytest.raises(ItemDeletedError):
        await fetch(client, world.instagram.add_not_found("GoneAbc123"))
    with pytest.raises(LoginRequiredError):
        await fetch(client, world.instagram.add_login_required("WalledAb12"))


def album_uploads(call) -> list[tuple[str, bytes]]:
    return [(item["type"], call.upload(item["media"]).data) for item in call.params["media"]]


async def test_private_reel_photo_and_mixed_carousel(telegram, world, tmp_path) -> None:
    reel = world.instagram.add_reel("ReelPriv12")
    photo_bytes = media.jpeg(640, 800)
    photo = world.instagram.add_photo("PhotoPriv1", image=photo_bytes)
    kinds = ["video", "photo"] * 6
    carousel = world.instagram.add_carousel("CarPriv123", items=[(kind, None) for kind in kinds])
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, reel.url)
        [video] = await telegram.await_for("sendVideo", timeout=30)
        telegram.private_message(USER, photo.url.replace("/p/", "/someone/p/"))
        [picture] = await telegram.await_for("sendPhoto", timeout=30)
        telegram.private_message(USER, carousel.url)
        albums = await telegram.await_for("sendMediaGroup", count=2, timeout=30)
    assert video.ok and video.upload("video").data == media.sample("h264.mp4")
    [[sound]] = video.params["reply_markup"]["inline_keyboard"]  # its audio track, taken out on request
    assert sound["callback_data"] == "mu:instagram:ReelPriv12"
    assert picture.ok and picture.upload("photo").data == photo_bytes
    assert [len(call.params["media"]) for call in albums] == [6, 6]
    sent = [pair for call in albums for pair in album_uploads(call)]
    assert [kind for kind, _ in sent] == kinds  # photos and clips share albums, in the post's order
    assert [data for _, data in sent] == [item.data for item in carousel.items]


async def test_group_and_inline_reel(telegram, world, tmp_path) -> None:
    reel = world.instagram.add_reel("ReelGrp123")
    async with bot_in_world(telegram, world, tmp_path):
        telegram.group_message(GROUP, USER, f"look {reel.url}")
        [group_video] = await telegram.await_for("sendVideo", timeout=30)
        telegram.inline_query(USER, reel.url)
        [answer] = await telegram.await_for("answerInlineQuery", timeout=30)
        [result] = answer.params["results"]
        assert result["type"] == "video"  # already uploaded once: offered by file id
        telegram.chosen_inline_result(USER, result["id"], reel.url, inline_message_id="ig-inline")
        await telegram.await_for("answerInlineQuery", timeout=5)
    assert group_video.params["chat_id"] == GROUP and group_video.upload("video").data == media.sample("h264.mp4")
    assert result["video_file_id"] == group_video.result["video"]["file_id"]


async def test_inline_carousel_goes_through_the_storage_channel(telegram, world, tmp_path) -> None:
    carousel = world.instagram.add_carousel("CarInl1234", items=[("photo", None), ("video", None), ("photo", None)])
    async with bot_in_world(telegram, world, tmp_path):
        telegram.inline_query(USER, carousel.url)
        [answer] = await telegram.await_for("answerInlineQuery", timeout=30)
        telegram.chosen_inline_result(USER, answer.params["results"][0]["id"], carousel.url,
                                      inline_message_id="ig-carousel")
        [first] = await telegram.await_for("editMessageMedia", timeout=30)
        [stored] = [c for c in telegram.calls_to("sendMediaGroup") if c.params["chat_id"] == STORAGE]
        navigation = first.params["reply_markup"]["inline_keyboard"][0]
        telegram.callback_query(USER, navigation[2]["callback_data"], inline_message_id="ig-carousel")
        second = (await telegram.await_for("editMessageMedia", count=2, timeout=30))[-1]
    assert [data for _, data in album_uploads(stored)] == [item.data for item in carousel.items]
    assert first.params["media"]["type"] == "photo" and second.params["media"]["type"] == "video"
    assert [b["text"] for b in navigation] == ["◀", "1/3", "▶"]


@pytest.mark.parametrize(
    ("make", "expected"),
    [(lambda ig: ig.add_not_found("GoneMsg123"), "deleted, or it never existed"),
     (lambda ig: ig.add_login_required("WallMsg123"), "Instagram shows this post only to logged-in users")],
    ids=["not-found", "login-required"],
)
async def test_failures_get_their_specific_messages(telegram, world, tmp_path, make, expected) -> None:
    url = make(world.instagram)
    async with bot_in_world(telegram, world, tmp_path):
        telegram.private_message(USER, url)
        reply = (await telegram.await_for("sendMessage", timeout=60))[-1]
    assert expected in reply.params["text"]
