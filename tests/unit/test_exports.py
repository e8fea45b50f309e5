"""Scrapers' exports as fetch input: the common shapes found by their field names, dotted paths instead,
records without an id or a link reported, and folder names that are always one safe path component."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.exports import ExportError, Fields, is_export, lookup, read_export, safe_folder

SNAKE = {"aweme_id": "7300000000000000001", "media": {"source_url": "https://v16-webapp-prime.tiktok.com/v/1?x=1"},
         "query_context": "cats"}
APIFY = {"id": "7300000000000000002", "webVideoUrl": "https://www.tiktok.com/@a/video/7300000000000000002",
         "videoMeta": {"downloadAddr": "https://v19-webapp-prime.tiktok.com/v/2"}, "searchQuery": "dogs"}
NESTED_ONLY_LINK = {"post": {"link": "https://vm.tiktok.com/ZMabc/"}, "topic": "birds"}


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_a_json_array_of_the_common_shapes_is_read_by_field_names(tmp_path) -> None:
    path = write(tmp_path, "export.json", json.dumps([SNAKE, APIFY, {"nothing": 1}, "text", NESTED_ONLY_LINK]))
    records, skipped = read_export(path, Fields(), group_by=True)
    assert [(r.item_id, r.urls, r.group) for r in records] == [
        ("7300000000000000001", ("https://v16-webapp-prime.tiktok.com/v/1?x=1",), "cats"),
        ("7300000000000000002", ("https://www.tiktok.com/@a/video/7300000000000000002",
                                 "https://v19-webapp-prime.tiktok.com/v/2"), "dogs"),
    ]
    assert skipped == ["record 3: no item id and no link", "record 4: not an object",
                       "record 5: no item id and no link"]


def test_dotted_paths_name_any_field_and_json_lines_and_wrapped_arrays_are_read(tmp_path) -> None:
    lines = "\n".join(json.dumps(record) for record in (NESTED_ONLY_LINK, {"post": {}}, APIFY)) + "\nnot json\n"
    path = write(tmp_path, "export.jsonl", lines)
    records, skipped = read_export(path, Fields(url="post.link", group="topic"), group_by=True)
    assert [(r.position, r.item_id, r.urls, r.group) for r in records] == [
        (1, None, ("https://vm.tiktok.com/ZMabc/",), "birds"),
        (3, "7300000000000000002", (), None),  # its own id; the chosen url field is empty, topic is missing
    ]
    assert skipped == ["record 2: no item id and no link", "record 4: not an object"]
    wrapped = write(tmp_path, "wrapped.json", json.dumps({"total": 1, "items": [SNAKE]}))
    assert [r.item_id for r in read_export(wrapped, Fields(), group_by=False)[0]] == ["7300000000000000001"]
    assert read_export(wrapped, Fields(), group_by=False)[0][0].group is None  # no grouping asked


def test_lookup_follows_keys_and_list_indexes() -> None:
    record = {"a": {"b": [{"c": "deep"}]}, "list": ["x", "y"]}
    assert lookup(record, "a.b.0.c") == "deep" and lookup(record, "list.1") == "y"
    assert lookup(record, "a.missing.c") is None and lookup(record, "list.5") is None


def test_what_is_an_export_and_what_is_not(tmp_path) -> None:
    assert is_export(write(tmp_path, "a.json", "[]")) and is_export(write(tmp_path, "b.txt", '\ufeff  {"id": 1}'))
    assert not is_export(write(tmp_path, "links.txt", "https://www.tiktok.com/@a/video/1\n"))
    with pytest.raises(ExportError):
        read_export(write(tmp_path, "bad.json", "{oops"), Fields(), group_by=False)
    with pytest.raises(ExportError):
        read_export(write(tmp_path, "empty.json", "  \n"), Fields(), group_by=False)


@pytest.mark.parametrize(("value", "expected"), [
    ("cats", "cats"),
    ("../../etc/passwd", "_etc_passwd"),
    ('a/b\\c:d*e?f"g<h>i|j', "a_b_c_d_e_f_g_h_i_j"),
    ("  ..hidden..  ", "hidden"),
    ("CON", "_CON"), ("lpt1.txt", "_lpt1.txt"), ("nul", "_nul"),
    ("line\nbreak\ttab\x00nul", "line_break_tab_nul"),
    ("", "_"), ("...", "_"), ("/", "_"),
    ("ｆｕｌｌｗｉｄｔｈ", "fullwidth"),
])
def test_folder_names_are_one_safe_component(value: str, expected: str) -> None:
    assert safe_folder(value) == expected


def test_long_folder_names_are_cut_on_a_character_boundary() -> None:
    name = safe_folder("котики " * 40)
    assert len(name.encode()) <= 100 and name.startswith("котики") and "\ufffd" not in name


def test_expiry_is_read_from_the_signed_url_and_odd_values_are_no_expiry() -> None:
    from pipeline.fetcher import expired

    assert expired("https://cdn.example/v?x-expires=1000", now=2000)
    assert expired("https://cdn.example/v?X-Expires=1000&expire=99999", now=2000)  # the earliest counts
    assert not expired("https://cdn.example/v?x-expires=3000", now=2000)
    assert not expired("https://cdn.example/v?x-expires=%C2%B2", now=2000)  # "²" is a digit, not a number
    assert not expired("https://cdn.example/v?sig=abc", now=2000)


def test_a_state_line_cut_by_a_crash_costs_nothing_after_it(tmp_path) -> None:
    from pipeline.fetch_state import STATE_FILE, FetchState

    (tmp_path / "a.mp4").write_bytes(b"x")
    (tmp_path / "b.mp4").write_bytes(b"x")
    (tmp_path / STATE_FILE).write_text('{"key": "t:a", "status": "ok", "path": "a.mp4"}\n'
                                       '{"key": "t:x", "status": "ok", "path": "../../etc/passwd"}\n'
                                       '{"key": "t:y", "status": "ok"}\n{"key": "t:b", "sta')
    state = FetchState(tmp_path)
    assert state.done("t:a") == tmp_path / "a.mp4" and state.done("t:x") is None and state.done("t:y") is None
    state.finished("t:b", tmp_path / "b.mp4")
    state.close()
    assert FetchState(tmp_path).done("t:b") == tmp_path / "b.mp4"  # its line was not glued to the cut one
