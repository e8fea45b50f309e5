"""The delivery of one item to one chat: resolve -> media cache -> extract -> download -> convert ->
send -> cache the file ids -> record. A DeliveryJob is plain data, so the same job can later run on a
task-queue worker unchanged."""

from __future__ import annotations

import asyncio
import contextlib
import html
import io
import logging
import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import (
    BufferedInputFile,
    FSInputFile,
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    ReactionTypeEmoji,
    ReplyParameters,
)
from aiogram.utils.chat_action import ChatActionSender
from PIL import Image

from data import MediaKind, Platform, Repositories, Surface, keys
from data.logs import bind
from data.metrics import CACHE_HITS, DELIVERIES
from data.keys import Key
from data.shared import SharedState
from media_types.albums import MAX_ALBUM, split_albums
from media_types.cache import DOCUMENTS, MEDIA, MUSIC, CachedItem, SentFile
from media_types.images import ImageProcessor
from media_types.telegram_answers import REPLY_GONE
from media_types.texts import (
    Translate,
    caption,
    error_text,
    music_keyboard,
    retry_keyboard,
    slide_keyboard,
)
from media_types.uploads import StreamedUpload, upload_failure_is_retryable
from pipeline import (
    Gallery,
    InvalidLinkError,
    ItemRef,
    MediaClient,
    Platforms,
    error_for,
    MediaError,
    MediaRequest,
    MediaStream,
    NetworkError,
    ProxySession,
    UnsupportedError,
    Video,
    VideoFormat,
    rank_formats,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

WRONG_FILE_ID = "wrong file identifier"
FLIGHT_POLL = 0.2  # how often a request waiting for another one's fetch looks again
UPLOAD_TIMEOUT = 900  # seconds for one media upload: 2000 MB to a local Bot API server is slow
BLOCKED = "bot was blocked by the user"
FAILURE_REACTION = "😢"


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    """One item for one chat (or one inline message), as plain data."""

    platform: Platform
    link: str
    surface: Surface
    language: str
    file_mode: bool = False
    chat_id: int | None = None
    user_id: int | None = None
    reply_to: int | None = None
    inline_message_id: str | None = None
    sound: bool = False  # the item's sound (the music button) instead of its media
    request_id: str = field(default_factory=lambda: secrets.token_hex(6))



class ChatBlockedError(Exception):
    """The user blocked the bot: stop all work for this chat."""


class Deliverer:
    def __init__(
        self, *, bot: Bot, platforms: Platforms, repositories: Repositories,
        translate: Callable[[str], Translate], images: ImageProcessor, upload_limit: int,
        storage_channel_id: int | None, max_video_duration: int, state: SharedState,
        admin_ids: frozenset[int] = frozenset(),
    ) -> None:
        self._bot = bot
        self._platforms = platforms
        self._repositories = repositories
        self._translate = translate
        self._images = images
        self._upload_limit = upload_limit
        self.storage_channel_id = storage_channel_id
        self._max_video_duration = max_video_duration
        self._admin_ids = admin_ids
        self._placeholder: str | None = None
        self._state = state
        self._placeholder_lock = asyncio.Lock()

    # The entry points ------------------------------------------------------------------------------

    async def deliver(self, job: DeliveryJob) -> None:
        """Deliver the item (or its sound), or tell the user why not; never raises for the user's sake."""
        await self._guarded(job, self._deliver_music if job.sound else self._deliver)

    async def notify_abandoned(self, job: DeliveryJob) -> None:
        """A request the bot could not finish because it is shutting down: say so, with a way back."""
        t = self._translate(job.language)
        token = self.retry_token(job)
        keyboard = retry_keyboard(job.platform.value, token, t) if token and job.surface is not Surface.INLINE else None
        await self._report(job, t("shutdown-retry"), keyboard=keyboard, quiet_in_groups=False)

    def retry_token(self, job: DeliveryJob) -> str | None:
        """What a "try again" button carries for this job; None when a retry makes no sense (a sound)."""
        link = self._platforms.link(job.platform, job.link)
        return link.token if link is not None and not job.sound else None

    async def cached(self, platform: Platform, item_id: str, variant: str = MEDIA) -> CachedItem | None:
        entries = await self._repositories.media_cache.get(platform, item_id, variant)
        return CachedItem.from_json(entries) if entries else None

    async def record_cached_inline(self, job: DeliveryJob, item_id: str) -> None:
        """An inline result offered from the cache was sent as it was: count it as a cache hit."""
        item = await self.cached(job.platform, item_id)
        await self._record(job, item_id, item.kind if item else "video", cache_hit=True)

    async def placeholder_file_id(self) -> str:
        """A small "loading" picture in the storage channel: what an inline result shows until the
        real media replaces it (uploaded once per process)."""
        async with self._placeholder_lock:
            if self._placeholder is None:
                message = await self._bot.send_photo(
                    self.storage_channel_id, BufferedInputFile(_placeholder_jpeg(), "loading.jpg"),
                    caption="inline placeholder",
                )
                self._placeholder = message.photo[-1].file_id
            return self._placeholder

    async def show_slide(self, inline_message_id: str, platform: Platform, item_id: str, index: int,
                         language: str) -> bool:
        """Show picture `index` of an inline gallery, from the media cache; False when it is gone."""
        item = await self.cached(platform, item_id)
        if item is None or not _pages(item):
            return False
        await self._show_page(inline_message_id, platform, item_id, item, index, self._translate(language))
        return True

    async def _show_page(self, inline_message_id: str, platform: Platform, item_id: str, item: CachedItem,
                         index: int, t: Translate) -> None:
        pages = _pages(item)
        index %= len(pages)
        media_type = InputMediaVideo if pages[index].kind == "video" else InputMediaPhoto
        await self._bot.edit_message_media(
            inline_message_id=inline_message_id,
            media=media_type(media=pages[index].file_id, caption=caption(item.description, item.url, t)),
            reply_markup=slide_keyboard(platform.value, item_id, index, len(pages), t, with_music=item.has_music),
        )

    # Error handling --------------------------------------------------------------------------------

    async def _guarded(self, job: DeliveryJob, work: Callable[[DeliveryJob, Translate], Awaitable[None]]) -> None:
        t = self._translate(job.language)
        try:
            await work(job, t)
        except ChatBlockedError:
            log.info("chat %s blocked the bot; its request %s is dropped", job.chat_id, job.request_id)
            await self._repositories.chats.mark_blocked(job.chat_id, "private")
        except MediaError as exc:
            log.info("request %s (%s) failed: %s: %s", job.request_id, job.link, exc.reason, exc)
            await self._failed(job, exc.reason, exc)
            await self._report(job, error_text(exc, t, platform=job.platform.value,
                                               max_duration=self._max_video_duration,
                                               upload_limit=self._upload_limit))
        except Exception as exc:
            log.exception("request %s (%s) failed unexpectedly", job.request_id, job.link)
            await self._failed(job, "unexpected", exc)
            await self._report(job, t("error-unexpected"))

    async def _failed(self, job: DeliveryJob, reason: str, exc: Exception) -> None:
        """Count and record the failure; an admin's own request also gets the details, privately."""
        DELIVERIES.labels(job.platform.value, "music" if job.sound else "unknown", job.surface.value, reason).inc()
        await self._repositories.failures.record(
            user_id=job.user_id, chat_id=job.chat_id, surface=job.surface, platform=job.platform, reason=reason,
        )
        if job.user_id is None or job.user_id not in self._admin_ids:
            return
        t = self._translate(job.language)
        detail = t(
            "admin-failure", request=job.request_id, link=html.escape(job.link),
            stage=getattr(exc, "stage", None) or "-", proxy=html.escape(getattr(exc, "proxy", None) or "-"),
            attempts=getattr(exc, "attempts", 0), error=html.escape(f"{type(exc).__name__}: {exc}"[:1500]),
        )
        with contextlib.suppress(TelegramBadRequest, TelegramForbiddenError):
            await self._bot.send_message(job.user_id, detail)

    async def _report(self, job: DeliveryJob, text: str, *, keyboard: InlineKeyboardMarkup | None = None,
                      quiet_in_groups: bool = True) -> None:
        """Private chats get the reason; groups a reaction at most (unless it is news for everyone, like a
        restart); inline messages show it in place."""
        try:
            if job.surface is Surface.PRIVATE or (job.surface is Surface.GROUP and not quiet_in_groups):
                await self._bot.send_message(job.chat_id, text, reply_parameters=self._reply(job),
                                             reply_markup=keyboard)
            elif job.surface is Surface.GROUP and job.reply_to is not None:
                await self._bot.set_message_reaction(
                    job.chat_id, job.reply_to, reaction=[ReactionTypeEmoji(emoji=FAILURE_REACTION)],
                )
            elif job.inline_message_id is not None:
                await self._bot.edit_message_caption(inline_message_id=job.inline_message_id, caption=text)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            log.warning("could not report the failure of request %s: %s", job.request_id, exc.message)

    # The pipeline ----------------------------------------------------------------------------------

    async def _deliver(self, job: DeliveryJob, t: Translate) -> None:
        variant = DOCUMENTS if job.file_mode and job.surface is not Surface.INLINE else MEDIA
        await self._cached_or_produced(job, t, variant, self._send_cached, self._produce_media)

    async def _deliver_music(self, job: DeliveryJob, t: Translate) -> None:
        await self._cached_or_produced(job, t, MUSIC, self._send_cached_music, self._produce_music)

    async def _cached_or_produced(
        self, job: DeliveryJob, t: Translate, variant: str, send_cached: Callable, produce: Callable,
    ) -> None:
        """Send from the media cache if the item is there; otherwise produce it once (single flight: the
        same item asked by many chats at once, in any process, is fetched and uploaded by the first request
        that claims it; the others wait for it and send by file id, or report its failure)."""
        client = self._platforms.client(job.platform)
        session = client.session()
        link = self._platforms.link(job.platform, job.link)
        if link is None:
            raise InvalidLinkError(f"{job.link} is not a {job.platform} link")
        item = await client.resolve(link, session)
        bind(item=item.item_id)
        flight = keys.flight(job.platform, item.item_id, variant)
        waited = False
        while True:
            if await self._sent_from_cache(job, item, variant, send_cached, t):
                return
            if waited and (failure := await self._state.get(keys.flight_failure(job.platform, item.item_id, variant))) is not None:
                raise error_for(failure, f"{item.item_id}: {failure} (another request tried just now)")
            async with self._state.lease(flight) as leading:
                if leading and await self._sent_from_cache(job, item, variant, send_cached, t):
                    return  # the previous leader finished between our look and our lease
                if leading:
                    sent = await self._produce_once(job, client, item, session, t, variant, produce, flight)
                    break
            log.info("%s is being fetched for another request; waiting for it", item.item_id)
            await self._wait_for(flight)
            waited = True
        await self._record(job, item.item_id, sent.kind, cache_hit=False)

    async def _produce_once(self, job: DeliveryJob, client: MediaClient, item: ItemRef, session: ProxySession,
                            t: Translate, variant: str, produce: Callable, flight: Key) -> CachedItem:
        """The leader's fetch and upload; a failure is left for the waiting requests to report."""
        try:
            async with self._working(job):
                sent = await produce(job, client, item, session, t)
            await self._state.put(keys.delivered(job.request_id), "1")  # first: the chat has it, whatever comes next
            await self._repositories.media_cache.put(job.platform, item.item_id, variant, sent.to_json())
        except MediaError as exc:
            await self._state.put(keys.flight_failure(job.platform, item.item_id, variant), exc.reason)
            raise
        return sent

    async def _wait_for(self, flight: Key) -> None:
        """Until the request fetching the same item (in this process or another) is done."""
        while await self._state.get(flight) is not None:
            await asyncio.sleep(FLIGHT_POLL)

    def _working(self, job: DeliveryJob) -> contextlib.AbstractAsyncContextManager:
        """The sign of work while an item is fetched ("sending a file…", renewed until done); a send from
        the cache is too quick to need one."""
        if job.chat_id is None:
            return contextlib.nullcontext()
        return ChatActionSender.upload_document(chat_id=job.chat_id, bot=self._bot)

    async def _sent_from_cache(self, job: DeliveryJob, item: ItemRef, variant: str, send_cached: Callable,
                               t: Translate) -> bool:
        """True when sent; False when the item is not cached, or Telegram no longer knows its file ids (the
        entry is dropped)."""
        cached = await self.cached(job.platform, item.item_id, variant)
        if cached is None:
            return False
        try:
            await send_cached(job, item, cached, t)
        except TelegramBadRequest as exc:
            if WRONG_FILE_ID not in exc.message.lower():
                raise
            log.warning("file ids of %s are no longer valid; uploading again", item.item_id)
            await self._repositories.media_cache.drop(job.platform, item.item_id, variant)
            return False
        await self._state.put(keys.delivered(job.request_id), "1")
        await self._record(job, item.item_id, cached.kind, cache_hit=True)
        return True

    async def _produce_media(self, job: DeliveryJob, client: MediaClient, item: ItemRef, session: ProxySession,
                             t: Translate) -> CachedItem:
        media = await client.extract(item, session)
        with tempfile.TemporaryDirectory(prefix="delivery-") as workdir:
            if isinstance(media, Video):
                return await self._send_new_video(job, client, media, session, Path(workdir), t)
            return await self._send_new_gallery(job, client, media, session, Path(workdir), t)

    async def _send_cached_music(self, job: DeliveryJob, item: ItemRef, cached: CachedItem, t: Translate) -> None:
        await self._call(self._bot.send_audio(job.chat_id, cached.files[0].file_id, reply_parameters=self._reply(job)))

    async def _produce_music(self, job: DeliveryJob, client: MediaClient, item: ItemRef, session: ProxySession,
                             t: Translate) -> CachedItem:
        media = await client.extract(item, session)
        if media.music is None or media.music.media is None:
            raise UnsupportedError(f"{item.item_id} has no sound")
        music = media.music
        reply = _Reply(self._reply(job))
        with tempfile.TemporaryDirectory(prefix="music-") as workdir:
            cover = await self._thumbnail(client, music.cover, Path(workdir), session)

            async def upload(stream: MediaStream) -> Message:
                request = self._bot.send_audio(
                    job.chat_id, StreamedUpload(stream, f"{_file_title(music.title)}.mp3"),
                    title=music.title or None, performer=music.author or None, duration=music.duration,
                    thumbnail=cover, reply_parameters=reply.parameters, request_timeout=UPLOAD_TIMEOUT,
                )
                return await self._call(reply.dropped_when_gone(upload_failure_is_retryable(request)))

            message = await client.stream(music.media, session, upload, max_bytes=self._upload_limit)
        return CachedItem("music", item.url, files=(SentFile("audio", message.audio.file_id),))

    # Sending what was just downloaded ---------------------------------------------------------------

    async def _send_new_video(self, job: DeliveryJob, client: MediaClient, video: Video, session: ProxySession,
                              workdir: Path, t: Translate) -> CachedItem:
        """Stream the best fitting format from the CDN straight into the upload."""
        rank_formats(video.formats, self._upload_limit)  # nothing fits: fail before any download
        text = caption(video.description, video.item.url, t)
        has_music = video.music is not None and video.music.media is not None
        keyboard = music_keyboard(job.platform.value, video.item.item_id, t) if has_music else None
        reply = _Reply(self._reply(job))
        # The cover comes in while the video's CDN request is on its way; the upload starts with both.
        cover = asyncio.create_task(self._thumbnail(client, video.cover, workdir, session))

        async def upload(chosen: VideoFormat, stream: MediaStream) -> Message:
            thumbnail = await cover
            file = StreamedUpload(stream, f"{video.item.item_id}.mp4")
            as_video = {"width": chosen.width, "height": chosen.height, "duration": video.duration,
                        "supports_streaming": True}
            if job.surface is Surface.INLINE:
                request = self._bot.send_video(self.storage_channel_id, file, thumbnail=thumbnail, **as_video,
                                               caption=self._storage_caption(job, video.item),
                                               request_timeout=UPLOAD_TIMEOUT)
            elif job.file_mode:
                request = self._bot.send_document(job.chat_id, file, thumbnail=thumbnail, caption=text,
                                                  reply_markup=keyboard, reply_parameters=reply.parameters,
                                                  request_timeout=UPLOAD_TIMEOUT)
            else:
                request = self._bot.send_video(job.chat_id, file, thumbnail=thumbnail, **as_video, caption=text,
                                               reply_markup=keyboard, reply_parameters=reply.parameters,
                                               request_timeout=UPLOAD_TIMEOUT)
            return await self._call(reply.dropped_when_gone(upload_failure_is_retryable(request)))

        try:
            message = await client.stream_video(video, session, upload, max_bytes=self._upload_limit)
        finally:
            cover.cancel()
            await asyncio.gather(cover, return_exceptions=True)  # done before its directory goes
        if job.surface is Surface.INLINE:
            await self._bot.edit_message_media(
                inline_message_id=job.inline_message_id,
                media=InputMediaVideo(media=message.video.file_id, caption=text, supports_streaming=True),
                reply_markup=keyboard,
            )
        sent = SentFile("document", message.document.file_id) if message.document else SentFile(
            "video", message.video.file_id)
        return CachedItem("video", video.item.url, video.description, has_music, (sent,))

    async def _send_new_gallery(self, job: DeliveryJob, client: MediaClient, gallery: Gallery,
                                session: ProxySession, workdir: Path, t: Translate) -> CachedItem:
        """Pictures (and clips) in order. Photos Telegram would refuse are converted or sent as files."""
        files = await client.download_gallery(gallery, workdir, session, max_bytes=self._upload_limit)
        has_music = gallery.music is not None and gallery.music.media is not None
        if job.file_mode and job.surface is not Surface.INLINE:
            uploads = [("document", FSInputFile(f.path)) for f in files]
        else:
            uploads = await asyncio.gather(*(
                self._prepared(entry.kind, file.path, workdir, gallery.item.item_id)
                for entry, file in zip(gallery.entries, files, strict=True)
            ))
        cached = CachedItem("images", gallery.item.url, gallery.description, has_music)
        if job.surface is Surface.INLINE:
            sent = await self._upload_albums(self.storage_channel_id, uploads,
                                             self._storage_caption(job, gallery.item), reply=None)
            cached = _with_files(cached, sent)
            await self._show_inline_gallery(job, cached, gallery.item.item_id, t)
            return cached
        sent = await self._send_albums(job, gallery.item.item_id, uploads, cached, t)
        return _with_files(cached, sent)

    async def _prepared(self, kind: str, path: Path, workdir: Path, item_id: str) -> tuple[str, InputFile]:
        """A clip goes as a video; a picture as a photo Telegram accepts, or as a document."""
        if kind == "video":
            return "video", FSInputFile(path)
        plan = await self._images.prepare_photo(path, workdir)
        if plan.converted or plan.as_document:
            log.info("image %s of %s: %s", path.name, item_id, plan.reason)
        return ("document" if plan.as_document else "photo"), FSInputFile(plan.path)

    async def _show_inline_gallery(self, job: DeliveryJob, cached: CachedItem, item_id: str, t: Translate) -> None:
        if _pages(cached):
            await self._show_page(job.inline_message_id, job.platform, item_id, cached, 0, t)
            return
        # Nothing Telegram shows as a photo or a clip: the first file, as a document.
        await self._bot.edit_message_media(
            inline_message_id=job.inline_message_id,
            media=InputMediaDocument(media=cached.files[0].file_id, caption=caption(cached.description, cached.url, t)),
        )

    async def _send_albums(self, job: DeliveryJob, item_id: str, uploads: list[tuple[str, InputFile | str]],
                           item: CachedItem, t: Translate) -> list[SentFile]:
        """The gallery in albums; in groups only the first album's worth, with a note (README: groups get
        at most 10 pictures). Then the sound button, when there is a sound."""
        note = ""
        if job.surface is Surface.GROUP and len(uploads) > MAX_ALBUM:
            note = t("images-more-in-private", shown=MAX_ALBUM, total=len(uploads))
            uploads = uploads[:MAX_ALBUM]
        sent = await self._upload_albums(job.chat_id, uploads, caption(item.description, item.url, t, note=note),
                                         reply=self._reply(job))
        if item.has_music:
            await self._call(self._bot.send_message(
                job.chat_id, t("sound-prompt"),
                reply_markup=music_keyboard(job.platform.value, item_id, t),
            ))
        return sent

    async def _upload_albums(self, chat_id: int, uploads: list[tuple[str, InputFile | str]], text: str,
                             reply: ReplyParameters | None) -> list[SentFile]:
        """Albums of 2-10 that Telegram accepts: photos and clips together in their order, then documents
        (which may not share an album with them). The caption goes on the very first item. Returns the
        file ids in the order sent."""
        sent: list[SentFile] = []
        first = True
        for group in ([u for u in uploads if u[0] != "document"], [u for u in uploads if u[0] == "document"]):
            for album in split_albums(group):
                item_caption = text if first else None
                if len(album) == 1:
                    kind, upload = album[0]
                    send = {"photo": self._bot.send_photo, "video": self._bot.send_video,
                            "document": self._bot.send_document}[kind]
                    messages = [await self._call(send(chat_id, upload, caption=item_caption, reply_parameters=reply,
                                                      request_timeout=UPLOAD_TIMEOUT))]
                else:
                    media = [_ALBUM_TYPES[kind](media=upload, caption=item_caption if i == 0 else None)
                             for i, (kind, upload) in enumerate(album)]
                    messages = await self._call(self._bot.send_media_group(
                        chat_id, media, reply_parameters=reply, request_timeout=UPLOAD_TIMEOUT))
                sent += [_sent_file(message) for message in messages]
                first = False
        return sent

    async def _send_cached(self, job: DeliveryJob, item: ItemRef, cached: CachedItem, t: Translate) -> None:
        """Send by Telegram file ids: no download, no upload."""
        keyboard = music_keyboard(job.platform.value, item.item_id, t) if cached.has_music else None
        text = caption(cached.description, cached.url, t)
        if job.surface is Surface.INLINE:
            if cached.kind == "images":
                await self._show_inline_gallery(job, cached, item.item_id, t)
            else:
                await self._bot.edit_message_media(
                    inline_message_id=job.inline_message_id,
                    media=InputMediaVideo(media=cached.files[0].file_id, caption=text), reply_markup=keyboard,
                )
            return
        if cached.kind == "images":
            uploads: list[tuple[str, InputFile | str]] = [(f.kind, f.file_id) for f in cached.files]
            await self._send_albums(job, item.item_id, uploads, cached, t)
            return
        file = cached.files[0]
        send = self._bot.send_document if file.kind == "document" else self._bot.send_video
        extra = {} if file.kind == "document" else {"supports_streaming": True}
        await self._call(send(job.chat_id, file.file_id, caption=text, reply_markup=keyboard,
                              reply_parameters=self._reply(job), **extra))

    # Helpers ---------------------------------------------------------------------------------------

    async def _call(self, request: Awaitable) -> object:
        """A send to the job's chat: "bot was blocked by the user" ends all work for that chat."""
        try:
            return await request
        except TelegramForbiddenError as exc:
            if BLOCKED in exc.message.lower():
                raise ChatBlockedError(exc.message) from None
            raise

    async def _thumbnail(self, client: MediaClient, cover: MediaRequest | None, workdir: Path,
                         session: ProxySession) -> BufferedInputFile | None:
        """The cover as a Telegram thumbnail; a missing cover never fails the delivery."""
        if cover is None:
            return None
        try:
            file = await client.download(cover, workdir / "cover", session, max_bytes=20 * 1024 * 1024)
            data = await self._images.make_thumbnail(file.path)
        except MediaError as exc:
            log.info("no thumbnail: %s", exc)
            return None
        return BufferedInputFile(data, "thumbnail.jpg") if data else None

    @staticmethod
    def _reply(job: DeliveryJob) -> ReplyParameters | None:
        if job.reply_to is None:
            return None
        return ReplyParameters(message_id=job.reply_to, allow_sending_without_reply=True)

    @staticmethod
    def _storage_caption(job: DeliveryJob, item: ItemRef) -> str:
        """No personal data in the storage channel: the item and an opaque request id only."""
        return f"{html.escape(item.url)}\nrequest {job.request_id}"

    async def _record(self, job: DeliveryJob, item_id: str, kind: str, *, cache_hit: bool) -> None:
        DELIVERIES.labels(job.platform.value, kind, job.surface.value, "cache_hit" if cache_hit else "ok").inc()
        if cache_hit:
            CACHE_HITS.labels(job.platform.value).inc()
        await self._repositories.downloads.record(
            user_id=job.user_id, chat_id=job.chat_id, surface=job.surface, platform=job.platform,
            item_id=item_id, kind=MediaKind(kind), cache_hit=cache_hit,
        )


class _Reply:
    """The reply parameters of a streamed send: if the message to reply to is gone, the retry (a new
    stream, since the first one was consumed) goes without them."""

    def __init__(self, parameters: ReplyParameters | None) -> None:
        self.parameters = parameters

    async def dropped_when_gone(self, request: Awaitable[T]) -> T:
        try:
            return await request
        except TelegramBadRequest as exc:
            if REPLY_GONE not in exc.message.lower() or self.parameters is None:
                raise
            self.parameters = None
            raise NetworkError("the message to reply to is gone; sending without the reply") from None


def _sent_file(message: Message) -> SentFile:
    if message.photo:
        return SentFile("photo", message.photo[-1].file_id)
    if message.video:
        return SentFile("video", message.video.file_id)
    return SentFile("document", message.document.file_id)


_ALBUM_TYPES = {"photo": InputMediaPhoto, "video": InputMediaVideo, "document": InputMediaDocument}


def _pages(item: CachedItem) -> list[SentFile]:
    """What an inline gallery pages through: its photos and clips."""
    return [f for f in item.files if f.kind in ("photo", "video")]


def _with_files(item: CachedItem, files: list[SentFile]) -> CachedItem:
    return CachedItem(item.kind, item.url, item.description, item.has_music, tuple(files))


def _file_title(title: str) -> str:
    cleaned = "".join(ch for ch in title if ch.isalnum() or ch in " -_.")[:60].strip()
    return cleaned or "sound"


def _placeholder_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (320, 320), (24, 24, 32)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()
