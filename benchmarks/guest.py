"""The guest scenario: "@bot <link>" in chats the bot is not a member of (handlers.guest), in the shaped world.

Each user sends guest queries for distinct new videos, one after the other (miss phase), then the same links
again (hit phase). Per query, from the guest message's arrival at the fake Telegram: `answer` is when Telegram
has the bot's answerGuestQuery (the caller sees a message in the chat), `media` when the video is in it: the
answer itself when it carried the cached video, else the editMessageMedia of its inline message."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from benchmarks.harness import Item, Library, Options, Session, _small_video, _stats
from benchmarks.scenarios import Scenario
from tests.fakes.telegram import Call, FakeTelegram
from tests.fakes.telegram.guests import GuestQuery

POLL = 0.005


@dataclass
class Asked:
    query: GuestQuery
    answer: Call | None = None
    media: Call | None = None
    error: str | None = None

    @property
    def answer_s(self) -> float | None:
        return None if self.answer is None else self.answer.done_at - self.query.asked_at

    @property
    def media_s(self) -> float | None:
        return None if self.media is None else self.media.done_at - self.query.asked_at


async def run(scenario: Scenario, options: Options, library: Library) -> dict:
    print(f"[bench] {scenario.name}: {scenario.description} ...", flush=True)
    async with Session([scenario], options, scenario.name) as session:
        publisher, telegram = session.publisher, session.telegram
        publisher.short_links = scenario.short_links
        users = session.users(scenario.users)
        plan = {user: [publisher.video(library.video, library.video_sha256) for _ in range(scenario.links)]
                for user in users}
        session.shape(scenario)
        warm = publisher.video(*_small_video())  # the placeholder picture is uploaded once per process
        warmed = await _ask(telegram, session.users(1)[0], warm, options.timeout)
        phases = {}
        for phase in ("miss", "hit"):
            asked = await asyncio.gather(*(_user(telegram, user, items, options.timeout)
                                           for user, items in plan.items()))
            phases[phase] = _summary([one for per_user in asked for one in per_user])
    errors = sum(phase["errors"] for phase in phases.values()) + (warmed.error is not None)
    print(f"[bench] {scenario.name}: answer p50 {phases['miss']['answer_s']['p50']} s (new), "
          f"{phases['hit']['answer_s']['p50']} s (cached)", flush=True)
    return {"kind": "guest", "description": scenario.description, "params": scenario.as_json(),
            "phases": phases, "errors": errors, "bot": session.bot_report()}


async def _user(telegram: FakeTelegram, user: int, items: list[Item], timeout: float) -> list[Asked]:
    return [await _ask(telegram, user, item, timeout) for item in items]


async def _ask(telegram: FakeTelegram, user: int, item: Item, timeout: float) -> Asked:
    asked = Asked(telegram.guest_message(user, item.url))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (asked.media is None and asked.error is None):
        _follow(telegram, asked)
        await asyncio.sleep(POLL)
    if asked.media is None and asked.error is None:
        asked.error = f"not shown within {timeout:g} s"
    return asked


def _follow(telegram: FakeTelegram, asked: Asked) -> None:
    query = asked.query
    if asked.answer is None:
        asked.answer = next((call for call in telegram.calls_to("answerGuestQuery")
                             if call.params["guest_query_id"] == query.query_id), None)
        if asked.answer is not None and not asked.answer.ok:
            asked.error = f"answerGuestQuery failed: {asked.answer.error}"
        elif asked.answer is not None and asked.answer.params["result"]["type"] == "video":
            asked.media = asked.answer  # the cached video, answered at once
        return
    for call in telegram.calls:
        if call.params.get("inline_message_id") == query.inline_message_id and call.at >= asked.answer.at:
            if call.method == "editMessageMedia" and call.ok:
                asked.media = call
            elif call.method == "editMessageCaption" and "⏳" not in str(call.params.get("caption")):
                asked.error = f"the bot answered instead: {str(call.params.get('caption'))[:120]!r}"


def _summary(asked: list[Asked]) -> dict:
    answers = [one.answer_s for one in asked if one.answer_s is not None]
    media = [one.media_s for one in asked if one.media_s is not None]
    return {"queries": len(asked), "answered": len(answers), "shown": len(media),
            "answered_with_the_video": sum(one.media is not None and one.media is one.answer for one in asked),
            "errors": sum(one.error is not None for one in asked),
            "error_samples": [one.error for one in asked if one.error][:3],
            "answer_s": _stats(answers), "media_s": _stats(media)}
