"""Entry point: `python main.py` runs the bot; `python main.py fetch URL...` downloads without Telegram.

Only the standard library is imported at the top: the image worker processes start by re-running this
module (multiprocessing "spawn"), and must not pay for loading the settings, database and bot layers."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

log = logging.getLogger("bot")


def _interrupt(signum: int, _frame: object) -> None:
    """Until polling installs its own handlers, SIGTERM unwinds start-up the way Ctrl+C does."""
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    from tiktok_api.cli import add_arguments

    parser = argparse.ArgumentParser(prog="main.py", description="TikTok and Instagram downloader bot for Telegram.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_arguments(commands.add_parser("fetch", help="download links to a directory, without Telegram"))
    return parser


async def check_database(url: str) -> None:
    from data import create_engine, ensure_reachable

    engine = create_engine(url)
    try:
        await ensure_reachable(engine)
    finally:
        await engine.dispose()


def run_bot() -> None:
    from data import export_ca_bundle, load_settings
    from data.logs import configure_logging

    settings = load_settings()
    configure_logging(settings.log_level, settings.secrets())
    export_ca_bundle(settings)
    # Bad configuration, an unreachable database included, is reported before aiogram is imported: that
    # import alone takes seconds.
    asyncio.run(check_database(settings.db_url))
    from handlers.app import run_bot as poll

    asyncio.run(poll(settings))


def run_fetch(args: argparse.Namespace) -> int:
    from data import PipelineSettings, export_ca_bundle, load_settings
    from data.logs import configure_logging
    from instagram_api import InstagramClient
    from tiktok_api import TikTokClient
    from tiktok_api.cli import run_fetch as fetch

    settings = load_settings(PipelineSettings)
    level = "DEBUG" if args.verbose else settings.log_level
    configure_logging(level, settings.secrets(), quiet=() if args.verbose > 1 else ("tiktok_api.extractor",))
    export_ca_bundle(settings)

    async def fetch_all() -> int:
        return await fetch(args, [TikTokClient(settings), InstagramClient(settings)])

    return asyncio.run(fetch_all())


def main(argv: list[str] | None = None) -> int:
    from data import ConfigError

    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "fetch":
            return run_fetch(args)
        run_bot()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        log.info("interrupted")
        return 130 if args.command == "fetch" else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
