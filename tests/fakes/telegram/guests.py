"""Guest mode (Bot API 10.0): a user mentions the bot with a message in a chat the bot is not a member of;
Telegram sends a `guest_message` update carrying a `guest_query_id`, and the bot posts one answer into that
chat with answerGuestQuery (an InlineQueryResult; the answer is an inline message the bot can edit later).

The Bot API documents no deadline for the answer; the fake holds the bot to GUEST_ANSWER_DEADLINE, the 10 s it
documents for the other queries that wait on a bot (pre-checkout and join-request queries), and to one answer
per query: a late, repeated or unknown answer gets the error Telegram gives an expired query."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from tests.fakes.telegram.messages import BOT_USERNAME
from tests.fakes.telegram.records import bad_request

GUEST_ANSWER_DEADLINE = 10.0
EXPIRED = "query is too old and response timeout expired or query ID is invalid"


@dataclass
class GuestQuery:
    query_id: str
    message: dict[str, Any]
    asked_at: float  # time.monotonic()
    answer: dict[str, Any] | None = None  # the InlineQueryResult the bot answered with
    answered_at: float | None = None
    inline_message_id: str | None = None
    update: dict[str, Any] | None = None  # as injected: inject() it again for a repeat delivery


class GuestsMixin:
    """FakeTelegram's guest queries (its state, `guest_queries`, is set up in FakeTelegram.__init__)."""

    def guest_message(self, user_id: int, text: str, *, chat_id: int = -1009990001, chat_type: str = "supergroup",
                      title: str = "Somebody else's group", mention: bool = True,
                      language_code: str = "en") -> GuestQuery:
        """`user_id` writes "@bot `text`" in a chat the bot is not in (entities as Telegram detects them);
        returns the query, which records the bot's answer."""
        user = self._user(user_id, language_code=language_code)
        if chat_type == "private":
            chat = {"id": chat_id, "type": "private", "first_name": "Bob"}  # the other person, as the caller sees it
        else:
            chat = {"id": chat_id, "type": chat_type, "title": title}
        full = f"@{BOT_USERNAME} {text}" if mention else text
        message = self._user_message(chat, user, full, None)
        query = GuestQuery(query_id=f"guest-{next(self._ids)}", message=message, asked_at=time.monotonic())
        message["guest_query_id"] = query.query_id
        with self._lock:
            self.guest_queries[query.query_id] = query
        query.update = self.inject({"guest_message": message})
        return query

    def _answer_guest_query(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        query = self.guest_queries.get(params["guest_query_id"])
        now = time.monotonic()
        if query is None or query.answer is not None or now - query.asked_at > GUEST_ANSWER_DEADLINE:
            raise bad_request(EXPIRED)
        query.answer, query.answered_at = params["result"], now
        query.inline_message_id = f"guest-inline-{next(self._ids)}"
        return {"inline_message_id": query.inline_message_id}
