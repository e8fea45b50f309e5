"""A job run again after its process died repeats only the send Telegram was handling at that moment: every
answered send is taken from the record (file ids and all), the one in flight is sent again, counted and logged."""

from __future__ import annotations

import logging

from aiogram.types import BufferedInputFile

from data import MediaKind, Platform, Surface
from data.metrics import IN_DOUBT
from data.shared import create_state
from media_types.cache import CachedItem, FileKind
from media_types.job import DeliveryJob
from media_types.senders import ChatSender
from media_types.senders.record import SendRecord
from tests.unit.test_senders import jpeg, t

ITEM = "7312345678901234567"
LINK = f"https://www.tiktok.com/@scout/photo/{ITEM}"
USER = 4343
POST = CachedItem(kind=MediaKind.IMAGES, url=LINK, description="Twelve pictures", has_music=True)


def twelve_pictures() -> list:
    return [(FileKind.PHOTO, BufferedInputFile(jpeg(), f"{i}.jpg")) for i in range(12)]


def job_for(telegram) -> DeliveryJob:
    link_message = telegram.private_message(USER, LINK)["message"]
    return DeliveryJob(Platform.TIKTOK, LINK, Surface.PRIVATE, "en", chat_id=USER, user_id=USER,
                       reply_to=link_message["message_id"])


def in_doubt() -> float:
    return IN_DOUBT._value.get()


async def test_a_run_after_a_finished_one_sends_nothing_and_keeps_the_file_ids(bot, telegram) -> None:
    state, job = create_state(None), job_for(telegram)
    first = await ChatSender(bot, job, t, record=SendRecord(state, job.request_id)).gallery(ITEM, POST,
                                                                                           twelve_pictures())
    calls = len(telegram.calls)  # two albums of six and the buttons' message
    again = await ChatSender(bot, job, t, record=SendRecord(state, job.request_id)).gallery(ITEM, POST,
                                                                                           twelve_pictures())
    assert len(telegram.calls) == calls and again == first and len(first) == 12


async def test_only_the_send_in_flight_at_the_death_is_repeated_and_counted(bot, telegram, caplog) -> None:
    state, job = create_state(None), job_for(telegram)
    dying = SendRecord(state, job.request_id)
    sender = ChatSender(bot, job, t, record=dying)
    await sender._send(lambda reply: bot.send_message(USER, "first album, answered"))
    assert await dying.answer_of_next() is None  # the second send is on its way when the process dies
    before = in_doubt()

    with caplog.at_level(logging.INFO):
        taken_over = ChatSender(bot, job, t, record=SendRecord(state, job.request_id))
        first = await taken_over._send(lambda reply: bot.send_message(USER, "first album, again?"))
        second = await taken_over._send(lambda reply: bot.send_message(USER, "second album"))
        third = await taken_over._send(lambda reply: bot.send_message(USER, "the buttons"))

    texts = [call.params["text"] for call in telegram.calls_to("sendMessage")]
    assert texts == ["first album, answered", "second album", "the buttons"]
    assert first.text == "first album, answered"  # the recorded answer stands in for the send
    assert (second.text, third.text) == ("second album", "the buttons")
    assert in_doubt() == before + 1
    assert "send 1 was in flight when the earlier run's process died" in caplog.text


async def test_a_send_that_never_started_is_sent_without_doubt(bot, telegram) -> None:
    state, job = create_state(None), job_for(telegram)
    sender = ChatSender(bot, job, t, record=SendRecord(state, job.request_id))
    await sender._send(lambda reply: bot.send_message(USER, "answered"))  # the process dies right after
    before = in_doubt()
    taken_over = ChatSender(bot, job, t, record=SendRecord(state, job.request_id))
    await taken_over._send(lambda reply: bot.send_message(USER, "answered"))
    await taken_over._send(lambda reply: bot.send_message(USER, "next"))
    assert in_doubt() == before
    assert [call.params["text"] for call in telegram.calls_to("sendMessage")] == ["answered", "next"]


async def test_a_finished_delivery_forgets_its_record(bot, telegram) -> None:
    state, job = create_state(None), job_for(telegram)
    record = SendRecord(state, job.request_id)
    await ChatSender(bot, job, t, record=record)._send(lambda reply: bot.send_message(USER, "done"))
    await record.forget()
    await ChatSender(bot, job, t, record=SendRecord(state, job.request_id))._send(
        lambda reply: bot.send_message(USER, "done"))
    assert len(telegram.calls_to("sendMessage")) == 2  # a new run of the same request starts afresh
