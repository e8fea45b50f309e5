"""What every surface's sender shares: Telegram calls on behalf of one job, the albums Telegram accepts,
and the media a surface shows (a video, a gallery), whether freshly uploaded or sent again by file id."""

from __future__ import annotations

import contextlib
import html
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar, cast

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramNetworkError, TelegramRetryAfter
from aiogram.types import (
    InlineKeyboardMarkup,
    InputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
    ReplyParameters,
)

from data import MediaKind
from media_types.albums import split_albums
from media_types.cache import CachedItem, FileKind, SentFile
from media_types.job import DeliveryJob
from media_types.limits import pause
from media_types.senders.progress import NOTE_AFTER, ProgressNote
from media_types.senders.record import SendRecord
from media_types.telegram_answers import REPLY_GONE
from media_types.texts import Translate, caption, item_keyboard
from media_types.uploads import StreamedUpload, outage_delay, upload_failure_is_retryable
from pipeline import ConsumerBusyError, NetworkError

log = logging.getLogger(__name__)
T = TypeVar("T")

UPLOAD_TIMEOUT = 900  # seconds for one media upload: 2000 MB to a local Bot API server is slow
BLOCKED = "bot was blocked by the user"

# A file to send: a new upload, or the file id of one Telegram already has.
Upload = tuple[FileKind, InputFile | str]
_ALBUM_TYPES = {FileKind.PHOTO: InputMediaPhoto, FileKind.VIDEO: InputMediaVideo,
                FileKind.DOCUMENT: InputMediaDocument}


class ChatBlockedError(Exception):
    """The user blocked the bot: stop all work for this chat."""


@dataclass(frozen=True, slots=True)
class VideoMeta:
    """What Telegram shows before a new video plays; a file id brings its own."""

    width: int | None = None
    height: int | None = None
    duration: int | None = None
    thumbnail: InputFile | None = None


@dataclass(frozen=True, slots=True)
class AudioMeta:
    """What Telegram shows for a new sound file; a file id brings its own."""

    title: str | None = None
    performer: str | None = None
    duration: int | None = None
    thumbnail: InputFile | None = None


class Sender(ABC):
    """Sends one job's media where its surface shows it. Made per job (Senders.for_job)."""

    def __init__(self, bot: Bot, job: DeliveryJob, t: Translate, storage_channel_id: int | None = None, *,
                 patience: float = 900.0, turn: Callable[[DeliveryJob], Awaitable[None]] | None = None,
                 record: SendRecord | None = None) -> None:
        self._bot = bot
        self.job = job
        self.record = record or SendRecord(None, job.request_id)  # what Telegram answered each send so far
        self.t = t
        self._storage = storage_channel_id  # where files no chat shows are uploaded to get their file ids
        self._patience = patience  # seconds of Telegram's 429s a streamed upload waits out in all
        self._waited = 0.0
        self._outages = 0  # attempts that found the Bot API unreachable
        self._turn = turn  # waits until the chat's earlier requests have gone first (see DeliveryQueue)
        self._reply = (ReplyParameters(message_id=job.reply_to, allow_sending_without_reply=True)
                       if job.reply_to is not None else None)

    @abstractmethod
    async def video(self, item_id: str, item: CachedItem, file: InputFile | str, *, as_document: bool = False,
                    meta: VideoMeta | None = None) -> SentFile:
        """The item's video (or, as_document, the original file), with its caption and sound button."""

    @abstractmethod
    async def gallery(self, item_id: str, item: CachedItem, uploads: Sequence[Upload]) -> list[SentFile]:
        """The item's pictures and clips, in order. Returns the file ids in the order sent: one for each
        upload, or fewer when the surface showed only part and nothing else could take the rest."""

    @abstractmethod
    async def audio(self, file: InputFile | str, meta: AudioMeta | None = None) -> SentFile:
        """The item's sound (the music button)."""

    @abstractmethod
    async def _report(self, text: str, keyboard: InlineKeyboardMarkup | None, quiet_in_groups: bool) -> None: ...

    def working(self) -> contextlib.AbstractAsyncContextManager[object]:
        """A sign of work shown while an item is fetched; none by default."""
        return contextlib.nullcontext()

    @contextlib.asynccontextmanager
    async def progress(self, key: str, *, after: float = NOTE_AFTER,
                       **arguments: Any) -> AsyncIterator[Callable[[float], Awaitable[None]]]:
        """A note saying how far the block's work is (text `key` with its `percent`), shown once it has taken
        `after` seconds (0: at once), edited as the work reports progress, and removed at the end."""
        note = ProgressNote(lambda percent: self.t(key, percent=percent, **arguments), self._show_progress,
                            self._remove_progress, after=after)
        await note.update(0.0)
        try:
            yield note.update
        finally:
            await note.remove()

    async def _show_progress(self, text: str, note: Any) -> Any:
        """Show or edit the surface's progress note; returns what identifies it. None: no note here."""
        return None

    async def _remove_progress(self, note: Any) -> None:  # noqa: B027 - most surfaces have nothing to remove
        """Take the note away once the work is done."""

    async def resend(self, item_id: str, item: CachedItem) -> None:
        """A cached item, by its file ids: no download, no upload."""
        if item.kind is MediaKind.IMAGES:
            await self.gallery(item_id, item, [(f.kind, f.file_id) for f in item.files])
            return
        file = item.files[0]
        await self.video(item_id, item, file.file_id, as_document=file.kind is FileKind.DOCUMENT)

    async def report(self, text: str, keyboard: InlineKeyboardMarkup | None = None, *,
                     quiet_in_groups: bool = True) -> None:
        """Why the request ends without media. Private chats get the reason; groups a reaction at most
        (unless it is news for everyone, like a restart); inline messages show it in place."""
        try:
            await self._take_turn()
            await self._report(text, keyboard, quiet_in_groups)
        except (TelegramBadRequest, TelegramForbiddenError) as exc:
            log.warning("could not report the failure of request %s: %s", self.job.request_id, exc.message)

    # Helpers for the surfaces ------------------------------------------------------------------------

    def _caption(self, item: CachedItem, note: str = "") -> str:
        return caption(item.description, item.url, self.t, note=note)

    def _keyboard(self, item_id: str, item: CachedItem) -> InlineKeyboardMarkup | None:
        return item_keyboard(self.job.platform.value, item_id, item, self.t)

    async def _send(self, make: Callable[[ReplyParameters | None], Awaitable[T]], *, streamed: bool = False,
                    recorded: bool = True) -> T:
        """One Telegram call for the job, `recorded` as one of its steps: a run that took the job over from a
        dead process gets an answered step's answer back instead of sending it again (senders.record)."""
        await self._take_turn()
        if recorded and (earlier := await self.record.answer_of_next()) is not None:
            return cast("T", earlier)
        answer = await self._call(make, streamed=streamed)
        if recorded:
            await self.record.answered(answer)
        return answer

    async def _call(self, make: Callable[[ReplyParameters | None], Awaitable[T]], *, streamed: bool) -> T:
        """"Blocked by the user" ends all work for the chat. A streamed upload
        cannot be replayed, so when it fails on Telegram's side (network, 5xx, or the message to reply to is
        gone) it becomes a retryable NetworkError: the download stage repeats download and upload together,
        without the reply if that was the trouble. A 429 is waited out here and repeats them without using
        up the stage's budget, until the waits add up to the patience."""
        try:
            if streamed:
                return await upload_failure_is_retryable(make(self._reply))
            return await make(self._reply)
        except (TelegramRetryAfter, TelegramNetworkError) as exc:
            await self._wait_out(exc, streamed=streamed)
        except TelegramForbiddenError as exc:
            if BLOCKED in exc.message.lower():
                raise ChatBlockedError(exc.message) from None
            raise
        except TelegramBadRequest as exc:
            if not streamed or REPLY_GONE not in exc.message.lower() or self._reply is None:
                raise
            self._reply = None
            raise NetworkError("the message to reply to is gone; sending without the reply") from None

    async def _wait_out(self, exc: TelegramRetryAfter | TelegramNetworkError, *, streamed: bool) -> NoReturn:
        """A 429, or a Bot API that cannot be reached at all (TelegramAnswers waits out both for the calls it can
        send again): a streamed upload cannot go again by itself, so it waits here, then the download stage
        repeats download and upload without using an attempt, while the waits add up to the patience."""
        if isinstance(exc, TelegramRetryAfter):
            seconds, why = float(exc.retry_after), f"Telegram asked to wait {exc.retry_after} s"
        else:
            seconds, why = outage_delay(self._outages), "the Bot API cannot be reached"
            self._outages += 1
        self._waited += seconds
        if not streamed or self._waited > self._patience:
            if isinstance(exc, TelegramNetworkError) and streamed:
                raise NetworkError(f"{why} ({self._waited:.0f} s waited)") from None
            raise exc
        await pause(seconds)
        raise ConsumerBusyError(f"{why}; trying again after {seconds:.0f} s")

    async def _take_turn(self) -> None:
        """Once, before the job's first send: its chat's earlier requests go first."""
        if self._turn is not None:
            turn, self._turn = self._turn, None
            await turn(self.job)

    async def _albums(self, chat_id: int, uploads: Sequence[Upload], text: str, *,
                      reply: bool) -> list[SentFile]:
        """Albums of 2-10 that Telegram accepts: photos and clips together in their order, then documents
        (which may not share an album with them). The caption goes on the very first item."""
        sent: list[SentFile] = []
        first = True
        media = [u for u in uploads if u[0] is not FileKind.DOCUMENT]
        documents = [u for u in uploads if u[0] is FileKind.DOCUMENT]
        for group in (media, documents):
            for album in split_albums(group):
                text_here = text if first else None
                messages = [await self._single(chat_id, album[0], text_here, reply)] if len(album) == 1 else \
                    await self._media_group(chat_id, album, text_here, reply)
                sent += [sent_file(message) for message in messages]
                first = False
        return sent

    async def _single(self, chat_id: int, upload: Upload, text: str | None, reply: bool) -> Message:
        kind, file = upload
        sends: dict[FileKind, Callable[..., Awaitable[Message]]] = {
            FileKind.PHOTO: self._bot.send_photo, FileKind.VIDEO: self._bot.send_video,
            FileKind.DOCUMENT: self._bot.send_document,
        }
        send = sends[kind]
        return await self._send(lambda parameters: send(
            chat_id, file, caption=text, reply_parameters=parameters if reply else None,
            request_timeout=UPLOAD_TIMEOUT))

    async def _media_group(self, chat_id: int, album: Sequence[Upload], text: str | None,
                           reply: bool) -> list[Message]:
        media = [_ALBUM_TYPES[kind](media=file, caption=text if i == 0 else None)
                 for i, (kind, file) in enumerate(album)]
        return await self._send(lambda parameters: self._bot.send_media_group(
            chat_id, media, reply_parameters=parameters if reply else None,
            request_timeout=UPLOAD_TIMEOUT))


def sent_file(message: Message) -> SentFile:
    if message.photo:
        return SentFile(FileKind.PHOTO, message.photo[-1].file_id)
    if message.video:
        return SentFile(FileKind.VIDEO, message.video.file_id)
    if message.audio:
        return SentFile(FileKind.AUDIO, message.audio.file_id)
    if message.document:
        return SentFile(FileKind.DOCUMENT, message.document.file_id)
    raise ValueError(f"message {message.message_id} carries no file")


def upload_timeout(file: InputFile | str) -> int | None:
    """A new upload may take long; a file id is sent at once (the default timeout)."""
    return UPLOAD_TIMEOUT if isinstance(file, InputFile) else None


def storage_caption(job: DeliveryJob, url: str) -> str:
    """No personal data in the storage channel: the item and an opaque request id only."""
    return f"{html.escape(url)}\nrequest {job.request_id}"


def is_streamed(file: InputFile | str) -> bool:
    return isinstance(file, StreamedUpload)
