"""Entry point: `python main.py` runs the bot."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from data import ConfigError, load_settings
from data.logs import configure_logging

log = logging.getLogger("bot")


def _interrupt(signum: int, _frame: object) -> None:
    """Until polling installs its own handlers, SIGTERM unwinds start-up the way Ctrl+C does."""
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="main.py", description="TikTok and Instagram downloader bot for Telegram.")
    parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.secrets())
        # Imported only now: aiogram takes seconds to import, and bad configuration should not wait for it.
        from handlers.app import run_bot

        asyncio.run(run_bot(settings))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.info("interrupted during start-up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
