"""The offline TikTok world is faithful: third-party clients (curl_cffi, aiohttp, the real yt-dlp) use it as TikTok."""

from __future__ import annotations

import io
import json
import re
import ssl
import struct

import aiohttp
import pytest
import yt_dlp
from curl_cffi import CurlHttpVersion
from curl_cffi.requests import AsyncSession
from curl_cffi.requests.exceptions import RequestException
from PIL import Image

from tests.fakes import media
from tests.fakes.tiktok import Music, VideoFormat
from tests.fakes.world import ProxyConfig, TikTokWorld

ITEM_ID = "7312345678901234567"
PROXIES = {
    "main": "healthy",
    "blocked": "blocked",
    "limited": "rate_limited",
    "refusing": "refuse",
    "dead": "dead",
    "private": ProxyConfig(username="alice", password="s3cret"),
    "socks": ProxyConfig(socks=True, username="sock", password="pass"),
}
UNIVERSAL_DATA = re.compile(r'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">(.*?)</script>')


@pytest.fixture
def world(tmp_path):
    with TikTokWorld(PROXIES, directory=tmp_path) as world:
        yield world


@pytest.fixture
def ytdlp_trusts_world(world, monkeypatch) -> dict:
    """yt-dlp options plus environment so both of its HTTP stacks trust the world's CA.

    - urllib handler: `compat_opts=["no-certifi"]` makes it load OpenSSL's default paths, and OpenSSL reads
      SSL_CERT_FILE at that moment.
    - curl_cffi handler (TikTok page requests use impersonate=True): its Session takes REQUESTS_CA_BUNDLE, else
      CURL_CA_BUNDLE, when created; SSL_CERT_FILE only counts if set before curl_cffi is first imported.
    """
    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(variable, str(world.ca_path))
    return {"proxy": world.proxy.url, "quiet": True, "noprogress": True, "compat_opts": ["no-certifi"]}


def curl_session(world: TikTokWorld, proxy: str = "main", **kwargs) -> AsyncSession:
    return AsyncSession(impersonate="chrome", proxy=world.proxy_urls[proxy], verify=str(world.ca_path), **kwargs)


def item_struct(page: str) -> dict:
    scope = json.loads(UNIVERSAL_DATA.search(page).group(1))["__DEFAULT_SCOPE__"]
    return scope["webapp.video-detail"]["itemInfo"]["itemStruct"]


def extract(options: dict, url: str) -> dict:
    with yt_dlp.YoutubeDL(options) as ydl:
        return ydl.extract_info(url, download=False)


# --------------------------------------------------------------------------- curl_cffi through the proxy


async def test_curl_cffi_gets_the_page_cookie_then_the_video_from_the_cdn(world):
    video = media.mp4_of_size(60_000)
    post = world.tiktok.add_video(ITEM_ID, formats=[VideoFormat(video, codec="h264")])
    async with curl_session(world) as session:
        page = await session.get(post.url)
        assert page.status_code == 200
        assert page.http_version == CurlHttpVersion.V1_1  # ALPN offered only http/1.1 to "Chrome"
        assert item_struct(page.text)["video"]["bitrateInfo"][0]["PlayAddr"]["DataSize"] == "60000"
        assert session.cookies.get("tt_chain_token", domain=".tiktok.com")

        download = await session.get(post.video_urls[0], headers={"Referer": post.url})
    assert download.status_code == 200
    assert download.content == video
    assert download.headers["Content-Length"] == "60000"
    assert world.proxy.requests == [("www.tiktok.com", 443), ("v16-webapp-prime.tiktok.com", 443)]


async def test_cdn_wants_the_page_cookie_and_a_tiktok_referer(world):
    post = world.tiktok.add_video(ITEM_ID)
    async with curl_session(world) as session:
        no_cookie = await session.get(post.video_urls[0], headers={"Referer": post.url})
        await session.get(post.url)
        no_referer = await session.get(post.video_urls[0])
        tampered = await session.get(post.video_urls[0].replace("signature=", "signature=0"),
                                     headers={"Referer": post.url})
    assert (no_cookie.status_code, no_referer.status_code, tampered.status_code) == (403, 403, 403)


async def test_cdn_serves_ranges_and_head(world):
    post = world.tiktok.add_video(ITEM_ID, formats=[VideoFormat(codec="h265")])
    whole = media.sample("h265.mp4")
    async with curl_session(world, headers={"Referer": post.url}) as session:
        await session.get(post.url)
        middle = await session.get(post.video_urls[0], headers={"Range": "bytes=100-199"})
        tail = await session.get(post.video_urls[0], headers={"Range": f"bytes={len(whole) - 10}-"})
        beyond = await session.get(post.video_urls[0], headers={"Range": f"bytes={len(whole)}-"})
        head = await session.head(post.video_urls[0])
    assert (middle.status_code, middle.headers["Content-Range"]) == (206, f"bytes 100-199/{len(whole)}")
    assert middle.content == whole[100:200]
    assert (tail.status_code, tail.content) == (206, whole[-10:])
    assert beyond.status_code == 416
    assert (head.status_code, head.headers["Content-Length"], head.content) == (200, str(len(whole)), b"")


async def test_slideshow_images_and_music_come_from_signed_tiktokcdn_urls(world):
    images = [media.jpeg(300, 400), media.webp(400, 300), media.heic(320, 320)]
    post = world.tiktok.add_slideshow(ITEM_ID, images=images, music=Music(title="tune", author="Bob"))
    async with curl_session(world) as session:
        page = await session.get(post.url)
        downloaded = [(await session.get(url)).content for url in post.image_urls]
        sound = await session.get(post.music_url)
    item = item_struct(page.text)
    entries = item["imagePost"]["images"]
    assert [(e["imageWidth"], e["imageHeight"]) for e in entries] == [(300, 400), (400, 300), (320, 320)]
    assert [e["imageURL"]["urlList"][0] for e in entries] == list(post.image_urls)
    assert post.image_urls[2].split("?")[0].endswith(".heic")
    assert "bitrateInfo" not in item["video"] and item["video"]["playAddr"] == ""
    assert downloaded == images
    assert Image.open(io.BytesIO(downloaded[2])).size == (320, 320)
    assert (item["music"]["title"], item["music"]["authorName"]) == ("tune", "Bob")
    assert sound.content == media.sample("sound.mp3")


async def test_old_page_urls_redirect_to_the_canonical_page(world):
    post = world.tiktok.add_video(ITEM_ID, user="bob")
    async with curl_session(world, allow_redirects=False) as session:
        embed = await session.get(f"https://www.tiktok.com/embed/v2/{ITEM_ID}")
        mobile = await session.get(f"https://m.tiktok.com/v/{ITEM_ID}.html")
    assert (embed.status_code, embed.headers["Location"]) == (301, post.url)
    assert (mobile.status_code, mobile.headers["Location"]) == (301, post.url)


async def test_scripted_failures_then_success(world):
    post = world.tiktok.add_slideshow(ITEM_ID)
    world.tiktok.fail_next("photomode", status=503, times=2)
    world.tiktok.fail_item(ITEM_ID, status=500)
    async with curl_session(world) as session:
        pages = [(await session.get(post.url)).status_code for _ in range(2)]
        images = [(await session.get(post.image_urls[0])).status_code for _ in range(3)]
    assert (pages, images) == ([500, 200], [503, 503, 200])
    assert [hit.status for hit in world.tiktok.cdn_hits()] == [503, 503, 200]
    assert len(world.tiktok.hits(f"/photo/{ITEM_ID}")) == 2
    world.tiktok.fail_next("photomode")
    world.tiktok.reset()
    async with curl_session(world) as session:
        assert (await session.get(post.image_urls[0])).status_code == 200
    assert len(world.tiktok.requests) == 1


async def test_ssrf_through_a_short_link_reaches_the_canary(world):
    """The canary can detect SSRF: a proxy reaches loopback targets for real, as a proxy on this host would."""
    short = world.tiktok.add_short_link("ZMevil", f"{world.canary.url}/latest/meta-data")
    async with curl_session(world) as session:
        response = await session.get(short)
    assert response.text == "canary"
    assert world.canary.hits[0].startswith(b"GET /latest/meta-data HTTP/1.1")


# --------------------------------------------------------------------------- aiohttp through the proxy


async def test_aiohttp_fetches_a_page_through_the_proxy(world):
    post = world.tiktok.add_video(ITEM_ID)
    context = ssl.create_default_context(cafile=str(world.ca_path))
    async with aiohttp.ClientSession() as session:
        async with session.get(post.url, proxy=world.proxy.url, ssl=context) as response:
            page = await response.text()
            cookies = response.cookies
        async with session.get(post.url.replace("https:", "http:"), proxy=world.proxy.url) as plain:
            plain_status = plain.status
    assert response.status == 200 and item_struct(page)["id"] == ITEM_ID
    assert cookies["tt_chain_token"]["domain"] == ".tiktok.com"
    assert plain_status == 200
    assert world.proxy.requests == [("www.tiktok.com", 443), ("GET", post.url.replace("https:", "http:"))]


# --------------------------------------------------------------------------- the real yt-dlp


def test_ytdlp_extracts_a_video_with_every_format(world, ytdlp_trusts_world):
    formats = [VideoFormat(media.mp4_of_size(80_000), codec="h265", width=720, height=1280),
               VideoFormat(media.mp4_of_size(50_000), codec="h264", width=720, height=1280)]
    post = world.tiktok.add_video(ITEM_ID, user="carol", desc="hello", formats=formats, duration=15,
                                  music=Music(title="song", author="Dan & Eve", duration=30))
    info = extract(ytdlp_trusts_world, post.url)
    assert (info["id"], info["uploader"], info["description"], info["duration"]) == (ITEM_ID, "carol", "hello", 15)
    assert (info["track"], info["artists"]) == ("song", ["Dan", "Eve"])
    by_url = {f["url"]: f for f in info["formats"]}
    h265, h264 = (by_url[url] for url in post.video_urls)
    assert (h265["vcodec"], h265["width"], h265["height"], h265["filesize"]) == ("h265", 720, 1280, 80_000)
    assert (h264["vcodec"], h264["width"], h264["height"], h264["filesize"]) == ("h264", 720, 1280, 50_000)
    assert any(f["vcodec"] == "none" and f["url"] == post.music_url for f in info["formats"])
    assert {t["url"] for t in info["thumbnails"]} == {post.item["video"]["cover"], post.item["video"]["originCover"]}
    assert info["http_headers"]["Referer"] == post.url


def test_ytdlp_downloads_through_the_guarded_cdn(world, ytdlp_trusts_world, tmp_path):
    video = media.mp4_of_size(40_000)
    post = world.tiktok.add_video(ITEM_ID, formats=[VideoFormat(video)])
    options = {**ytdlp_trusts_world, "format": "best[vcodec=h264]", "outtmpl": str(tmp_path / "%(id)s.%(ext)s")}
    with yt_dlp.YoutubeDL(options) as ydl:
        assert ydl.download([post.url]) == 0
    assert (tmp_path / f"{ITEM_ID}.mp4").read_bytes() == video
    assert all(hit.status == 200 for hit in world.tiktok.cdn_hits())


def test_ytdlp_follows_a_chain_of_short_links(world, ytdlp_trusts_world):
    post = world.tiktok.add_video(ITEM_ID)
    shared_url = f"{post.url}?_r=1&_t=ZT-8abc"
    final = world.tiktok.add_short_link("ZTfinal", shared_url, host="www.tiktok.com")
    short = world.tiktok.add_short_link("ZMabc123", final)
    info = extract(ytdlp_trusts_world, short)
    assert (info["id"], info["webpage_url"]) == (ITEM_ID, shared_url)
    assert world.tiktok.hits("vm.tiktok.com/ZMabc123/") and world.tiktok.hits("www.tiktok.com/t/ZTfinal/")


def test_ytdlp_on_a_photo_post(world, ytdlp_trusts_world):
    """yt-dlp has no /photo/ support; through a /video/ URL it finds only the sound."""
    post = world.tiktok.add_slideshow(ITEM_ID)
    with pytest.raises(yt_dlp.utils.DownloadError, match="Unsupported URL"):
        extract(ytdlp_trusts_world, post.url)
    info = extract(ytdlp_trusts_world, post.url.replace("/photo/", "/video/"))
    assert [(f["format_id"], f["url"]) for f in info["formats"]] == [("audio", post.music_url)]


@pytest.mark.parametrize(("register", "message"), [
    (lambda t, i: t.add_unavailable(i, 10204, "item doesn't exist"), "Your IP address is blocked from accessing"),
    (lambda t, i: t.add_unavailable(i, 10216, "under review"), "You do not have permission to view this post"),
    (lambda t, i: t.add_unavailable(i, 10222, "private"), "You do not have permission to view this post"),
    (lambda t, i: t.add_unavailable(i, 10231, "region"), "Video not available, status code 10231"),
    (lambda t, i: t.add_login_required(i), "TikTok is requiring login for access to this content"),
    (lambda t, i: t.add_classified(i), "This post may not be comfortable for some audiences"),
], ids=["10204", "10216", "10222", "10231", "login", "classified"])
def test_ytdlp_errors_for_unavailable_posts(world, ytdlp_trusts_world, register, message):
    url = register(world.tiktok, ITEM_ID)
    with pytest.raises(yt_dlp.utils.DownloadError, match=message):
        extract(ytdlp_trusts_world, url)


# --------------------------------------------------------------------------- proxies that fail


async def test_blocked_and_rate_limited_proxies_answer_for_tiktok(world):
    post = world.tiktok.add_video(ITEM_ID)
    async with curl_session(world, "blocked") as blocked, curl_session(world, "limited") as limited:
        forbidden = await blocked.get(post.url)
        too_many = await limited.get(post.url)
    assert forbidden.status_code == 403
    assert (too_many.status_code, too_many.headers["Retry-After"]) == (429, "1")
    assert world.proxies["blocked"].requests == [("www.tiktok.com", 443)]
    assert world.tiktok.requests == []


async def test_mode_switch_applies_to_an_open_tunnel(world):
    post = world.tiktok.add_video(ITEM_ID)
    async with curl_session(world) as session:
        before = await session.get(post.url)
        world.proxy.mode = "blocked"
        after = await session.get(post.url)
    assert (before.status_code, after.status_code) == (200, 403)
    assert world.proxy.requests == [("www.tiktok.com", 443)]  # one tunnel carried both requests


async def test_refusing_and_dead_proxies_fail_to_connect(world):
    post = world.tiktok.add_video(ITEM_ID)
    for name, reason in (("refusing", "response 502"), ("dead", "Could not connect")):
        async with curl_session(world, name) as session:
            with pytest.raises(RequestException, match=reason):
                await session.get(post.url)


async def test_proxy_credentials_are_checked(world):
    post = world.tiktok.add_video(ITEM_ID)
    good = world.proxy_urls["private"]
    async with AsyncSession(proxy=good.replace("s3cret", "wrong"), verify=str(world.ca_path)) as session:
        with pytest.raises(RequestException, match="response 407"):
            await session.get(post.url)
    async with curl_session(world, "private") as session:
        assert (await session.get(post.url)).status_code == 200


async def test_socks5_proxy_with_credentials(world):
    post = world.tiktok.add_video(ITEM_ID)
    remote_dns = world.proxy_urls["socks"].replace("socks5://", "socks5h://")
    async with AsyncSession(impersonate="chrome", proxy=remote_dns, verify=str(world.ca_path)) as session:
        assert (await session.get(post.url)).status_code == 200
    async with AsyncSession(proxy=remote_dns.replace(":pass@", ":nope@"), verify=str(world.ca_path)) as session:
        with pytest.raises(RequestException, match="rejected by the SOCKS5 server"):
            await session.get(post.url)


def test_ytdlp_through_the_socks5_proxy(world, ytdlp_trusts_world):
    """yt-dlp reads socks5:// as socks5h://, so the proxy resolves the TikTok host names."""
    post = world.tiktok.add_video(ITEM_ID)
    short = world.tiktok.add_short_link("ZMsocks", post.url)
    assert extract({**ytdlp_trusts_world, "proxy": world.proxy_urls["socks"]}, short)["id"] == ITEM_ID
    assert world.proxies["socks"].requests == [("vm.tiktok.com", 443), ("www.tiktok.com", 443), ("www.tiktok.com", 443)]


# --------------------------------------------------------------------------- world and media helpers


def test_world_files_and_environment(world):
    assert world.env() == {"PROXY_FILE": str(world.proxy_file), "SSL_CERT_FILE": str(world.ca_path)}
    lines = world.proxy_file.read_text().splitlines()
    assert lines == list(world.proxy_urls.values()) and len(lines) == len(PROXIES)
    assert lines[4].startswith("http://127.0.0.1:") and "dead" not in world.proxies
    assert lines[5].startswith("http://alice:s3cret@127.0.0.1:") and lines[6].startswith("socks5://sock:pass@")
    assert world.ca_path.read_text().count("BEGIN CERTIFICATE") == 1


def test_mp4_of_size_pads_with_a_free_box():
    sample = media.sample("h264.mp4")
    padded = media.mp4_of_size(len(sample) + 1000)
    assert len(padded) == len(sample) + 1000 and padded.startswith(sample)
    assert struct.unpack(">I4s", padded[len(sample):len(sample) + 8]) == (1000, b"free")
    with pytest.raises(ValueError):
        media.mp4_of_size(len(sample) + 3)
