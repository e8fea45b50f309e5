"""`kill -USR1 <pid>`: every task of the process writes what it is waiting on to the log, one line each, with
the request it works for. For the rare delivery that seems stuck: the line says where, without a restart or a
debugger (asyncio's own Task.get_stack stops at the task's outermost coroutine)."""

from __future__ import annotations

import asyncio
import logging
import signal
from types import FrameType
from typing import Any

log = logging.getLogger("bot.stacks")

_MAX_DEPTH = 60


def dump_on_signal(sig: int = signal.SIGUSR1) -> None:
    """Called once from the running loop of a service."""
    asyncio.get_running_loop().add_signal_handler(sig, log_tasks)


def log_tasks() -> None:
    tasks = asyncio.all_tasks()
    log.warning("%d tasks at this moment:", len(tasks))
    for task in sorted(tasks, key=lambda each: each.get_name()):
        frames = awaiting(task.get_coro())
        log.warning("task %s%s: %s", task.get_name(), request_of(frames),
                    " > ".join(f"{f.f_code.co_name} ({f.f_code.co_filename.rsplit('/', 2)[-1]}:{f.f_lineno})"
                               for f in frames) or "not started")


def awaiting(coroutine: Any) -> list[FrameType]:
    """The frames from a task's outermost coroutine down to the innermost one it waits in."""
    frames: list[FrameType] = []
    while coroutine is not None and len(frames) < _MAX_DEPTH:
        frame = next((getattr(coroutine, name) for name in ("cr_frame", "gi_frame", "ag_frame")
                      if getattr(coroutine, name, None) is not None), None)
        if frame is None:
            break
        frames.append(frame)
        coroutine = next((getattr(coroutine, name) for name in ("cr_await", "gi_yieldfrom", "ag_await")
                          if getattr(coroutine, name, None) is not None), None)
    return frames


def request_of(frames: list[FrameType]) -> str:
    """` request=…` when a frame works for a delivery job (the form of the log lines' context)."""
    for frame in frames:
        job = frame.f_locals.get("job")
        if job is not None and hasattr(job, "request_id"):
            return f" request={job.request_id}"
    return ""
