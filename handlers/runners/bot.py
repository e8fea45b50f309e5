"""`python main.py`: the bot takes updates (long polling, or the webhook) until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web

from data import Settings
from handlers.dispatcher import create_dispatcher
from handlers.factory import open_services, wait_for_telegram
from handlers.runners.health import serve_metrics
from handlers.runners.polling import poll
from handlers.runners.stacks import dump_on_signal
from handlers.runners.webhook import serve_webhook
from media_types.broadcast import Broadcaster

log = logging.getLogger("bot")


async def run_bot(settings: Settings, *, handle_signals: bool = True) -> None:
    """Deliveries run in this process, or with REDIS_URL on the workers. Stopping takes no new work, lets
    deliveries in flight finish within SHUTDOWN_GRACE_SECONDS, tells the chats whose requests could not be
    finished, then closes every session and pool."""
    metrics: web.AppRunner | None = None
    async with open_services(settings) as services:
        if handle_signals:
            dump_on_signal()
        if services.tasks.durable:
            log.info("deliveries go to the workers (python main.py worker) through Redis")
        else:
            services.tasks.serve(services.deliverer)
        broadcaster = Broadcaster(bot=services.bot, repositories=services.repositories,
                                  translate=services.translate, state=services.state)

        async def finish_work() -> None:
            await broadcaster.stop()
            await services.deliveries.drain(settings.shutdown_grace_seconds)
            await services.repositories.downloads.flush()

        dispatcher = create_dispatcher(services.i18n_core, services.state, services.handler_context(broadcaster),
                                       on_shutdown=finish_work)
        dispatcher.startup.register(broadcaster.resume)
        # Set by the dispatcher's startup (polling begins, or the webhook app starts), cleared by its shutdown.
        taking_updates = asyncio.Event()
        dispatcher.startup.register(taking_updates.set)
        dispatcher.shutdown.register(taking_updates.clear)
        try:
            metrics = await serve_metrics(settings, services.engine,
                                          lambda: None if taking_updates.is_set() else "not taking updates")
            await wait_for_telegram(services.bot)
            if settings.webhook_url:
                await serve_webhook(dispatcher, services.bot, settings, services.state, services.repositories.bot_state,
                                    in_background=not services.tasks.durable, handle_signals=handle_signals)
            else:
                await poll(dispatcher, services.bot, handle_signals=handle_signals)
        finally:
            await broadcaster.stop()  # done already by the dispatcher's shutdown, unless start-up never ended
            if metrics is not None:
                await metrics.cleanup()
    log.info("stopped")
