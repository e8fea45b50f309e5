"""Memory and CPU of the bot's process tree (the main process and every child, e.g. the image workers),
sampled with psutil from a thread of the harness."""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass

import psutil

SAMPLE_INTERVAL = 0.05  # seconds between RSS samples
TREE_REFRESH = 0.5  # seconds between looks for new children (a scan of /proc costs more than a sample)


@dataclass(frozen=True)
class Sample:
    at: float  # time.monotonic()
    rss: int  # bytes, summed over the process tree
    processes: int


class ProcessTreeProbe:
    """Samples the summed RSS of a process and its descendants every `interval` seconds until stopped.

    RSS of forked or spawned children is added as it is: pages they share with the parent are counted twice,
    which overstates the total a little but never hides growth."""

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL) -> None:
        self.pid = pid
        self.interval = interval
        self._root = psutil.Process(pid)
        self._samples: list[Sample] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-probe", daemon=True)
        self._known: list[psutil.Process] = [self._root]
        self._known_at = 0.0

    def start(self) -> ProcessTreeProbe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=5)

    def _tree(self) -> list[psutil.Process]:
        try:
            return [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return []

    def _sampled_tree(self) -> list[psutil.Process]:
        """The tree as last scanned, rescanned every TREE_REFRESH seconds."""
        now = time.monotonic()
        if now - self._known_at >= TREE_REFRESH:
            self._known = self._tree() or self._known
            self._known_at = now
        return self._known

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stopping.is_set():
            total, count = 0, 0
            for process in self._sampled_tree():
                try:
                    total += process.memory_info().rss
                    count += 1
                except psutil.Error:  # a child that just exited
                    continue
            if count:
                with self._lock:
                    self._samples.append(Sample(time.monotonic(), total, count))
            next_at += self.interval
            self._stopping.wait(max(next_at - time.monotonic(), 0))

    def samples(self, start: float | None = None, end: float | None = None) -> list[Sample]:
        with self._lock:
            return [s for s in self._samples
                    if (start is None or s.at >= start) and (end is None or s.at <= end)]

    def peak(self, start: float, end: float) -> int | None:
        window = self.samples(start, end)
        return max(s.rss for s in window) if window else None

    def median(self, start: float, end: float) -> int | None:
        window = self.samples(start, end)
        return int(statistics.median(s.rss for s in window)) if window else None

    def latest(self) -> Sample | None:
        with self._lock:
            return self._samples[-1] if self._samples else None

    def cpu_seconds(self) -> float:
        """User + system CPU seconds of the tree so far (children that already exited and were waited
        for are included through their parent's children_* counters)."""
        total = 0.0
        for process in self._tree():
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total += times.user + times.system
            if process.pid == self.pid:
                total += times.children_user + times.children_system
        return total

    def tree_rss(self) -> list[dict]:
        """Each process of the tree now: pid, what it runs, RSS."""
        processes = []
        for process in self._tree():
            try:
                command = process.cmdline()
                rss = process.memory_info().rss
            except psutil.Error:
                continue
            joined = " ".join(command)
            if "resource_tracker" in joined:
                what = "multiprocessing resource tracker"
            elif "spawn_main" in joined or "forkserver" in joined:
                what = "multiprocessing worker (image pool)"
            else:
                what = " ".join(command[1:3]) if len(command) > 1 else process.name()
            processes.append({"pid": process.pid, "command": what[:80], "rss_bytes": rss})
        return processes


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far, all cores together."""
    times = psutil.cpu_times()
    total = sum(times)
    idle = times.idle + getattr(times, "iowait", 0.0)
    return total - idle, total


def own_rss_peak() -> int:
    """The harness's own peak RSS so far (ru_maxrss), in bytes."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def own_cpu_seconds() -> float:
    """User + system CPU seconds of the harness itself (fakes, proxies, this probe)."""
    times = psutil.Process().cpu_times()
    return times.user + times.system
