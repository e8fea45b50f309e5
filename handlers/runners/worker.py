"""`python main.py worker`: delivery jobs taken from Redis until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal

from taskiq.receiver import Receiver

from data import Settings
from handlers.factory import open_services, wait_for_telegram
from handlers.runners.health import serve_metrics
from handlers.runners.stacks import dump_on_signal

log = logging.getLogger("bot")
JOBS_PER_SLOT = 3


async def run_worker(settings: Settings, *, handle_signals: bool = True) -> None:
    """Stopping takes no new job, lets the running ones finish within SHUTDOWN_GRACE_SECONDS and puts the
    rest back on the queue for another worker; a job is acknowledged only once it is done or handed back."""
    async with open_services(settings) as services:
        await services.i18n_core.startup()  # in a bot process the dispatcher's i18n middleware loads the texts
        services.tasks.serve(services.deliverer)
        await wait_for_telegram(services.bot)
        services.tasks.broker.is_worker_process = True
        # Jobs waiting in their chat's line (or lending their slot) hold no delivery slot, so the worker takes
        # more jobs than it has slots: the slots, not the receiver, limit what runs at once.
        receiver = Receiver(
            services.tasks.broker, max_async_tasks=JOBS_PER_SLOT * settings.max_concurrent_deliveries,
            run_startup=False,
            wait_tasks_timeout=settings.shutdown_grace_seconds + 10,
        )
        finished = asyncio.Event()
        listening = asyncio.create_task(receiver.listen(finished))
        metrics = await serve_metrics(settings, services.engine,
                                      lambda: "not taking jobs" if listening.done() else None)
        stop = asyncio.Event()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
            dump_on_signal()
        log.info("worker taking delivery jobs (up to %d at once)", settings.max_concurrent_deliveries)
        try:
            await asyncio.wait([listening, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished.set()
            await asyncio.shield(services.deliveries.drain(settings.shutdown_grace_seconds))
            try:  # the receiver waits for every job's acknowledgement; if it failed (Redis gone), exit with
                await asyncio.shield(listening)  # its error, for the supervisor to restart the worker
            finally:
                await services.repositories.downloads.flush()
                if metrics is not None:
                    await metrics.cleanup()
    log.info("stopped")
