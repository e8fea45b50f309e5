"""The delivery job (resolve, extract, download, upload: one item for one chat) as a taskiq task.

One process (no REDIS_URL): an InMemoryBroker runs each job in place, inside the handler that took the
request, so the process's queue and shutdown work as before. With REDIS_URL: bot processes put jobs on a
Redis stream; `python main.py worker` processes take them and acknowledge each one only when it is done.
A worker that dies leaves its jobs pending, and another worker takes them over after
WORKER_REDELIVERY_SECONDS. A job that runs twice is still delivered once: its lease keeps a second copy
waiting while the first one's worker is alive, and its done mark turns a late copy into nothing."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncGenerator
from typing import Any

from redis.asyncio import Redis
from taskiq import AckableMessage, AsyncBroker, InMemoryBroker
from taskiq_redis import RedisStreamBroker

from data import Platform, Surface
from data.shared import SharedState
from media_types.delivery import Deliverer, DeliveryJob
from media_types.limits import DeliveryQueue

log = logging.getLogger(__name__)

STREAM = "bot:deliveries"
WORKERS = "workers"  # the consumer group every worker reads the stream in
DONE_TTL = 24 * 3600  # seconds a finished job is remembered, against a late repeat
LEASE_POLL = 0.5  # seconds between looks at a job another worker holds


class ReclaimingStreamBroker(RedisStreamBroker):
    """taskiq-redis's stream broker, except for how a dead worker's jobs come back: upstream (1.2) looks
    for them only right after new jobs arrived, under a lock a killed worker can leave behind for good
    (taskiq-redis issues 129 and 131). Here every turn of the loop, busy or idle, first takes over the jobs
    idle for longer than idle_timeout (XAUTOCLAIM is atomic, so no lock is needed), then reads new ones."""

    async def listen(self) -> AsyncGenerator[AckableMessage, None]:
        async with Redis(connection_pool=self.connection_pool) as redis:
            while True:
                _, claimed, *_ = await redis.xautoclaim(
                    self.queue_name, self.consumer_group_name, self.consumer_name,
                    min_idle_time=self.idle_timeout, count=self.unacknowledged_batch_size,
                )
                if claimed:
                    log.warning("took over %d job(s) left unacknowledged for %.0f s: a worker died or stalled",
                                len(claimed), self.idle_timeout / 1000)
                fetched = [] if claimed else await redis.xreadgroup(
                    self.consumer_group_name, self.consumer_name, {self.queue_name: ">"},
                    block=self.block, count=self.count,
                )
                messages = claimed + [message for _, batch in fetched for message in batch]
                for message_id, fields in messages:
                    if fields:  # an entry trimmed from the stream comes back empty
                        yield AckableMessage(data=fields[b"data"],
                                             ack=self._ack_generator(id=message_id, queue_name=self.queue_name))


def create_broker(redis_url: str | None, *, redeliver_after: float) -> AsyncBroker:
    if redis_url is None:
        return InMemoryBroker(await_inplace=True)
    return ReclaimingStreamBroker(
        redis_url, queue_name=STREAM, consumer_group_name=WORKERS, idle_timeout=int(redeliver_after * 1000),
        xread_block=1000, xread_count=1, unacknowledged_batch_size=1, maxlen=100_000,
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
    def closing(self) -> bool:
        return self._deliveries.closing

    async def admit(self, job: DeliveryJob) -> bool:
        return await self._deliveries.admit(job)

    async def submit(self, job: DeliveryJob) -> None:
        """In memory: returns when the job is done. Durable: returns once the job is queued."""
        await self._task.kiq(dataclasses.asdict(job))

    async def _execute(self, message: dict[str, Any]) -> None:
        job = DeliveryJob(**{**message, "platform": Platform(message["platform"]),
                             "surface": Surface(message["surface"])})
        done = f"done:{job.request_id}"
        while await self._state.get(done) is None:
            async with self._state.lease(f"job:{job.request_id}") as mine:
                if mine:
                    await self._run(job, message, done)
                    return
            await asyncio.sleep(LEASE_POLL)  # a redelivered copy while the first worker still works on it
        log.info("request %s was delivered already; its repeat is dropped", job.request_id)

    async def _run(self, job: DeliveryJob, message: dict[str, Any], done: str) -> None:
        if await self._deliveries.run(job, self._deliverer.deliver):
            await self._state.put(done, "1", DONE_TTL)
        elif self.durable:  # taken back by this worker's shutdown: another worker will do it
            await self._task.kiq(message)
            log.info("request %s handed back to the queue", job.request_id)
            return
        else:
            try:
                await self._deliverer.notify_abandoned(job)
            except Exception:  # one chat we cannot tell must not keep the shutdown waiting
                log.exception("could not tell the chat of request %s about the shutdown", job.request_id)
        await self._deliveries.release(job)
