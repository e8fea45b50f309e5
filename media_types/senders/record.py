"""What Telegram answered to each send of one delivery, written down the instant the answer arrives.

A delivery job runs at least once: when its worker dies, another takes it over and runs it again. Bot API
sends carry no idempotency key, so the new run cannot ask Telegram what already arrived; it reads this record
instead. Every send answered before the death is not repeated (its recorded answer stands in for it, file ids
and all); only the send Telegram was handling at that moment is "in doubt": it may have arrived or not, and is
sent again, counted and logged. That is the whole window for a duplicate."""

from __future__ import annotations

import json
import logging
from typing import Any

from aiogram.types import Message

from data import keys
from data.metrics import IN_DOUBT
from data.shared import SharedState

log = logging.getLogger(__name__)


class SendRecord:
    """The record of one job's sends, step by step (the order of its sends is the same on every run)."""

    def __init__(self, state: SharedState | None, request_id: str) -> None:
        self._state = state  # None: one process, no job is ever run again, nothing to record
        self._key = keys.sends(request_id)
        self._request_id = request_id
        self._answers: list[Any] = []
        self._in_flight: int | None = None
        self._read = False  # the earlier runs' record is read once, at the first send
        self._step = 0

    async def answer_of_next(self) -> Any:
        """The recorded answer (a Message, or a list of them) to the next send when an earlier run got it;
        else None, and the send is marked as in flight."""
        state = self._state
        if state is None:
            return None
        if not self._read:
            raw = await state.get(self._key)
            record = json.loads(raw) if raw else {}
            self._answers, self._in_flight, self._read = record.get("answers", []), record.get("in_flight"), True
        step = self._step
        if step < len(self._answers):
            self._step += 1
            log.info("request %s: send %d reached Telegram in an earlier run; not repeated", self._request_id, step)
            return _message_of(self._answers[step])
        if step == self._in_flight:
            IN_DOUBT.inc()
            log.warning("request %s: send %d was in flight when the earlier run's process died; sending it "
                        "again (at least once: the chat may get it twice)", self._request_id, step)
        await self._write(state, in_flight=step)
        return None

    async def answered(self, answer: object) -> None:
        """The answer to the send marked in flight: written before anything else happens."""
        if self._state is None:
            return
        self._answers.append(_plain(answer))
        self._step += 1
        await self._write(self._state, in_flight=None)

    async def forget(self) -> None:
        """The delivery is done (its done mark is written): no run will need the record."""
        if self._state is None or not self._read:
            return
        try:
            await self._state.delete(self._key)
        except Exception as exc:  # noqa: BLE001 - the delivery is done whatever happens here
            log.info("the send record of request %s stays until it expires: %s", self._request_id, exc)

    async def _write(self, state: SharedState, *, in_flight: int | None) -> None:
        record = {"answers": self._answers, "in_flight": in_flight}
        await state.put(self._key, json.dumps(record, separators=(",", ":")))


def _plain(answer: object) -> Any:
    if isinstance(answer, Message):
        return answer.model_dump(mode="json", exclude_none=True)
    if isinstance(answer, list):
        return [_plain(item) for item in answer]
    return answer


def _message_of(plain: Any) -> Any:
    if isinstance(plain, list):
        return [_message_of(item) for item in plain]
    return Message.model_validate(plain) if isinstance(plain, dict) else plain
