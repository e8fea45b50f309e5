"""Link parsing: every form users paste, and everything that must not be fetched."""

from __future__ import annotations

import pytest

from tiktok_api import LinkKind, find_links, parse_link

ITEM = "7312345678901234567"


@pytest.mark.parametrize(
    ("raw", "kind", "item_id"),
    [
        (f"https://www.tiktok.com/@scout.2015/video/{ITEM}", LinkKind.VIDEO, ITEM),
        (f"https://www.tiktok.com/@scout_2015/photo/{ITEM}", LinkKind.PHOTO, ITEM),
        (f"https://www.tiktok.com/@user/video/{ITEM}?is_from_webapp=1&sender_device=pc&_t=8k", LinkKind.VIDEO, ITEM),
        (f"https://tiktok.com/@user/video/{ITEM}/", LinkKind.VIDEO, ITEM),
        (f"http://www.tiktok.com/@user/video/{ITEM}", LinkKind.VIDEO, ITEM),
        (f"www.tiktok.com/@user/video/{ITEM}", LinkKind.VIDEO, ITEM),
        (f"tiktok.com/@user/video/{ITEM}", LinkKind.VIDEO, ITEM),
        (f"https://WWW.TikTok.com/@user/video/{ITEM}", LinkKind.VIDEO, ITEM),
        (f"https://m.tiktok.com/v/{ITEM}.html", LinkKind.VIDEO, ITEM),
        (f"https://m.tiktok.com/v/{ITEM}.html?u_code=abc", LinkKind.VIDEO, ITEM),
        (f"https://www.tiktok.com/embed/v2/{ITEM}", LinkKind.VIDEO, ITEM),
        (f"https://www.tiktok.com/embed/{ITEM}", LinkKind.VIDEO, ITEM),
        ("https://vm.tiktok.com/ZMabc123/", LinkKind.SHORT, None),
        ("vm.tiktok.com/ZMabc123", LinkKind.SHORT, None),
        ("https://vt.tiktok.com/ZSxyz789/?k=1", LinkKind.SHORT, None),
        ("https://www.tiktok.com/t/ZTRabc12/", LinkKind.SHORT, None),
    ],
)
def test_every_link_form_is_recognised(raw: str, kind: LinkKind, item_id: str | None) -> None:
    link = parse_link(raw)
    assert link is not None and (link.kind, link.item_id) == (kind, item_id)
    assert link.url.startswith("https://") and "?" not in link.url  # tracking query strings dropped


def test_item_links_point_at_the_canonical_page() -> None:
    assert parse_link(f"https://m.tiktok.com/v/{ITEM}.html").canonical_url == f"https://www.tiktok.com/@_/video/{ITEM}"
    assert parse_link(f"tiktok.com/@bob/photo/{ITEM}").canonical_url == f"https://www.tiktok.com/@bob/video/{ITEM}"


@pytest.mark.parametrize(
    "raw",
    [
        "http://127.0.0.1:8080/t/tiktok.com/x",
        "https://evil.example/?tiktok.com",
        "https://evil.example/@user/video/7312345678901234567",
        f"https://tiktok.com.evil.example/@user/video/{ITEM}",
        f"https://eviltiktok.com/@user/video/{ITEM}",
        f"https://tiktok.com@evil.example/@user/video/{ITEM}",
        f"https://user:pw@www.tiktok.com/@user/video/{ITEM}",
        f"https://www.tiktok.com:8443/@user/video/{ITEM}",
        f"https://10.0.0.1/@user/video/{ITEM}",
        f"https://[::1]/@user/video/{ITEM}",
        f"ftp://www.tiktok.com/@user/video/{ITEM}",
        f"javascript://www.tiktok.com/@user/video/{ITEM}",
        "https://www.tiktok.com/@user",
        "https://www.tiktok.com/music/original-sound-123456",
        "https://vm.tiktok.com/",
        "https://vm.tiktok.com/a/b/c",
        "https://www.tiktok.com/@user/video/notanumber",
    ],
)
def test_anything_else_is_not_a_link(raw: str) -> None:
    assert parse_link(raw) is None


def test_links_are_found_in_prose_and_entities_without_duplicates() -> None:
    text = (
        f"look (https://vm.tiktok.com/ZMabc123/), this: tiktok.com/@a/video/{ITEM}. "
        f"and again https://www.tiktok.com/@a/video/{ITEM}?x=1 "
        f"but not https://evil.example/?u=https://tiktok.com/@a/video/{ITEM}9"
    )
    links = find_links(text, [f"https://www.tiktok.com/@b/photo/{ITEM}8"])
    assert [(link.kind, link.item_id) for link in links] == [
        (LinkKind.SHORT, None), (LinkKind.VIDEO, ITEM), (LinkKind.PHOTO, f"{ITEM}8"),
    ]


def test_plain_chatter_has_no_links() -> None:
    assert find_links("hello there, tiktok is fun. www.tiktok.com") == []
    assert find_links(None) == []


@pytest.mark.parametrize(
    "raw",
    ["https://vm.tiktok.com/ZMabc123/", "https://vt.tiktok.com/ZSx_y-12/", "https://www.tiktok.com/t/ZTabcd12/",
     f"https://www.tiktok.com/@bob/video/{ITEM}"],
)
def test_link_tokens_survive_a_button_round_trip(raw: str) -> None:
    from tiktok_api import link_from_token, link_token

    link = parse_link(raw)
    token = link_token(link)
    assert ":" not in token and len(f"rt:tiktok:{token}".encode()) <= 64
    again = link_from_token(token)
    assert (again.kind, again.item_id) == (link.kind, link.item_id)
    assert again.url.rstrip("/") == link.url.rstrip("/") or link.item_id


@pytest.mark.parametrize("token", ["x.evil", "i.../..", "vm.a/b", "vm.", "i.12", "t.<script>"])
def test_forged_link_tokens_are_refused(token: str) -> None:
    from tiktok_api import link_from_token

    assert link_from_token(token) is None


@pytest.mark.parametrize(
    "raw",
    [
        "https://www.tiktok.com/@bob/video/٧٣١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧",  # Arabic-Indic digits
        "https://www.tiktok.com/@bob/video/７３１２３４５６７８９０",  # full-width digits
        "https://www.tiktok.com/@bób/video/7312345678901234567",  # a username TikTok never gives
    ],
)
def test_only_ascii_ids_and_names_are_links(raw: str) -> None:
    assert parse_link(raw) is None
