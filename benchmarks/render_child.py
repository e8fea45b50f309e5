"""One render of the product's slideshow function in a fresh process, for the render scenario:

    python -m benchmarks.render_child SPEC.json

SPEC is {"pictures": [paths], "sound": path or null, "output": path, "max_bytes": int}. Prints one JSON object:
the render's wall and CPU time, the process's RSS right before the render (after every import) and its peak RSS
during the render.

The peak is the kernel's high-water mark (VmHWM), reset right before the render (`/proc/self/clear_refs`), so
transient peaks of the imports do not count; a thread sampling RSS every 5 ms backs it up where the reset is not
allowed. Only the call is timed: Python's start and the imports are a worker process's one-off cost in the bot.
"""

from __future__ import annotations

import json
import resource
import sys
import threading
import time
from pathlib import Path
from typing import Self

SAMPLE_INTERVAL = 0.005


def _status(field: str) -> int:
    """A `kB` field of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(field)


def _reset_high_water_mark() -> bool:
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class _Sampler:
    """The highest RSS seen every SAMPLE_INTERVAL seconds, from a thread of this process."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            self.peak = max(self.peak, _status("VmRSS"))
            if self._stop.wait(SAMPLE_INTERVAL):
                return


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    from media_types.video.slideshow import render_slideshow

    pictures = [Path(path) for path in spec["pictures"]]
    sound = Path(spec["sound"]) if spec["sound"] else None
    reset = _reset_high_water_mark()
    before = _status("VmRSS")
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with _Sampler() as sampler:
        start = time.perf_counter()
        video = render_slideshow(pictures, sound, Path(spec["output"]), max_bytes=spec["max_bytes"])
        wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    peak = max(sampler.peak, _status("VmHWM") if reset else 0)
    print(json.dumps({
        "wall_s": round(wall, 4),
        "cpu_s": round(after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime, 4),
        "rss_before_bytes": before,
        "peak_rss_bytes": peak,
        "growth_bytes": peak - before,
        "peak_from": "VmHWM (reset before the render) and 5 ms samples" if reset else "5 ms samples",
        "output": {"width": video.width, "height": video.height, "duration_s": round(video.duration, 4),
                   "size_bytes": video.size},
    }))


if __name__ == "__main__":
    main()
