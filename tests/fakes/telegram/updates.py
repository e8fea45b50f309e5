"""Updates in and out: what users do (messages, commands, inline queries, button presses, membership
changes) queued as updates, and their delivery by getUpdates long polls or webhook POSTs."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import aiohttp

from tests.fakes.telegram.formatting import detect_entities
from tests.fakes.telegram.images import sample_jpeg
from tests.fakes.telegram.messages import BOT_USERNAME
from tests.fakes.telegram.records import utf16_len

HIDDEN_BY_DEFAULT = {"chat_member", "message_reaction", "message_reaction_count"}
# The users Telegram puts in `from` of a message sent on behalf of a chat (Message.sender_chat): an anonymous
# group admin, a user posting as a channel, and a linked channel's post forwarded into its discussion group.
ANONYMOUS_ADMIN, CHANNEL_BOT, TELEGRAM = 1087968824, 136817688, 777000
SERVICE_USERS = {
    ANONYMOUS_ADMIN: {"id": ANONYMOUS_ADMIN, "is_bot": True, "first_name": "Group", "username": "GroupAnonymousBot"},
    CHANNEL_BOT: {"id": CHANNEL_BOT, "is_bot": True, "first_name": "Channel", "username": "Channel_Bot"},
    TELEGRAM: {"id": TELEGRAM, "is_bot": False, "first_name": "Telegram"},
}


class UpdatesMixin:
    """FakeTelegram's update queue: injecting updates and serving them (its state is set up in
    FakeTelegram.__init__)."""

    # ----------------------------------------------------------------------- injecting updates

    def inject(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (assigning update_id if missing) and wake a waiting long poll."""
        with self._lock:
            update = {"update_id": self._next_update_id, **update}
            self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
            for value in update.values():
                if isinstance(value, dict) and "message_id" in value and "chat" in value:
                    self._messages[(value["chat"]["id"], value["message_id"])] = value
            self._updates.append(update)
        if self._loop is not None and self._update_arrived is not None:
            self._loop.call_soon_threadsafe(self._update_arrived.set)
        return update

    def private_message(self, user_id: int, text: str, *, entities: list[dict] | None = None,
                        language_code: str = "en", first_name: str = "Alice", username: str | None = None,
                        photo: bool = False, voice: bool = False,
                        reply_to: dict[str, Any] | None = None) -> dict[str, Any]:
        """A user writes to the bot in private; URLs, /commands and @mentions get entities unless given.
        `reply_to` is a message (e.g. an earlier injected one) this one replies to."""
        user = self._user(user_id, first_name, username, language_code)
        chat = {"id": user_id, "type": "private", "first_name": first_name}
        if username:
            chat["username"] = username
        message = self._user_message(chat, user, text, entities, photo=photo, voice=voice)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        return self.inject({"message": message})

    def group_message(self, chat_id: int, user_id: int, text: str, *, entities: list[dict] | None = None,
                      chat_type: str = "supergroup", title: str = "Group",
                      sender_chat: dict[str, Any] | None = None) -> dict[str, Any]:
        """A user writes in a group the bot is in. With `sender_chat` (a Chat: the group itself for an anonymous
        admin, else a channel) the message is sent on that chat's behalf, and user_id is the service user
        Telegram puts in `from` (ANONYMOUS_ADMIN, CHANNEL_BOT, or TELEGRAM for a linked channel's post)."""
        user = dict(SERVICE_USERS[user_id]) if user_id in SERVICE_USERS else self._user(user_id)
        chat = self._group(chat_id, chat_type, title)
        message = self._user_message(chat, user, text, entities)
        if sender_chat is not None:
            message["sender_chat"] = sender_chat
            if user_id == TELEGRAM:  # the channel's post, forwarded automatically into its discussion group
                with self._lock:
                    post_id = self._next_message_id(sender_chat["id"])
                message["is_automatic_forward"] = True
                message["forward_origin"] = {"type": "channel", "chat": sender_chat, "date": message["date"],
                                             "message_id": post_id}
        return self.inject({"message": message})

    def command(self, user_id: int, name: str, args: str = "", *, chat_id: int | None = None,
                mention: bool = False, **kwargs: Any) -> dict[str, Any]:
        """/name [args] with its bot_command entity; in a group when chat_id is given (kwargs go to the builder)."""
        command = f"/{name}" + (f"@{BOT_USERNAME}" if mention else "")
        text = f"{command} {args}" if args else command
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        if chat_id is None:
            return self.private_message(user_id, text, entities=entities, **kwargs)
        return self.group_message(chat_id, user_id, text, entities=entities, **kwargs)

    def inline_query(self, user_id: int, query: str, *, chat_type: str = "sender") -> dict[str, Any]:
        user = self._user(user_id)
        inline_query = {"id": str(next(self._ids)), "from": user, "query": query, "offset": "", "chat_type": chat_type}
        return self.inject({"inline_query": inline_query})

    def chosen_inline_result(self, user_id: int, result_id: str, query: str, *,
                             inline_message_id: str | None = None) -> dict[str, Any]:
        """The user picked an inline result; inline_message_id defaults to a fresh id the bot can edit."""
        result = {"result_id": result_id, "from": self._user(user_id), "query": query,
                  "inline_message_id": inline_message_id or f"inline-{next(self._ids)}"}
        return self.inject({"chosen_inline_result": result})

    def callback_query(self, user_id: int, data: str, *, message: dict[str, Any] | None = None,
                       inline_message_id: str | None = None) -> dict[str, Any]:
        """The user presses a button under `message` (a Message dict, e.g. call.result) or an inline message."""
        if (message is None) == (inline_message_id is None):
            raise ValueError("pass exactly one of message= or inline_message_id=")
        query = {"id": str(next(self._ids)), "from": self._user(user_id), "data": data}
        if message is not None:
            query |= {"message": message, "chat_instance": f"ci{message['chat']['id']}"}
        else:
            query |= {"inline_message_id": inline_message_id, "chat_instance": f"ci{inline_message_id}"}
        return self.inject({"callback_query": query})

    def my_chat_member(self, chat_id: int, user_id: int, *, old_status: str = "left", new_status: str = "member",
                       chat_type: str = "supergroup", title: str = "Group") -> dict[str, Any]:
        """The bot's own membership changed: added to a group by default; in a private chat
        (chat_id == user_id) new_status="kicked" means the user blocked the bot, and sends start failing."""
        user = self._user(user_id)
        if chat_id == user_id:
            chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
            (self.block_chat if new_status == "kicked" else self.unblock_chat)(chat_id)
        else:
            chat = self._group(chat_id, chat_type, title)
        bot = self._bot_user()
        return self.inject({"my_chat_member": {
            "chat": chat, "from": user, "date": int(time.time()),
            "old_chat_member": self._member(old_status, bot), "new_chat_member": self._member(new_status, bot),
        }})

    def _user(self, user_id: int, first_name: str = "Alice", username: str | None = None,
              language_code: str = "en") -> dict[str, Any]:
        user = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": language_code}
        if username:
            user["username"] = username
        with self._lock:
            self._users[user_id] = user
            self._chats.setdefault(user_id, {"id": user_id, "type": "private", "first_name": first_name})
        return user

    def _group(self, chat_id: int, chat_type: str, title: str) -> dict[str, Any]:
        with self._lock:
            self._chats[chat_id] = {"id": chat_id, "type": chat_type, "title": title}
            return self._chats[chat_id]

    def _user_message(self, chat: dict[str, Any], user: dict[str, Any], text: str, entities: list[dict] | None,
                      *, photo: bool = False, voice: bool = False) -> dict[str, Any]:
        entities = detect_entities(text) if entities is None else entities
        with self._lock:
            message = {"message_id": self._next_message_id(chat["id"]), "from": user, "chat": chat,
                       "date": int(time.time())}
            if photo:
                message["photo"] = self._issue_file("photo", sample_jpeg(), None, {}).media
            if voice:
                metadata = {"duration": 3, "mime_type": "audio/ogg"}
                message["voice"] = self._issue_file("voice", b"OggS" + bytes(60), None, metadata).media
        key = "caption" if photo or voice else "text"
        if text:
            message[key] = text
            if entities:
                message[f"{key}_entities" if key == "caption" else "entities"] = entities
        return message

    # ----------------------------------------------------------------------- delivering updates

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long poll: answer as soon as an update is pending or after `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(params.get("timeout", 0), 0)
        while True:
            self._update_arrived.clear()
            batch = self._take_updates(params)
            remaining = deadline - loop.time()
            if batch or self._closing or remaining <= 0:
                return batch
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._update_arrived.wait(), remaining)

    def _take_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Confirm updates below `offset`, drop types not allowed, return up to `limit` without removing them."""
        with self._lock:
            if "allowed_updates" in params:
                self._allowed_updates = params["allowed_updates"]
            offset = params.get("offset")
            if offset is not None and offset < 0:
                self._updates = self._updates[offset:]
            elif offset is not None:
                self._updates = [update for update in self._updates if update["update_id"] >= offset]
            self._updates = [update for update in self._updates if self._is_allowed(update)]
            return self._updates[: min(max(params.get("limit", 100), 1), 100)]

    def _is_allowed(self, update: dict[str, Any]) -> bool:
        kind = next(key for key in update if key != "update_id")
        return kind in self._allowed_updates if self._allowed_updates else kind not in HIDDEN_BY_DEFAULT

    def _delete_webhook(self, method: str, params: dict[str, Any], files: dict) -> bool:
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = None
        return True

    def _set_webhook(self, method: str, params: dict[str, Any], files: dict) -> bool:
        """From now on updates are POSTed to the URL (with the secret token header), retried until the bot
        answers 2xx, as Telegram does."""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        if "allowed_updates" in params:
            self._allowed_updates = params["allowed_updates"]
        self._webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._push_updates())
        self._update_arrived.set()
        return True

    def _get_webhook_info(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        info = {"url": self._webhook["url"] if self._webhook else "", "has_custom_certificate": False,
                "pending_update_count": len(self._updates)}
        if self._webhook and self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    async def _push_updates(self) -> None:
        """Webhook delivery: the oldest pending update first, at least once."""
        async with aiohttp.ClientSession() as http:
            while self._webhook is not None and not self._closing:
                with self._lock:
                    pending = [u for u in self._updates if self._is_allowed(u)]
                if not pending:
                    self._update_arrived.clear()
                    await self._update_arrived.wait()
                    continue
                update, webhook = pending[0], self._webhook
                secret = webhook["secret_token"]
                headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
                try:
                    async with http.post(webhook["url"], json=update, headers=headers,
                                         timeout=aiohttp.ClientTimeout(total=10)) as response:
                        status = response.status
                except (TimeoutError, aiohttp.ClientError):
                    status = 0
                with self._lock:
                    self.webhook_deliveries.append((update["update_id"], status))
                    if 200 <= status < 300:
                        self._updates = [u for u in self._updates if u is not update]
                if not 200 <= status < 300:
                    await asyncio.sleep(0.2)

    def redeliver(self, update: dict[str, Any]) -> None:
        """Telegram delivers at least once: the same update (same update_id) sent again."""
        with self._lock:
            self._updates.append(update)
        if self._loop is not None and self._update_arrived is not None:
            self._loop.call_soon_threadsafe(self._update_arrived.set)
