"""`make demo [ARGS=--interactive]`: see the bot work in a minute, offline, without a token."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
from pathlib import Path

from tests.demo.journey import STORAGE, TOKEN, Journey, Posts, bot_process
from tests.demo.show import Shower
from tests.fakes.telegram import FakeTelegram
from tests.fakes.world import TikTokWorld

INTRO = """make demo: the real bot (python main.py) against an offline Telegram, TikTok and Instagram — the fakes the
tests use. Nothing leaves this machine and no token is needed. What the bot sends lands in {out}/."""


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__)
    parser.add_argument("--interactive", action="store_true", help="type links yourself instead of the script")
    parser.add_argument("--out", type=Path, default=Path("demo-output"), help="where the files go (emptied first)")
    return parser.parse_args(argv)


async def demo(args: argparse.Namespace) -> int:
    out: Path = args.out
    print(INTRO.format(out=out), flush=True)
    with TikTokWorld(directory=None) as world, FakeTelegram(token=TOKEN) as telegram:
        posts = Posts.publish(world)
        shower = Shower(telegram, out, STORAGE)
        journey = Journey(telegram, shower, posts, lambda line: print(line, flush=True))
        with bot_process(telegram, world, out / "bot.log") as process:
            print("\nstarting the bot…", flush=True)
            await telegram.await_polling(timeout=90)
            if args.interactive:
                await interact(journey, posts)
            else:
                for number, step in enumerate(journey.steps(), start=1):
                    await journey.run(number, step)
            crashed = process.poll() is not None
        code = process.returncode
    clean = not crashed and code == 0 and "Traceback" not in (out / "bot.log").read_text()
    print(summary(journey, shower, out))
    print(f"\nthe bot {'stopped cleanly' if clean else f'did not stop cleanly (exit code {code})'}; "
          "nothing is left running.")
    return 0 if clean and all(outcome.source != "FAILED" for outcome in journey.outcomes) else 1


async def interact(journey: Journey, posts: Posts) -> None:
    print("\nType a link (or any message) as the user would, Enter to send; an empty line or Ctrl-D ends. Try:")
    for label, link in (("TikTok video", posts.video), ("slideshow", posts.slideshow), ("Instagram reel", posts.reel),
                        ("carousel", posts.carousel), ("deleted post", posts.deleted)):
        print(f"  {label:>14}: {link}")
    number = 0
    while (line := await asyncio.to_thread(_read)) is not None and line.strip():
        number += 1
        await journey.run(number, journey.message(line.strip()))


def _read() -> str | None:
    try:
        return input("\n👤 > ")
    except EOFError:
        return None


def summary(journey: Journey, shower: Shower, out: Path) -> str:
    rows = [("step", "the bot answered with", "media", "time")]
    rows += [(o.title, o.sent, o.source, "-" if o.seconds is None else f"{o.seconds:.2f} s") for o in journey.outcomes]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return (f"\n{len(journey.outcomes)} steps, {len(shower.saved)} files in {out}/ (the bot's log: {out}/bot.log)\n\n"
            + "\n".join(lines))


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    try:
        return asyncio.run(demo(args))
    except KeyboardInterrupt:
        print("\nstopped: the bot and the offline world are shut down.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
