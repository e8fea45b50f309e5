"""`make bench` with tiny numbers, so the harness does not rot: the real bot process, a video and a slideshow
scenario, the render scenario, and a JSON with every field and sane values. No time is asserted: figures belong
to `make bench`."""

from __future__ import annotations

import json

from benchmarks.run import main

PHASE_FIELDS = {
    "requests", "delivered", "errors", "error_details", "wall_s", "deliveries_per_s", "latency_s", "peak_rss_bytes",
    "rss_growth_bytes", "cpu_s", "cpu_s_per_delivery", "harness_cpu_s", "harness_peak_rss_bytes", "machine_cpu_busy",
    "traffic", "timeline_s", "sizes",
}
TRAFFIC_FIELDS = {"page_requests", "page_bytes", "cdn_requests", "cdn_bytes", "telegram_calls", "telegram_uploads",
                  "telegram_upload_bytes"}
SCENARIO_FIELDS = {"description", "params", "memory", "warmup", "phases", "lower_bound", "p50_over_lower_bound",
                   "hit_p50_over_lower_bound", "bot"}
VIDEO_BYTES = 200_000


def test_bench_with_tiny_numbers_writes_every_figure(tmp_path, capsys) -> None:
    out = tmp_path / "bench.json"
    code = main([
        "--one-process", "--scenario", "latency", "--scenario", "slideshow",
        "--users", "2", "--links", "1", "--size-mb", str(VIDEO_BYTES / 1e6), "--slideshow-images", "3",
        "--latency-ms", "2", "--bandwidth-mb-s", "0", "--warmup", "1", "--idle-seconds", "0.3", "--timeout", "60",
        "--out", str(out),
    ])
    printed = capsys.readouterr().out
    assert code == 0, printed
    document = json.loads(out.read_text())

    top = {"format", "generated_at", "command", "machine", "options", "scenarios", "targets", "summary"}
    assert top <= document.keys()
    assert document["summary"]["errors"] == 0
    assert set(document["scenarios"]) == {"latency", "slideshow"}
    for name, scenario in document["scenarios"].items():
        assert scenario.keys() >= SCENARIO_FIELDS, name
        assert scenario["bot"]["exit_code"] == 0 and scenario["bot"]["tracebacks_in_log"] == 0, scenario["bot"]
        assert scenario["memory"]["idle_rss_bytes"] > 0 and scenario["memory"]["processes"]
        assert scenario["lower_bound"]["total_s"] > 0 and scenario["p50_over_lower_bound"] > 0
        for phase_name, phase in scenario["phases"].items():
            assert phase.keys() >= PHASE_FIELDS, (name, phase_name)
            assert phase["traffic"].keys() >= TRAFFIC_FIELDS
            assert (phase["requests"], phase["delivered"], phase["errors"]) == (2, 2, 0), phase["error_details"]
            latency = phase["latency_s"]
            assert 0 < latency["min"] <= latency["p50"] <= latency["p95"] <= latency["max"]
            assert phase["deliveries_per_s"] > 0 and phase["cpu_s_per_delivery"] >= 0 and phase["peak_rss_bytes"] > 0
        miss, hit = scenario["phases"]["miss"]["traffic"], scenario["phases"]["hit"]["traffic"]
        assert miss["page_requests"] >= 2 and miss["cdn_requests"] >= 2 and miss["telegram_uploads"] >= 2
        assert hit["cdn_requests"] == 0 and hit["telegram_upload_bytes"] == 0  # cache hits: no media traffic
    video = document["scenarios"]["latency"]["phases"]["miss"]
    assert video["traffic"]["telegram_upload_bytes"] >= 2 * VIDEO_BYTES
    assert video["sizes"]["video"] == VIDEO_BYTES
    assert document["scenarios"]["slideshow"]["phases"]["miss"]["traffic"]["cdn_requests"] == 2 * 3

    results = {row["result"] for row in document["targets"]}
    assert results <= {"PASS", "FAIL", "INFO"}
    for row in document["targets"]:
        if row["target"].startswith(("every request delivered", "cache hits: no media traffic")):
            assert row["result"] == "PASS", row
    assert "| scenario" in printed and "PASS" in printed  # the targets table


RENDER_FIELDS = {"kind", "description", "params", "plan", "inputs", "product", "ffmpeg", "ffmpeg_decode_once",
                 "time_ratio", "time_ratio_decode_once", "outputs", "responsiveness", "errors", "bot"}


def test_bench_render_with_tiny_numbers(tmp_path, capsys) -> None:
    """The render scenario with 3 small pictures and a 3 s sound: both renders, one in the bot, cache hits."""
    out = tmp_path / "bench.json"
    code = main([
        "--scenario", "render", "--users", "1", "--slideshow-images", "3", "--picture-size", "360x480",
        "--sound-seconds", "3", "--runs", "1", "--hits", "3", "--warmup", "1", "--idle-seconds", "0.3",
        "--timeout", "60", "--out", str(out),
    ])
    printed = capsys.readouterr().out
    assert code == 0, printed
    document = json.loads(out.read_text())
    assert document["summary"]["errors"] == 0
    render = document["scenarios"]["render"]
    assert render.keys() >= RENDER_FIELDS
    assert render["bot"]["exit_code"] == 0 and render["bot"]["tracebacks_in_log"] == 0, render["bot"]
    assert (render["plan"]["width"], render["plan"]["height"], render["plan"]["pictures"]) == (360, 480, 3)
    for name in ("product", "ffmpeg", "ffmpeg_decode_once"):
        assert render[name]["errors"] == 0, render[name]["runs"]
        assert render[name]["wall_s"] > 0 and render[name]["peak_rss_bytes"] > 0
        assert (render[name]["output"]["width"], render[name]["output"]["height"]) == (360, 480)
    assert render["product"]["growth_bytes"] > 0 and render["time_ratio"] > 0
    assert render["outputs"]["same_frame_size"] and render["outputs"]["within_a_frame"], render["outputs"]
    bot = render["responsiveness"]
    assert (bot["renders"]["requests"], bot["renders"]["uploads"], bot["renders"]["errors"]) == (1, 1, 0)
    assert bot["renders"]["videos"][0]["width"] == 360 and bot["renders"]["videos"][0]["upload_bytes"] > 0
    assert bot["idle_hits"]["delivered"] == 3 and bot["hit_p50_idle_s"] > 0
    rows = {row["target"]: row["result"] for row in document["targets"]}
    assert rows["every render and request delivered, no traceback"] == "PASS"
    assert rows["product and ffmpeg render the same video"] == "PASS"
    assert "| render" in printed and "cache hit p50" in printed


def test_bench_guest_with_tiny_numbers(tmp_path, capsys) -> None:
    """Guest queries for new videos, then for the same ones: each answered, each video shown, the cached ones
    answered with the video itself."""
    out = tmp_path / "bench.json"
    code = main(["--scenario", "guest", "--users", "2", "--links", "1", "--size-mb", str(VIDEO_BYTES / 1e6),
                 "--latency-ms", "2", "--bandwidth-mb-s", "0", "--timeout", "60", "--out", str(out)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    guest = json.loads(out.read_text())["scenarios"]["guest"]
    assert guest["errors"] == 0 and guest["bot"]["exit_code"] == 0 and guest["bot"]["tracebacks_in_log"] == 0
    miss, hit = guest["phases"]["miss"], guest["phases"]["hit"]
    assert (miss["queries"], miss["answered"], miss["shown"], miss["answered_with_the_video"]) == (2, 2, 2, 0)
    assert (hit["queries"], hit["answered"], hit["shown"], hit["answered_with_the_video"]) == (2, 2, 2, 2)
    for phase in (miss, hit):
        assert 0 < phase["answer_s"]["p50"] <= phase["media_s"]["p50"]
    assert "| guest" in printed and "guest answer p50, new / cached item" in printed


def test_bench_ingest_with_tiny_numbers(tmp_path, capsys) -> None:
    """A 40-record export through fetch and through the plain streamer, a kill halfway and a second run."""
    out = tmp_path / "bench.json"
    code = main(["--scenario", "ingest", "--records", "40", "--users", "4", "--latency-ms", "20",
                 "--bandwidth-mb-s", "0", "--out", str(out)])
    printed = capsys.readouterr().out
    ingest = json.loads(out.read_text())["scenarios"]["ingest"]
    assert code == 0, printed
    assert ingest["export"] == {"records": 40, "unique": 36, "dead": 2, "expired": ingest["export"]["expired"],
                                "valid_urls": 34 - ingest["export"]["expired"]}
    whole, resume = ingest["product_whole"], ingest["resume"]
    assert (whole["ok"], whole["duplicates"], whole["failed"], whole["tracebacks"]) == (34, 4, 2, 0)
    assert ingest["plain_streamer"]["ok"] == ingest["export"]["valid_urls"]
    assert resume["first_run"]["killed"] and resume["fetched_in_second_run"] == resume["still_to_do"]
    assert ingest["product_same_items"]["ok"] == ingest["export"]["valid_urls"]
    rows = {row["target"]: row["result"] for row in json.loads(out.read_text())["targets"]}
    assert rows["every fetchable item fetched once, the dead ones failed, no traceback"] == "PASS"
    assert rows["a run killed halfway, run again, fetches only the rest"] == "PASS"
    assert "| ingest" in printed
