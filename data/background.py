"""Background loops beside a piece of work (a lease's renewal, a chat's "sending a file…"), ended with it.

Such a loop is told to stop (a flag it looks at on every turn) and cancelled, and nobody waits for it. A
cancellation can get lost inside an HTTP or Redis client (a timeout racing it turns it into an error the loop
shrugs off); a caller that awaited the loop would then wait for ever, and the work with it."""

from __future__ import annotations

import asyncio


def let_go(loop: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()
    loop.cancel()
    loop.add_done_callback(_collect)


def _collect(task: asyncio.Task[None]) -> None:
    """The loop's end, read so that nothing is reported as never retrieved."""
    if not task.cancelled():
        task.exception()
