"""The three stages against the offline TikTok: real yt-dlp, real curl_cffi, real proxies, fake origin."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest

from data.config import PipelineSettings
from pipeline import (
    ClassifiedContentError,
    Gallery,
    InvalidLinkError,
    ItemDeletedError,
    ItemPrivateError,
    ItemUnderReviewError,
    LoginRequiredError,
    NetworkError,
    RegionBlockedError,
    TooLargeError,
    TooLongError,
    Video,
)
from tests.fakes import media
from tests.fakes.tiktok import Music as FakeMusic
from tests.fakes.tiktok import VideoFormat as FakeFormat
from tests.fakes.world import ProxyConfig, TikTokWorld
from tests.harness import eventually
from tiktok_api import TikTokClient, parse_link

ITEM = "7312345678901234567"


def pipeline_settings(world: TikTokWorld, **overrides: object) -> PipelineSettings:
    return PipelineSettings(_env_file=None, proxy_file=world.proxy_file, ssl_cert_file=world.ca_path, **overrides)


@pytest.fixture
async def client(world: TikTokWorld, trust_world) -> AsyncIterator[TikTokClient]:
    client = TikTokClient(pipeline_settings(world))
    yield client
    await client.close()


def page_hits(world: TikTokWorld, item_id: str = ITEM) -> int:
    return sum(1 for hit in world.tiktok.requests if hit.path.rstrip("/").endswith(f"/video/{item_id}"))


async def fetch_item(client: TikTokClient, url: str):
    session = client.session()
    item = await client.resolve(parse_link(url), session)
    return session, await client.extract(item, session)


async def test_video_is_extracted_and_the_h264_format_downloaded(world, client, tmp_path) -> None:
    post = world.tiktok.add_video(ITEM, duration=2)
    session, video = await fetch_item(client, post.url)
    assert isinstance(video, Video)
    assert {(f.codec, f.width, f.height) for f in video.formats} == {("h264", 360, 640), ("h265", 360, 640)}
    assert video.duration == 2 and video.author == "alice"
    assert video.music is not None and video.music.title == "original sound"

    chosen, file = await client.download_video(video, tmp_path, session, max_bytes=50 * 1024 * 1024)
    assert chosen.codec == "h264"
    assert file.path.read_bytes() == media.sample("h264.mp4")
    [cdn] = world.tiktok.cdn_hits()
    assert cdn.status == 200 and "tt_chain_token=" in cdn.headers["Cookie"]
    assert cdn.headers["Referer"].startswith("https://www.tiktok.com/")


async def test_short_link_resolves_to_the_item(world, client) -> None:
    post = world.tiktok.add_video(ITEM)
    short = world.tiktok.add_short_link("ZMabc1234", post.url)
    session = client.session()
    item = await client.resolve(parse_link(short), session)
    assert (item.item_id, item.url) == (ITEM, f"https://www.tiktok.com/@alice/video/{ITEM}")


async def test_slideshow_images_arrive_in_order_with_the_sound(world, client, tmp_path) -> None:
    images = [media.jpeg(300, 400, (i * 60, 20, 20)) for i in range(4)]
    post = world.tiktok.add_slideshow(ITEM, images=images)
    session, slideshow = await fetch_item(client, post.url.replace("/video/", "/photo/"))
    assert isinstance(slideshow, Gallery) and [entry.kind for entry in slideshow.entries] == ["photo"] * 4
    files = await client.download_gallery(slideshow, tmp_path, session)
    assert [f.path.read_bytes() for f in files] == images

    music = await client.download(slideshow.music.media, tmp_path / "sound.mp3", session)
    assert music.path.read_bytes() == media.sample("sound.mp3")


async def test_music_of_a_video_has_its_metadata(world, client, tmp_path) -> None:
    post = world.tiktok.add_video(ITEM, music=FakeMusic(title="Blinding <Lights>", author="The Weeknd", duration=2))
    session, video = await fetch_item(client, post.url)
    assert (video.music.title, video.music.author, video.music.duration) == ("Blinding <Lights>", "The Weeknd", 2)
    assert video.music.cover is not None
    file = await client.download(video.music.media, tmp_path / "m.mp3", session)
    assert file.path.read_bytes() == media.sample("sound.mp3")


@pytest.mark.parametrize(
    ("status", "error"),
    [(10204, ItemDeletedError), (10216, ItemUnderReviewError), (10222, ItemPrivateError), (10231, RegionBlockedError)],
)
async def test_permanent_statuses_are_never_retried(world, client, status, error) -> None:
    url = world.tiktok.add_unavailable(ITEM, status)
    with pytest.raises(error):
        await fetch_item(client, url)
    assert page_hits(world) == 1


async def test_login_wall_and_classified_content_are_permanent(world, client) -> None:
    walled = world.tiktok.add_login_required(ITEM)
    with pytest.raises(LoginRequiredError):
        await fetch_item(client, walled)
    classified = world.tiktok.add_classified(ITEM + "1")
    with pytest.raises(ClassifiedContentError):
        await fetch_item(client, classified)
    assert page_hits(world, ITEM) == 1 and page_hits(world, ITEM + "1") == 1


async def test_a_failing_stage_spends_only_its_own_budget(world, client, tmp_path) -> None:
    post = world.tiktok.add_video(ITEM)
    short = world.tiktok.add_short_link("ZMstage12", post.url)
    world.tiktok.fail_next("/ZMstage12", times=2)
    world.tiktok.fail_item(ITEM, times=2)
    world.tiktok.fail_next("/video/tos/", times=2)
    session, video = await fetch_item(client, short)
    await client.download_video(video, tmp_path, session, max_bytes=None)
    assert len(world.tiktok.hits("/ZMstage12")) == 3
    assert page_hits(world) == 3
    assert len(world.tiktok.hits("/video/tos/")) == 3


async def test_an_exhausted_stage_fails_without_touching_the_next(world, client, tmp_path) -> None:
    post = world.tiktok.add_video(ITEM)
    world.tiktok.fail_item(ITEM, times=3)
    with pytest.raises(NetworkError):
        await fetch_item(client, post.url)
    assert page_hits(world) == 3
    assert world.tiktok.cdn_hits() == []

    world.tiktok.reset()
    world.tiktok.fail_next("/video/tos/", times=3)
    session, video = await fetch_item(client, post.url)
    with pytest.raises(NetworkError):
        await client.download(video.formats[0].media, tmp_path / "v.mp4", session)
    assert page_hits(world) == 1
    assert len(world.tiktok.cdn_hits()) == 3
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "world_proxies",
    [{"dead": "dead", "good": "healthy"}, {"blocked": "blocked", "good": "healthy"},
     {"limited": "rate_limited", "good": "healthy"}],
    ids=["dead", "blocked-403", "rate-limited-429"],
)
async def test_a_bad_first_proxy_is_rotated_away_and_the_good_one_sticks(world, client, tmp_path) -> None:
    post = world.tiktok.add_video(ITEM)
    session, video = await fetch_item(client, post.url)
    await client.download_video(video, tmp_path, session, max_bytes=None)
    good = world.proxies["good"].requests
    assert ("www.tiktok.com", 443) in good
    assert any(host.startswith(("v16-webapp", "v19-webapp")) for host, _ in good)


@pytest.mark.parametrize("world_proxies", [{"a": "dead", "b": "dead", "c": "refuse"}])
async def test_all_proxies_dead_is_a_network_error_soon(world, client) -> None:
    post = world.tiktok.add_video(ITEM)
    with pytest.raises(NetworkError):
        await asyncio.wait_for(fetch_item(client, post.url), timeout=60)
    assert world.tiktok.requests == []


async def test_one_image_failing_twice_does_not_restart_the_others(world, client, tmp_path) -> None:
    images = [media.jpeg(200, 200, (i * 40, 90, 90)) for i in range(5)]
    post = world.tiktok.add_slideshow(ITEM, images=images)
    session, slideshow = await fetch_item(client, post.url)
    flaky = post.image_urls[2].split("?")[0].split("tiktokcdn.com")[1]
    world.tiktok.fail_next(flaky, times=2, status=503)
    files = await client.download_gallery(slideshow, tmp_path, session)
    assert [f.path.read_bytes() for f in files] == images
    per_image = [len(world.tiktok.hits(url.split("?")[0].split("tiktokcdn.com")[1])) for url in post.image_urls]
    assert per_image == [1, 1, 3, 1, 1]


async def test_too_large_video_falls_back_to_a_smaller_variant(world, client, tmp_path) -> None:
    big, small = media.mp4_of_size(3_000_000), media.mp4_of_size(400_000)
    post = world.tiktok.add_video(ITEM, formats=[
        FakeFormat(data=big, codec="h264", width=1080, height=1920),
        FakeFormat(data=small, codec="h264", width=540, height=960),
    ])
    session, video = await fetch_item(client, post.url)
    chosen, file = await client.download_video(video, tmp_path, session, max_bytes=1_000_000)
    assert (chosen.media.size, file.path.read_bytes()) == (len(small), small)
    with pytest.raises(TooLargeError):
        await client.download_video(video, tmp_path, session, max_bytes=100_000)


async def test_h264_is_preferred_to_a_comparable_h265(world, client) -> None:
    post = world.tiktok.add_video(ITEM, formats=[
        FakeFormat(codec="h265", width=1080, height=1920),
        FakeFormat(codec="h264", width=1080, height=1920),
        FakeFormat(codec="h264", width=360, height=640),
    ])
    _, video = await fetch_item(client, post.url)
    from pipeline import rank_formats
    ranked = rank_formats(video.formats, None)
    assert (ranked[0].codec, ranked[0].height) == ("h264", 1920)


async def test_long_videos_are_refused_before_any_download(world, trust_world) -> None:
    client = TikTokClient(pipeline_settings(world, max_video_duration=60))
    post = world.tiktok.add_video(ITEM, duration=61)
    try:
        with pytest.raises(TooLongError):
            await fetch_item(client, post.url)
    finally:
        await client.close()
    assert world.tiktok.cdn_hits() == []


async def test_cancelled_download_leaves_no_file(world, client, tmp_path) -> None:
    post = world.tiktok.add_video(ITEM)
    session, video = await fetch_item(client, post.url)
    world.tiktok.fail_next("/video/tos/", status=None, delay=5)
    task = asyncio.create_task(client.download_video(video, tmp_path, session, max_bytes=None))
    await eventually(lambda: world.tiktok.cdn_hits() or task.done(), 30, "the download to start")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.iterdir()) == []


# SSRF: links outside the allowlist never leave the process, and a redirect out of it is not followed.

async def test_foreign_links_are_never_fetched(world, client) -> None:
    for raw in (f"{world.canary.url}/t/tiktok.com/x", "https://evil.example/?tiktok.com"):
        assert parse_link(raw) is None
    assert world.tiktok.requests == [] and world.canary.hits == []
    assert all(proxy.requests == [] for proxy in world.proxies.values())


@pytest.mark.parametrize("target", ["canary", "http://10.0.0.5/admin", "https://evil.example/@a/video/1234567"])
async def test_short_link_redirecting_out_of_the_allowlist_is_refused(world, client, target) -> None:
    url = world.canary.url + "/latest/meta-data" if target == "canary" else target
    short = world.tiktok.add_short_link("ZMssrf123", url)
    with pytest.raises(InvalidLinkError):
        await fetch_item(client, short)
    assert len(world.tiktok.hits("/ZMssrf123")) == 1
    assert world.canary.hits == []
    assert [host for proxy in world.proxies.values() for host, _ in proxy.requests] == ["vm.tiktok.com"]


@pytest.mark.parametrize("world_proxies", [{"secret": ProxyConfig(username="scraper", password="s3cr3t-pw")}])
async def test_proxy_passwords_never_reach_the_logs(world, client, tmp_path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    post = world.tiktok.add_video(ITEM)
    world.tiktok.fail_item(ITEM, times=1)
    session, video = await fetch_item(client, post.url)
    await client.download_video(video, tmp_path, session, max_bytes=None)
    assert "retrying" in caplog.text
    assert "s3cr3t-pw" not in caplog.text and "scraper" not in caplog.text


@pytest.fixture
def egress(world: TikTokWorld, monkeypatch: pytest.MonkeyPatch):
    """The machine's own route to the internet, modelled as the proxy in HTTPS_PROXY: what the product
    calls a direct connection goes through it, so the test can see which requests took that route."""
    from tests.fakes.proxy import InterceptingProxy

    with InterceptingProxy(world.ca, world.tiktok.address) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url)
        monkeypatch.setenv("https_proxy", proxy.url)
        yield proxy


def hosts(proxy) -> set[str]:
    return {target[0] for target in proxy.requests}


async def test_data_only_keeps_media_off_the_proxies(world, trust_world, egress, tmp_path) -> None:
    client = TikTokClient(pipeline_settings(world, proxy_data_only=True))
    post = world.tiktok.add_video(ITEM)
    try:
        session, video = await fetch_item(client, post.url)
        await client.download_video(video, tmp_path, session, max_bytes=None)
    finally:
        await client.close()
    assert hosts(world.proxy) == {"www.tiktok.com"}
    assert hosts(egress) == {urlsplit(post.video_urls[-1]).hostname}


async def test_include_host_puts_the_direct_connection_in_the_rotation(world, trust_world, egress, tmp_path) -> None:
    client = TikTokClient(pipeline_settings(world, proxy_include_host=True))
    first, second = world.tiktok.add_video(ITEM), world.tiktok.add_video(ITEM + "9")
    try:
        await fetch_item(client, first.url)  # the first request starts on the proxy...
        await fetch_item(client, second.url)  # ...the next one on the direct connection
    finally:
        await client.close()
    assert hosts(world.proxy) == {"www.tiktok.com"} and hosts(egress) == {"www.tiktok.com"}
    assert page_hits(world, ITEM) == 1 and page_hits(world, ITEM + "9") == 1


@pytest.mark.parametrize("world_proxies", [{"socks": ProxyConfig(socks=True, username="sock", password="s0cks-pw")}])
async def test_socks5_proxy_with_credentials_carries_all_three_stages(world, client, tmp_path) -> None:
    post = world.tiktok.add_video(ITEM)
    short = world.tiktok.add_short_link("ZMsocks12", post.url)
    session, video = await fetch_item(client, short)
    _, file = await client.download_video(video, tmp_path, session, max_bytes=None)
    assert file.path.read_bytes() == media.sample("h264.mp4")
    assert {"vm.tiktok.com", "www.tiktok.com"} <= hosts(world.proxy)
