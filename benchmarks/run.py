"""`make bench` / `python -m benchmarks`: run the scenarios, print the tables, write the JSON.

    python -m benchmarks                                  # every scenario, results/latest.json
    python -m benchmarks --scenario latency --users 5     # one scenario, changed
    python -m benchmarks --scenario latency --latency-ms 100 --bandwidth-mb-s 5

Flags that change a scenario apply to every selected scenario (select one with --scenario to vary one alone).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import platform
import shlex
import sys
from pathlib import Path

import psutil

from benchmarks import guest, ingest, render, report
from benchmarks.harness import Library, Options, ScenarioRun, Session, photo
from benchmarks.scenarios import DEFAULT_SCENARIOS, MB, SCENARIOS, Link, Network, Scenario, override
from tests.fakes import media

RESULTS = Path(__file__).resolve().parent / "results"
FORMAT = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", action="append", choices=sorted(SCENARIOS), dest="scenarios",
                        help="run this scenario (repeatable); default: " + ", ".join(DEFAULT_SCENARIOS))
    change = parser.add_argument_group("scenario changes (applied to every selected scenario)")
    change.add_argument("--users", type=int, help="concurrent users")
    change.add_argument("--links", type=int, help="distinct links per user, sent one after the other")
    change.add_argument("--size-mb", type=float, help="video size in MB (10^6 bytes), video scenarios")
    change.add_argument("--slideshow-images", type=int, help="images per slideshow, slideshow scenarios")
    change.add_argument("--picture-size", type=_size, metavar="WxH", help="render: the pictures' size")
    change.add_argument("--sound-seconds", type=float, help="render: the sound's length")
    change.add_argument("--runs", type=int, help="render: standalone runs of the product and of ffmpeg (medians)")
    change.add_argument("--hits", type=int, help="render: cache hits measured while idle")
    change.add_argument("--records", type=int, help="ingest: records in the export")
    change.add_argument("--item-links", action="store_true",
                        help="send full item links instead of vm.tiktok.com short links (no resolve request)")
    change.add_argument("--latency-ms", type=float, help="latency added per request on pages, CDN and Telegram")
    change.add_argument("--bandwidth-mb-s", type=float,
                        help="bandwidth per connection in MB/s on pages, CDN and Telegram uploads (0: unlimited)")
    for path in ("page", "cdn", "telegram"):
        change.add_argument(f"--{path}-latency-ms", type=float, help=f"latency per request, {path} only")
        change.add_argument(f"--{path}-bandwidth-mb-s", type=float, help=f"bandwidth per connection, {path} only")
    run = parser.add_argument_group("harness")
    run.add_argument("--warmup", type=int, default=Options.warmup,
                     help="small videos delivered concurrently before idle RSS is measured (default %(default)s)")
    run.add_argument("--idle-seconds", type=float, default=Options.idle_seconds,
                     help="idle window after warm-up whose median RSS is the baseline (default %(default)s)")
    run.add_argument("--timeout", type=float, default=Options.timeout, help="seconds per request")
    run.add_argument("--max-concurrent", type=int, help="MAX_CONCURRENT_DELIVERIES (default: max(8, users))")
    run.add_argument("--log-level", default=Options.log_level, help="the bot's LOG_LEVEL (default %(default)s)")
    run.add_argument("--out", type=Path, default=RESULTS / "latest.json", help="JSON file (default %(default)s)")
    run.add_argument("--py-spy", type=Path, metavar="PATH",
                     help="profile the bot in each phase with this py-spy binary (slows the run; for diagnosis)")
    run.add_argument("--one-process", action="store_true",
                     help="run every scenario against one bot process (faster start; memory figures interact)")
    run.add_argument("--strict", action="store_true", help="exit 1 when a target is missed, not only on errors")
    return parser


def _size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(side) for side in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, got {text!r}") from None
    return width, height


def _network(base: Network, args: argparse.Namespace) -> Network:
    paths = {}
    for path in ("page", "cdn", "telegram"):
        link: Link = getattr(base, path)
        latency_ms = _first(getattr(args, f"{path}_latency_ms"), args.latency_ms)
        bandwidth = _first(getattr(args, f"{path}_bandwidth_mb_s"), args.bandwidth_mb_s)
        paths[path] = Link(
            link.latency if latency_ms is None else latency_ms / 1000,
            link.bandwidth if bandwidth is None else (bandwidth * MB or None),
        )
    return Network(**paths)


def _first(*values: float | None) -> float | None:
    return next((value for value in values if value is not None), None)


def scenarios_from(args: argparse.Namespace) -> list[Scenario]:
    chosen = []
    for name in args.scenarios or DEFAULT_SCENARIOS:
        scenario = SCENARIOS[name]
        network = _network(scenario.network, args)
        chosen.append(override(
            scenario, users=args.users, links=args.links,
            video_bytes=None if args.size_mb is None else int(args.size_mb * MB),
            slideshow_images=args.slideshow_images, short_links=False if args.item_links else None,
            network=network if network != scenario.network else None,
            **({"picture_size": args.picture_size, "sound_seconds": args.sound_seconds, "runs": args.runs,
                "hits": args.hits} if scenario.kind == "render" else {}),
            **({"records": args.records} if scenario.kind == "ingest" else {}),
        ))
    for scenario in chosen:
        if scenario.users < 1 or scenario.links < 1 or scenario.slideshow_images < 1:
            raise SystemExit("users, links and slideshow images must be at least 1")
        if scenario.kind == "render" and (scenario.runs < 1 or scenario.hits < 1 or scenario.sound_seconds <= 0
                                          or min(scenario.picture_size) < 2):
            raise SystemExit("render: runs and hits must be at least 1, the sound over 0 s, pictures 2x2 or more")
        if scenario.kind in ("video", "mix") and scenario.video_bytes < len(media.sample("h264.mp4")) + 8:
            raise SystemExit(f"videos must be larger than the {len(media.sample('h264.mp4'))}-byte sample")
    return chosen


def library_for(scenario: Scenario, images: list[bytes]) -> Library:
    if scenario.kind in ("slideshow", "mix"):
        while len(images) < scenario.slideshow_images:
            images.append(photo(len(images)))
    pictures = images[:scenario.slideshow_images] if scenario.kind in ("slideshow", "mix") else []
    if scenario.kind == "slideshow":
        return Library(images=pictures)
    video = media.mp4_of_size(scenario.video_bytes)
    return Library(video=video, video_sha256=hashlib.sha256(video).hexdigest(), images=pictures)


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    return {"cpus": os.cpu_count(), "cpu_model": model or platform.processor(),
            "memory_bytes": psutil.virtual_memory().total, "python": platform.python_version(),
            "platform": platform.platform()}


async def run_all(scenarios: list[Scenario], options: Options, *, one_process: bool = False) -> dict[str, dict]:
    """Each scenario against a fresh bot process (default), or all of them against one (faster; the memory
    figures of a later scenario then start from what the earlier ones left)."""
    results = {}
    images: list[bytes] = []
    shared = [scenario for scenario in scenarios if scenario.kind not in ("render", "guest", "ingest")]
    if one_process and shared:
        async with Session(shared, options, "bench") as session:
            for index, scenario in enumerate(shared):
                results[scenario.name] = await _run_one(session, scenario, images, warmup=index == 0)
        for result in results.values():
            result["bot"] = session.bot_report()
    for scenario in scenarios:
        if scenario.kind == "render":  # its own steps and its own bot process, always
            results[scenario.name] = await render.run(scenario, options)
        elif scenario.kind == "guest":  # its own steps and its own bot process, always
            results[scenario.name] = await guest.run(scenario, options, library_for(scenario, images))
        elif scenario.kind == "ingest":  # no bot: the fetch command and the plain streamer
            results[scenario.name] = await asyncio.to_thread(ingest.run, scenario)
        elif not one_process:
            async with Session([scenario], options, scenario.name) as session:
                results[scenario.name] = await _run_one(session, scenario, images, warmup=True)
            results[scenario.name]["bot"] = session.bot_report()
    return {scenario.name: results[scenario.name] for scenario in scenarios}


async def _run_one(session: Session, scenario: Scenario, images: list[bytes], *, warmup: bool) -> dict:
    print(f"[bench] {scenario.name}: {scenario.description} ...", file=sys.stderr, flush=True)
    library = library_for(scenario, images)
    result = await ScenarioRun(session, scenario, library).run(warmup=warmup)
    sizes = result["phases"]["miss"]["sizes"]
    image_sizes = [len(image) for image in library.images] if scenario.kind in ("slideshow", "mix") else []
    bound = report.lower_bound(scenario, sizes, image_sizes)
    miss, hit = result["phases"]["miss"], result["phases"]["hit"]
    print(f"[bench] {scenario.name}: {miss['delivered']}/{miss['requests']} delivered, "
          f"p50 {miss['latency_s']['p50']} s", file=sys.stderr, flush=True)
    return {
        "description": scenario.description,
        "params": scenario.as_json(),
        **result,
        "lower_bound": bound,
        "p50_over_lower_bound": report.ratio(miss["latency_s"]["p50"], bound["total_s"]),
        "hit_p50_over_lower_bound": report.ratio(hit["latency_s"]["p50"], bound["hit_total_s"]),
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    scenarios = scenarios_from(args)
    out: Path = args.out
    options = Options(warmup=args.warmup, idle_seconds=args.idle_seconds, timeout=args.timeout,
                      log_level=args.log_level.upper(), max_concurrent=args.max_concurrent,
                      log_dir=out.parent / "logs", py_spy=args.py_spy)
    started = dt.datetime.now(dt.UTC)
    results = asyncio.run(run_all(scenarios, options, one_process=args.one_process))
    targets = report.evaluate(results)
    errors = sum(report.errors(result) for result in results.values())
    document = {
        "format": FORMAT,
        "generated_at": started.isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "benchmarks", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine(),
        "options": {**{key: str(value) if isinstance(value, Path) else value
                       for key, value in dataclasses.asdict(options).items()}, "one_process": args.one_process},
        "scenarios": results,
        "targets": targets,
        "summary": {"errors": errors, "targets_failed": sum(t["result"] == "FAIL" for t in targets),
                    "targets_passed": sum(t["result"] == "PASS" for t in targets)},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=2) + "\n")
    print()
    for name, result in results.items():
        print(f"{name}: {result['description']}")
    print()
    deliveries = {name: result for name, result in results.items()
                  if result.get("kind") not in ("render", "guest", "ingest")}
    renders = {name: result for name, result in results.items() if result.get("kind") == "render"}
    guests = {name: result for name, result in results.items() if result.get("kind") == "guest"}
    ingests = {name: result for name, result in results.items() if result.get("kind") == "ingest"}
    if deliveries:
        print(report.figures_table(deliveries))
        print()
        print(report.timeline_table(deliveries))
        print()
    if renders:
        print(report.render_table(renders))
        print()
    if guests:
        print(report.guest_table(guests))
        print()
    if ingests:
        print(report.ingest_table(ingests))
        print()
    print(report.targets_table(targets))
    print(f"\n{len(targets)} checks: {document['summary']['targets_passed']} passed, "
          f"{document['summary']['targets_failed']} failed; JSON in {out}")
    if errors or (args.strict and document["summary"]["targets_failed"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
