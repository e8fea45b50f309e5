"""Prometheus metrics, served on METRICS_PORT. Labels never carry a user id, a URL or a proxy password."""

from __future__ import annotations

from prometheus_client import Counter, Enum, Gauge, Histogram

DELIVERIES = Counter(
    "bot_deliveries_total", "Requests finished, by outcome (ok, cache_hit or the error reason).",
    ["platform", "kind", "surface", "outcome"],
)
STAGE_SECONDS = Histogram(
    "bot_stage_seconds", "Time of one pipeline stage attempt.", ["stage", "outcome"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
RETRIES = Counter("bot_stage_retries_total", "Stage attempts that failed and were retried.", ["stage"])
PROXY_FAILURES = Counter("bot_proxy_failures_total", "Failed attempts per proxy (host:port only).", ["proxy"])
CACHE_HITS = Counter("bot_media_cache_hits_total", "Items sent again by Telegram file id.", ["platform"])
QUEUE_DEPTH = Gauge("bot_queue_depth", "Delivery requests by state.", ["state"])
REJECTED = Counter("bot_requests_rejected_total", "Requests refused before any work.", ["reason"])
IN_DOUBT = Counter("bot_sends_in_doubt_total", "Sends repeated without knowing whether the first one arrived (its "
                   "connection broke before Telegram answered, or its process died meanwhile): the chat may have "
                   "it twice.")
TELEGRAM_WAITS = Counter("bot_telegram_retry_after_total", "429 answers from Telegram that were waited out.")
PROXY_STATE = Enum("bot_proxy_state", "Each proxy's health (host:port only).", ["proxy"],
                   states=["healthy", "rested", "benched", "probing"])
STAGE_BROKEN = Gauge("bot_stage_broken", "1 while one way of failing takes over a stage (admins were told).",
                     ["platform", "stage"])
