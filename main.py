"""Entry point: `python main.py` runs the bot; `python main.py worker` runs a delivery worker (with
REDIS_URL); `python main.py fetch URL...` downloads without Telegram.

Only the standard library is imported at the top: the image worker processes start by re-running this
module (multiprocessing "spawn"), and must not pay for loading the settings, database and bot layers."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

log = logging.getLogger("bot")


def _interrupt(_signum: int, _frame: object) -> None:
    """Until polling installs its own handlers, SIGTERM unwinds start-up the way Ctrl+C does."""
    raise KeyboardInterrupt


def _parser() -> argparse.ArgumentParser:
    from pipeline.cli import add_arguments

    parser = argparse.ArgumentParser(prog="main.py", description="TikTok and Instagram downloader bot for Telegram.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_arguments(commands.add_parser("fetch", help="download links to a directory, without Telegram"))
    commands.add_parser("worker", help="deliver the jobs bot processes put on the Redis queue (needs REDIS_URL)")
    return parser


async def check_stores(db_url: str, redis_url: str | None) -> None:
    from data import create_engine, ensure_reachable
    from data.shared import ensure_redis_reachable

    engine = create_engine(db_url)
    try:
        await ensure_reachable(engine)
    finally:
        await engine.dispose()
    if redis_url is not None:
        await ensure_redis_reachable(redis_url)


def run_service(command: str | None) -> None:
    """The bot (polling or webhook) or a delivery worker."""
    from data import ConfigError, Settings, export_ca_bundle, load_settings
    from data.logs import configure_logging

    settings: Settings = load_settings()
    configure_logging(settings.log_level, settings.secrets())
    export_ca_bundle(settings)
    if command == "worker" and settings.redis_url is None:
        raise ConfigError("REDIS_URL: is required by `main.py worker` (workers take their jobs from Redis)")
    # Bad configuration, an unreachable database or Redis included, is reported before aiogram is
    # imported: that import alone takes seconds.
    asyncio.run(check_stores(settings.db_url, settings.redis_url))
    from handlers.runners import run_bot, run_worker

    asyncio.run((run_worker if command == "worker" else run_bot)(settings))


def run_fetch(args: argparse.Namespace) -> int:
    from data import FetchSettings, export_ca_bundle, load_settings
    from data.logs import configure_logging
    from media_types.encoding import FetchEncoding
    from media_types.platforms import create_platforms
    from media_types.video import VideoEncoder
    from pipeline.cli import run_fetch as fetch

    settings = load_settings(FetchSettings)
    level = "DEBUG" if args.verbose else settings.log_level
    configure_logging(level, settings.secrets(), quiet=() if args.verbose > 1 else ("pipeline.extractor",))
    export_ca_bundle(settings)

    async def fetch_all() -> int:
        encoding = FetchEncoding(VideoEncoder(settings.video_workers))
        try:
            return await fetch(args, create_platforms(settings), encoding)
        finally:
            encoding.close()

    return asyncio.run(fetch_all())


def main(argv: list[str] | None = None) -> int:
    from data import ConfigError

    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.command == "fetch":
            return run_fetch(args)
        run_service(args.command)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)  # noqa: T201 - the one line an operator sees
        return 2
    except KeyboardInterrupt:
        log.info("interrupted")
        return 130 if args.command == "fetch" else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
