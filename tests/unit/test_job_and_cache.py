"""Delivery jobs as plain data (variant, owner, JSON round trip, retry token) and the media cache's entries."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from data import MediaKind, PipelineSettings, Platform, Repositories, Surface
from media_types.cache import CachedItem, FileKind, MediaCache, SentFile, Variant
from media_types.job import DeliveryJob, Form, retry_token
from pipeline import Platforms
from tiktok_api import TikTokClient

ITEM = "7312345678901234567"
LINK = f"https://www.tiktok.com/@scout/video/{ITEM}"
SHORT = "https://vm.tiktok.com/ZMabc123/"


def job(surface: Surface = Surface.PRIVATE, **fields: Any) -> DeliveryJob:
    return DeliveryJob(**{"platform": Platform.TIKTOK, "link": LINK, "surface": surface, "language": "en",
                          "chat_id": 42, "user_id": 42, **fields})


@pytest.mark.parametrize(
    ("surface", "file_mode", "form", "slideshow_video", "variant"),
    [
        (Surface.PRIVATE, False, Form.POST, False, Variant.MEDIA),
        (Surface.PRIVATE, True, Form.POST, False, Variant.DOCUMENTS),
        (Surface.GROUP, False, Form.POST, False, Variant.MEDIA),
        (Surface.GROUP, True, Form.POST, False, Variant.DOCUMENTS),
        (Surface.INLINE, False, Form.POST, False, Variant.MEDIA),
        (Surface.INLINE, True, Form.POST, False, Variant.MEDIA),  # an inline message shows media, never files
        (Surface.PRIVATE, False, Form.SOUND, False, Variant.MUSIC),
        (Surface.PRIVATE, True, Form.SOUND, True, Variant.MUSIC),
        (Surface.GROUP, True, Form.SOUND, False, Variant.MUSIC),
        (Surface.INLINE, True, Form.SOUND, False, Variant.MUSIC),
        (Surface.PRIVATE, False, Form.VIDEO, False, Variant.RENDERED),  # 🎬
        (Surface.INLINE, False, Form.VIDEO, False, Variant.RENDERED),  # "as one video" in inline mode
        (Surface.PRIVATE, True, Form.POST, True, Variant.RENDERED),  # the chat's setting, whatever the file mode
        (Surface.GROUP, False, Form.POST, True, Variant.RENDERED),  # a group follows its setting
        (Surface.INLINE, False, Form.POST, True, Variant.MEDIA),  # inline results say which form themselves
    ],
)
def test_variant_per_surface_mode_and_form(surface: Surface, file_mode: bool, form: Form, slideshow_video: bool,
                                           variant: Variant) -> None:
    assert job(surface, file_mode=file_mode, form=form, slideshow_video=slideshow_video).variant is variant


def test_a_sound_job_queued_by_the_previous_version_is_still_a_sound_job() -> None:
    message = {**job().to_message(), "sound": True}
    del message["form"], message["slideshow_video"]
    assert DeliveryJob.from_message(message).form is Form.SOUND


def test_owner_is_the_chat_else_the_user() -> None:
    assert job(Surface.GROUP, chat_id=-100123, user_id=42).owner == -100123
    assert job(Surface.INLINE, chat_id=None, user_id=42, inline_message_id="abc").owner == 42
    with pytest.raises(ValueError, match="neither a chat nor a user"):
        _ = job(chat_id=None, user_id=None).owner


@pytest.mark.parametrize(
    "original",
    [
        job(),
        job(Surface.GROUP, chat_id=-100123, user_id=7, reply_to=15, file_mode=True),
        job(Surface.INLINE, chat_id=None, user_id=7, inline_message_id="AgAAAPl", language="ru"),
        job(form=Form.SOUND, platform=Platform.INSTAGRAM, link="https://www.instagram.com/p/Cabc123/"),
        job(form=Form.VIDEO, slideshow_video=True),
    ],
    ids=["private", "group", "inline", "sound", "video"],
)
def test_a_job_survives_the_task_queue_as_json(original: DeliveryJob) -> None:
    message = json.loads(json.dumps(original.to_message()))
    restored = DeliveryJob.from_message(message)
    assert restored == original
    assert isinstance(restored.platform, Platform) and isinstance(restored.surface, Surface)
    assert isinstance(restored.form, Form)


def test_every_job_gets_its_own_request_id() -> None:
    assert len({job().request_id for _ in range(50)}) == 50


@pytest.fixture
async def platforms() -> AsyncIterator[Platforms]:
    registry = Platforms([TikTokClient(PipelineSettings(_env_file=None))])
    try:
        yield registry
    finally:
        await registry.close()


@pytest.mark.parametrize("link", [LINK, SHORT])
async def test_retry_token_stands_for_the_jobs_link(platforms: Platforms, link: str) -> None:
    token = retry_token(job(link=link), platforms)
    assert token is not None and ":" not in token and len(token.encode()) <= 64
    original, restored = platforms.link(Platform.TIKTOK, link), platforms.from_token(Platform.TIKTOK, token)
    assert original is not None and restored is not None
    assert (restored.item_id, restored.token) == (original.item_id, token)
    if original.item_id is None:  # a short link must be followed again: the very same one
        assert restored.url == original.url


@pytest.mark.parametrize("form", [Form.SOUND, Form.VIDEO])
async def test_a_buttons_job_has_no_retry_token(platforms: Platforms, form: Form) -> None:
    """A retry rebuilds the request from the link and the chat's settings; a button's form would be lost."""
    assert retry_token(job(form=form), platforms) is None


@pytest.mark.parametrize("forged", [
    f"https://evil.example/@user/video/{ITEM}",
    f"https://tiktok.com.evil.example/@user/video/{ITEM}",
    "https://www.tiktok.com/@user",
    "not a link",
])
async def test_a_forged_link_has_no_retry_token(platforms: Platforms, forged: str) -> None:
    assert retry_token(job(link=forged), platforms) is None


GALLERY = CachedItem(
    kind=MediaKind.IMAGES, url=LINK, description="Sunset <3 & friends", has_music=True,
    files=(SentFile(FileKind.PHOTO, "P1"), SentFile(FileKind.VIDEO, "V2"), SentFile(FileKind.DOCUMENT, "D3")),
)


@pytest.mark.parametrize("item", [
    GALLERY,
    CachedItem(kind=MediaKind.VIDEO, url=LINK, files=(SentFile(FileKind.VIDEO, "V1"),)),
    CachedItem(kind=MediaKind.MUSIC, url=LINK, files=(SentFile(FileKind.AUDIO, "A1"),)),
    CachedItem(kind=MediaKind.VIDEO, url=LINK),
    CachedItem(kind=MediaKind.VIDEO, url=LINK, has_music=True, slideshow=True, files=(SentFile(FileKind.VIDEO, "R1"),)),
])
def test_a_cached_item_round_trips_through_json(item: CachedItem) -> None:
    assert CachedItem.from_json(json.loads(json.dumps(item.to_json()))) == item


def test_an_entry_cached_before_slideshows_rendered_is_made_again() -> None:
    """It cannot say whether its post offers 🎬 or 🎵 (a reel's sound): a miss, so it is made once more."""
    entries = [{"meta": {"kind": "images", "url": LINK, "description": "", "has_music": True}},
               {"type": "photo", "file_id": "P1"}]
    assert CachedItem.from_json(entries) is None


def test_pages_are_the_photos_and_clips_in_order() -> None:
    assert [page.file_id for page in GALLERY.pages] == ["P1", "V2"]


META = {"kind": "video", "url": LINK, "description": "", "has_music": False, "slideshow": False}


@pytest.mark.parametrize("entries", [
    [],
    [{"type": "video", "file_id": "V1"}],  # no meta entry first
    [{"meta": {**META, "kind": "gif"}}],  # a kind this version does not know
    [{"meta": META}, {"type": "sticker", "file_id": "S1"}],  # nor this file kind
    [{"meta": {"kind": "video", "url": LINK}}],  # fields missing
    [{"meta": META}, {"file_id": "V1"}],
    [{"meta": META}, "V1"],
    None,
    "garbage",
])
def test_an_unreadable_entry_is_none(entries: Any) -> None:
    assert CachedItem.from_json(entries) is None


async def test_the_media_cache_keeps_items_per_variant_until_dropped(repositories: Repositories) -> None:
    cache = MediaCache(repositories)
    await cache.put(Platform.TIKTOK, ITEM, Variant.MEDIA, GALLERY)
    assert await cache.get(Platform.TIKTOK, ITEM) == GALLERY
    assert await cache.get(Platform.TIKTOK, ITEM, Variant.DOCUMENTS) is None
    assert await cache.get(Platform.INSTAGRAM, ITEM) is None
    await cache.drop(Platform.TIKTOK, ITEM, Variant.MEDIA)
    assert await cache.get(Platform.TIKTOK, ITEM) is None


async def test_the_media_cache_reads_an_unreadable_entry_as_missing(repositories: Repositories) -> None:
    await repositories.media_cache.put(Platform.TIKTOK, ITEM, Variant.MEDIA, [{"meta": {**META, "kind": "gif"}}])
    assert await MediaCache(repositories).get(Platform.TIKTOK, ITEM) is None
