"""The fake Instagram is faithful: the real yt-dlp (InstagramIE, logged out, no cookies) and curl_cffi use it."""

from __future__ import annotations

import json
import re

import pytest
import yt_dlp
from curl_cffi.requests import AsyncSession
from yt_dlp.extractor.instagram import InstagramIE, _id_to_pk, _pk_to_id

from tests.fakes import media
from tests.fakes.instagram import POST_DOC_ID, RULING_PATH, pk_to_shortcode, shortcode_to_pk
from tests.fakes.world import TikTokWorld

REEL, PHOTO, CAROUSEL, MISSING, GATED = "DAbCdEfGhIj", "DPhOtO12345", "DCaRoUsEl12", "DNoTfOuNd12", "DLoGiNrEq12"
# the 12 items of the carousel, in order: photos of distinct sizes and formats, videos of distinct lengths
CAROUSEL_ITEMS = [
    ("photo", media.jpeg(1080, 1350, (200, 40, 40))), ("video", media.mp4_of_size(30_000)),
    ("photo", media.webp(1080, 1080)), ("photo", media.heic(640, 800)), ("video", media.mp4_of_size(31_000)),
    ("photo", media.jpeg(1080, 566, (40, 40, 200))), ("video", media.mp4_of_size(32_000)),
    ("video", media.mp4_of_size(33_000)), ("photo", media.jpeg(720, 900, (40, 200, 40))),
    ("photo", media.jpeg(1080, 1080, (90, 90, 90))), ("video", media.mp4_of_size(34_000)),
    ("photo", media.jpeg(480, 600, (220, 200, 40))),
]
SJS = re.compile(r"<script\b[^>]+\bdata-sjs>(\{.+?\})</script>")


@pytest.fixture
def world(tmp_path):
    with TikTokWorld(directory=tmp_path) as world:
        yield world


@pytest.fixture
def ytdlp_options(world, monkeypatch) -> dict:
    """yt-dlp options plus the environment both of its HTTP stacks need to trust the world's CA."""
    for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.setenv(variable, str(world.ca_path))
    return {"proxy": world.proxy.url, "quiet": True, "noprogress": True, "compat_opts": ["no-certifi"]}


def extract(options: dict, url: str, **kwargs) -> dict:
    with yt_dlp.YoutubeDL(options) as ydl:
        return ydl.extract_info(url, download=False, **kwargs)


def curl_session(world: TikTokWorld, **kwargs) -> AsyncSession:
    return AsyncSession(impersonate="chrome", proxy=world.proxy.url, verify=str(world.ca_path), **kwargs)


def flow(world: TikTokWorld) -> list[tuple[str, str, int]]:
    return [(hit.method, hit.path, hit.status) for hit in world.instagram.requests]


# --------------------------------------------------------------------------- the real yt-dlp


def test_ytdlp_extracts_a_reel_through_graphql(world, ytdlp_options):
    cover = media.jpeg(720, 1280, (10, 120, 200))
    post = world.instagram.add_reel(REEL, user="carol_b", caption="hello #reels", width=720, height=1280,
                                    duration=5.016, cover=cover)
    info = extract(ytdlp_options, post.url)

    assert (info["id"], info["title"], info["channel"], info["uploader"]) == (REEL, "Video by carol_b", "carol_b",
                                                                              "Carol B")
    assert (info["description"], info["duration"], info["uploader_id"]) == ("hello #reels", 5.016,
                                                                            post.media["user"]["pk"])
    video_url = post.items[0].url
    assert [(f["url"], f["width"], f["height"]) for f in info["formats"]] == [(video_url, 720, 1280)] * 3
    assert {f["format_id"] for f in info["formats"]} == {v["id"] for v in post.media["video_versions"]}
    assert info["formats"][0]["vcodec"].startswith("avc1.") and info["formats"][0].get("acodec") is None
    assert info["thumbnail"] == post.items[0].display_url == post.media["image_versions2"]["candidates"][0]["url"]
    assert info["http_headers"]["Referer"] == "https://www.instagram.com/"
    # the logged-out flow, exactly: home page (LSD + csrftoken), accessibility check, GraphQL; no page fallback
    assert flow(world) == [("GET", "/", 200), ("GET", RULING_PATH, 200), ("POST", "/api/graphql", 200)]
    ruling, graphql = world.instagram.requests[1:]
    assert ruling.query == f"content_type=MEDIA&target_id={post.pk}"
    assert graphql.form["doc_id"] == POST_DOC_ID
    assert json.loads(graphql.form["variables"]) == {"media_id": post.pk}
    assert graphql.form["lsd"] == graphql.headers["X-FB-LSD"]
    assert f"csrftoken={graphql.headers['X-CSRFToken']}" in graphql.headers["Cookie"]  # the ruling said "ok"


def test_ytdlp_downloads_the_registered_bytes(world, ytdlp_options, tmp_path):
    video = media.mp4_of_size(45_000)
    post = world.instagram.add_reel(REEL, video=video)
    options = {**ytdlp_options, "outtmpl": str(tmp_path / "%(id)s.%(ext)s")}
    with yt_dlp.YoutubeDL(options) as ydl:
        assert ydl.download([post.url]) == 0
    assert (tmp_path / f"{REEL}.mp4").read_bytes() == video
    assert [(hit.host, hit.status) for hit in world.instagram.cdn_hits()] == [("scontent-iad3-1.cdninstagram.com",
                                                                               200)]


@pytest.mark.parametrize("form", range(7))
def test_ytdlp_recognises_every_url_form(world, ytdlp_options, form):
    post = world.instagram.add_reel(REEL, user="dave.x")
    url = post.url_forms[form]
    assert InstagramIE.suitable(url)
    info = extract(ytdlp_options, url)
    assert (info["id"], info["formats"][0]["url"]) == (REEL, post.items[0].url)


def test_ytdlp_on_a_carousel_skips_nothing_but_fails_on_photos(world, ytdlp_options):
    """A sidecar is a playlist of every item; a photo item has no formats, so processing it is an error."""
    post = world.instagram.add_carousel(CAROUSEL, CAROUSEL_ITEMS, user="erin", caption="twelve")
    assert post.kinds == tuple(kind for kind, _ in CAROUSEL_ITEMS)
    first_photo = post.items[0].shortcode

    with pytest.raises(yt_dlp.utils.DownloadError, match=rf"\[Instagram\] {first_photo}: No video formats found!"):
        extract(ytdlp_options, post.url)

    raw = extract(ytdlp_options, post.url, process=False)
    assert (raw["_type"], raw["id"], raw["title"], raw["description"]) == ("playlist", CAROUSEL, "Post by erin",
                                                                           "twelve")
    assert [entry["id"] for entry in raw["entries"]] == [item.shortcode for item in post.items]
    for item, entry in zip(post.items, raw["entries"], strict=True):
        if item.kind == "video":
            assert {f["url"] for f in entry["formats"]} == {item.url}
            assert (entry["formats"][0]["width"], entry["duration"]) == (media.SAMPLE_WIDTH, media.SAMPLE_SECONDS)
        else:
            assert entry["formats"] == [] and entry["duration"] is None
        assert entry["thumbnails"][-1] == {"url": item.display_url, "width": item.width, "height": item.height}

    tolerant = extract({**ytdlp_options, "ignoreerrors": True}, post.url)
    assert tolerant["_type"] == "playlist"
    assert [entry and entry["url"] for entry in tolerant["entries"]] == [
        item.url if item.kind == "video" else None for item in post.items]


async def test_carousel_data_carries_every_item_in_order(world):
    post = world.instagram.add_carousel(CAROUSEL, CAROUSEL_ITEMS)
    async with curl_session(world) as session:
        page = await session.get(post.url)
        downloaded = [(await session.get(url)).content for url in post.media_urls]
    payload = json.loads(SJS.search(page.text).group(1))
    result = payload["require"][0][3][0]["__bbox"]["require"][0][3][1]["__bbox"]["result"]
    served = result["data"]["xig_polaris_media"]["if_not_gated_logged_out"]
    assert (served["media_type"], served["carousel_media_count"]) == (8, 12)
    children = served["carousel_media"]
    assert [{1: "photo", 2: "video"}[child["media_type"]] for child in children] == list(post.kinds)
    assert [child["image_versions2"]["candidates"][0]["url"] for child in children] == [
        item.display_url for item in post.items]
    assert [(child["video_versions"] or [{}])[0].get("url") for child in children] == [
        item.url if item.kind == "video" else None for item in post.items]
    assert downloaded == [data for _, data in CAROUSEL_ITEMS]
    assert [child["original_width"] for child in children] == [item.width for item in post.items]


def test_ytdlp_on_a_photo_post(world, ytdlp_options):
    image = media.jpeg(1080, 1350)
    post = world.instagram.add_photo(PHOTO, image=image)
    with pytest.raises(yt_dlp.utils.DownloadError, match=rf"\[Instagram\] {PHOTO}: There is no video in this post$"):
        extract(ytdlp_options, post.url)
    info = extract({**ytdlp_options, "ignore_no_formats_error": True}, post.url)
    assert (info["id"], info["formats"], info["thumbnail"]) == (PHOTO, [], post.items[0].url)
    assert [(t["width"], t["height"]) for t in info["thumbnails"]] == [(320, 400), (1080, 1350)]


def test_ytdlp_falls_back_to_the_post_page_when_graphql_fails(world, ytdlp_options):
    post = world.instagram.add_reel(REEL)
    world.instagram.fail_next("/api/graphql", status=500)
    info = extract(ytdlp_options, post.url)
    assert info["formats"][0]["url"] == post.items[0].url
    assert flow(world)[2:] == [("POST", "/api/graphql", 500), ("GET", f"/p/{REEL}", 301), ("GET", f"/p/{REEL}/", 200)]


def test_ytdlp_on_a_missing_post(world, ytdlp_options):
    url = world.instagram.add_not_found(MISSING)
    with pytest.raises(yt_dlp.utils.DownloadError,
                       match=rf"\[Instagram\] {MISSING}: Unable to download webpage: HTTP Error 404: Not Found"):
        extract(ytdlp_options, url)
    assert flow(world) == [("GET", "/", 200), ("GET", RULING_PATH, 404), ("POST", "/api/graphql", 200),
                           ("GET", f"/p/{MISSING}", 301), ("GET", f"/p/{MISSING}/", 404)]


def test_ytdlp_on_a_login_gated_post(world, ytdlp_options):
    url = world.instagram.add_login_required(GATED)
    with pytest.raises(yt_dlp.utils.DownloadError, match=rf"\[Instagram\] {GATED}: The webpage request was "
                       r"redirected to the login page\. .* Use --cookies-from-browser or --cookies"):
        extract(ytdlp_options, url)
    assert flow(world)[3:] == [("GET", f"/p/{GATED}", 301), ("GET", f"/p/{GATED}/", 302),
                               ("GET", "/accounts/login/", 200)]

    private = world.instagram.add_login_required(GATED + "x" * 28)
    with pytest.raises(yt_dlp.utils.DownloadError, match="only available for registered users who follow"):
        extract(ytdlp_options, private)


# --------------------------------------------------------------------------- curl_cffi and the raw endpoints


async def test_cdn_serves_ranges_head_and_checks_signatures(world):
    video = media.sample("h264.mp4")
    url = world.instagram.add_reel(REEL).items[0].url
    async with curl_session(world) as session:
        middle = await session.get(url, headers={"Range": "bytes=100-199"})
        whole = await session.get(url)
        head = await session.head(url)
        tampered = await session.get(url.replace("oh=00_", "oh=01_"))
    assert (middle.status_code, middle.headers["Content-Range"], middle.content) == (
        206, f"bytes 100-199/{len(video)}", video[100:200])
    assert (whole.status_code, whole.headers["Content-Length"], whole.content) == (200, str(len(video)), video)
    assert (head.status_code, head.headers["Content-Length"], head.headers["Content-Type"]) == (
        200, str(len(video)), "video/mp4")
    assert tampered.status_code == 403


async def test_pages_redirects_and_api_guards(world):
    post = world.instagram.add_reel(REEL, user="fay")
    async with curl_session(world, allow_redirects=False) as session:
        pages = [(await session.get(url)).status_code for url in post.url_forms[:-1]]
        bare = await session.get(post.url_forms[-1])
        no_slash = await session.get(f"https://www.instagram.com/reel/{REEL}?igsh=abc")
        other_user = await session.get(f"https://www.instagram.com/gus/reel/{REEL}/")
        no_app_id = await session.get(f"https://i.instagram.com{RULING_PATH}?content_type=MEDIA&target_id={post.pk}")
        await session.get("https://www.instagram.com/")
        foreign_lsd = await session.post("https://www.instagram.com/api/graphql", data={
            "lsd": "not-issued", "doc_id": POST_DOC_ID, "variables": json.dumps({"media_id": post.pk})})
    assert pages == [200] * 6
    assert (bare.status_code, bare.headers["Location"]) == (301, post.url_forms[-1].replace("//", "//www.", 1))
    assert (no_slash.status_code, no_slash.headers["Location"]) == (301, f"/reel/{REEL}/?igsh=abc")
    assert other_user.status_code == 404
    assert (no_app_id.status_code, no_app_id.json()) == (400, {"message": "useragent mismatch", "status": "fail"})
    assert foreign_lsd.text.startswith('for (;;);{"__ar":1,"error":1357004')
    assert {cookie.name for cookie in session.cookies.jar} >= {"csrftoken", "mid", "ig_did"}


async def test_scripted_failures_and_recorded_traffic(world):
    post = world.instagram.add_photo(PHOTO)
    world.instagram.fail_next("cdninstagram.com", status=503, times=2)
    async with curl_session(world) as session:
        statuses = [(await session.get(post.items[0].url)).status_code for _ in range(3)]
        tiktok = await session.get("https://www.tiktok.com/@a/video/1")
    assert statuses == [503, 503, 200]
    assert [hit.status for hit in world.instagram.cdn_hits()] == [503, 503, 200]
    assert len(world.instagram.hits("/v/t51.29350-15/")) == 3
    assert tiktok.status_code == 200 and [hit.host for hit in world.tiktok.requests] == ["www.tiktok.com"]
    world.instagram.reset()
    assert world.instagram.requests == []


def test_shortcodes_map_to_media_ids_as_instagram_does():
    for code in (REEL, "Chunk8-jurw", "aye83DjauH", "-Cmh1cukG2"):
        assert shortcode_to_pk(code) == _id_to_pk(code)
        assert pk_to_shortcode(shortcode_to_pk(code)) == _pk_to_id(_id_to_pk(code)) == code.lstrip("A")
