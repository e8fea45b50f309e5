"""Instagram links: every form users paste, and nothing else."""

from __future__ import annotations

import pytest

from instagram_api import LinkKind, find_links, parse_link


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("https://www.instagram.com/p/CxYz123abc/", "CxYz123abc"),
        ("https://instagram.com/reel/CxYz123abc/?igsh=MTc4MmM1YmI2Ng==", "CxYz123abc"),
        ("www.instagram.com/reels/CxYz123abc", "CxYz123abc"),
        ("https://www.instagram.com/tv/CxYz123abc/", "CxYz123abc"),
        ("https://www.instagram.com/some.user/reel/CxYz123abc/", "CxYz123abc"),
        ("https://www.instagram.com/some_user/p/CxYz123abc/?img_index=2", "CxYz123abc"),
    ],
)
def test_post_links_in_every_form(raw: str, code: str) -> None:
    link = parse_link(raw)
    assert (link.kind, link.code, link.url) == (LinkKind.POST, code, f"https://www.instagram.com/p/{code}/")


@pytest.mark.parametrize(
    "raw",
    ["https://www.instagram.com/some.user/", "https://www.instagram.com/explore/tags/cats/",
     "https://instagram.com.evil.example/p/CxYz123abc/", "https://evil.example/?instagram.com/p/CxYz123abc/",
     "https://www.instagram.com:8443/p/CxYz123abc/", "https://127.0.0.1/p/CxYz123abc/",
     "https://www.instagram.com/stories/user/123/"],
)
def test_anything_else_is_not_an_instagram_link(raw: str) -> None:
    assert parse_link(raw) is None


def test_share_links_are_followed_later() -> None:
    [link] = find_links("see https://www.instagram.com/share/reel/BAabcdef12/ !")
    assert link.kind is LinkKind.SHARE and link.item_id is None
