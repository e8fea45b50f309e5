"""Each way of running the bot, one small module each: polling or webhook (`run_bot`), the delivery worker
(`run_worker`), and the metrics server they share. Each takes what handlers.factory builds."""

from handlers.runners.bot import run_bot
from handlers.runners.worker import run_worker

__all__ = ["run_bot", "run_worker"]
