"""The ingest scenario: `python main.py fetch --from export.jsonl` on a scraper's export of `records` records
(10% duplicates, 5% dead posts, a third of the rest with expired media URLs) through the offline world, shaped.

Against it, the classic ingestion script, written here: a semaphore, one pooled aiohttp client, each record's
media URL streamed to disk in 64 KiB chunks, at the same concurrency and through the same proxy. It can only do
the records whose URL still works; the product is measured on those same records (items/s, the target), then on
the whole export (its own figures: the expired ones resolved by id, peak RSS growth), then killed halfway
through the whole export and run again (the second run must fetch only the rest)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from benchmarks.harness import ROOT
from benchmarks.probe import ProcessTreeProbe
from benchmarks.scenarios import Scenario
from pipeline.fetch_state import STATE_FILE
from tests.fakes import media
from tests.fakes.tiktok import VIDEO_HOSTS, VideoFormat
from tests.fakes.world import TikTokWorld

FIRST_ITEM = 7_350_000_000_000_000_000
CHUNK = 64 * 1024
DUPLICATES, DEAD, EXPIRED = 0.10, 0.05, 1 / 3


@dataclass
class Export:
    records: list[dict]  # the whole export, in order
    valid: list[dict]  # the unique records whose media URL works: what the plain streamer can do
    unique: int
    dead: int
    expired: int


def build(world: TikTokWorld, scenario: Scenario) -> Export:
    """Publish the posts and write their records: ids, links and media URLs in the shapes scrapers use."""
    rng = random.Random(7)  # the same export every run
    data = media.mp4_of_size(scenario.video_bytes)
    unique = round(scenario.records * (1 - DUPLICATES))
    dead = round(scenario.records * DEAD)
    records, valid = [], []
    for index in range(unique):
        item_id = str(FIRST_ITEM + index)
        topic = f"topic {index % 7}"
        if index < dead:
            world.tiktok.add_unavailable(item_id, 10204)
            gone = f"https://{VIDEO_HOSTS[0]}/video/tos/gone/{secrets.token_hex(8)}/?x-expires=9999999999"
            records.append({"aweme_id": item_id, "media": {"source_url": gone}, "query_context": topic})
            continue
        post = world.tiktok.add_video(item_id, user="bench", formats=(VideoFormat(data=data, codec="h264"),))
        expired = rng.random() < EXPIRED
        record = {"id": item_id, "webVideoUrl": post.url, "videoUrl": world.tiktok.export_url(post, expired=expired),
                  "searchQuery": topic}
        records.append(record)
        if not expired:
            valid.append(record)
    for _ in range(scenario.records - unique):  # duplicates: the same item found again
        records.append(dict(rng.choice(records)))
    rng.shuffle(records)
    return Export(records, valid, unique, dead, unique - dead - len(valid))


async def plain_streamer(records: list[dict], out: Path, concurrency: int, proxy: str, ca: Path) -> dict:
    """The classic script: bounded concurrency, one pooled client, chunked writes; no retries, no fallback."""
    limit = asyncio.Semaphore(concurrency)
    context = ssl.create_default_context(cafile=str(ca))
    done = failed = 0

    async def one(http: aiohttp.ClientSession, record: dict) -> None:
        nonlocal done, failed
        url = record.get("videoUrl") or record["media"]["source_url"]
        target = out / f"{record.get('id') or record['aweme_id']}.mp4"
        async with limit:
            try:
                async with http.get(url, proxy=proxy, ssl=context) as response:
                    response.raise_for_status()
                    with target.open("wb") as file:
                        async for chunk in response.content.iter_chunked(CHUNK):
                            file.write(chunk)
                done += 1
            except (aiohttp.ClientError, TimeoutError):
                failed += 1

    started = time.monotonic()
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(one(http, record) for record in records))
    wall = time.monotonic() - started
    return {"items": len(records), "ok": done, "failed": failed, "wall_s": round(wall, 3),
            "items_per_s": round(done / wall, 2) if wall else None}


def run_fetch(world: TikTokWorld, export: Path, out: Path, concurrency: int, *, kill_after: int | None = None) -> dict:
    """The product's fetch as a process: wall time, peak RSS growth over its RSS once started, CPU; with
    `kill_after`, SIGKILLed once that many items are written down as done."""
    log = out.parent / f"{out.name}.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, str(ROOT / "main.py"), "fetch", "--from", str(export), "--out", str(out),
             "--concurrency", str(concurrency)],
            env={**os.environ, **world.env()}, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    probe = ProcessTreeProbe(process.pid).start()
    started, cpu_before = time.monotonic(), _children_cpu()
    killed = False
    while process.poll() is None:
        if kill_after is not None and done_count(out) >= kill_after:
            os.killpg(process.pid, signal.SIGKILL)
            killed = True
        time.sleep(0.05)
    wall = time.monotonic() - started
    probe.stop()
    samples = probe.samples()
    first = next((sample.rss for sample in samples if sample.at - started >= 1.0), samples[0].rss if samples else 0)
    text = log.read_text()
    summary = next((line for line in reversed(text.splitlines()) if " ok, " in line), "")
    counts = dict(zip(("ok", "already_there", "duplicates", "failed"),
                      (int(word) for word in summary.replace(",", " ").split() if word.isdigit()), strict=False))
    return {"exit_code": process.returncode, "killed": killed, "wall_s": round(wall, 3), **counts,
            "items_per_s": round(counts.get("ok", 0) / wall, 2) if wall and not killed else None,
            "peak_rss_bytes": max((s.rss for s in samples), default=0), "rss_after_start_bytes": first,
            "rss_growth_bytes": max((s.rss for s in samples), default=0) - first,
            "cpu_s": round(_children_cpu() - cpu_before, 2), "tracebacks": text.count("Traceback"),
            "summary": summary.strip()}


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (and theirs): the probe cannot read a tree that is gone."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def done_count(out: Path) -> int:
    state = out / STATE_FILE
    return sum(1 for line in state.read_text().splitlines() if '"ok"' in line) if state.exists() else 0


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return path


def run(scenario: Scenario) -> dict:
    print(f"[bench] {scenario.name}: {scenario.description} ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as directory, TikTokWorld() as world:
        root = Path(directory)
        export = build(world, scenario)
        network = scenario.network
        world.tiktok.shape("page", latency=network.page.latency, bandwidth=network.page.bandwidth)
        world.tiktok.shape("cdn", latency=network.cdn.latency, bandwidth=network.cdn.bandwidth)
        concurrency = scenario.users
        proxy = next(iter(world.proxy_urls.values()))
        (root / "plain").mkdir()
        plain = asyncio.run(plain_streamer(export.valid, root / "plain", concurrency, proxy, world.ca_path))
        (root / "plain-whole").mkdir()
        plain_whole = asyncio.run(plain_streamer(export.records, root / "plain-whole", concurrency, proxy,
                                                 world.ca_path))
        startup = run_fetch(world, write_jsonl(root / "empty.jsonl", []), root / "empty", concurrency)["wall_s"]
        same = run_fetch(world, write_jsonl(root / "valid.jsonl", export.valid), root / "same", concurrency)
        same["items_per_s_after_start"] = round(same.get("ok", 0) / (same["wall_s"] - startup), 2) \
            if same["wall_s"] > startup else None
        whole_export = write_jsonl(root / "export.jsonl", export.records)
        whole = run_fetch(world, whole_export, root / "whole", concurrency)
        fetchable = export.unique - export.dead
        first = run_fetch(world, whole_export, root / "resumed", concurrency, kill_after=fetchable // 2)
        done_before = done_count(root / "resumed")
        world.tiktok.reset()
        second = run_fetch(world, whole_export, root / "resumed", concurrency)
        fetched_again = len([hit for hit in world.tiktok.cdn_hits()
                             if "/video/tos/" in hit.path and "/gone/" not in hit.path])
    steady, base = same["items_per_s_after_start"], plain["items_per_s"]
    ratio = round(steady / base, 3) if steady and base else None
    print(f"[bench] {scenario.name}: {steady} items/s after start-up ({same['items_per_s']} with it) vs the plain "
          f"streamer's {base}", flush=True)
    return {
        "kind": "ingest", "description": scenario.description, "params": scenario.as_json(),
        "export": {"records": len(export.records), "unique": export.unique, "dead": export.dead,
                   "expired": export.expired, "valid_urls": len(export.valid)},
        "plain_streamer": plain, "plain_streamer_whole_export": plain_whole, "product_startup_s": startup,
        "product_same_items": same, "items_per_s_ratio": ratio, "product_whole": whole,
        "resume": {"killed_after_done": done_before, "first_run": first, "second_run": second,
                   "fetched_in_second_run": fetched_again, "still_to_do": fetchable - done_before},
        "errors": sum(run["tracebacks"] for run in (same, whole, second)) + (whole.get("ok", 0) != fetchable),
    }
