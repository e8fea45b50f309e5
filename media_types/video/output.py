"""What every written video shares: MP4 options, even frame sides, a file that appears at its name whole
or not at all, and progress in a small file the parent process polls (a worker has no other channel back
while it runs)."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["MP4_OPTIONS", "Progress", "atomic_output", "even_side"]

MP4_OPTIONS = {"movflags": "+faststart"}  # the index first, so Telegram can play while downloading

# Often enough for a progress bar, rarely enough that the writes cost nothing.
PROGRESS_INTERVAL = 0.25
# A pass of encoding fills this share of what remains: if the result comes out too big and a smaller
# pass follows, the fraction keeps growing instead of jumping back. Only `finish` writes 1.0.
PASS_SHARE = 0.95


def even_side(side: float) -> int:
    """Rounded down to an even number of pixels, as yuv420p needs; at least 2."""
    return max(2, int(side) // 2 * 2)


@contextmanager
def atomic_output(output: Path) -> Iterator[Path]:
    """A temporary path beside `output` to write to; renamed onto `output` when the block succeeds,
    deleted when it fails. The temporary name keeps the suffix, so tools that look at it still can."""
    output.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.stem}.", suffix=f".part{output.suffix}")
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        temporary.replace(output)
    finally:
        temporary.unlink(missing_ok=True)


class Progress:
    """The fraction of the work done, written as text ("0.42") to `path` now and then.

    Each write is atomic (a temporary file, then `os.replace`), so the reader never sees half a number.
    With `path` None every call does nothing, and the encoding code need not care.
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._base = 0.0
        self._fraction = 0.0
        self._written_at = float("-inf")

    def report(self, done: float) -> None:
        """`done` (0 to 1) of the current pass; written at most every PROGRESS_INTERVAL seconds."""
        if self._path is None:
            return
        self._fraction = self._base + (1 - self._base) * PASS_SHARE * min(max(done, 0.0), 1.0)
        now = time.monotonic()
        if now - self._written_at >= PROGRESS_INTERVAL:
            self._written_at = now
            _write_fraction(self._path, self._fraction)

    def next_pass(self) -> None:
        """Another pass over the input follows (a smaller encoding): it continues from where this one ended."""
        self._base = self._fraction

    def finish(self) -> None:
        """All done: 1.0."""
        if self._path is not None:
            _write_fraction(self._path, 1.0)


def _write_fraction(path: Path, fraction: float) -> None:
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(f"{fraction:.3f}")
        Path(name).replace(path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise
