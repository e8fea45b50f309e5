"""Long polling: the one way to take updates without a public address (one process at a time)."""

from __future__ import annotations

import asyncio
import contextlib

from aiogram import Bot, Dispatcher


async def poll(dispatcher: Dispatcher, bot: Bot, *, handle_signals: bool) -> None:
    """Until SIGINT/SIGTERM (aiogram handles them) or cancellation."""
    await bot.delete_webhook()
    polling = asyncio.create_task(dispatcher.start_polling(
        bot, allowed_updates=dispatcher.resolve_used_update_types(), handle_signals=handle_signals,
    ))
    try:
        await asyncio.shield(polling)
    except asyncio.CancelledError:
        await _stop_polling(dispatcher, polling)
        raise


async def _stop_polling(dispatcher: Dispatcher, polling: asyncio.Task[None]) -> None:
    """What SIGTERM does, for a cancelled run: aiogram leaves its polling loop running when start_polling
    itself is cancelled, so stop it through the dispatcher."""
    try:
        await dispatcher.stop_polling()
    except RuntimeError:  # still starting up: nothing polls yet
        polling.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await polling
