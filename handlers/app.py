"""The running bot: builds the long-lived objects (engine, Bot, Dispatcher) and polls until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError, TelegramServerError, TelegramUnauthorizedError

from data import (
    ConfigError,
    Platform,
    Repositories,
    Settings,
    create_engine,
    ensure_reachable,
    migrate,
    safe_url,
    session_factory,
)
from handlers import create_dispatcher
from handlers.i18n import create_i18n_core, translator
from media_types import Deliverer, ImageProcessor, TelegramAnswers
from tiktok_api import TikTokClient

log = logging.getLogger("bot")


def create_bot(settings: Settings) -> Bot:
    server = TelegramAPIServer.from_base(settings.tg_server, is_local=settings.tg_server_local)
    session = AiohttpSession(api=server)
    if settings.ssl_cert_file is not None:
        # aiogram pins certifi's bundle and offers no option for another one.
        session._connector_init["ssl"] = ssl.create_default_context(cafile=str(settings.ssl_cert_file))
    session.middleware(TelegramAnswers())
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


async def run_bot(settings: Settings, *, handle_signals: bool = True) -> None:
    """Poll until SIGINT/SIGTERM (or cancellation), then close every session and pool."""
    engine = create_engine(settings.db_url)
    bot = create_bot(settings)
    tiktok = TikTokClient(settings)
    images = ImageProcessor()
    try:
        await ensure_reachable(engine)
        await migrate(engine)
        log.info("database ready at %s", safe_url(engine))
        repositories = Repositories(session_factory(engine))
        i18n_core = create_i18n_core()
        deliverer = Deliverer(
            bot=bot, clients={Platform.TIKTOK: tiktok}, repositories=repositories,
            translate=translator(i18n_core), images=images, upload_limit=settings.upload_limit,
            storage_channel_id=settings.storage_channel_id, max_video_duration=settings.max_video_duration,
        )
        dispatcher = create_dispatcher(
            i18n_core, settings=settings, repositories=repositories, deliverer=deliverer,
        )
        await wait_for_telegram(bot)
        await bot.delete_webhook()
        polling = asyncio.create_task(dispatcher.start_polling(
            bot, allowed_updates=dispatcher.resolve_used_update_types(), handle_signals=handle_signals,
        ))
        try:
            await asyncio.shield(polling)
        except asyncio.CancelledError:
            await _stop_polling(dispatcher, polling)
            raise
    finally:
        await bot.session.close()
        await tiktok.close()
        images.close()
        await engine.dispose()
    log.info("stopped")
