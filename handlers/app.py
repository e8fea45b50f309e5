"""The running processes: the bot (long polling or webhook) and the delivery worker. Both build the same
long-lived objects (engine, Bot, clients, shared state, task queue) and close them when stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiogram_i18n.cores import BaseCore
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine
from taskiq.receiver import Receiver

from data import (
    ConfigError,
    Repositories,
    Settings,
    create_engine,
    ensure_reachable,
    migrate,
    safe_url,
    session_factory,
)
from data import keys
from data.shared import LEASE_TTL, SharedState, create_state
from handlers import create_dispatcher
from handlers.i18n import create_i18n_core, translator
from media_types import Deliverer, DeliveryQueue, ImageProcessor, OutboundLimiter, SpamGuard, TelegramAnswers
from media_types.broadcast import Broadcaster
from media_types.jobs import DeliveryTasks, create_broker
from media_types.platforms import create_platforms
from media_types.texts import Translate
from pipeline import Platforms

log = logging.getLogger("bot")


def create_bot(settings: Settings, shared: SharedState | None = None) -> Bot:
    """`shared`: the state several processes share (REDIS_URL), for the limit on messages a second."""
    server = TelegramAPIServer.from_base(settings.tg_server, is_local=settings.tg_server_local)
    session = AiohttpSession(api=server)
    if settings.ssl_cert_file is not None:
        # aiogram pins certifi's bundle and offers no option for another one.
        session._connector_init["ssl"] = ssl.create_default_context(cafile=str(settings.ssl_cert_file))
    session.middleware(TelegramAnswers())  # outermost: a retry after a 429 passes the limiter again
    session.middleware(OutboundLimiter(shared=shared))
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


async def wait_for_telegram(bot: Bot) -> None:
    """A rejected token is a configuration error; an unreachable Bot API is waited out, so a
    network blip at start-up does not become a restart loop."""
    delay = 1.0
    while True:
        try:
            me = await bot.me()
        except TelegramUnauthorizedError:
            raise ConfigError("BOT_TOKEN: rejected by the Bot API (401 Unauthorized)") from None
        except (TelegramNetworkError, TelegramServerError) as exc:
            log.warning("Bot API not reachable (%s); retrying in %.0f s", exc, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)
        else:
            log.info("connected as @%s", me.username)
            return


async def _stop_polling(dispatcher: Dispatcher, polling: asyncio.Task) -> None:
    """What SIGTERM does, for a cancelled run_bot: aiogram leaves its polling loop running when
    start_polling itself is cancelled, so stop it through the dispatcher."""
    try:
        await dispatcher.stop_polling()
    except RuntimeError:  # still starting up: nothing polls yet
        polling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling


async def poll(dispatcher: Dispatcher, bot: Bot, *, handle_signals: bool) -> None:
    """Long polling until SIGINT/SIGTERM (aiogram handles them) or cancellation."""
    await bot.delete_webhook()
    polling = asyncio.create_task(dispatcher.start_polling(
        bot, allowed_updates=dispatcher.resolve_used_update_types(), handle_signals=handle_signals,
    ))
    try:
        await asyncio.shield(polling)
    except asyncio.CancelledError:
        await _stop_polling(dispatcher, polling)
        raise


async def serve_webhook(dispatcher: Dispatcher, bot: Bot, settings: Settings, state: SharedState, *,
                        in_background: bool, handle_signals: bool) -> None:
    """Updates POSTed by Telegram (or a load balancer in front of several replicas) to WEBHOOK_URL's path;
    the secret token is checked on every request. `in_background`: answer at once and handle afterwards
    (deliveries run here); otherwise answer when the update is taken (queued for the workers), so an update
    that could not be taken is answered 500 and Telegram sends it again. Runs until SIGINT/SIGTERM or
    cancellation; stopping closes the port first, then finishes the work in flight (the dispatcher's
    shutdown)."""
    secret = settings.webhook_secret.get_secret_value()
    app = web.Application()
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret,
                         handle_in_background=in_background).register(
        app, path=urlsplit(settings.webhook_url).path or "/")
    setup_application(app, dispatcher, bot=bot)
    runner = web.AppRunner(app, access_log=None, handle_signals=False)
    await runner.setup()
    stop = asyncio.Event()
    if handle_signals:
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    try:
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        log.info("webhook listening on %s:%s", settings.webhook_host, settings.webhook_port)
        await ensure_webhook(bot, state, settings.webhook_url, secret, dispatcher.resolve_used_update_types())
        await stop.wait()
    finally:
        await runner.cleanup()


async def ensure_webhook(bot: Bot, state: SharedState, url: str, secret: str, allowed_updates: list[str]) -> None:
    """Point Telegram at the webhook once: of replicas starting together only the first to claim the job
    sets it, and replicas starting later find it already set and leave it."""
    if (await bot.get_webhook_info()).url == url:
        log.info("webhook already set")
        return
    if not await state.claim(keys.webhook_setting()):
        log.info("another replica is setting the webhook")
        return
    await bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates)
    log.info("webhook set")


@dataclass
class Services:
    """What every process that takes or delivers requests holds for its lifetime."""

    settings: Settings
    engine: AsyncEngine
    bot: Bot
    images: ImageProcessor
    state: SharedState
    repositories: Repositories
    translate: Callable[[str], Translate]
    platforms: Platforms
    deliverer: Deliverer
    deliveries: DeliveryQueue
    tasks: DeliveryTasks


@contextlib.asynccontextmanager
async def services(settings: Settings) -> AsyncIterator[tuple[Services, BaseCore]]:
    """Build them (the database migrated, the task queue's stream declared), and close every session and
    pool on the way out, whatever happened."""
    engine = create_engine(settings.db_url)
    state = create_state(settings.redis_url, lease_ttl=min(LEASE_TTL, settings.worker_redelivery_seconds))
    bot = create_bot(settings, state if settings.redis_url else None)
    platforms = create_platforms(settings)
    images = ImageProcessor()
    broker = create_broker(settings.redis_url, redeliver_after=settings.worker_redelivery_seconds)
    try:
        await ensure_reachable(engine)
        await migrate(engine)
        log.info("database ready at %s", safe_url(engine))
        repositories = Repositories(session_factory(engine), state)
        i18n_core = create_i18n_core()
        translate = translator(i18n_core)
        deliverer = Deliverer(
            bot=bot, platforms=platforms, repositories=repositories, translate=translate,
            images=images, upload_limit=settings.upload_limit, storage_channel_id=settings.storage_channel_id,
            max_video_duration=settings.max_video_duration, admin_ids=settings.admin_ids, state=state,
        )
        deliveries = DeliveryQueue(
            state, concurrency=settings.max_concurrent_deliveries, private_limit=settings.max_user_queue_size,
            group_limit=settings.max_group_queue_size,
        )
        await broker.startup()
        yield Services(settings, engine, bot, images, state, repositories, translate, platforms, deliverer, deliveries,
                       DeliveryTasks(broker, state, deliveries)), i18n_core
    finally:
        await broker.shutdown()
        await bot.session.close()
        await platforms.close()
        images.close()
        await state.close()
        await engine.dispose()


async def run_bot(settings: Settings, *, handle_signals: bool = True) -> None:
    """Take updates (long polling, or the webhook) until SIGINT/SIGTERM (or cancellation). Deliveries run
    in this process, or with REDIS_URL on the workers. Stopping takes no new work, lets deliveries in
    flight finish within SHUTDOWN_GRACE_SECONDS, tells the chats whose requests could not be finished, then
    closes every session and pool."""
    metrics: web.AppRunner | None = None
    async with services(settings) as (running, i18n_core):
        if running.tasks.durable:
            log.info("deliveries go to the workers (python main.py worker) through Redis")
        else:
            running.tasks.serve(running.deliverer)
        broadcaster = Broadcaster(bot=running.bot, repositories=running.repositories, translate=running.translate,
                                  state=running.state)

        async def finish_work() -> None:
            await broadcaster.stop()
            await running.deliveries.drain(settings.shutdown_grace_seconds)
            await running.repositories.downloads.flush()

        dispatcher = create_dispatcher(
            i18n_core, on_shutdown=finish_work, settings=settings, repositories=running.repositories,
            platforms=running.platforms,
            deliverer=running.deliverer, tasks=running.tasks, broadcaster=broadcaster, images=running.images,
            state=running.state,
            spam=SpamGuard(running.state, max_links=settings.spam_max_links, window=settings.spam_window_seconds,
                           mute_seconds=settings.spam_mute_seconds),
        )
        dispatcher.startup.register(broadcaster.resume)
        try:
            if settings.metrics_port:
                def taking_updates() -> str | None:  # aiogram holds the lock while polling; no public flag
                    return None if settings.webhook_url or dispatcher._running_lock.locked() else "not polling"

                metrics = await serve_metrics(settings.metrics_port, running.engine, taking_updates)
            await wait_for_telegram(running.bot)
            if settings.webhook_url:
                await serve_webhook(dispatcher, running.bot, settings, running.state,
                                    in_background=not running.tasks.durable, handle_signals=handle_signals)
            else:
                await poll(dispatcher, running.bot, handle_signals=handle_signals)
        finally:
            await broadcaster.stop()  # done already by the dispatcher's shutdown, unless start-up never ended
            if metrics is not None:
                await metrics.cleanup()
    log.info("stopped")


async def run_worker(settings: Settings, *, handle_signals: bool = True) -> None:
    """`python main.py worker`: take delivery jobs from Redis until SIGINT/SIGTERM. Stopping takes no new
    job, lets the running ones finish within SHUTDOWN_GRACE_SECONDS and puts the rest back on the queue
    for another worker; a job is acknowledged only once it is done or handed back."""
    async with services(settings) as (running, i18n_core):
        await i18n_core.startup()  # in a bot process the dispatcher's i18n middleware loads the texts
        running.tasks.serve(running.deliverer)
        await wait_for_telegram(running.bot)
        running.tasks.broker.is_worker_process = True
        receiver = Receiver(
            running.tasks.broker, max_async_tasks=settings.max_concurrent_deliveries, run_startup=False,
            wait_tasks_timeout=settings.shutdown_grace_seconds + 10,
        )
        finished = asyncio.Event()
        listening = asyncio.create_task(receiver.listen(finished))
        metrics = await serve_metrics(settings.metrics_port, running.engine,
                                      lambda: "not taking jobs" if listening.done() else None,
                                      ) if settings.metrics_port else None
        stop = asyncio.Event()
        if handle_signals:
            for sig in (signal.SIGINT, signal.SIGTERM):
                asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        log.info("worker taking delivery jobs (up to %d at once)", settings.max_concurrent_deliveries)
        try:
            await asyncio.wait([listening, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        finally:
            finished.set()
            await asyncio.shield(running.deliveries.drain(settings.shutdown_grace_seconds))
            try:  # the receiver waits for every job's acknowledgement; if it failed (Redis gone), exit with
                await asyncio.shield(listening)  # its error, for the supervisor to restart the worker
            finally:
                await running.repositories.downloads.flush()
                if metrics is not None:
                    await metrics.cleanup()
    log.info("stopped")


async def serve_metrics(port: int, engine: AsyncEngine, working: Callable[[], str | None]) -> web.AppRunner:
    """Prometheus metrics on /metrics and a health check on /healthz: the process's own work (`working`
    names what is wrong, if anything) and the database."""

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_request: web.Request) -> web.Response:
        problems = [problem] if (problem := working()) else []
        try:
            await ensure_reachable(engine, timeout=3)
        except ConfigError:
            problems.append("database unreachable")
        return web.json_response({"status": "ok" if not problems else "unhealthy", "problems": problems},
                                 status=503 if problems else 200)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "0.0.0.0", port).start()  # noqa: S104 - scraped from outside the container
    log.info("metrics and /healthz on port %s", port)
    return runner
