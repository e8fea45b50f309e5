"""The delivery job (resolve, extract, download, upload: one item for one chat) as a taskiq task.

One process (no REDIS_URL): an InMemoryBroker runs each job in place, inside the handler that took the
request, so the process's queue and shutdown work as before. With REDIS_URL: bot processes put jobs on a
Redis stream; `python main.py worker` processes take them and acknowledge each one only when it is done.
A worker that dies leaves its jobs pending, and another worker takes them over after
WORKER_REDELIVERY_SECONDS. A job that runs twice is still delivered once: its lease keeps a second copy
waiting while the first one's worker is alive, and its done mark turns a late copy into nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any, cast

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from taskiq import AckableMessage, AsyncBroker, InMemoryBroker
from taskiq_redis import RedisStreamBroker

from data import keys
from data.logs import bind
from data.shared import SharedState, redis_options
from media_types.delivery import Deliverer
from media_types.job import DeliveryJob
from media_types.limits import DeliveryQueue

log = logging.getLogger(__name__)

STREAM = "bot:deliveries"
WORKERS = "workers"  # the consumer group every worker reads the stream in
LEASE_POLL = 0.5  # seconds between looks at a job another worker holds
StreamEntry = tuple[bytes, dict[bytes, bytes]]  # a Redis stream message: its id and its fields


class ReclaimingStreamBroker(RedisStreamBroker):
    """taskiq-redis's stream broker, except for how a dead worker's jobs come back. Upstream (1.2) looks for
    them only right after new jobs arrived, from the start of the pending list each time, under a lock a
    killed worker can leave behind for good (taskiq-redis issues 129 and 131), and a job that simply runs
    longer than idle_timeout is taken over while its worker is alive. Here:
    - every turn of the loop, busy or idle, first takes over jobs idle for longer than idle_timeout
      (XAUTOCLAIM is atomic, so no lock is needed), walking the pending list with its cursor;
    - the jobs this worker holds are kept fresh (XCLAIM JUSTID to itself every third of idle_timeout), so
      only a dead or stalled worker's jobs go idle;
    - an unreachable Redis is waited for, not a reason to stop every worker at once, and a consumer group
      that vanished (Redis came back empty) is created again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._in_hand: set[bytes] = set()
        self._cursor: bytes | str = "0-0"
        self._keeping: asyncio.Task[None] | None = None

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        if self._keeping is None:  # until shutdown, after the last job is finished or handed back
            self._keeping = asyncio.create_task(self._keep_fresh())
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                try:
                    messages = [(i, fields) for i, fields in await self._next(redis) if fields]  # trimmed: empty
                except (RedisConnectionError, RedisTimeoutError) as exc:
                    log.warning("the job queue is unreachable (%s); trying again", exc)
                    await asyncio.sleep(1)
                    continue
                except ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    log.warning("the job queue's consumer group is gone (Redis lost its data?); creating it again")
                    await self._declare_consumer_group()
                    continue
                self._in_hand.update(message_id for message_id, _ in messages)
                for message_id, fields in messages:
                    yield AckableMessage(data=fields[b"data"], ack=self._ack(message_id))

    async def _next(self, redis: Redis) -> list[StreamEntry]:
        answer: list[Any] = await redis.xautoclaim(
            self.queue_name, self.consumer_group_name, self.consumer_name, min_idle_time=self.idle_timeout,
            start_id=self._cursor, count=self.unacknowledged_batch_size,
        )
        self._cursor, claimed = answer[0], cast("list[StreamEntry]", answer[1])
        if claimed:
            log.warning("took over %d job(s) left unacknowledged for %.0f s: a worker died or stalled",
                        len(claimed), self.idle_timeout / 1000)
            return claimed
        fetched: Any = await redis.xreadgroup(  # a list of (stream, messages), or None
            self.consumer_group_name, self.consumer_name, {self.queue_name: ">"},
            block=self.block, count=self.count)
        return [cast("StreamEntry", message) for _, batch in fetched or [] for message in batch]

    def _ack(self, message_id: bytes) -> Callable[[], Awaitable[None]]:
        acknowledge = self._ack_generator(id=message_id, queue_name=self.queue_name)  # type: ignore[arg-type]  # bytes work

        async def ack() -> None:
            await acknowledge()
            self._in_hand.discard(message_id)

        return ack

    async def shutdown(self) -> None:
        """A worker leaving with nothing pending takes its name out of the consumer group (otherwise every
        restart would leave one behind); one with jobs still pending stays, for them to be taken over."""
        if self._keeping is not None:
            self._keeping.cancel()
        if self.is_worker_process:
            try:
                async with Redis(connection_pool=self.connection_pool) as redis:
                    pending = await redis.xpending_range(self.queue_name, self.consumer_group_name, "-", "+", 1,
                                                         consumername=self.consumer_name)
                    if not pending:
                        await redis.xgroup_delconsumer(self.queue_name, self.consumer_group_name, self.consumer_name)
            except RedisError as exc:
                log.warning("could not leave the consumer group: %s", exc)
        await super().shutdown()

    async def _keep_fresh(self) -> None:
        redis = Redis(connection_pool=self.connection_pool)
        while True:
            await asyncio.sleep(self.idle_timeout / 3000)
            if not self._in_hand:
                continue
            try:
                await redis.xclaim(self.queue_name, self.consumer_group_name, self.consumer_name, min_idle_time=0,
                                   message_ids=list(self._in_hand), justid=True)
            except RedisError as exc:
                log.warning("could not keep this worker's jobs marked as alive: %s", exc)


def create_broker(redis_url: str | None, *, redeliver_after: float) -> AsyncBroker:
    if redis_url is None:
        return InMemoryBroker(await_inplace=True)
    return ReclaimingStreamBroker(
        redis_url, queue_name=STREAM, consumer_group_name=WORKERS, idle_timeout=int(redeliver_after * 1000),
        xread_block=1000, xread_count=1, unacknowledged_batch_size=10, maxlen=100_000, **redis_options(),
    )


class DeliveryTasks:
    """Taking delivery jobs in (each chat's quota, then the task queue), and running them in the processes
    that serve() them."""

    def __init__(self, broker: AsyncBroker, state: SharedState, deliveries: DeliveryQueue) -> None:
        self.broker = broker
        self.durable = not isinstance(broker, InMemoryBroker)
        self._state = state
        self._deliveries = deliveries

        async def deliver(message: dict[str, Any]) -> None:
            await self._execute(message)

        self._task = broker.register_task(deliver, task_name="deliver")
        self._deliverer: Deliverer | None = None

    def serve(self, deliverer: Deliverer) -> None:
        """Run jobs in this process (every process with the in-memory broker; workers with Redis)."""
        self._deliverer = deliverer

    @property
    def deliverer(self) -> Deliverer:
        if self._deliverer is None:
            raise RuntimeError("this process takes requests but does not deliver them (serve() was not called)")
        return self._deliverer

    @property
    def closing(self) -> bool:
        return self._deliveries.closing

    async def admit(self, job: DeliveryJob) -> bool:
        return await self._deliveries.admit(job)

    async def release(self, job: DeliveryJob) -> None:
        """Give back the place of a job that will not be submitted after all."""
        await self._deliveries.release(job)

    async def must_wait(self, job: DeliveryJob) -> bool:
        """Whether the job waits for others of its chat before it can start."""
        return await self._deliveries.ahead(job) >= self._deliveries.chat_concurrency

    async def submit(self, job: DeliveryJob) -> None:
        """In memory: returns when the job is done. Durable: returns once the job is queued. The job has its
        place in the chat's quota (admit); a job that cannot be queued gives it back."""
        try:
            await self._task.kiq(job.to_message())
        except Exception:
            await self._deliveries.release(job)
            raise

    async def _execute(self, message: dict[str, Any]) -> None:
        job = DeliveryJob.from_message(message)
        bind(request=job.request_id, chat=job.chat_id)  # a worker's log lines name the request they serve
        try:
            delivered = keys.delivered(job.request_id)
            while not await self._state.get(delivered):
                async with self._state.lease(keys.job(job.request_id)) as mine:
                    if mine and not await self._state.get(delivered):  # the first copy may just have ended
                        await self._run(job, message)
                        return
                await asyncio.sleep(LEASE_POLL)  # another copy of this job runs on a live worker
            log.info("request %s was delivered already; its repeat is dropped", job.request_id)
            # A repeat that took a place of its own (an update Telegram sent again) gives it back; one
            # redelivered by the queue after its first run was done gives back one place too many, which
            # only lets the chat have one more request in flight for a moment.
            await self._deliveries.release(job)
        except asyncio.CancelledError:
            if not self.durable:
                raise
            # The worker is going away mid-job; taskiq would acknowledge the job regardless. Handed back, this
            # copy is over: it ends quietly rather than have the worker's own shutdown logged as a failed job.
            await asyncio.shield(self._hand_back(job, message))

    async def _run(self, job: DeliveryJob, message: dict[str, Any]) -> None:
        """Deliver, then give the chat's place back; a job this worker's shutdown took back before the chat
        had it goes back on the queue with its place (durable) or is told to try again (in memory)."""
        try:
            finished = await self._deliveries.run(job, self.deliverer.deliver)
        except asyncio.CancelledError:
            if not self.durable:
                await asyncio.shield(self._deliveries.release(job))
            raise  # durable: _execute hands it back, place and all
        except Exception:
            await self._deliveries.release(job)
            raise
        delivered = keys.delivered(job.request_id)
        if finished or await self._state.get(delivered):  # done: delivered, or the chat was told why not
            await self._state.put(delivered, "1")
        elif self.durable:
            await self._hand_back(job, message)
            return
        else:
            try:
                await self.deliverer.notify_abandoned(job)
            except Exception:  # one chat we cannot tell must not keep the shutdown waiting
                log.exception("could not tell the chat of request %s about the shutdown", job.request_id)
        await self._deliveries.release(job)

    async def _hand_back(self, job: DeliveryJob, message: dict[str, Any]) -> None:
        await self._task.kiq(message)
        log.info("request %s handed back to the queue", job.request_id)
