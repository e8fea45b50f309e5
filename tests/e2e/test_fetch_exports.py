"""`python main.py fetch --from export.json` as a real process against the offline TikTok: the shapes of
scrapers' exports, one folder per topic, each item once (linked into every topic it was found under), an
export's media URL used while it is valid and the item resolved by its id when it is not, and runs that are
killed or interrupted taken up where they stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.fetch_state import STATE_FILE
from tests.fakes import media
from tests.fakes.world import TikTokWorld
from tests.harness import eventually, start_main

ROOT = Path(__file__).resolve().parents[2]
V1, V2, V3, GONE = "7312345678901230001", "7312345678901230002", "7312345678901230003", "7312345678901230009"


@pytest.fixture
def world():
    with TikTokWorld() as world:
        yield world


def fetch(world: TikTokWorld, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "main.py"), "fetch", *args], env={**os.environ, **world.env()},
                          capture_output=True, text=True, timeout=180, check=False)


def start_fetch(world: TikTokWorld, *args: str, log: Path) -> subprocess.Popen:
    return start_main(["fetch", *args], {**os.environ, **world.env()}, log)


def finished(out: Path) -> list[dict]:
    state = out / STATE_FILE
    lines = state.read_text().splitlines() if state.exists() else []
    return [entry for line in lines if (entry := json.loads(line))["status"] == "ok"]


def test_an_export_lands_in_topic_folders_each_item_once_by_its_url_or_its_id(world, tmp_path) -> None:
    v1, v2, v3 = (world.tiktok.add_video(item) for item in (V1, V2, V3))
    short = world.tiktok.add_short_link("ZMexport1", v2.url)
    world.tiktok.add_unavailable(GONE, 10204)
    export = tmp_path / "export.json"
    export.write_text(json.dumps([
        {"aweme_id": V1, "media": {"source_url": world.tiktok.export_url(v1)}, "query_context": "cats"},
        {"id": V2, "webVideoUrl": v2.url, "searchQuery": "dogs"},
        {"aweme_id": int(V1), "query_context": "dogs"},  # found again under another topic (an int id this time)
        {"aweme_id": V3, "media": {"source_url": world.tiktok.export_url(v3, expired=True)},
         "query_context": "cats/../../evil"},
        {"webVideoUrl": short, "query_context": "dogs"},  # V2 again, by a short link
        {"stats": {"plays": 3}},
        {"aweme_id": GONE, "query_context": "cats"},
    ]))
    out = tmp_path / "out"
    result = fetch(world, "-v", "--audio", "--from", str(export), "--group-by", "--out", str(out), "--concurrency", "2")
    assert result.returncode == 1, result.stdout + result.stderr  # the deleted post failed
    assert "3 ok, 0 already there, 2 duplicates, 1 failed, 1 records skipped" in result.stdout, result.stdout
    assert "skipped: record 6: no item id and no link" in result.stdout
    assert f"failed: record 7 ({GONE}): deleted" in result.stdout
    for path in (out / "cats" / f"{V1}.mp4", out / "dogs" / f"{V2}.mp4", out / "cats_evil" / f"{V3}.mp4"):
        assert path.read_bytes() == media.sample("h264.mp4"), path
    assert (out / "dogs" / f"{V1}.mp4").samefile(out / "cats" / f"{V1}.mp4")  # linked, not fetched twice
    assert (out / "cats" / f"{V1}.m4a").stat().st_size > 0  # --audio holds for an item fetched by its URL too
    assert sorted(p.name for p in out.iterdir()) == [STATE_FILE, "cats", "cats_evil", "dogs"]
    assert not list(out.rglob(".partial-*"))
    pages = [hit.path for hit in world.tiktok.requests if "/video/" in hit.path and hit.host == "www.tiktok.com"]
    assert not [path for path in pages if V1 in path]  # V1 came by its export URL, with no page request
    assert [path for path in pages if V3 in path]  # V3's URL had expired: resolved by its id
    log = result.stdout + result.stderr
    assert "by its URL" in log and "its URL expired; resolving" in log

    world.tiktok.reset()
    again = fetch(world, "--from", str(export), "--group-by", "--out", str(out))
    assert "0 ok, 3 already there, 2 duplicates, 1 failed" in again.stdout, again.stdout
    assert world.tiktok.cdn_hits() == []


def test_a_killed_run_is_taken_up_where_it_stopped(world, tmp_path) -> None:
    posts = [world.tiktok.add_video(str(7312345678901240000 + n)) for n in range(12)]
    export = tmp_path / "export.jsonl"
    export.write_text("".join(json.dumps({"id": post.item["id"], "webVideoUrl": post.url}) + "\n" for post in posts))
    world.tiktok.shape("cdn", latency=0.4)
    out = tmp_path / "out"
    process = start_fetch(world, "--from", str(export), "--out", str(out), "--concurrency", "2",
                          log=tmp_path / "first.log")
    try:
        asyncio_run(eventually(lambda: len(finished(out)) >= 4, 120, "four items done"))
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # a crash: no chance to clean up
        process.wait(timeout=30)
    done = {entry["key"] for entry in finished(out)}
    world.tiktok.reset()
    world.tiktok.shape("cdn", latency=0.0)
    second = fetch(world, "--from", str(export), "--out", str(out))
    assert second.returncode == 0, second.stdout + second.stderr
    assert f"{12 - len(done)} ok, {len(done)} already there, 0 duplicates, 0 failed" in second.stdout
    assert len([hit for hit in world.tiktok.cdn_hits() if "/video/tos/" in hit.path]) == 12 - len(done)
    assert all((out / f"{post.item['id']}.mp4").read_bytes() == media.sample("h264.mp4") for post in posts)
    assert not list(out.glob(".partial-*"))


def test_ctrl_c_stops_the_run_with_a_summary_and_the_next_run_finishes_it(world, tmp_path) -> None:
    posts = [world.tiktok.add_video(str(7312345678901250000 + n)) for n in range(8)]
    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"aweme_id": post.item["id"]} for post in posts]))
    world.tiktok.shape("cdn", latency=0.5)
    out = tmp_path / "out"
    log = tmp_path / "first.log"
    process = start_fetch(world, "--from", str(export), "--out", str(out), "--concurrency", "2", log=log)
    asyncio_run(eventually(lambda: len(finished(out)) >= 2, 120, "two items done"))
    interrupted = time.monotonic()
    os.killpg(process.pid, signal.SIGINT)
    code = process.wait(timeout=30)
    print(f"\nCtrl-C to exit: {time.monotonic() - interrupted:.2f} s")
    output = log.read_text()
    assert code == 130, output
    assert "not done (run again to do them)" in output and "Traceback" not in output
    done = len(finished(out))
    world.tiktok.shape("cdn", latency=0.0)
    second = fetch(world, "--from", str(export), "--out", str(out))
    assert f"{8 - done} ok, {done} already there" in second.stdout, second.stdout
    assert not list(out.glob(".partial-*"))


def asyncio_run(awaitable) -> object:
    import asyncio

    return asyncio.run(awaitable)


def test_an_export_cannot_name_files_outside_out_nor_pass_a_page_or_a_picture_off_as_the_video(world, tmp_path) -> None:
    v1, v2, v3 = (world.tiktok.add_video(item) for item in (V1, V2, V3))
    short = world.tiktok.add_short_link("ZMexport2", v1.url)
    picture = world.tiktok.add_slideshow("7312345678901230004").image_urls[0]
    export = tmp_path / "export.jsonl"
    records = [
        {"aweme_id": "../../../pwned", "url": short, "videoUrl": world.tiktok.export_url(v1)},  # an id that is a path
        {"id": V2, "url": f"https://www.tiktok.com/embed/v3/{V2}", "videoUrl": world.tiktok.export_url(v2)},
        {"id": V3, "webVideoUrl": v3.url, "mediaUrls": [picture]},  # a picture where the video should be
    ]
    export.write_text("".join(json.dumps(record) + "\n" for record in records))
    out = tmp_path / "deep" / "er" / "out"
    result = fetch(world, "-v", "--from", str(export), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert not list(tmp_path.rglob("pwned*"))  # the short link was followed: the file has the item's own id
    assert sorted(path.name for path in out.iterdir()) == [STATE_FILE, *(f"{item}.mp4" for item in (V1, V2, V3))]
    for item in (V1, V2, V3):
        assert (out / f"{item}.mp4").read_bytes() == media.sample("h264.mp4"), item
    assert "served no MP4 video" in result.stdout + result.stderr  # V3's picture was refused, V3 resolved by id
