"""A fake Instagram for tests: the logged-out web flow yt-dlp's Instagram extractor follows, and the media CDN.

It is not a server of its own: `TikTokWorld` mounts it on the fake origin (`FakeTikTok.mount`), which hands it
every request for an Instagram host, so the world's intercepting proxies reach it like any other site:

    with TikTokWorld() as world:
        post = world.instagram.add_reel("DAbCdEfGhIj", user="carol", caption="hello")
        ...  # https://www.instagram.com/reel/DAbCdEfGhIj/ through world.proxy

What is served, shaped like the real site (and like what yt-dlp's InstagramIE reads):

- `https://www.instagram.com/`: the home page, setting the `csrftoken`, `mid` and `ig_did` cookies, with the
  anonymous LSD token both in the `__eqmc` script and in the `["LSD",[],{"token":...}]` config entry;
- `GET /api/v1/web/get_ruling_for_content/?content_type=MEDIA&target_id=<pk>` (www and i.instagram.com):
  `{"status": "ok"}` for a published post, 404 `{"status": "fail"}` for an unknown one, and 400
  "useragent mismatch" without an X-IG-App-ID header;
- `POST /api/graphql` with `doc_id=POST_DOC_ID` (PolarisLoggedOutDesktopWWWPostRootContentQuery) and
  `variables={"media_id": "<pk>"}`: `data.xig_polaris_media.if_not_gated_logged_out` holds the media
  (an XDTMediaDict: `pk`, `code`, `media_type`, `user`, `caption`, `video_versions`, `image_versions2`,
  `carousel_media`...); it is null for a login-gated post, and `xig_polaris_media` is null for an unknown one.
  An LSD token the home page never issued gets Facebook's `for (;;);{"error":1357004,...}` answer;
- post pages `/p/CODE/`, `/reel/CODE/`, `/reels/CODE/`, `/tv/CODE/`, `/<user>/p/CODE/`, `/<user>/reel/CODE/`
  (without the trailing slash they redirect to it): the same `xig_polaris_media` inside a `data-sjs`
  RelayPrefetchedStreamCache script, plus og: meta tags; a login-gated post redirects to `/accounts/login/`,
  an unknown one is a 404 "Page not found" page; `instagram.com` redirects to `www.instagram.com`;
- the CDN (`*.cdninstagram.com`, `*.fbcdn.net`): registered bytes with Content-Length, single byte ranges and
  HEAD; no cookie or Referer is needed, but a changed query (the signed `oh`/`oe`...) is a 403.
"""

from __future__ import annotations

import copy
import html
import io
import json
import re
import secrets
import string
import time
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass, field

from aiohttp import web
from PIL import Image

from tests.fakes import media
from tests.fakes.traffic import Hit, RecordedTraffic, ranged_response

WEBPAGE = "https://www.instagram.com"
PAGE_HOSTS = frozenset({"www.instagram.com", "instagram.com"})
API_HOST = "i.instagram.com"
VIDEO_HOST = "scontent-iad3-1.cdninstagram.com"
IMAGE_HOST = "scontent-iad3-2.cdninstagram.com"
PROFILE_PIC_HOST = "instagram.fiad3-1.fna.fbcdn.net"
CDN_SUFFIXES = (".cdninstagram.com", ".fbcdn.net")
APP_ID = "936619743392459"  # the web app's X-IG-App-ID
POST_DOC_ID = "27130156389949648"  # PolarisLoggedOutDesktopWWWPostRootContentQuery
RULING_PATH = "/api/v1/web/get_ruling_for_content/"
SHORTCODE_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
PRIVATE_SUFFIX_LENGTH = 28  # a private post's shortcode is the public one plus 28 characters
COOKIE_MAX_AGE = 365 * 24 * 3600
POST_PAGE = re.compile(r"/(?:(?P<user>[\w.]+)/)?(?P<kind>p|reels?|tv)/(?P<code>[\w-]+)(?P<slash>/?)")
# media_type values of the v1 / XDT media objects
PHOTO, VIDEO, CAROUSEL = 1, 2, 8


@dataclass(frozen=True)
class MediaItem:
    """One picture or video of a post, in display order, with the CDN URLs its bytes are served at."""

    kind: str  # "photo" or "video"
    pk: str  # its media id; yt-dlp names a carousel entry pk_to_shortcode(pk)
    url: str  # the MP4 of a video, the full-size image of a photo
    width: int
    height: int
    display_url: str  # the full-size picture: a photo's image, a video's cover
    data: bytes  # what `url` serves

    @property
    def shortcode(self) -> str:
        return pk_to_shortcode(int(self.pk))


@dataclass(frozen=True)
class Post:
    """What a test needs about a registered post: its URLs, the media object served and its items in order."""

    code: str
    pk: str
    url: str  # the canonical page URL: /reel/CODE/ for a reel, /p/CODE/ otherwise
    user: str
    media: dict  # the XDTMediaDict served as xig_polaris_media.if_not_gated_logged_out
    items: tuple[MediaItem, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        """"photo" / "video" for each item, in order."""
        return tuple(item.kind for item in self.items)

    @property
    def media_urls(self) -> tuple[str, ...]:
        """The CDN URL of each item's media (MP4 or full-size image), in order."""
        return tuple(item.url for item in self.items)

    @property
    def video_urls(self) -> tuple[str, ...]:
        return tuple(item.url for item in self.items if item.kind == "video")

    @property
    def image_urls(self) -> tuple[str, ...]:
        return tuple(item.url for item in self.items if item.kind == "photo")

    @property
    def url_forms(self) -> tuple[str, ...]:
        """Every page URL of this post that Instagram serves and yt-dlp's InstagramIE accepts."""
        return url_forms(self.code, self.user)


@dataclass
class _Media:
    data: bytes
    content_type: str
    query: dict[str, list[str]]


@dataclass
class _Entry:
    code: str
    user: str
    media: dict | None  # None: the post is gated for logged-out visitors
    canonical_path: str = ""



@dataclass
class _Session:
    """Tokens the home page handed out; the GraphQL endpoint only accepts these."""

    lsd: set[str] = field(default_factory=set)
    csrf: set[str] = field(default_factory=set)


def shortcode_to_pk(code: str) -> int:
    """The numeric media id of a shortcode (a private post's long shortcode maps to its public part)."""
    if len(code) > PRIVATE_SUFFIX_LENGTH:
        code = code[:-PRIVATE_SUFFIX_LENGTH]
    pk = 0
    for char in code:
        index = SHORTCODE_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"{code!r} is not an Instagram shortcode")
        pk = pk * 64 + index
    return pk


def pk_to_shortcode(pk: int) -> str:
    """The shortcode of a numeric media id."""
    chars = []
    while True:
        pk, index = divmod(pk, 64)
        chars.append(SHORTCODE_ALPHABET[index])
        if pk == 0:
            return "".join(reversed(chars))


def url_forms(code: str, user: str = "alice") -> tuple[str, ...]:
    """The page URLs a post is reachable at."""
    return (f"{WEBPAGE}/p/{code}/", f"{WEBPAGE}/reel/{code}/", f"{WEBPAGE}/reels/{code}/", f"{WEBPAGE}/tv/{code}/",
            f"{WEBPAGE}/{user}/reel/{code}/", f"{WEBPAGE}/{user}/p/{code}/", f"https://instagram.com/p/{code}/")


def is_instagram_host(host: str) -> bool:
    host = host.lower()
    return host in PAGE_HOSTS or host == API_HOST or host.endswith(CDN_SUFFIXES)


class FakeInstagram(RecordedTraffic):
    """Instagram's logged-out web flow and CDN, served on a host-routing origin such as FakeTikTok."""

    def __init__(self) -> None:
        super().__init__()
        self._posts: dict[int, _Entry] = {}  # by media pk
        self._media: dict[tuple[str, str], _Media] = {}
        self._users: dict[str, dict] = {}
        self._session = _Session()

    # ----------------------------------------------------------------------- registering content

    def add_reel(self, code: str, *, user: str = "alice", caption: str = "a test reel #reels",
                 video: bytes | None = None, width: int = media.SAMPLE_WIDTH, height: int = media.SAMPLE_HEIGHT,
                 duration: float = media.SAMPLE_SECONDS, cover: bytes | None = None) -> Post:
        """Publish a reel (media_type 2, product_type "clips"); `video` defaults to the sample h264.mp4."""
        with self._lock:
            pk = self._new_pk(code)
            item, node = self._video_item(pk, video, width, height, duration, cover)
            post_media = self._post_media(code, pk, user, caption, node, product_type="clips")
            return self._register(code, pk, user, post_media, (item,), f"/reel/{code}/")

    def add_photo(self, code: str, *, user: str = "alice", caption: str = "a test photo",
                  image: bytes | None = None) -> Post:
        """Publish a single-picture post (media_type 1, product_type "feed"); `image` defaults to a 1080x1350 JPEG."""
        with self._lock:
            pk = self._new_pk(code)
            item, node = self._photo_item(pk, image if image is not None else media.jpeg(1080, 1350))
            post_media = self._post_media(code, pk, user, caption, node, product_type="feed")
            return self._register(code, pk, user, post_media, (item,), f"/p/{code}/")

    def add_carousel(self, code: str, items: Sequence[tuple[str, bytes | None]] | None = None, *,
                     user: str = "alice", caption: str = "a test carousel") -> Post:
        """Publish a sidecar (media_type 8) of ("photo", image bytes) / ("video", MP4 bytes) items, in order.

        None bytes mean a generated JPEG (photos, each a different colour) or the sample h264.mp4 (videos).
        """
        if items is None:
            items = [("photo", None), ("video", None), ("photo", None)]
        if not 2 <= len(items) <= 20:
            raise ValueError("a carousel holds 2 to 20 items")
        with self._lock:
            pk = self._new_pk(code)
            user_pk = self._user(user)["pk"]
            built = []
            for index, (kind, data) in enumerate(items):
                child_pk = pk - (len(items) - index) * 1_000_003  # children are uploaded before their post
                if kind == "photo":
                    built.append(self._photo_item(child_pk, data if data is not None else _photo_bytes(index)))
                elif kind == "video":
                    built.append(self._video_item(child_pk, data, media.SAMPLE_WIDTH, media.SAMPLE_HEIGHT,
                                                  media.SAMPLE_SECONDS, None))
                else:
                    raise ValueError(f"carousel items are 'photo' or 'video', not {kind!r}")
            children = []
            for _, node in built:
                children.append({**node, "id": f"{node['pk']}_{user_pk}", "product_type": "carousel_item",
                                 "carousel_parent_id": f"{pk}_{user_pk}", "code": None, "user": None,
                                 "caption": None, "taken_at": None})
            first = children[0]
            container = {
                "media_type": CAROUSEL, "image_versions2": None, "video_versions": None, "video_duration": None,
                "has_audio": None, "video_codec": None, "original_width": first["original_width"],
                "original_height": first["original_height"], "display_uri": first["display_uri"],
                "accessibility_caption": None, "carousel_media_count": len(children), "carousel_media": children,
            }
            post_media = self._post_media(code, pk, user, caption, container, product_type="carousel_container")
            return self._register(code, pk, user, post_media, tuple(item for item, _ in built), f"/p/{code}/")

    def add_not_found(self, code: str) -> str:
        """A post that does not exist (never published or deleted); returns its /p/ URL.

        Any shortcode not registered behaves the same; this also forgets one that was.
        """
        pk = shortcode_to_pk(code)
        with self._lock:
            self._posts.pop(pk, None)
        return f"{WEBPAGE}/p/{code}/"

    def add_login_required(self, code: str, *, user: str = "alice") -> str:
        """A post logged-out visitors may not see (private account, or gated): GraphQL has no media for it and
        its page redirects to /accounts/login/. A shortcode longer than 28 characters is a private-account
        post's. Returns its /p/ URL."""
        with self._lock:
            pk = self._new_pk(code)
            self._user(user)
            self._posts[pk] = _Entry(code, user, None, f"/p/{code}/")
        return f"{WEBPAGE}/p/{code}/"

    # ----------------------------------------------------------------------- recorded traffic (and RecordedTraffic)

    def cdn_hits(self) -> list[Hit]:
        """Requests to the media CDN hosts."""
        return [hit for hit in self.requests if hit.host.endswith(CDN_SUFFIXES)]

    # ----------------------------------------------------------------------- building media data

    def _new_pk(self, code: str) -> int:
        pk = shortcode_to_pk(code)
        if pk == 0:
            raise ValueError(f"{code!r} is not an Instagram shortcode")
        return pk

    def _register(self, code: str, pk: int, user: str, post_media: dict, items: tuple[MediaItem, ...],
                  canonical_path: str) -> Post:
        self._posts[pk] = _Entry(code, user, post_media, canonical_path)
        return Post(code, str(pk), f"{WEBPAGE}{canonical_path}", user, copy.deepcopy(post_media), items)

    def _user(self, username: str) -> dict:
        """The XDTUserDict of a username, made (with a profile picture on the CDN) on first use."""
        if username not in self._users:
            if not re.fullmatch(r"[\w.]{1,30}", username):
                raise ValueError(f"{username!r} is not an Instagram username")
            user_pk = str(10_000_000 + secrets.randbelow(60_000_000_000))
            picture = self._publish(media.jpeg(150, 150, (120, 120, 120)), "image/jpeg", PROFILE_PIC_HOST,
                                    f"/v/t51.2885-19/{_digits(9)}_{_digits(15)}_{_digits(19)}_n.jpg",
                                    _signed_query(PROFILE_PIC_HOST, "dst-jpg_s150x150"))
            self._users[username] = {
                "pk": user_pk, "id": user_pk, "username": username,
                "full_name": username.replace("_", " ").replace(".", " ").title(),
                "profile_pic_url": picture, "is_private": False, "is_verified": False,
                "is_unpublished": False, "__typename": "XDTUserDict",
            }
        return self._users[username]

    def _post_media(self, code: str, pk: int, username: str, caption: str, content: dict, *,
                    product_type: str) -> dict:
        """The XDTMediaDict of a post: shared fields plus `content` (the media fields of its kind)."""
        user = self._user(username)
        taken_at = int(time.time()) - 3600
        is_video = content["media_type"] == VIDEO
        return {
            "__typename": "XDTMediaDict", "id": f"{pk}_{user['pk']}", "pk": str(pk), "code": code,
            "product_type": product_type, "taken_at": taken_at,
            "caption": {"pk": _digits(19), "text": caption, "created_at": taken_at} if caption else None,
            "user": copy.deepcopy(user), "owner": copy.deepcopy(user),
            "like_count": 1234, "comment_count": 56, "play_count": 98765 if is_video else None,
            "view_count": 98765 if is_video else None, "comments_disabled": None,
            "like_and_view_counts_disabled": False, "is_paid_partnership": False, "location": None,
            "usertags": None, "coauthor_producers": [], "clips_metadata": None,
            "carousel_media_count": None, "carousel_media": None,
            **{key: value for key, value in content.items() if key not in ("pk", "id")},
        }

    def _video_item(self, pk: int, data: bytes | None, width: int, height: int, duration: float,
                    cover: bytes | None) -> tuple[MediaItem, dict]:
        """A video (its MP4 on the video CDN, its cover on the image CDN) and its media fields."""
        data = data if data is not None else media.sample("h264.mp4")
        url = self._publish(data, "video/mp4", VIDEO_HOST, f"/o1/v/t16/f2/m86/AQ{_token(40)}_video_dashinit.mp4",
                            _signed_query(VIDEO_HOST, None))
        candidates = self._image_candidates(cover if cover is not None else media.jpeg(width, height))
        node = {
            "pk": str(pk), "id": str(pk), "media_type": VIDEO,
            "video_versions": [{"type": version, "id": _digits(16), "width": width, "height": height, "url": url}
                               for version in (101, 102, 103)],
            "video_duration": float(duration), "has_audio": b"soun" in data, "video_codec": _video_codec(data),
            "video_dash_manifest": None, "image_versions2": {"candidates": candidates},
            "original_width": width, "original_height": height, "display_uri": candidates[0]["url"],
            "accessibility_caption": None,
        }
        return MediaItem("video", str(pk), url, width, height, candidates[0]["url"], data), node

    def _photo_item(self, pk: int, data: bytes) -> tuple[MediaItem, dict]:
        """A picture (full size plus a smaller rendition on the image CDN) and its media fields."""
        candidates = self._image_candidates(data)
        width, height = candidates[0]["width"], candidates[0]["height"]
        node = {
            "pk": str(pk), "id": str(pk), "media_type": PHOTO, "video_versions": None, "video_duration": None,
            "has_audio": None, "video_codec": None, "video_dash_manifest": None,
            "image_versions2": {"candidates": candidates}, "original_width": width, "original_height": height,
            "display_uri": candidates[0]["url"], "accessibility_caption": None,
        }
        url = candidates[0]["url"]
        return MediaItem("photo", str(pk), url, width, height, url, data), node

    def _image_candidates(self, data: bytes) -> list[dict]:
        """image_versions2.candidates: the image itself first, then a JPEG rendition at most 320 wide."""
        extension, content_type, width, height = media.image_info(data)
        name = f"{_digits(9)}_{_digits(17)}_{_digits(19)}_n"
        candidates = [{
            "url": self._publish(data, content_type, IMAGE_HOST, f"/v/t51.29350-15/{name}.{extension}",
                                 _signed_query(IMAGE_HOST, f"dst-{extension}_e35_p{width}x{height}")),
            "width": width, "height": height,
        }]
        small_width = min(320, width)
        small_height = max(1, round(height * small_width / width))
        with Image.open(io.BytesIO(data)) as image:
            buffer = io.BytesIO()
            image.convert("RGB").resize((small_width, small_height)).save(buffer, format="JPEG")
        candidates.append({
            "url": self._publish(buffer.getvalue(), "image/jpeg", IMAGE_HOST, f"/v/t51.29350-15/{name}.jpg",
                                 _signed_query(IMAGE_HOST, f"dst-jpg_e35_s{small_width}x{small_height}")),
            "width": small_width, "height": small_height,
        })
        return candidates

    def _publish(self, data: bytes, content_type: str, host: str, path: str, query: dict[str, str]) -> str:
        """Serve `data` at https://host/path?query and return that URL."""
        encoded = urllib.parse.urlencode(query)
        self._media[host, path] = _Media(data, content_type, urllib.parse.parse_qs(encoded))
        return f"https://{host}{path}?{encoded}"

    # ----------------------------------------------------------------------- serving

    def serves(self, host: str) -> bool:
        """Whether requests for `host` belong to Instagram (the hook FakeTikTok.mount uses)."""
        return is_instagram_host(host)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer one request for an Instagram host."""
        hit = Hit.of(request, await request.read())
        with self._lock:
            failure = self._record(hit)
        response = await self._scripted_answer(failure)
        if response is None:
            with self._lock:
                response = self._route(request, hit)
        hit.status = response.status
        return response

    def _route(self, request: web.Request, hit: Hit) -> web.StreamResponse:
        if hit.host.endswith(CDN_SUFFIXES):
            return self._cdn(request, hit)
        if hit.path == RULING_PATH:
            return self._ruling(request)
        if hit.host == API_HOST:
            return web.json_response({"message": "Page not found", "status": "fail"}, status=404)
        if hit.host == "instagram.com":
            return _redirect(301, f"{WEBPAGE}{request.rel_url}")
        if hit.path == "/api/graphql":
            return self._graphql(request, hit)
        if hit.path == "/":
            return self._home_page(request)
        if hit.path.startswith("/accounts/login"):
            return _html_response(_html("Login • Instagram", "<h1>Log into Instagram</h1>"))
        if match := POST_PAGE.fullmatch(hit.path):
            return self._post_page(request, match)
        return _not_found_page()

    def _home_page(self, request: web.Request) -> web.Response:
        lsd = _token(22)
        self._session.lsd.add(lsd)
        eqmc = {"u": f"/ajax/qm/?__a=1&__user=0&__comet_req=7&jazoest={secrets.randbelow(9000) + 1000}",
                "e": _token(30), "s": f"{_token(6)}:{_token(6)}:{_token(6)}", "w": 0, "f": _token(40), "l": lsd}
        config = {"define": [["LSD", [], {"token": lsd}, 323],
                             ["PolarisSiteData", [], {"country_code": "US", "device_id": _token(36)}, 4]]}
        body = (f'<script type="application/json" id="__eqmc">{_json_for_html(eqmc)}</script>'
                + _sjs_script({"require": [["ScheduledServerJS", "handle", None, [config]]]}))
        response = _html_response(_html("Instagram", body))
        if request.cookies.get("csrftoken") not in self._session.csrf:
            csrf = _token(32)
            self._session.csrf.add(csrf)
            for name, value in (("csrftoken", csrf), ("mid", _token(28)), ("ig_did", _token(36).upper())):
                response.set_cookie(name, value, domain=".instagram.com", path="/", max_age=COOKIE_MAX_AGE,
                                    secure=True, samesite="Lax")
        return response

    def _ruling(self, request: web.Request) -> web.Response:
        if not request.headers.get("X-IG-App-ID"):
            return web.json_response({"message": "useragent mismatch", "status": "fail"}, status=400)
        if request.query.get("content_type") != "MEDIA" or not request.query.get("target_id", "").isdigit():
            return web.json_response({"message": "Invalid parameters", "status": "fail"}, status=400)
        if int(request.query["target_id"]) not in self._posts:
            return web.json_response({"message": "Media not found or unavailable", "status": "fail"}, status=404)
        return web.json_response({"status": "ok"})

    def _graphql(self, request: web.Request, hit: Hit) -> web.Response:
        if request.method != "POST":
            return web.Response(status=405, text="Method Not Allowed")
        form = hit.form
        lsd = request.headers.get("X-FB-LSD") or form.get("lsd")
        if lsd not in self._session.lsd:
            return _facebook_error(1357004, "Sorry, something went wrong",
                                   "Please try closing and re-opening your browser window.")
        csrf = request.headers.get("X-CSRFToken")
        if csrf is not None and csrf != request.cookies.get("csrftoken"):
            return web.Response(status=403, text="CSRF verification failed. Request aborted.")
        if form.get("doc_id") != POST_DOC_ID:
            return web.json_response({"errors": [{"message": "A server error persisted_query_not_found occured.",
                                                  "severity": "CRITICAL", "code": 1675030}], "data": None})
        try:
            media_id = int(json.loads(form.get("variables", ""))["media_id"])
        except (ValueError, TypeError, KeyError):
            return web.json_response({"errors": [{"message": "Invalid variables", "severity": "CRITICAL"}],
                                      "data": None})
        entry = self._posts.get(media_id)
        return web.json_response(_polaris_result(entry))

    def _post_page(self, request: web.Request, match: re.Match) -> web.StreamResponse:
        if not match["slash"]:
            location = request.path + "/" + (f"?{request.query_string}" if request.query_string else "")
            return _redirect(301, location)
        entry = self._posts.get(shortcode_to_pk(match["code"]))
        if entry is None or (match["user"] and match["user"] != entry.user):
            return _not_found_page()
        if entry.media is None:
            return _redirect(302, f"{WEBPAGE}/accounts/login/?" + urllib.parse.urlencode({"next": request.path}))
        result = {"__bbox": {"complete": True, "result": _polaris_result(entry), "sequence_number": 0}}
        cache = ["RelayPrefetchedStreamCache", "next", [],
                 [f"adp_PolarisPostRootQueryRelayPreloader_{secrets.token_hex(10)}", result]]
        payload = {"require": [["ScheduledServerJS", "handle", None, [{"__bbox": {"require": [cache]}}]]]}
        post_media = entry.media
        caption = (post_media.get("caption") or {}).get("text") or ""
        meta = "".join(f'<meta property="{name}" content="{html.escape(value)}">' for name, value in (
            ("og:title", f"{entry.user} on Instagram: \u201c{caption}\u201d"), ("og:type", "video.other" if
             post_media["media_type"] == VIDEO else "article"), ("og:image", post_media["display_uri"]),
            ("og:url", f"{WEBPAGE}{entry.canonical_path}"), ("og:description", caption)))
        return _html_response(_html(f"{entry.user} on Instagram", _sjs_script(payload), head=meta))

    def _cdn(self, request: web.Request, hit: Hit) -> web.StreamResponse:
        item = self._media.get((hit.host, hit.path))
        if item is None:
            return web.Response(status=404, text="Not Found")
        if urllib.parse.parse_qs(hit.query) != item.query:
            return web.Response(status=403, text="URL signature mismatch")
        return ranged_response(request, item.data, item.content_type, {
            "Cache-Control": "max-age=1209600, no-transform", "Access-Control-Allow-Origin": "*",
            "Timing-Allow-Origin": "*"})


def _polaris_result(entry: _Entry | None) -> dict:
    """The GraphQL answer for a post: its media, null media when gated, null xig_polaris_media when unknown."""
    if entry is None:
        polaris = None
    else:
        polaris = {"if_not_gated_logged_out": copy.deepcopy(entry.media), "comments_connection": {"edges": []}}
    return {"data": {"xig_polaris_media": polaris}, "extensions": {"is_final": True}}


def _facebook_error(code: int, summary: str, description: str) -> web.Response:
    payload = {"__ar": 1, "error": code, "errorSummary": summary, "errorDescription": description,
               "isNotCritical": False, "payload": None, "lid": _digits(19)}
    return web.Response(text="for (;;);" + json.dumps(payload, separators=(",", ":")),
                        content_type="text/javascript")


def _not_found_page() -> web.Response:
    body = ("<h2>Sorry, this page isn't available.</h2><p>The link you followed may be broken, or the page may "
            'have been removed. <a href="/">Go back to Instagram.</a></p>')
    return _html_response(_html("Page not found • Instagram", body), status=404)


def _redirect(status: int, location: str) -> web.Response:
    return web.Response(status=status, headers={"Location": location})


def _sjs_script(payload: dict) -> str:
    """A server-side JS payload script, as Instagram pages carry their preloaded data."""
    data = _json_for_html(payload)
    return f'<script type="application/json" data-content-len="{len(data)}" data-sjs>{data}</script>'


def _html_response(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html")


def _html(title: str, body: str, head: str = "") -> str:
    return (f'<!DOCTYPE html><html lang="en" class="_9dls"><head><meta charset="utf-8">'
            f'<title>{html.escape(title)}</title>{head}</head><body><div id="mount_0_0"></div>{body}</body></html>')


def _json_for_html(value: object) -> str:
    """JSON safe inside a <script> element, escaped as Facebook pages do."""
    return json.dumps(value, separators=(",", ":")).replace("/", "\\/").replace("<", "\\u003C")


def _signed_query(host: str, transform: str | None) -> dict[str, str]:
    """Query parameters shaped like a signed Instagram CDN URL."""
    query = {"stp": transform} if transform else {}
    query.update({
        "_nc_ht": host, "_nc_cat": str(1 + secrets.randbelow(111)), "_nc_oc": _token(60), "_nc_ohc": _token(22),
        "_nc_gid": _token(22), "edm": "APs17CUBAAAA", "ccb": "7-5", "oh": f"00_{_token(43)}",
        "oe": f"{int(time.time()) + 4 * 86400:X}", "_nc_sid": "10d13b",
    })
    return query


def _video_codec(data: bytes) -> str | None:
    """avc1.PPCCLL from an MP4's avcC box (profile, compatibility, level), as Instagram reports it."""
    at = data.find(b"avcC")
    if at < 0 or len(data) < at + 8:
        return None
    return "avc1." + data[at + 5:at + 8].hex()


def _photo_bytes(index: int) -> bytes:
    colors = ((220, 60, 60), (60, 200, 60), (60, 60, 220), (220, 200, 40), (160, 60, 200), (40, 200, 200))
    return media.jpeg(1080, 1080, colors[index % len(colors)])


def _token(length: int) -> str:
    return secrets.token_urlsafe(length)[:length]


def _digits(length: int) -> str:
    return str(10 ** (length - 1) + secrets.randbelow(9 * 10 ** (length - 1)))
