"""The pipeline's hardening against the offline world: allow-list checks pin scheme and port on every hop,
cookies never cross a change of scheme, proxy credentials never reach an error, a video always comes with
its sound when any format has one, and a cover that cannot be made never fails the video."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from data.config import PipelineSettings
from media_types.images import ImageProcessor
from media_types.produce import Producer
from media_types.video import VideoEncoder
from pipeline import InvalidLinkError, MediaRequest, NetworkError
from tests.fakes import media
from tests.fakes.tiktok import VideoFormat as FakeFormat
from tests.fakes.world import TikTokWorld
from tiktok_api import TikTokClient, parse_link

ITEM = "7312345678901234567"


@pytest.fixture
async def client(world: TikTokWorld, trust_world) -> AsyncIterator[TikTokClient]:
    client = TikTokClient(PipelineSettings(_env_file=None, proxy_file=world.proxy_file, ssl_cert_file=world.ca_path))
    yield client
    await client.close()


async def test_a_redirect_to_another_port_of_an_allowed_host_is_refused(world, client) -> None:
    short = world.tiktok.add_short_link("ZMport123", f"https://www.tiktok.com:8443/@a/video/{ITEM}")
    with pytest.raises(InvalidLinkError):
        await client.resolve(parse_link(short), client.session())
    assert {port for proxy in world.proxies.values() for _, port in proxy.requests} == {443}


class SchemeHop:
    """A CDN host whose https address redirects to its own plain-http address, recording the cookies the
    second request carried."""

    host = "hop.tiktokcdn.com"

    def __init__(self) -> None:
        self.plain_cookies: list[str | None] = []

    def serves(self, host: str) -> bool:
        return host == self.host

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/start":
            raise web.HTTPFound(f"http://{self.host}/plain")
        self.plain_cookies.append(request.headers.get("Cookie"))
        return web.Response(body=b"media bytes")


async def test_cookies_are_dropped_when_a_redirect_changes_the_scheme(world, client, tmp_path: Path) -> None:
    hop = SchemeHop()
    world.tiktok.mount(hop)
    request = MediaRequest(f"https://{hop.host}/start", (("Cookie", "tt_chain_token=secret-session"),))
    file = await client.download(request, tmp_path / "file", client.session())
    assert file.path.read_bytes() == b"media bytes"
    assert hop.plain_cookies == [None]


async def test_a_proxy_refusing_our_credentials_is_reported_without_them(world, trust_world, tmp_path) -> None:
    proxy = world.proxies["main"]
    proxies = tmp_path / "proxies.txt"
    host, port = proxy.url.removeprefix("http://").split(":")
    proxies.write_text(f"http://buyer:wr0ng-pa55@{host}:{port}\n")
    proxy.username, proxy.password = "buyer", "right-pass"
    client = TikTokClient(PipelineSettings(_env_file=None, proxy_file=proxies, ssl_cert_file=world.ca_path,
                                           download_max_retries=1))
    post = world.tiktok.add_video(ITEM)
    try:
        with pytest.raises(NetworkError) as error:
            await client.download(MediaRequest(post.cover_url), tmp_path / "cover", client.session())
    finally:
        await client.close()
    assert "407" in str(error.value) or "Proxy" in str(error.value)
    assert "wr0ng-pa55" not in str(error.value) and "buyer" not in str(error.value)


async def test_the_chosen_format_has_sound_when_any_has(world, client, tmp_path: Path) -> None:
    silent = media.sample("h264.mp4") + b"\0" * 64  # a distinct body for the silent stream
    post = world.tiktok.add_video(ITEM, formats=(FakeFormat(width=1080, height=1920, data=silent, video_only=True),
                                                 FakeFormat(width=720, height=1280)))
    session = client.session()
    video = await client.extract(await client.resolve(parse_link(post.url), session), session)
    chosen, file = await client.download_video(video, tmp_path, session)
    assert chosen.has_audio and (chosen.width, chosen.height) == (720, 1280)
    assert file.path.read_bytes() == media.sample("h264.mp4")


async def test_a_cover_that_cannot_be_saved_gives_no_thumbnail_and_no_error(world, client, tmp_path: Path) -> None:
    """Disk trouble (here: the work directory is a file) while making the cover costs the thumbnail only."""
    post = world.tiktok.add_video(ITEM)
    session = client.session()
    video = await client.extract(await client.resolve(parse_link(post.url), session), session)
    not_a_directory = tmp_path / "workdir"
    not_a_directory.write_text("")
    images = ImageProcessor()
    try:
        producer = Producer(images=images, encoder=VideoEncoder(1), upload_limit=50 * 1024 * 1024,
                            convert_max_duration=180)
        assert await producer._thumbnail(client, video.cover, not_a_directory, session) is None
    finally:
        images.close()
