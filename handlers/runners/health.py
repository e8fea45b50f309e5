"""Prometheus metrics on /metrics and a health check on /healthz, for bots and workers alike."""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncEngine

from data import ConfigError, ensure_reachable
from data.config import ObservabilitySettings

log = logging.getLogger("bot")


async def serve_metrics(settings: ObservabilitySettings, engine: AsyncEngine,
                        working: Callable[[], str | None]) -> web.AppRunner | None:
    """/healthz answers 200 while the process does its work (`working` names what is wrong, if anything)
    and the database answers, 503 otherwise. None without METRICS_PORT; the caller cleans the runner up."""
    if settings.metrics_port is None:
        return None

    async def metrics(_request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def healthz(_request: web.Request) -> web.Response:
        problems = [problem] if (problem := working()) else []
        try:
            await ensure_reachable(engine, timeout=3)
        except ConfigError:
            problems.append("database unreachable")
        return web.json_response({"status": "ok" if not problems else "unhealthy", "problems": problems},
                                 status=503 if problems else 200)

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, settings.metrics_host, settings.metrics_port).start()
    log.info("metrics and /healthz on %s:%s", settings.metrics_host, settings.metrics_port)
    return runner
