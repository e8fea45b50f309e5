"""The factory: everything a bot or worker process holds for its lifetime (database engine, Bot, platform
clients, shared state, task queue, the delivery machinery) is built here, once, and closed here. The
runners (handlers.runners) take what this builds; the Dispatcher injects it into handlers by name."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import TypedDict

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError
from aiogram_i18n.cores import FluentRuntimeCore
from sqlalchemy.ext.asyncio import AsyncEngine

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
from data.logs import RedactSecrets
from data.shared import LEASE_TTL, SharedState, create_state
from handlers.i18n import create_i18n_core, translator
from media_types import (
    Deliverer,
    DeliveryQueue,
    DeliveryTasks,
    FailureReporter,
    FloodControl,
    ImageProcessor,
    InlineMode,
    Ledger,
    MediaCache,
    Producer,
    Senders,
    SpamGuard,
    TelegramAnswers,
    create_platforms,
)
from media_types.alerts import BreakageAlerts
from media_types.broadcast import Broadcaster
from media_types.jobs import create_broker
from media_types.texts import Translate
from media_types.video import VideoEncoder
from pipeline import Platforms

log = logging.getLogger("bot")


def create_bot(settings: Settings, state: SharedState | None = None) -> Bot:
    """`state`: where Telegram's flood windows and holds are kept (shared by every process with REDIS_URL)."""
    server = TelegramAPIServer.from_base(settings.tg_server, is_local=settings.tg_server_local)
    session = AiohttpSession(api=server)
    if settings.ssl_cert_file is not None:
        # No public way: aiogram (up to 3.31) builds its SSL context from certifi's bundle in
        # AiohttpSession.__init__ (`_connector_init`, read by create_session) and takes no ssl argument;
        # certifi was pinned there for aiogram issue #33 (2018). Replaced before the first request.
        session._connector_init["ssl"] = ssl.create_default_context(  # noqa: SLF001 - see above
            cafile=str(settings.ssl_cert_file))
    flood = FloodControl(state)
    session.middleware(TelegramAnswers(flood, max_wait=settings.telegram_max_wait))  # outermost: a 429's retry
    session.middleware(flood)  # passes the flood control again
    return Bot(
        settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


class HandlerContext(TypedDict):
    """What the Dispatcher hands to handlers, filters and middlewares by name (besides aiogram's own)."""

    settings: Settings
    repositories: Repositories
    platforms: Platforms
    deliverer: Deliverer
    tasks: DeliveryTasks
    spam: SpamGuard
    media_cache: MediaCache
    inline_mode: InlineMode
    images: ImageProcessor
    broadcaster: Broadcaster
    shared: SharedState  # not "state": aiogram passes its FSM context by that name


@dataclass
class Services:
    """What every process that takes or delivers requests holds for its lifetime."""

    settings: Settings
    engine: AsyncEngine
    bot: Bot
    i18n_core: FluentRuntimeCore
    translate: Callable[[str], Translate]
    state: SharedState
    repositories: Repositories
    platforms: Platforms
    images: ImageProcessor
    media_cache: MediaCache
    deliverer: Deliverer
    deliveries: DeliveryQueue
    tasks: DeliveryTasks

    def handler_context(self, broadcaster: Broadcaster) -> HandlerContext:
        settings = self.settings
        return HandlerContext(
            settings=settings, repositories=self.repositories, platforms=self.platforms, deliverer=self.deliverer,
            tasks=self.tasks, media_cache=self.media_cache, images=self.images, broadcaster=broadcaster,
            shared=self.state,
            spam=SpamGuard(self.state, max_links=settings.spam_max_links, window=settings.spam_window_seconds,
                           mute_seconds=settings.spam_mute_seconds),
            inline_mode=InlineMode(bot=self.bot, cache=self.media_cache, translate=self.translate,
                                   storage_channel_id=settings.storage_channel_id),
        )


@contextlib.asynccontextmanager
async def open_services(settings: Settings) -> AsyncIterator[Services]:
    """Build them (the database migrated, the task queue's stream declared), and close every session and
    pool on the way out, whatever happened."""
    engine = create_engine(settings.db_url)
    state = create_state(settings.redis_url, lease_ttl=min(LEASE_TTL, settings.worker_redelivery_seconds))
    bot = create_bot(settings, state)
    platforms = create_platforms(settings)
    images = ImageProcessor()
    encoder = VideoEncoder(settings.video_workers)
    broker = create_broker(settings.redis_url, redeliver_after=settings.worker_redelivery_seconds)
    try:
        await ensure_reachable(engine)
        await migrate(engine)
        log.info("database ready at %s", safe_url(engine))
        repositories = Repositories(session_factory(engine), state)
        i18n_core = create_i18n_core()
        translate = translator(i18n_core)
        deliveries = DeliveryQueue(
            state, concurrency=settings.max_concurrent_deliveries, private_limit=settings.max_user_queue_size,
            group_limit=settings.max_group_queue_size, chat_concurrency=settings.max_chat_concurrency,
        )
        media_cache = MediaCache(repositories)
        platforms.on_alarm(BreakageAlerts(bot=bot, state=state, repositories=repositories, translate=translate,
                                          admin_ids=settings.admin_ids))
        ledger = Ledger(repositories)
        deliverer = Deliverer(
            platforms=platforms, cache=media_cache, state=state, repositories=repositories, ledger=ledger,
            senders=Senders(bot=bot, translate=translate, storage_channel_id=settings.storage_channel_id,
                            patience=settings.telegram_max_wait, turn=deliveries.wait_for_turn,
                            records=state if settings.redis_url else None),
            queue=deliveries,
            producer=Producer(images=images, encoder=encoder, upload_limit=settings.upload_limit,
                              convert_max_duration=settings.convert_max_duration),
            failures=FailureReporter(bot=bot, ledger=ledger, translate=translate, admin_ids=settings.admin_ids,
                                     max_video_duration=settings.max_video_duration,
                                     upload_limit=settings.upload_limit,
                                     redact=RedactSecrets(settings.secrets()).redact),
        )
        await broker.startup()
        yield Services(settings, engine, bot, i18n_core, translate, state, repositories, platforms, images,
                       media_cache, deliverer, deliveries, DeliveryTasks(broker, state, deliveries))
    finally:
        await broker.shutdown()
        await bot.session.close()
        await platforms.close()
        images.close()
        encoder.close()
        await state.close()
        await engine.dispose()


async def wait_for_telegram(bot: Bot) -> None:
    """A rejected token is a configuration error; an unreachable Bot API is waited out, so a network blip
    at start-up does not become a restart loop."""
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
