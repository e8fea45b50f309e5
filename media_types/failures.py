"""A request that could not be delivered: the user hears why, in their language and the way the surface
allows; the failure is counted and written down; an admin's own request also gets the details (stage,
proxy, attempts, error) privately."""

from __future__ import annotations

import contextlib
import html
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError

from media_types.job import DeliveryJob
from media_types.ledger import Ledger
from media_types.senders import Sender
from media_types.texts import Translate, error_text
from pipeline import MediaError

log = logging.getLogger(__name__)


class FailureReporter:
    def __init__(self, *, bot: Bot, ledger: Ledger, translate: Callable[[str], Translate],
                 admin_ids: frozenset[int], max_video_duration: int, upload_limit: int,
                 redact: Callable[[str], str]) -> None:
        """`redact` scrubs secrets (the token, proxy and Redis passwords) from what an admin is sent."""
        self._bot = bot
        self._redact = redact
        self._ledger = ledger
        self._translate = translate
        self._admin_ids = admin_ids
        self._max_video_duration = max_video_duration
        self._upload_limit = upload_limit

    async def report(self, job: DeliveryJob, sender: Sender, exc: Exception) -> None:
        """Called with the exception that ended the request; never raises for the user's sake."""
        t = self._translate(job.language)
        if isinstance(exc, MediaError):
            log.info("request %s (%s) failed: %s: %s", job.request_id, job.link, exc.reason, exc)
            reason = exc.reason
            text = error_text(exc, t, platform=job.platform.value, max_duration=self._max_video_duration,
                              upload_limit=self._upload_limit)
        else:
            log.error("request %s (%s) failed unexpectedly", job.request_id, job.link, exc_info=exc)
            reason, text = "unexpected", t("error-unexpected")
        await self._ledger.failed(job, reason)
        await self._tell_admin(job, exc, t)
        await sender.report(text)

    async def _tell_admin(self, job: DeliveryJob, exc: Exception, t: Translate) -> None:
        if job.user_id is None or job.user_id not in self._admin_ids:
            return
        detail = t(
            "admin-failure", request=job.request_id, link=html.escape(job.link),
            stage=getattr(exc, "stage", None) or "-",
            proxy=html.escape(self._redact(getattr(exc, "proxy", None) or "-")),
            attempts=getattr(exc, "attempts", 0),
            error=html.escape(self._redact(f"{type(exc).__name__}: {exc}")[:1500]),
        )
        with contextlib.suppress(TelegramBadRequest, TelegramForbiddenError):
            await self._bot.send_message(job.user_id, detail)
