"""Optional sampling profiles of the bot during a phase, with py-spy (not a project dependency: point
--py-spy at a py-spy binary you installed yourself). Profiling takes CPU from the run, so figures measured
with it are not comparable with a plain run; use it to see where the time goes, not to measure."""

from __future__ import annotations

import collections
import contextlib
import signal
import subprocess
from pathlib import Path

RATE = 100  # samples per second


class Profiler:
    """`py-spy record` on a process and its children, from start() until stop()."""

    def __init__(self, py_spy: Path, pid: int, output: Path) -> None:
        self.output = output
        output.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [str(py_spy), "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", str(RATE),
             "--format", "raw", "--output", str(output)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def stop(self) -> dict:
        """Stop sampling; the profile's file and its hottest frames."""
        with contextlib.suppress(ProcessLookupError):
            self._process.send_signal(signal.SIGINT)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        return {"file": str(self.output), **summarize(self.output)}


def summarize(path: Path, top: int = 15) -> dict:
    """Self and inclusive sample counts of the hottest frames of a collapsed-stack ("raw") profile."""
    own: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    if not path.exists():
        return {"samples": 0, "top_self": [], "top_inclusive": []}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples = int(count)
        frames = [frame for frame in stack.split(";") if frame]
        if not frames:
            continue
        total += samples
        own[frames[-1]] += samples
        for frame in set(frames):
            inclusive[frame] += samples

    def share(counter: collections.Counter[str]) -> list[dict]:
        return [{"frame": frame[:200], "share": round(count / total, 4)} for frame, count in counter.most_common(top)]

    return {"samples": total, "top_self": share(own), "top_inclusive": share(inclusive)}
