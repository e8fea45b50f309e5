"""A fake TikTok origin for tests: item pages, short links and a guarded CDN, all on one plain-HTTP server.

Clients reach it through `tests.fakes.proxy.InterceptingProxy`, which terminates TLS for tiktok.com hosts and
relays the requests here; the Host header says which TikTok host was asked.  Pages are shaped like the real
site (the `__UNIVERSAL_DATA_FOR_REHYDRATION__` JSON that yt-dlp's TikTok extractor reads) and set the
`tt_chain_token` cookie that the video CDN demands together with a tiktok.com Referer.

    with FakeTikTok() as fake:
        post = fake.add_video("7312345678901234567")
        ...  # fetch post.url through a proxy whose upstream is fake.address

Network shaping (for benchmarks): `fake.shape("page", latency=0.05, bandwidth=2e6)` delays every answer for
tiktok.com pages and short links by 50 ms and sends their bodies at 2 MB/s per connection; "cdn" does the
same for the media hosts.  Nothing is shaped by default.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import hashlib
import html
import json
import re
import secrets
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from tests.fakes import media
from tests.fakes.server import BackgroundServer
from tests.fakes.traffic import Hit, RecordedTraffic, ranged_response

WEBPAGE = "https://www.tiktok.com"
PAGE_HOSTS = frozenset({"www.tiktok.com", "tiktok.com", "m.tiktok.com"})
SHORT_LINK_HOSTS = frozenset({"vm.tiktok.com", "vt.tiktok.com"})
VIDEO_HOSTS = ("v16-webapp-prime.tiktok.com", "v19-webapp-prime.tiktok.com")
IMAGE_HOSTS = ("p16-sign-va.tiktokcdn.com", "p19-sign-va.tiktokcdn.com")
MUSIC_HOST = "sf16-ies-music-va.tiktokcdn.com"
CDN_HOSTS = frozenset({*VIDEO_HOSTS, *IMAGE_HOSTS, MUSIC_HOST})
CHAIN_TOKEN = "tt_chain_token"
COOKIE_MAX_AGE = 180 * 24 * 3600
# codec name in VideoFormat -> (codec in the UrlKey, bitrateInfo CodecType), as the real web data spells them
CODECS = {"h264": ("h264", "h264"), "h265": ("bytevc1", "h265_hvc1")}
ITEM_PAGE = re.compile(r"/@(?P<user>[\w.-]+)/(?:video|photo)/(?P<id>\d+)/?")
OLD_ITEM_PAGE = re.compile(r"/(?:embed/v2/(?P<embed>\d+)|v/(?P<mobile>\d+)\.html)/?")
SHORT_LINK_PATH = re.compile(r"/t/(?P<code>\w+)/?")
SHAPED_KINDS = ("page", "cdn")  # tiktok.com pages and short links; the media CDN hosts
SHAPED_CHUNK = 64 * 1024  # a paced body is written in chunks of this size
# Bodies above this size are written chunk by chunk even unshaped, as the client reads them, so a benchmark's
# 40 MB videos are not copied whole into the transport's buffer of each connection.
STREAMED_ABOVE = 1024 * 1024


@dataclass(frozen=True)
class Shape:
    """How one kind of request is slowed down: `latency` seconds added once before answering, and the
    body sent at `bandwidth` bytes per second per connection (None: as fast as the loopback goes)."""

    latency: float = 0.0
    bandwidth: float | None = None


@dataclass(frozen=True)
class VideoFormat:
    """One encoding of a video as the page's bitrateInfo lists it; `data` defaults to the sample for `codec`."""

    data: bytes | None = None
    codec: str = "h264"  # "h264" or "h265"
    width: int = media.SAMPLE_WIDTH
    height: int = media.SAMPLE_HEIGHT
    bitrate: int | None = None  # bits per second; by default what the size and duration imply
    video_only: bool = False  # served at .../media-video-hvc1/, as TikTok serves its silent streams


@dataclass(frozen=True)
class Music:
    """The sound of a post; `data` defaults to the committed sound.mp3."""

    data: bytes | None = None
    title: str = "original sound"
    author: str | None = None  # defaults to the poster's nickname
    duration: int = media.SAMPLE_SECONDS
    original: bool = True


@dataclass(frozen=True)
class Post:
    """What a test needs about a registered post: its page URL, the item data served and its CDN URLs."""

    item_id: str
    url: str
    item: dict
    video_urls: tuple[str, ...] = ()  # the first URL of each format, in the order given
    image_urls: tuple[str, ...] = ()  # the first URL of each image
    music_url: str | None = None
    cover_url: str | None = None


@dataclass
class _Media:
    data: bytes
    content_type: str
    query: dict[str, list[str]]
    needs_session: bool  # the video CDN wants the page's tt_chain_token cookie and a tiktok.com Referer


@dataclass
class _Item:
    user: str
    kind: str  # "video" or "photo", for canonical URLs
    detail: dict | None  # the page's "webapp.video-detail"; None means the page redirects to the login page



class FakeTikTok(RecordedTraffic, BackgroundServer):
    """TikTok's pages, short links and CDN behind one loopback HTTP server that routes by Host header."""

    thread_name = "fake-tiktok"

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[str, _Item] = {}
        self._short_links: dict[tuple[str, str], str] = {}
        self._media: dict[tuple[str, str], _Media] = {}
        self._chain_tokens: set[str] = set()
        self._sites: list = []  # other sites served on this origin, see mount()
        self._shapes: dict[str, Shape] = {}
        self._runner: web.AppRunner | None = None

    # ----------------------------------------------------------------------- registering content

    def add_video(self, item_id: str, *, user: str = "alice", desc: str = "a test video #fyp",
                  formats: Sequence[VideoFormat] = (VideoFormat(codec="h265"), VideoFormat(codec="h264")),
                  duration: int = media.SAMPLE_SECONDS, cover: bytes | None = None,
                  music: Music = Music()) -> Post:
        """Publish a video post; the first h264 format (else the first) is the page's playAddr."""
        with self._lock:
            video = self._video_object(item_id, formats, duration, cover)
            item, music_url = self._item_struct(item_id, user, desc, music)
            item["video"] = video
            self._items[item_id] = _Item(user, "video", _detail(item))
        return Post(item_id, f"{WEBPAGE}/@{user}/video/{item_id}", copy.deepcopy(item),
                    video_urls=tuple(entry["PlayAddr"]["UrlList"][0] for entry in video["bitrateInfo"]),
                    music_url=music_url, cover_url=video["cover"])

    def add_slideshow(self, item_id: str, *, user: str = "alice", desc: str = "a test slideshow #photo",
                      title: str = "", images: Sequence[bytes] | None = None, music: Music = Music()) -> Post:
        """Publish a photo post (imagePost) whose video object has no playable formats, as on the real site."""
        if images is None:
            images = [media.jpeg(360, 480, color) for color in ((220, 60, 60), (60, 200, 60), (60, 60, 220))]
        with self._lock:
            image_entries = [self._publish_photo(data) for data in images]
            first = image_entries[0]
            item, music_url = self._item_struct(item_id, user, desc, music)
            item["imagePost"] = {"images": image_entries, "cover": first, "shareCover": first, "title": title}
            item["video"] = _unplayable_video(first)
            self._items[item_id] = _Item(user, "photo", _detail(item))
        return Post(item_id, f"{WEBPAGE}/@{user}/photo/{item_id}", copy.deepcopy(item),
                    image_urls=tuple(entry["imageURL"]["urlList"][0] for entry in image_entries),
                    music_url=music_url, cover_url=item["video"]["cover"])

    def add_unavailable(self, item_id: str, status_code: int, status_msg: str = "", *, user: str = "alice") -> str:
        """A page with a non-zero statusCode and no item (10204 deleted, 10216 under review, 10222 private...)."""
        with self._lock:
            self._items[item_id] = _Item(user, "video", {"statusCode": status_code, "statusMsg": status_msg})
        return f"{WEBPAGE}/@{user}/video/{item_id}"

    def add_login_required(self, item_id: str, *, user: str = "alice") -> str:
        """A page that redirects to https://www.tiktok.com/login?..., as for logged-in-only content."""
        with self._lock:
            self._items[item_id] = _Item(user, "video", None)
        return f"{WEBPAGE}/@{user}/video/{item_id}"

    def add_classified(self, item_id: str, *, user: str = "alice", desc: str = "sensitive") -> str:
        """An age-restricted post: itemStruct with isContentClassified and no video object."""
        with self._lock:
            item, _ = self._item_struct(item_id, user, desc, Music())
            item["isContentClassified"] = True
            self._items[item_id] = _Item(user, "video", _detail(item))
        return f"{WEBPAGE}/@{user}/video/{item_id}"

    def export_url(self, post: Post, *, expired: bool = False) -> str:
        """The post's video as a scraper's export carries it: a signed address that works without the page's
        cookies until its x-expires (an hour from now; an hour ago when `expired`, which the CDN refuses)."""
        parts = urllib.parse.urlsplit(post.item["video"]["playAddr"])  # what scrapers record: the played format
        with self._lock:
            data = self._media[parts.hostname, parts.path].data
        query = {"x-expires": str(int(time.time()) + (-3600 if expired else 3600)), "signature": secrets.token_hex(16),
                 "mime_type": "video_mp4"}
        path = f"/video/tos/useast2a/tos-useast2a-ve-0068c001/{secrets.token_hex(16)}/"
        with self._lock:
            return self._publish(data, "video/mp4", VIDEO_HOSTS[0], path, query, needs_session=False)

    def add_short_link(self, code: str, target_url: str, host: str = "vm.tiktok.com") -> str:
        """A short link answering 301 to target_url (any URL, so chains and off-site redirects work)."""
        if host not in SHORT_LINK_HOSTS | {"www.tiktok.com"}:
            raise ValueError(f"short links live on vm.tiktok.com, vt.tiktok.com or www.tiktok.com, not {host}")
        with self._lock:
            self._short_links[host, code] = target_url
        return f"https://{host}/t/{code}/" if host == "www.tiktok.com" else f"https://{host}/{code}/"

    def mount(self, site) -> None:
        """Serve another site from this origin: requests for hosts `site.serves(host)` accepts go to
        `await site.handle(request)` (e.g. a tests.fakes.instagram.FakeInstagram), not to TikTok."""
        with self._lock:
            self._sites.append(site)

    # ----------------------------------------------------------------------- network shaping

    def shape(self, kind: str, *, latency: float = 0.0, bandwidth: float | None = None) -> None:
        """Slow down one kind of request: "page" (tiktok.com pages and short links) or "cdn" (media hosts).

        `latency` seconds are added once per request before it is answered; a body is then written in
        64 KiB chunks paced to `bandwidth` bytes per second (per connection, None or 0 for unlimited).
        Status, headers, cookies, Content-Length and Range answers stay what they would be unshaped.
        """
        if kind not in SHAPED_KINDS:
            raise ValueError(f"kind must be one of {SHAPED_KINDS}, not {kind!r}")
        if latency < 0 or (bandwidth is not None and bandwidth < 0):
            raise ValueError("latency and bandwidth must not be negative")
        with self._lock:
            self._shapes[kind] = Shape(latency, bandwidth or None)

    def shaping(self, kind: str) -> Shape:
        """The current shape of `kind` ("page" or "cdn")."""
        with self._lock:
            return self._shapes.get(kind, Shape())

    # ----------------------------------------------------------------------- scripting failures (and RecordedTraffic)

    def fail_item(self, item_id: str, *, times: int = 1, status: int = 500) -> None:
        """Fail the next `times` page requests for one item."""
        page = re.compile(rf"/(?:video|photo)/{re.escape(item_id)}/?$")
        self.fail_next(lambda hit: hit.host in PAGE_HOSTS and bool(page.search(hit.path)), status=status, times=times)

    # ----------------------------------------------------------------------- recorded traffic

    def cdn_hits(self) -> list[Hit]:
        """Requests to the media CDN hosts."""
        return [hit for hit in self.requests if hit.host in CDN_HOSTS]

    # ----------------------------------------------------------------------- building item data

    def _item_struct(self, item_id: str, user: str, desc: str, music: Music) -> tuple[dict, str]:
        """The itemStruct fields every post has, and the URL of its sound."""
        nickname = user.replace("_", " ").title()
        music_id = _numeric_id()
        music_url = self._publish(music.data or media.sample("sound.mp3"), "audio/mpeg", MUSIC_HOST,
                                  f"/obj/ies-music-ttp-dup-us/{music_id}.mp3",
                                  {"mime_type": "audio_mpeg", **_image_signature()}, needs_session=False)
        music_cover = self._publish_image(media.jpeg(100, 100, (90, 90, 90)), "tiktokx-cropcenter:100:100")
        item = {
            "id": item_id, "desc": desc, "createTime": str(int(time.time()) - 3600),
            "author": {
                "id": _numeric_id(), "uniqueId": user, "nickname": nickname, "secUid": f"MS4wLjABAAAA{_token(52)}",
                "verified": False, "privateAccount": False, "avatarThumb": music_cover,
            },
            "music": {
                "id": music_id, "title": music.title, "playUrl": music_url, "authorName": music.author or nickname,
                "coverLarge": music_cover, "coverMedium": music_cover, "coverThumb": music_cover,
                "original": music.original, "duration": music.duration, "album": "", "isCopyrighted": False,
            },
            "stats": {"diggCount": 1234, "shareCount": 56, "commentCount": 78, "playCount": 98765, "collectCount": 90},
            "statsV2": {"diggCount": "1234", "shareCount": "56", "commentCount": "78", "playCount": "98765",
                        "collectCount": "90", "repostCount": "0"},
            "contents": [{"desc": desc, "textExtra": []}], "textExtra": [], "challenges": [],
            "isAd": False, "privateItem": False, "secret": False, "forFriend": False, "duetEnabled": True,
            "stitchEnabled": True, "shareEnabled": True, "itemCommentStatus": 0, "locationCreated": "US",
        }
        return item, music_url

    def _video_object(self, item_id: str, formats: Sequence[VideoFormat], duration: int,
                      cover: bytes | None) -> dict:
        """The itemStruct "video" of a video post, with every format, cover and watermarked copy published."""
        entries = [self._publish_format(video_format, duration) for video_format in formats]
        play_index = next((i for i, f in enumerate(formats) if f.codec == "h264"), 0)
        play, resolution = entries[play_index]["PlayAddr"], _resolution(formats[play_index])
        cover_data = cover or media.jpeg(play["Width"], play["Height"])
        return {
            "id": item_id, "width": play["Width"], "height": play["Height"], "duration": duration,
            "ratio": resolution, "definition": resolution,
            "cover": self._publish_image(cover_data, "tiktokx-cropcenter:300:400"),
            "originCover": self._publish_image(cover_data, "tiktokx-origin"), "shareCover": [""],
            "playAddr": play["UrlList"][0],
            "downloadAddr": self._publish_video(_format_data(formats[play_index]), bitrate=0)[0],
            "format": "mp4", "bitrate": entries[play_index]["Bitrate"], "codecType": entries[play_index]["CodecType"],
            "encodedType": "normal", "videoQuality": "normal", "encodeUserTag": "", "VQScore": "70.1",
            "subtitleInfos": [], "volumeInfo": {"Loudness": -16.2, "Peak": 0.89}, "bitrateInfo": entries,
        }

    def _publish_format(self, video_format: VideoFormat, duration: int) -> dict:
        """One bitrateInfo entry, with its bytes published on the video CDN."""
        if video_format.codec not in CODECS:
            raise ValueError(f"codec must be one of {sorted(CODECS)}, not {video_format.codec!r}")
        data = _format_data(video_format)
        url_codec, codec_type = CODECS[video_format.codec]
        short_side = min(video_format.width, video_format.height)
        bitrate = video_format.bitrate or len(data) * 8 // max(duration, 1)
        uri = f"v12044gd0000{secrets.token_hex(10)}"  # no "_": yt-dlp splits the UrlKey on it
        urls = self._publish_video(data, bitrate, video_only=video_format.video_only)
        return {
            "GearName": f"normal_{short_side}_0", "Bitrate": bitrate, "QualityType": 10 if short_side >= 720 else 20,
            "CodecType": codec_type,
            "PlayAddr": {
                "Uri": uri, "UrlList": urls, "UrlKey": f"{uri}_{url_codec}_{_resolution(video_format)}_{bitrate}",
                "DataSize": str(len(data)),
                "FileHash": hashlib.md5(data).hexdigest(), "FileCs": f"c:0-{len(data) - 1}-{_token(4)}",
                "Width": video_format.width, "Height": video_format.height,
            },
        }

    def _publish_video(self, data: bytes, bitrate: int, *, video_only: bool = False) -> list[str]:
        path = f"/video/tos/useast2a/tos-useast2a-ve-0068c001/{secrets.token_hex(16)}/"
        if video_only:
            path += "media-video-hvc1/"
        query = _video_signature(bitrate)
        return [self._publish(data, "video/mp4", host, path, query, needs_session=True) for host in VIDEO_HOSTS]

    def _publish_photo(self, data: bytes) -> dict:
        """An imagePost.images entry, with the image published on two image CDN hosts."""
        extension, content_type, width, height = media.image_info(data)
        path = f"/tos-maliva-i-photomode-us/{secrets.token_hex(16)}~tplv-photomode-image.{extension}"
        query = _image_signature()
        urls = [self._publish(data, content_type, host, path, query, needs_session=False) for host in IMAGE_HOSTS]
        return {"imageURL": {"urlList": urls}, "imageWidth": width, "imageHeight": height}

    def _publish_image(self, jpeg_data: bytes, template: str) -> str:
        path = f"/tos-maliva-p-0068/{secrets.token_hex(16)}~tplv-{template}.jpeg"
        return self._publish(jpeg_data, "image/jpeg", IMAGE_HOSTS[0], path, _image_signature(), needs_session=False)

    def _publish(self, data: bytes, content_type: str, host: str, path: str, query: dict[str, str], *,
                 needs_session: bool) -> str:
        """Serve `data` at https://host/path?query and return that URL."""
        encoded = urllib.parse.urlencode(query)
        self._media[host, path] = _Media(data, content_type, urllib.parse.parse_qs(encoded), needs_session)
        return f"https://{host}{path}?{encoded}"

    # ----------------------------------------------------------------------- serving

    async def _open(self, sock) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _close(self) -> None:
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        host = (request.url.host or "").lower()
        with self._lock:
            site = next((site for site in self._sites if site.serves(host)), None)
        if site is not None:
            return await site.handle(request)
        hit = Hit.of(request)
        with self._lock:
            failure = self._record(hit)
            shape = self._shapes.get(_kind_of_host(hit.host), Shape())
        if shape.latency:
            await asyncio.sleep(shape.latency)
        try:
            response = await self._scripted_answer(failure)
            if response is None:
                with self._lock:
                    response = self._route(request, hit)
        except web.HTTPException:  # redirects are raised
            hit.done_at = time.monotonic()
            raise
        hit.status = response.status
        body = response.body if isinstance(response, web.Response) else None
        if (isinstance(body, (bytes, bytearray)) and ((shape.bandwidth and body) or len(body) > STREAMED_ABOVE)
                and request.method != "HEAD"):
            return await _paced(request, response, body, shape.bandwidth, hit)
        hit.sent = len(body) if isinstance(body, (bytes, bytearray)) else 0
        hit.done_at = time.monotonic()
        return response

    def _route(self, request: web.Request, hit: Hit) -> web.StreamResponse:
        if hit.host in SHORT_LINK_HOSTS:
            return self._short_link(hit.host, hit.path.strip("/"))
        if hit.host in PAGE_HOSTS:
            return self._page_host(request, hit)
        return self._cdn(request, hit)

    def _page_host(self, request: web.Request, hit: Hit) -> web.StreamResponse:
        if match := ITEM_PAGE.fullmatch(hit.path):
            return self._item_page(request, match["id"])
        if match := OLD_ITEM_PAGE.fullmatch(hit.path):
            item_id = match["embed"] or match["mobile"]
            if item := self._items.get(item_id):
                raise web.HTTPMovedPermanently(f"{WEBPAGE}/@{item.user}/{item.kind}/{item_id}")
        if (match := SHORT_LINK_PATH.fullmatch(hit.path)) and hit.host == "www.tiktok.com":
            return self._short_link(hit.host, match["code"])
        if hit.path == "/login":
            return web.Response(text=_html("Log in | TikTok", "<h1>Log in to TikTok</h1>"), content_type="text/html")
        return web.Response(status=404, text=_html("Page not available | TikTok", ""), content_type="text/html")

    def _item_page(self, request: web.Request, item_id: str) -> web.StreamResponse:
        item = self._items.get(item_id)
        if item is not None and item.detail is None:
            login = f"{WEBPAGE}/login?" + urllib.parse.urlencode({"redirect_url": str(request.url), "lang": "en"})
            raise web.HTTPFound(login)
        detail = item.detail if item else {"statusCode": 10204, "statusMsg": "item doesn't exist"}
        scope = {"webapp.app-context": {"language": "en", "region": "US"}, "webapp.video-detail": detail}
        data = json.dumps({"__DEFAULT_SCOPE__": scope}, separators=(",", ":")).replace("<", "\\u003c")
        script = f'<script id="__UNIVERSAL_DATA_FOR_REHYDRATION__" type="application/json">{data}</script>'
        title = detail.get("itemInfo", {}).get("itemStruct", {}).get("desc") or "TikTok"
        response = web.Response(text=_html(f"{title} | TikTok", script), content_type="text/html")
        self._set_session_cookies(request, response)
        return response

    def _set_session_cookies(self, request: web.Request, response: web.Response) -> None:
        """Give a visitor without a valid tt_chain_token a new one (and a ttwid), like tiktok.com does."""
        if request.cookies.get(CHAIN_TOKEN) in self._chain_tokens:
            return
        token = _token(24)
        self._chain_tokens.add(token)
        for name, value in ((CHAIN_TOKEN, token), ("ttwid", f"1%7C{_token(43)}%7C{int(time.time())}%7C{_token(64)}")):
            response.set_cookie(name, value, domain=".tiktok.com", path="/", max_age=COOKIE_MAX_AGE,
                                httponly=True, secure=True, samesite="None")

    def _short_link(self, host: str, code: str) -> web.StreamResponse:
        target = self._short_links.get((host, code))
        if target is None:
            return web.Response(status=404, text="Not Found")
        raise web.HTTPMovedPermanently(target)

    def _cdn(self, request: web.Request, hit: Hit) -> web.StreamResponse:
        item = self._media.get((hit.host, hit.path))
        if item is None:
            return web.Response(status=404, text="Not Found")
        expires = item.query.get("x-expires", [""])[0]
        if urllib.parse.parse_qs(hit.query) != item.query or (expires.isdigit() and int(expires) < time.time()):
            return web.Response(status=403, text="Forbidden: bad or expired signature")
        if item.needs_session and not self._has_session(request):
            return web.Response(status=403, text="Forbidden")
        return ranged_response(request, item.data, item.content_type, {"Cache-Control": "max-age=2592000"})

    def _has_session(self, request: web.Request) -> bool:
        referer = request.headers.get("Referer", "")
        return request.cookies.get(CHAIN_TOKEN) in self._chain_tokens and referer.startswith(f"{WEBPAGE}/")


def _kind_of_host(host: str) -> str | None:
    """Which shape applies to a host: "page", "cdn", or None (other sites)."""
    if host in PAGE_HOSTS or host in SHORT_LINK_HOSTS:
        return "page"
    if host in CDN_HOSTS:
        return "cdn"
    return None


async def _paced(request: web.Request, response: web.Response, body: bytes | bytearray, bandwidth: float | None,
                 hit: Hit) -> web.StreamResponse:
    """Send `response` with its body written in chunks as the client takes them, each no earlier than
    `bandwidth` allows (None: no pacing); a client that goes away ends it quietly."""
    paced = web.StreamResponse(status=response.status, reason=response.reason, headers=response.headers)
    for name, morsel in response.cookies.items():
        paced.cookies[name] = morsel
    paced.content_length = len(body)
    await paced.prepare(request)
    loop = asyncio.get_running_loop()
    start = loop.time()
    view = memoryview(body)
    try:
        for offset in range(0, len(body), SHAPED_CHUNK):
            chunk = view[offset:offset + SHAPED_CHUNK]
            delay = start + (offset + len(chunk)) / bandwidth - loop.time() if bandwidth else 0
            if delay > 0:
                await asyncio.sleep(delay)
            await paced.write(chunk)
            hit.sent += len(chunk)
        await paced.write_eof()
    except ConnectionError:  # the client stopped reading (e.g. over its size limit) and closed
        pass
    finally:
        hit.done_at = time.monotonic()
    return paced


def _detail(item: dict) -> dict:
    return {"itemInfo": {"itemStruct": item}, "statusCode": 0, "statusMsg": ""}


def _unplayable_video(first_image: dict) -> dict:
    """The "video" object of a photo post: covers but no playable address, as the real site sends."""
    cover_url = first_image["imageURL"]["urlList"][0]
    return {
        "id": "", "width": first_image["imageWidth"], "height": first_image["imageHeight"], "duration": 0,
        "ratio": "540p", "definition": "540p", "cover": cover_url, "originCover": cover_url,
        "playAddr": "", "downloadAddr": "", "format": "", "bitrate": 0, "codecType": "",
        "encodedType": "normal", "videoQuality": "normal", "VQScore": "0",
    }


def _format_data(video_format: VideoFormat) -> bytes:
    if video_format.data is not None:
        return video_format.data
    return media.sample(f"{video_format.codec}.mp4")


def _resolution(video_format: VideoFormat) -> str:
    """The UrlKey resolution label: the short side, except that TikTok calls 576p "540p"."""
    short_side = min(video_format.width, video_format.height)
    return "540p" if short_side == 576 else f"{short_side}p"


def _html(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f'</head><body><div id="app"></div>{body}</body></html>')


def _video_signature(bitrate: int) -> dict[str, str]:
    """Query parameters shaped like a signed webapp-prime video URL."""
    kbps = bitrate // 1000
    return {
        "a": "1988", "bti": _token(24), "ch": "0", "cr": "3", "dr": "0", "lr": "all", "cd": "0|0|0|", "cv": "1",
        "br": str(kbps), "bt": str(kbps // 2), "cs": "0", "ds": "6", "ft": _token(28), "mime_type": "video_mp4",
        "qs": "0", "rc": _token(44), "btag": "e00088000", "expire": str(int(time.time()) + 86400),
        "l": time.strftime("%Y%m%d%H%M%S") + secrets.token_hex(13).upper(), "ply_type": "2", "policy": "2",
        "signature": secrets.token_hex(16), "tk": CHAIN_TOKEN,
    }


def _image_signature() -> dict[str, str]:
    """Query parameters shaped like a signed tiktokcdn.com image URL."""
    return {
        "dr": "14579", "x-expires": str(int(time.time()) + 86400),
        "x-signature": base64.b64encode(secrets.token_bytes(20)).decode(), "t": "4d5b0474", "ps": "13740610",
        "shp": "81f88b70", "shcp": "43f4a2f9", "idc": "useast5",
    }


def _token(length: int) -> str:
    return secrets.token_urlsafe(length)[:length]


def _numeric_id() -> str:
    return str(7_000_000_000_000_000_000 + secrets.randbelow(10**18 * 3))
