"""How many items go in each album: Telegram takes 2-10 per album, and a lone item is not an album."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

MAX_ALBUM = 10
T = TypeVar("T")


def album_sizes(count: int) -> list[int]:
    """As few albums as possible, as even as possible: 11 -> [6, 5], 12 -> [6, 6], 21 -> [7, 7, 7];
    a single item is [1] (sent on its own, not as an album)."""
    if count <= 0:
        return []
    albums = math.ceil(count / MAX_ALBUM)
    base, extra = divmod(count, albums)
    return [base + 1] * extra + [base] * (albums - extra)


def split_albums(items: Sequence[T]) -> list[list[T]]:
    chunks: list[list[T]] = []
    start = 0
    for size in album_sizes(len(items)):
        chunks.append(list(items[start:start + size]))
        start += size
    return chunks
