"""Failure reports: the user hears why, the ledger writes it down, an admin also gets the details."""

from __future__ import annotations

import pytest
from aiogram import Bot

from data import Platform, Repositories, Surface
from data.logs import RedactSecrets
from media_types.failures import FailureReporter
from media_types.job import DeliveryJob
from media_types.ledger import Ledger
from media_types.senders import Senders
from pipeline import ItemDeletedError, NetworkError

LINK = "https://www.tiktok.com/@scout/video/7312345678901234567"
USER, ADMIN, GROUP = 4242, 9001, -1001234
UPLOAD_LIMIT = 50 * 1024 * 1024


def t(key: str, **arguments: object) -> str:
    """A translator without i18n: the key, then its arguments."""
    return " ".join([key, *(f"{name}={value}" for name, value in sorted(arguments.items()))])


class Reporting:
    """The reporter wired as the factory wires it, minus i18n."""

    def __init__(self, bot: Bot, repositories: Repositories) -> None:
        self.senders = Senders(bot=bot, translate=lambda _language: t, storage_channel_id=None)
        self.reporter = FailureReporter(bot=bot, ledger=Ledger(repositories), translate=lambda _language: t,
                                        admin_ids=frozenset({ADMIN}), max_video_duration=600,
                                        upload_limit=UPLOAD_LIMIT, redact=RedactSecrets([bot.token]).redact)

    async def report(self, job: DeliveryJob, exc: Exception) -> None:
        await self.reporter.report(job, self.senders.for_job(job), exc)


@pytest.fixture
def reporting(bot: Bot, repositories: Repositories) -> Reporting:
    return Reporting(bot, repositories)


def private_job(user_id: int = USER) -> DeliveryJob:
    return DeliveryJob(Platform.TIKTOK, LINK, Surface.PRIVATE, "en", chat_id=user_id, user_id=user_id)


def extract_failure() -> ItemDeletedError:
    exc = ItemDeletedError("status 10216")
    exc.stage, exc.proxy, exc.attempts = "extract", "http://proxy.example:8080", 3
    return exc


async def test_a_private_chat_hears_the_localized_reason_and_it_is_written_down(
        reporting: Reporting, repositories: Repositories, telegram) -> None:
    await reporting.report(private_job(), extract_failure())

    [message] = telegram.calls_to("sendMessage")
    assert message.ok and message.params["chat_id"] == USER
    assert message.params["text"] == "error-deleted megabytes=50 minutes=10 platform=TikTok"
    assert (await repositories.stats.collect()).top_errors == [("deleted", 1)]


async def test_a_user_who_is_no_admin_gets_no_detail(reporting: Reporting, telegram) -> None:
    await reporting.report(private_job(), extract_failure())
    assert [call.params["text"].split()[0] for call in telegram.calls_to("sendMessage")] == ["error-deleted"]


async def test_an_admin_also_gets_the_details_privately(reporting: Reporting, repositories: Repositories,
                                                        telegram) -> None:
    job = private_job(ADMIN)
    await reporting.report(job, extract_failure())

    messages = telegram.calls_to("sendMessage")
    assert [call.params["chat_id"] for call in messages] == [ADMIN, ADMIN]
    [detail] = [call.params["text"] for call in messages if call.params["text"].startswith("admin-failure")]
    for shown in ("attempts=3", "error=ItemDeletedError: status 10216", f"link={LINK}",
                  "proxy=http://proxy.example:8080", f"request={job.request_id}", "stage=extract"):
        assert shown in detail
    assert any(call.params["text"].startswith("error-deleted") for call in messages)
    assert (await repositories.stats.collect()).top_errors == [("deleted", 1)]


async def test_the_admins_details_carry_no_secrets(reporting: Reporting, bot: Bot, telegram) -> None:
    exc = NetworkError(f"GET https://api.example/bot{bot.token}/x via http://bob:hunter2@proxy.example:8080")
    exc.proxy = "http://bob:hunter2@proxy.example:8080"
    await reporting.report(private_job(ADMIN), exc)

    [detail] = [call.params["text"] for call in telegram.calls_to("sendMessage")
                if call.params["text"].startswith("admin-failure")]
    assert "proxy=http://***@proxy.example:8080" in detail
    assert "hunter2" not in detail and bot.token not in detail


async def test_an_admins_request_in_a_group_brings_the_details_to_the_private_chat(
        reporting: Reporting, telegram) -> None:
    link_message = telegram.group_message(GROUP, ADMIN, LINK)["message"]
    job = DeliveryJob(Platform.TIKTOK, LINK, Surface.GROUP, "en", chat_id=GROUP, user_id=ADMIN,
                      reply_to=link_message["message_id"])
    await reporting.report(job, NetworkError("connection reset"))

    [detail] = telegram.calls_to("sendMessage")
    assert detail.params["chat_id"] == ADMIN and detail.params["text"].startswith("admin-failure")
    [reaction] = telegram.calls_to("setMessageReaction")  # the group itself only sees a reaction
    assert reaction.params["chat_id"] == GROUP and reaction.params["message_id"] == job.reply_to


async def test_an_unexpected_error_is_reported_as_such(reporting: Reporting, repositories: Repositories,
                                                       telegram) -> None:
    await reporting.report(private_job(), RuntimeError("a bug"))
    [message] = telegram.calls_to("sendMessage")
    assert message.params["text"] == "error-unexpected"
    assert (await repositories.stats.collect()).top_errors == [("unexpected", 1)]


async def test_failures_are_counted_per_reason(reporting: Reporting, repositories: Repositories) -> None:
    for exc in (extract_failure(), extract_failure(), NetworkError()):
        await reporting.report(private_job(), exc)
    assert (await repositories.stats.collect()).top_errors == [("deleted", 2), ("network", 1)]


async def test_a_blocked_user_is_still_written_down(reporting: Reporting, repositories: Repositories,
                                                    telegram) -> None:
    telegram.block_chat(USER)
    await reporting.report(private_job(), extract_failure())  # never raises for the user's sake
    assert (await repositories.stats.collect()).top_errors == [("deleted", 1)]
