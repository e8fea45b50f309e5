"""Webhook mode: updates POSTed by Telegram (or a load balancer in front of several replicas)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import signal
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from data import keys
from data.config import WebhookSettings
from data.repositories.bot_state import BotStateRepository
from data.shared import SharedState

log = logging.getLogger("bot")
WEBHOOK_FINGERPRINT = "webhook"  # the bot_state key of the configuration the webhook was last set to


async def serve_webhook(dispatcher: Dispatcher, bot: Bot, settings: WebhookSettings, state: SharedState,
                        bot_state: BotStateRepository, *, in_background: bool, handle_signals: bool) -> None:
    """Listen on WEBHOOK_URL's path; the secret token is checked on every request. `in_background`: answer at
    once and handle afterwards (deliveries run here); otherwise answer when the update is taken (queued for
    the workers), so an update that could not be taken is answered 500 and Telegram sends it again. Runs
    until SIGINT/SIGTERM or cancellation; stopping closes the port first, then finishes the work in flight
    (the dispatcher's shutdown)."""
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ValueError("webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET")
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
        await ensure_webhook(bot, state, bot_state, settings.webhook_url, secret,
                             dispatcher.resolve_used_update_types())
        await stop.wait()
    finally:
        await runner.cleanup()


async def ensure_webhook(bot: Bot, state: SharedState, bot_state: BotStateRepository, url: str, secret: str,
                         allowed_updates: list[str]) -> None:
    """Point Telegram at the webhook once per configuration: of replicas starting together only the first to
    claim the job sets it, and replicas starting later find it set and leave it. A new URL, secret or list of
    update types sets it again; the secret is compared by a fingerprint kept in the database, since
    Telegram never tells it back."""
    # Keyed with the bot's token, so a database dump does not help guess a weak secret.
    fingerprint = hmac.new(bot.token.encode(), "\n".join([url, secret, *sorted(allowed_updates)]).encode(),
                           hashlib.sha256).hexdigest()
    info = await bot.get_webhook_info()
    if (info.url == url and sorted(info.allowed_updates or ()) == sorted(allowed_updates)
            and await bot_state.get(WEBHOOK_FINGERPRINT) == fingerprint):
        log.info("webhook already set")
        return
    if not await state.claim(keys.webhook_setting()):
        log.info("another replica is setting the webhook")
        return
    await bot.set_webhook(url, secret_token=secret, allowed_updates=allowed_updates)
    await bot_state.put(WEBHOOK_FINGERPRINT, fingerprint)
    log.info("webhook set")
