"""The story of one delivery: resolve the link -> send from the media cache, or produce the item once
(single flight across every process) -> remember its file ids -> record it. Whatever goes wrong, the user
hears why (media_types.failures); nothing raises out of `deliver`."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from aiogram.exceptions import TelegramBadRequest

from data import MediaKind, Repositories, keys
from data.logs import bind
from data.shared import SharedState
from media_types.cache import CachedItem, MediaCache, Variant
from media_types.failures import FailureReporter
from media_types.flight import SingleFlight
from media_types.job import DeliveryJob, retry_token
from media_types.ledger import Ledger
from media_types.limits import DeliveryQueue
from media_types.produce import Producer
from media_types.senders import ChatBlockedError, Sender, Senders
from media_types.texts import retry_keyboard
from pipeline import InvalidLinkError, ItemRef, MediaClient, MediaError, Platforms, ProxySession

log = logging.getLogger(__name__)

WRONG_FILE_ID = "wrong file identifier"


class Deliverer:
    def __init__(self, *, platforms: Platforms, cache: MediaCache, senders: Senders, producer: Producer,
                 ledger: Ledger, failures: FailureReporter, state: SharedState, repositories: Repositories,
                 queue: DeliveryQueue) -> None:
        self._platforms = platforms
        self._cache = cache
        self._senders = senders
        self._producer = producer
        self._ledger = ledger
        self._failures = failures
        self._state = state
        self._flights = SingleFlight(state)
        self._chats = repositories.chats
        self._queue = queue

    async def deliver(self, job: DeliveryJob) -> None:
        """Deliver the item (or its sound), or tell the user why not."""
        sender = self._senders.for_job(job)
        try:
            await self._deliver(job, sender)
        except ChatBlockedError:
            log.info("chat %s blocked the bot; its request %s is dropped", job.chat_id, job.request_id)
            if job.chat_id is not None:
                await self._chats.mark_blocked(job.chat_id, "private")
        except Exception as exc:  # noqa: BLE001 - every failure is reported to the user, none escapes
            await self._failures.report(job, sender, exc)
        await sender.record.forget()

    async def notify_abandoned(self, job: DeliveryJob) -> None:
        """A request the bot could not finish because it is shutting down: say so, with a way back."""
        sender = self._senders.for_job(job)
        token = retry_token(job, self._platforms)
        keyboard = retry_keyboard(job.platform.value, token, sender.t) if token and job.chat_id is not None else None
        await sender.report(sender.t("shutdown-retry"), keyboard, quiet_in_groups=False)

    async def record_inline_hit(self, job: DeliveryJob, item_id: str) -> None:
        """An inline result offered from the cache was sent as it was: count it as a cache hit."""
        item = await self._cache.get(job.platform, item_id, job.variant)
        await self._ledger.delivered(job, item_id, item.kind if item else MediaKind.VIDEO, cache_hit=True)

    async def identified(self, job: DeliveryJob, *, within: float) -> tuple[DeliveryJob, ItemRef | None]:
        """The job with its link replaced by the item's own address, and the item, when the link shows it or
        resolves within `within` seconds (a short link costs one request; the delivery then needs none); else
        the job as it was and None."""
        link = self._platforms.link(job.platform, job.link)
        if link is None or link.item_id is not None:
            return job, link.item() if link else None
        client = self._platforms.client(job.platform)
        try:
            async with asyncio.timeout(within):
                item = await client.resolve(link, client.session())
        except (TimeoutError, MediaError) as exc:
            log.info("%s not resolved within %.1f s (%s); the delivery resolves it", job.link, within,
                     type(exc).__name__)
            return job, None
        return dataclasses.replace(job, link=item.url), item

    async def _deliver(self, job: DeliveryJob, sender: Sender) -> None:
        client = self._platforms.client(job.platform)
        link = self._platforms.link(job.platform, job.link)
        if link is None:
            raise InvalidLinkError(f"{job.link} is not a {job.platform} link")
        session = client.session()
        item = await client.resolve(link, session)
        bind(item=item.item_id)
        produced: list[MediaKind] = []

        async def from_cache() -> bool:
            return await self._send_cached(job, sender, item)

        async def produce() -> None:
            produced.append(await self._produce(job, sender, client, item, session))

        # A post that cannot be a slideshow is made in its post form whatever the job wants: one flight for both.
        wants = job.variant if job.variant is not Variant.RENDERED or item.is_photo else job.post_variant
        flight = (job.platform, item.item_id, wants)
        async def waiting() -> None:  # its content comes with the other request's: no need to keep the order
            await self._queue.step_aside(job)

        if not await self._flights.run(keys.flight(*flight), keys.flight_failure(*flight), from_cache, produce,
                                       waiting):
            await self._ledger.delivered(job, item.item_id, produced[0], cache_hit=False)

    async def _produce(self, job: DeliveryJob, sender: Sender, client: MediaClient, item: ItemRef,
                       session: ProxySession) -> MediaKind:
        """Fetch and send; the chat has it from that moment on, whatever comes next (a repeat of the job
        does nothing), and every later request gets it by file id."""
        async with sender.working():
            if job.sound:
                sent = await self._producer.music(client, item, session, sender)
            else:
                sent = await self._producer.media(client, item, session, sender)
        await self._state.put(keys.delivered(job.request_id), "1")
        if sent.whole:
            await self._cache.put(job.platform, item.item_id, sent.variant, sent.item)
        else:
            log.info("%s was shown in part and is not cached; the next request fetches it whole", item.item_id)
        return sent.item.kind

    async def _send_cached(self, job: DeliveryJob, sender: Sender, item: ItemRef) -> bool:
        """True when sent by file ids; False when the item is not cached, or Telegram no longer knows its
        file ids (the entry is dropped)."""
        variant, cached = await self.cached(job, item.item_id)
        if cached is None:
            return False
        try:
            if job.sound:
                for file in cached.files:
                    await sender.audio(file.file_id)
            else:
                await sender.resend(item.item_id, cached)
        except TelegramBadRequest as exc:
            if WRONG_FILE_ID not in exc.message.lower():
                raise
            log.warning("file ids of %s are no longer valid; uploading again", item.item_id)
            await self._cache.drop(job.platform, item.item_id, variant)
            return False
        await self._state.put(keys.delivered(job.request_id), "1")
        await self._ledger.delivered(job, item.item_id, cached.kind, cache_hit=True)
        return True

    async def cached(self, job: DeliveryJob, item_id: str) -> tuple[Variant, CachedItem | None]:
        """The cached form the job can be answered with. One that wants a slideshow as a video takes the
        rendered video, or else the post itself when that is no slideshow (a video has no other form)."""
        cached = await self._cache.get(job.platform, item_id, job.variant)
        if cached is not None or job.variant is not Variant.RENDERED:
            return job.variant, cached
        post = await self._cache.get(job.platform, item_id, job.post_variant)
        if post is not None and not post.slideshow:
            return job.post_variant, post
        return job.variant, None  # a slideshow not rendered yet, or nothing cached
