"""Every button's callback data fits Telegram's 64 bytes, for the longest post ids each platform accepts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from instagram_api import parse_link as parse_instagram
from media_types.texts import MusicButton, RetryButton, SlidePage
from tiktok_api import parse_link as parse_tiktok


def longest(parse: Callable[[str], object], template: str, digit: str) -> object:
    """The link with the longest id `parse` still accepts in `template`."""
    return next(link for n in range(100, 0, -1) if (link := parse(template.format(digit * n))) is not None)


LONGEST = {
    "tiktok": [longest(parse_tiktok, "https://www.tiktok.com/@a/video/{}", "7"),
               longest(parse_tiktok, "https://vm.tiktok.com/{}/", "Z")],
    "instagram": [longest(parse_instagram, "https://www.instagram.com/p/{}/", "C"),
                  longest(parse_instagram, "https://www.instagram.com/share/reel/{}/", "B")],
}


@pytest.mark.parametrize("platform", sorted(LONGEST))
def test_the_longest_accepted_ids_fit_in_every_button(platform: str) -> None:
    for link in LONGEST[platform]:
        data = [RetryButton(platform=platform, token=link.token).pack()]
        if link.item_id is not None:
            data += [MusicButton(platform=platform, item_id=link.item_id).pack(),
                     SlidePage(platform=platform, item_id=link.item_id, index=34).pack()]
        assert all(len(d.encode()) <= 64 for d in data), data
