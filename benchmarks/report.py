"""What a run means: the shaped network's lower bound, the targets of the issue, and the printed tables."""

from __future__ import annotations

import math
from collections.abc import Callable

from benchmarks.scenarios import (
    HIT_CPU_LIMIT,
    INGEST_GROWTH_LIMIT,
    INGEST_RATIO_LIMIT,
    LATENCY_RATIO_LIMIT,
    MB,
    MEMORY_GROWTH_LIMIT,
    MEMORY_SIZE_EFFECT_LIMIT,
    RENDER_GROWTH_LIMIT,
    RENDER_HIT_RATIO_LIMIT,
    RENDER_TIME_RATIO_LIMIT,
    Scenario,
)

MAX_ALBUM = 10  # Telegram takes at most 10 items per album


def lower_bound(scenario: Scenario, sizes: dict, image_sizes: list[int]) -> dict:
    """The least time the shaped network allows for one delivery, in seconds, from the update to the
    completed send, with everything that can overlap overlapping:

    video (and the mix, two videos to a slideshow: its median request is a video):
               resolve + page + CDN latency + Telegram latency + max(size / CDN bandwidth, size / Telegram bandwidth)
    slideshow: resolve + page + CDN latency + largest image / CDN bandwidth
               + albums x Telegram latency + all images / Telegram bandwidth

    resolve = page latency + the short link's answer / page bandwidth (0 for full item links); page = page latency +
    page size / page bandwidth (sizes as the fakes measured them). The video's cover (one more CDN round trip and a
    small transfer, before the stream starts) is reported as `cover_s` and is not part of `total_s`. Connection set-up
    and TLS through the local proxy are not shaped, so they are not part of it either."""
    net = scenario.network
    resolve = net.page.latency + net.page.transfer(sizes.get("short_link") or 0) if scenario.short_links else 0.0
    page = net.page.latency + net.page.transfer(sizes.get("page") or 0)
    parts = {"resolve_s": resolve, "page_s": page}
    if scenario.kind in ("video", "mix"):  # the mix's median request is a video
        size = scenario.video_bytes
        parts["cdn_latency_s"] = net.cdn.latency
        parts["telegram_latency_s"] = net.telegram.latency
        parts["transfer_s"] = max(net.cdn.transfer(size), net.telegram.transfer(size))
        cover = net.cdn.latency + net.cdn.transfer(sizes.get("cover") or 0)
        hit = resolve + net.telegram.latency
    else:
        albums = math.ceil(len(image_sizes) / MAX_ALBUM)
        parts["images_download_s"] = net.cdn.latency + net.cdn.transfer(max(image_sizes, default=0))
        parts["albums_upload_s"] = albums * net.telegram.latency + net.telegram.transfer(sum(image_sizes))
        cover = None
        hit = resolve + albums * net.telegram.latency
    total = sum(parts.values())
    return {
        **{name: round(value, 5) for name, value in parts.items()},
        "total_s": round(total, 5),
        "cover_s": None if cover is None else round(cover, 5),
        "hit_total_s": round(hit, 5),
    }


def ratio(value: float | None, bound: float) -> float | None:
    if value is None or bound <= 0:
        return None
    return round(value / bound, 3)


# --------------------------------------------------------------------------- targets


def _target(scenario: str, target: str, measured: str, passed: bool | None) -> dict:
    result = "INFO" if passed is None else ("PASS" if passed else "FAIL")
    return {"scenario": scenario, "target": target, "measured": measured, "result": result}


def errors(result: dict) -> int:
    """Requests of a scenario that were not delivered (and, for the render scenario, renders that failed)."""
    if result.get("kind") in ("render", "guest", "ingest"):
        return result["errors"]
    return sum(result["phases"][phase]["errors"] for phase in ("miss", "hit"))


def evaluate(results: dict[str, dict]) -> list[dict]:
    """One row per target of the issue (item 4), plus every scenario's own checks (no errors, cache hits)."""
    rows = []
    for name, result in results.items():
        if result.get("kind") == "render":
            rows += evaluate_render(name, result)
            continue
        if result.get("kind") == "guest":
            rows += evaluate_guest(name, result)
            continue
        if result.get("kind") == "ingest":
            rows += evaluate_ingest(name, result)
            continue
        miss, hit = result["phases"]["miss"], result["phases"]["hit"]
        ok = miss["errors"] == 0 and hit["errors"] == 0 and result["bot"]["tracebacks_in_log"] == 0
        rows.append(_target(name, "every request delivered, no traceback",
                            f"{miss['delivered']}+{hit['delivered']}/{miss['requests'] + hit['requests']}, "
                            f"{result['bot']['tracebacks_in_log']} tracebacks", ok))
        if name == "memory":
            growth = miss["rss_growth_bytes"]
            rows.append(_target(name, f"peak RSS - idle < {MEMORY_GROWTH_LIMIT / MB:g} MB",
                                f"{growth / MB:.1f} MB", growth < MEMORY_GROWTH_LIMIT))
        if name == "memory-baseline" and "memory" in results:
            difference = results["memory"]["phases"]["miss"]["rss_growth_bytes"] - miss["rss_growth_bytes"]
            rows.append(_target(name, f"growth(40 MB) - growth(1 MB) < {MEMORY_SIZE_EFFECT_LIMIT / MB:g} MB",
                                f"{difference / MB:.1f} MB", abs(difference) < MEMORY_SIZE_EFFECT_LIMIT))
        if name in ("latency", "latency-1user"):
            value = result["p50_over_lower_bound"]
            bound = result["lower_bound"]["total_s"]
            rows.append(_target(name, f"p50 <= {LATENCY_RATIO_LIMIT:g} x lower bound",
                                f"{miss['latency_s']['p50']:.3f} s / {bound:.3f} s = {_fmt(value, '.2f')}x",
                                None if value is None else value <= LATENCY_RATIO_LIMIT))
        if name == "latency":
            rows.append(_target(name, "throughput, cache misses",
                                f"{_fmt(miss['deliveries_per_s'], '.2f')} deliveries/s", None))
            rows.append(_target(name, "throughput, cache hits",
                                f"{_fmt(hit['deliveries_per_s'], '.2f')} deliveries/s", None))
        cpu = hit["cpu_s_per_delivery"]
        rows.append(_target(name, f"cache hit CPU <= {HIT_CPU_LIMIT * 1000:g} ms each",
                            f"{_fmt(cpu and cpu * 1000, '.2f')} ms", None if cpu is None else cpu <= HIT_CPU_LIMIT))
        traffic = hit["traffic"]
        rows.append(_target(name, "cache hits: no media traffic",
                            f"{traffic['cdn_requests']} CDN requests, "
                            f"{traffic['telegram_upload_bytes']} bytes uploaded",
                            traffic["cdn_requests"] == 0 and traffic["telegram_upload_bytes"] == 0))
    return rows


def evaluate_guest(name: str, result: dict) -> list[dict]:
    """Guest mode: every query answered and its video shown; the answer times are figures (no target)."""
    miss, hit = result["phases"]["miss"], result["phases"]["hit"]
    queries = miss["queries"] + hit["queries"]
    ok = result["errors"] == 0 and miss["shown"] + hit["shown"] == queries and result["bot"]["tracebacks_in_log"] == 0
    return [
        _target(name, "every guest query answered and its video shown, no traceback",
                f"{miss['shown']}+{hit['shown']}/{queries} shown, {result['errors']} errors, "
                f"{result['bot']['tracebacks_in_log']} tracebacks", ok),
        _target(name, "guest answer p50, new / cached item",
                f"{_ms(miss['answer_s']['p50'])} / {_ms(hit['answer_s']['p50'])} ms", None),
        _target(name, "video shown p50, new / cached item",
                f"{_ms(miss['media_s']['p50'])} / {_ms(hit['media_s']['p50'])} ms", None),
    ]


def evaluate_ingest(name: str, result: dict) -> list[dict]:
    """Bulk ingestion: everything fetchable fetched, throughput against the plain streamer, memory, resuming."""
    whole, same, plain, resume = (result[key] for key in ("product_whole", "product_same_items", "plain_streamer",
                                                           "resume"))
    fetchable = result["export"]["unique"] - result["export"]["dead"]
    ratio, growth = result["items_per_s_ratio"], whole["rss_growth_bytes"]
    second = resume["second_run"]
    return [
        _target(name, "every fetchable item fetched once, the dead ones failed, no traceback",
                f"{whole.get('ok')}/{fetchable} ok, {whole.get('duplicates')} duplicates, "
                f"{whole.get('failed')} failed, {result['errors']} errors",
                result["errors"] == 0 and whole.get("failed") == result["export"]["dead"]),
        _target(name, f"items/s >= {INGEST_RATIO_LIMIT:g} x the plain streamer (same items, after start-up)",
                f"{_fmt(same['items_per_s_after_start'], '.1f')} / {_fmt(plain['items_per_s'], '.1f')} = "
                f"{_fmt(ratio, '.2f')}x", None if ratio is None else ratio >= INGEST_RATIO_LIMIT),
        _target(name, f"peak RSS growth < {INGEST_GROWTH_LIMIT / MB:g} MB", f"{growth / MB:.1f} MB",
                growth < INGEST_GROWTH_LIMIT),
        _target(name, "a run killed halfway, run again, fetches only the rest",
                f"killed after {resume['killed_after_done']}; then {second.get('already_there')} already there, "
                f"{resume['fetched_in_second_run']} fetched of {resume['still_to_do']} left",
                resume["first_run"]["killed"] and second.get("already_there") == resume["killed_after_done"]
                and resume["fetched_in_second_run"] == resume["still_to_do"]),
    ]


def evaluate_render(name: str, result: dict) -> list[dict]:
    """The render scenario's targets: time against the ffmpeg command line, memory growth, and cache hits
    while the bot renders; plus its checks (both renders hold the same video, every request delivered)."""
    product, ffmpeg, once = result["product"], result["ffmpeg"], result["ffmpeg_decode_once"]
    bot = result["responsiveness"]
    renders, idle, during = bot["renders"], bot["idle_hits"], bot["hits_during_renders"]
    requests = sum(bot[key]["requests"] for key in ("prime", "idle_hits", "renders")) + during["sent"]
    delivered_ok = result["errors"] == 0 and result["bot"]["tracebacks_in_log"] == 0
    outputs = result["outputs"]
    ratio, ratio_once = result["time_ratio"], result["time_ratio_decode_once"]
    growth = product.get("growth_bytes")
    hit_ratio = bot["hit_p50_ratio"]
    return [
        _target(name, "every render and request delivered, no traceback",
                f"{product['errors']}+{ffmpeg['errors']} failed standalone renders; {renders['uploads']}/"
                f"{renders['requests']} renders uploaded; {result['errors']} errors in {requests} requests; "
                f"{result['bot']['tracebacks_in_log']} tracebacks",
                delivered_ok and renders["uploads"] == renders["requests"]),
        _target(name, "product and ffmpeg render the same video",
                f"frame {_frame(product['output'])} / {_frame(ffmpeg['output'])}, durations differ by "
                f"{_fmt(outputs['duration_difference_s'], '.3f')} s (one frame: {1 / result['plan']['fps']:.3f} s)",
                outputs["same_frame_size"] and outputs["within_a_frame"]),
        _target(name, f"render time <= {RENDER_TIME_RATIO_LIMIT:g} x ffmpeg command line",
                f"{_fmt(product.get('wall_s'), '.2f')} s / {_fmt(ffmpeg.get('wall_s'), '.2f')} s = "
                f"{_fmt(ratio, '.2f')}x", None if ratio is None else ratio <= RENDER_TIME_RATIO_LIMIT),
        _target(name, "render time vs ffmpeg decoding each picture once",
                f"{_fmt(product.get('wall_s'), '.2f')} s / {_fmt(once.get('wall_s'), '.2f')} s = "
                f"{_fmt(ratio_once, '.2f')}x", None),
        _target(name, f"render peak RSS growth < {RENDER_GROWTH_LIMIT / MB:g} MB",
                f"{_mb(growth)} MB ({_mb(product.get('rss_before_bytes'))} -> {_mb(product.get('peak_rss_bytes'))})",
                None if growth is None else growth < RENDER_GROWTH_LIMIT),
        _target(name, f"cache hit p50 during renders <= {RENDER_HIT_RATIO_LIMIT:g} x idle",
                f"{_ms(bot['hit_p50_during_s'])} ms / {_ms(bot['hit_p50_idle_s'])} ms = {_fmt(hit_ratio, '.2f')}x "
                f"({during['delivered']} hits during, {idle['delivered']} idle)",
                None if hit_ratio is None else hit_ratio <= RENDER_HIT_RATIO_LIMIT),
    ]


def _frame(output: dict | None) -> str:
    return "-" if not output else f"{output['width']}x{output['height']}"


# --------------------------------------------------------------------------- tables


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _mb(value: int | None) -> str:
    return "-" if value is None else f"{value / MB:.1f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value * 1000:.1f}"


def _row_collector(results: dict[str, dict]) -> tuple[list[tuple[str, list[str]]], Callable]:
    """The rows of a table with one column per result, and `row(label, get)` to add one ("-" where a result
    lacks the figure)."""
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, get) -> None:
        values = []
        for result in results.values():
            try:
                values.append(get(result))
            except (KeyError, TypeError):
                values.append("-")
        rows.append((label, values))

    return rows, row


def figures_table(results: dict[str, dict]) -> str:
    """Every figure of every scenario: one column per scenario."""
    rows, row = _row_collector(results)

    miss = lambda r: r["phases"]["miss"]  # noqa: E731
    hit = lambda r: r["phases"]["hit"]  # noqa: E731
    row("requests (miss + hit)", lambda r: f"{miss(r)['requests']} + {hit(r)['requests']}")
    row("errors (miss + hit)", lambda r: f"{miss(r)['errors']} + {hit(r)['errors']}")
    row("deliveries/s, misses", lambda r: _fmt(miss(r)["deliveries_per_s"], ".2f"))
    row("deliveries/s, hits", lambda r: _fmt(hit(r)["deliveries_per_s"], ".2f"))
    for phase, label in (("miss", "misses"), ("hit", "hits")):
        for stat in ("p50", "p95", "max"):
            row(f"latency {stat}, {label} (ms)", lambda r, p=phase, s=stat: _ms(r["phases"][p]["latency_s"][s]))
    row("lower bound, miss (ms)", lambda r: _ms(r["lower_bound"]["total_s"]))
    row("  + cover, not in bound (ms)", lambda r: _ms(r["lower_bound"]["cover_s"]))
    row("p50 / lower bound, misses", lambda r: _fmt(r["p50_over_lower_bound"], ".2f"))
    row("lower bound, hit (ms)", lambda r: _ms(r["lower_bound"]["hit_total_s"]))
    row("p50 / lower bound, hits", lambda r: _fmt(r["hit_p50_over_lower_bound"], ".2f"))
    row("idle RSS (MB)", lambda r: _mb(r["memory"]["idle_rss_bytes"]))
    row("peak RSS - idle, misses (MB)", lambda r: _mb(miss(r)["rss_growth_bytes"]))
    row("peak RSS - idle, hits (MB)", lambda r: _mb(hit(r)["rss_growth_bytes"]))
    row("RSS after - idle (MB)", lambda r: _mb(r["memory"]["retained_bytes"]))
    row("CPU per delivery, misses (ms)", lambda r: _ms(miss(r)["cpu_s_per_delivery"]))
    row("CPU per delivery, hits (ms)", lambda r: _ms(hit(r)["cpu_s_per_delivery"]))
    row("bot CPU, misses (s)", lambda r: _fmt(miss(r)["cpu_s"], ".2f"))
    row("harness CPU, misses (s)", lambda r: _fmt(miss(r)["harness_cpu_s"], ".2f"))
    row("machine CPU busy, misses", lambda r: _percent(miss(r)["machine_cpu_busy"]))
    row("CDN requests / MB, misses", lambda r: f"{miss(r)['traffic']['cdn_requests']} / "
        f"{_mb(miss(r)['traffic']['cdn_bytes'])}")
    row("uploads / MB, misses", lambda r: f"{miss(r)['traffic']['telegram_uploads']} / "
        f"{_mb(miss(r)['traffic']['telegram_upload_bytes'])}")
    row("CDN requests / uploaded bytes, hits", lambda r: f"{hit(r)['traffic']['cdn_requests']} / "
        f"{hit(r)['traffic']['telegram_upload_bytes']}")
    return _grid(["", *results], [[label, *values] for label, values in rows])


def timeline_table(results: dict[str, dict]) -> str:
    """Medians of where a cache miss's time went, per scenario."""
    names = []
    for result in results.values():
        for name in result["phases"]["miss"]["timeline_s"]:
            if name not in names:
                names.append(name)
    body = [[name, *(_ms(r["phases"]["miss"]["timeline_s"].get(name)) for r in results.values())] for name in names]
    return _grid(["cache miss timeline, median ms", *results], body)


def render_table(results: dict[str, dict]) -> str:
    """The render scenario's figures: one column per render scenario."""
    rows, row = _row_collector(results)

    product = lambda r: r["product"]  # noqa: E731
    bot = lambda r: r["responsiveness"]  # noqa: E731
    row("plan", lambda r: f"{r['plan']['pictures']} x {r['plan']['seconds_per_picture']:g} s, "
        f"{r['plan']['width']}x{r['plan']['height']} @ {r['plan']['fps']} fps")
    row("render time, product (s)", lambda r: _fmt(product(r)["wall_s"], ".2f"))
    row("render time, ffmpeg CLI (s)", lambda r: _fmt(r["ffmpeg"]["wall_s"], ".2f"))
    row("  product / ffmpeg", lambda r: _fmt(r["time_ratio"], ".2f"))
    row("render time, ffmpeg decoding once (s)", lambda r: _fmt(r["ffmpeg_decode_once"]["wall_s"], ".2f"))
    row("  product / ffmpeg decoding once", lambda r: _fmt(r["time_ratio_decode_once"], ".2f"))
    row("CPU, product / ffmpeg / once (s)", lambda r: f"{_fmt(product(r)['cpu_s'], '.2f')} / "
        f"{_fmt(r['ffmpeg']['cpu_s'], '.2f')} / {_fmt(r['ffmpeg_decode_once']['cpu_s'], '.2f')}")
    row("RSS before render, product (MB)", lambda r: _mb(product(r)["rss_before_bytes"]))
    row("peak RSS, product (MB)", lambda r: _mb(product(r)["peak_rss_bytes"]))
    row("peak RSS growth, product (MB)", lambda r: _mb(product(r)["growth_bytes"]))
    row("peak RSS, ffmpeg / once (MB)", lambda r: f"{_mb(r['ffmpeg']['peak_rss_bytes'])} / "
        f"{_mb(r['ffmpeg_decode_once']['peak_rss_bytes'])}")
    row("output, product / ffmpeg (MB)", lambda r: f"{_mb(product(r)['output']['size_bytes'])} / "
        f"{_mb(r['ffmpeg']['output']['size_bytes'])}")
    row("cache hit p50, idle (ms)", lambda r: _ms(bot(r)["hit_p50_idle_s"]))
    row("cache hit p50, during renders (ms)", lambda r: _ms(bot(r)["hit_p50_during_s"]))
    row("  during / idle", lambda r: _fmt(bot(r)["hit_p50_ratio"], ".2f"))
    row("cache hit p95 idle / during (ms)", lambda r: f"{_ms(bot(r)['idle_hits']['latency_s']['p95'])} / "
        f"{_ms(bot(r)['hits_during_renders']['latency_s']['p95'])}")
    row("cache hits idle / during renders", lambda r: f"{bot(r)['idle_hits']['delivered']} / "
        f"{bot(r)['hits_during_renders']['delivered']}")
    row("renders in the bot, delivered", lambda r: f"{bot(r)['renders']['uploads']}/{bot(r)['renders']['requests']}")
    row("render latency in the bot p50 / max (s)", lambda r: f"{_fmt(bot(r)['renders']['latency_s']['p50'], '.2f')} / "
        f"{_fmt(bot(r)['renders']['latency_s']['max'], '.2f')}")
    row("bot tree RSS growth, renders (MB)", lambda r: _mb(bot(r)["bot_rss_growth_bytes"]))
    row("bot / harness CPU, renders (s)", lambda r: f"{_fmt(bot(r)['bot_cpu_s'], '.1f')} / "
        f"{_fmt(bot(r)['harness_cpu_s'], '.1f')}")
    row("machine CPU busy, renders", lambda r: _percent(bot(r)["machine_cpu_busy"]))
    row("other programs, standalone / renders (cores)", lambda r: f"{_fmt(r['other_processes_cores'], '.2f')} / "
        f"{_fmt(bot(r)['other_processes_cores'], '.2f')}")
    return _grid(["render", *results], [[label, *values] for label, values in rows])


def guest_table(results: dict[str, dict]) -> str:
    """The guest scenario's figures: one column per guest scenario."""
    rows, row = _row_collector(results)
    for phase, what in (("miss", "new item"), ("hit", "cached item")):
        part = lambda r, phase=phase: r["phases"][phase]  # noqa: E731
        row(f"queries shown, {what}", lambda r, part=part: f"{part(r)['shown']}/{part(r)['queries']}")
        row(f"answered with the video itself, {what}", lambda r, part=part: str(part(r)["answered_with_the_video"]))
        row(f"answer p50 / p95, {what} (ms)", lambda r, part=part: f"{_ms(part(r)['answer_s']['p50'])} / "
            f"{_ms(part(r)['answer_s']['p95'])}")
        row(f"video shown p50 / p95, {what} (ms)", lambda r, part=part: f"{_ms(part(r)['media_s']['p50'])} / "
            f"{_ms(part(r)['media_s']['p95'])}")
    return _grid(["guest", *results], [[label, *values] for label, values in rows])


def ingest_table(results: dict[str, dict]) -> str:
    """The ingest scenario's figures: one column per ingest scenario."""
    rows, row = _row_collector(results)
    row("records / unique / dead / expired URLs", lambda r: "{records} / {unique} / {dead} / {expired}".format(
        **r["export"]))
    row("plain streamer, valid URLs: ok, items/s", lambda r: f"{r['plain_streamer']['ok']}, "
        f"{_fmt(r['plain_streamer']['items_per_s'], '.1f')}")
    row("plain streamer, whole export: ok / failed", lambda r: f"{r['plain_streamer_whole_export']['ok']} / "
        f"{r['plain_streamer_whole_export']['failed']}")
    row("fetch start-up (s)", lambda r: _fmt(r["product_startup_s"], ".2f"))
    same = lambda r: r["product_same_items"]  # noqa: E731
    row("fetch, valid URLs: items/s (after start-up)", lambda r: f"{_fmt(same(r)['items_per_s'], '.1f')} "
        f"({_fmt(same(r)['items_per_s_after_start'], '.1f')})")
    row("  / plain streamer", lambda r: _fmt(r["items_per_s_ratio"], ".2f"))
    whole = lambda r: r["product_whole"]  # noqa: E731
    row("fetch, whole export: ok / duplicates / failed", lambda r: f"{whole(r).get('ok')} / "
        f"{whole(r).get('duplicates')} / {whole(r).get('failed')}")
    row("fetch, whole export: wall (s), items/s", lambda r: f"{_fmt(whole(r)['wall_s'], '.1f')}, "
        f"{_fmt(whole(r)['items_per_s'], '.1f')}")
    row("fetch, whole export: peak RSS growth (MB)", lambda r: _mb(whole(r)["rss_growth_bytes"]))
    row("fetch, whole export: CPU (s)", lambda r: _fmt(whole(r)["cpu_s"], ".1f"))
    row("resume: done at the kill / fetched after", lambda r: f"{r['resume']['killed_after_done']} / "
        f"{r['resume']['fetched_in_second_run']} of {r['resume']['still_to_do']}")
    return _grid(["ingest", *results], [[label, *values] for label, values in rows])


def targets_table(rows: list[dict]) -> str:
    return _grid(["scenario", "target", "measured", "result"],
                 [[r["scenario"], r["target"], r["measured"], r["result"]] for r in rows])


def _grid(header: list[str], body: list[list[str]]) -> str:
    widths = [max(len(str(line[i])) for line in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "| " + " | ".join(str(cell).ljust(width) for cell, width in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(header), rule, *(line(cells) for cells in body)])
