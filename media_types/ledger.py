"""Every finished request is counted (Prometheus) and written down (downloads and failures, for /stats)."""

from __future__ import annotations

from data import MediaKind, Repositories
from data.metrics import CACHE_HITS, DELIVERIES
from media_types.job import DeliveryJob


class Ledger:
    def __init__(self, repositories: Repositories) -> None:
        self._repositories = repositories

    async def delivered(self, job: DeliveryJob, item_id: str, kind: MediaKind, *, cache_hit: bool) -> None:
        DELIVERIES.labels(job.platform.value, kind.value, job.surface.value, "cache_hit" if cache_hit else "ok").inc()
        if cache_hit:
            CACHE_HITS.labels(job.platform.value).inc()
        await self._repositories.downloads.record(
            user_id=job.user_id, chat_id=job.chat_id, surface=job.surface, platform=job.platform,
            item_id=item_id, kind=kind, cache_hit=cache_hit,
        )

    async def failed(self, job: DeliveryJob, reason: str) -> None:
        kind = MediaKind.MUSIC.value if job.sound else "unknown"  # a failed request may never learn its kind
        DELIVERIES.labels(job.platform.value, kind, job.surface.value, reason).inc()
        await self._repositories.failures.record(
            user_id=job.user_id, chat_id=job.chat_id, surface=job.surface, platform=job.platform, reason=reason,
        )
