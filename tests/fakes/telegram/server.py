"""FakeTelegram itself: the HTTP server that reads, validates, dispatches and records every call, and the
controls tests use to wait for calls, shape the network, hold sends and script failures."""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakes.server import BackgroundServer
from tests.fakes.telegram.flood import FloodModel
from tests.fakes.telegram.guests import GuestQuery, GuestsMixin
from tests.fakes.telegram.messages import MessagesMixin
from tests.fakes.telegram.methods import SEND_MEDIA_METHODS, MethodsMixin
from tests.fakes.telegram.records import ApiError, Call, ScriptedCut, ScriptedFailure, StoredFile, UploadedFile
from tests.fakes.telegram.spec import load_spec
from tests.fakes.telegram.updates import UpdatesMixin
from tests.fakes.telegram.validation import MAX_PHOTO_BYTES, RequestValidator
from tests.fakes.telegram.wire import MAX_UPLOAD_BYTES, Pacer, decode_params, read_request

logger = logging.getLogger(__name__)
HELD_METHODS = {*SEND_MEDIA_METHODS, "sendMediaGroup"}
DEFAULT_DESCRIPTIONS = {
    400: "Bad Request", 401: "Unauthorized", 403: "Forbidden: bot was blocked by the user",
    404: "Not Found", 413: "Request Entity Too Large", 429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error", 502: "Bad Gateway",
}


class FakeTelegram(UpdatesMixin, GuestsMixin, MethodsMixin, MessagesMixin, BackgroundServer):
    """A Bot API server on 127.0.0.1 running in its own thread, usable from sync and async tests alike."""

    thread_name = "fake-telegram"

    def __init__(self, token: str = "123456:TEST-token", *, keep_uploads: bool = True) -> None:
        super().__init__()
        self.token = token
        # False: calls record each upload's size and SHA-256 only (photos keep their bytes while the call is
        # validated), stored videos and documents hold no bytes, so big uploads do not pile up in memory.
        self.keep_uploads = keep_uploads
        self._latency = 0.0
        self._upload_bandwidth: float | None = None
        self.bot_id = int(token.split(":", 1)[0])
        self._spec = load_spec()
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._calls: list[Call] = []
        self._polls_started = 0
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._allowed_updates: list[str] = []
        self._message_ids: dict[int, int] = {}
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chats: dict[int | str, dict[str, Any]] = {}
        self._users: dict[int, dict[str, Any]] = {}
        self._files: dict[str, StoredFile] = {}
        self._blocked: set[int] = set()
        self._members: dict[tuple[int, int], str] = {}
        self._commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._failures: list[ScriptedFailure] = []
        self._cuts: list[ScriptedCut] = []  # calls whose connection breaks before the answer (cut_next)
        self.guest_queries: dict[str, GuestQuery] = {}  # guest_message() asked, answerGuestQuery answered
        self.flood: FloodModel | None = None  # enforce_flood_limits() turns Telegram's limits on
        # Webhook mode: where updates are POSTed instead of being served to getUpdates.
        self._webhook: dict[str, Any] | None = None
        self._webhook_task: asyncio.Task | None = None
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status) of every POST
        # Holding media sends (to kill a bot process at a known point): the client ports of the calls held
        # now, and of those whose client was gone when they were let go (they are not executed).
        self._holding = False
        self._holding_answers = False  # hold after handling the send: Telegram has it, the answer waits
        self._held: list[int] = []
        self.abandoned_ports: list[int] = []
        self.unanswered: list[Call] = []  # sends handled whose sender went away before the answer
        self._handlers: dict[str, Callable[[str, dict[str, Any], dict[str, UploadedFile]], Any]] = {
            "getMe": lambda *_: self._bot_user(full=True),
            "deleteWebhook": self._delete_webhook,
            "setWebhook": self._set_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "sendMessage": self._send_message,
            **dict.fromkeys(SEND_MEDIA_METHODS, self._send_media),
            "sendMediaGroup": self._send_media_group,
            "copyMessage": self._copy_message,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "editMessageMedia": self._edit_message_media,
            "deleteMessage": self._delete_message,
            "getChat": self._get_chat,
            "getChatMember": self._get_chat_member,
            "getFile": self._get_file,
            "answerGuestQuery": self._answer_guest_query,
        }
        self._runner: web.AppRunner | None = None
        self._update_arrived: asyncio.Event | None = None
        self._closing = False

    # ----------------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://127.0.0.1:{self.port}"

    async def _open(self, sock: socket.socket) -> None:
        self._closing = False
        self._update_arrived = asyncio.Event()
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=2)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def _close(self) -> None:
        """Answer pending long polls and close connections."""
        self._closing = True
        self._update_arrived.set()
        await self._runner.cleanup()

    # ----------------------------------------------------------------------- HTTP

    async def _handle_api(self, request: web.Request) -> web.Response:
        held = self._holding and request.match_info["method"] in HELD_METHODS
        if held and not self._holding_answers and not await self._held_until_let_go(request):
            return web.Response(status=499)
        call = Call(method=request.match_info["method"], params={}, files={}, at=time.monotonic())
        with self._lock:
            latency, pacer = self._latency, Pacer(self._upload_bandwidth)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            raw, call.files = await read_request(request, pacer, None if self.keep_uploads else MAX_PHOTO_BYTES)
            call.params = raw
            method = self._spec.method(call.method)
            if method is None:
                raise ApiError(404, "Not Found")
            call.method = method
            if method == "getUpdates":
                if self._webhook is not None:
                    raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
                                         "use deleteWebhook to delete the webhook first")
                params = self._accept(call)
                with self._lock:
                    self._polls_started += 1
                result = await self._get_updates(params)
            else:
                cut = self._take_cut(method)
                if cut is not None and not cut.handled:
                    request.transport.abort()  # lost on the way: Telegram never saw it
                    return web.Response(status=499)
                with self._lock:
                    result = self._execute(method, self._accept(call), call.files)
                if cut is not None:
                    call.response, call.done_at = {"ok": True, "result": result}, time.monotonic()
                    with self._lock:
                        self._calls.append(call)
                    request.transport.abort()  # handled, but its answer never reaches the sender
                    return web.Response(status=499)
            call.response, status = {"ok": True, "result": result}, 200
        except ApiError as error:
            call.response, call.error, status = error.body(), error.description, error.code
        except Exception as error:  # a bug in the fake: answer like a Telegram outage and keep the trace
            logger.exception("FakeTelegram failed on %s", call.method)
            call.error, status = f"fake crashed: {error!r}", 500
            call.response = ApiError(500, "Internal Server Error").body()
        if latency and call.method.lower() != "getupdates":
            await asyncio.sleep(latency)
        if not self.keep_uploads:
            call.files = {name: dataclasses.replace(upload, data=b"") for name, upload in call.files.items()}
        call.done_at = time.monotonic()
        with self._lock:
            self._calls.append(call)
        if held and self._holding_answers and not await self._held_until_let_go(request):
            with self._lock:
                self.unanswered.append(call)  # Telegram has it; its sender never heard
            return web.Response(status=499)
        return web.json_response(call.response, status=status)

    def _accept(self, call: Call) -> dict[str, Any]:
        """Decode and validate a call, then apply blocked chats and scripted failures."""
        with self._lock:
            call.params = decode_params(self._spec, call.method, call.params, call.files)
            RequestValidator(self._spec, call.files, self._files.__contains__).check_method(call.method, call.params)
            self._raise_if_blocked(call.method, call.params)
            self._raise_scripted_failure(call.method, call.params)
            if self.flood is not None:
                self.flood.admit(call.method, call.params)
            return call.params

    def _execute(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        """Run the method's handler; others answer true, or a bare message where aiogram expects one."""
        if handler := self._handlers.get(method):
            return handler(method, params, files)
        if self._spec.returns[method][:1] == ["Message"] and "chat_id" in params:
            return self._new_message(params, {})
        return True

    async def _handle_file(self, request: web.Request) -> web.Response:
        with self._lock:
            stored = next((f for f in self._files.values() if f.file_path == request.match_info["file_path"]), None)
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=stored.data, content_type="application/octet-stream")

    def _raise_if_blocked(self, method: str, params: dict[str, Any]) -> None:
        if method.startswith(("send", "copy", "forward", "edit")) and params.get("chat_id") in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _raise_scripted_failure(self, method: str, params: dict[str, Any]) -> None:
        for failure in self._failures:
            if failure.method != method or failure.remaining == 0:
                continue
            if failure.predicate is None or failure.predicate(params):
                failure.remaining -= 1
                raise failure.error

    # ----------------------------------------------------------------------- recorded calls

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every call so far, oldest first."""
        with self._lock:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def sent_messages(self) -> list[Call]:
        """Successful calls that created messages (sendMessage, sendVideo, sendMediaGroup, ...)."""
        creating = {name for name, returns in self._spec.returns.items()
                    if name.startswith("send") and {"Message", "Array of Message"} & set(returns)}
        return [call for call in self.calls if call.ok and call.method in creating]

    def file_data(self, file_id: str) -> bytes | None:
        """The bytes of a file the fake issued `file_id` for (b"" when its upload was not kept)."""
        with self._lock:
            stored = self._files.get(file_id)
            return stored.data if stored is not None else None

    def reset_calls(self) -> None:
        with self._lock:
            self._calls.clear()

    def _matching(self, method: str, predicate: Callable[[Call], bool] | None) -> list[Call]:
        return [call for call in self.calls_to(method) if predicate is None or predicate(call)]

    def _timeout_report(self, method: str, count: int, timeout: float) -> str:
        recent = [call for call in self.calls if call.method != "getUpdates"][-15:]
        lines = [f"  {call.method} -> {call.error or 'ok'} {json.dumps(call.params, default=str)[:200]}"
                 for call in recent]
        return (f"expected {count} call(s) to {method} within {timeout}s, got {len(self._matching(method, None))};"
                " recent calls:\n" + ("\n".join(lines) or "  (none)"))

    def wait_for(self, method: str, count: int = 1, timeout: float = 10,
                 predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        """Block until `count` calls (valid or rejected) to `method` match `predicate`; returns all matches."""
        deadline = time.monotonic() + timeout
        while len(found := self._matching(method, predicate)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_report(method, count, timeout))
            time.sleep(0.01)
        return found

    async def await_for(self, method: str, count: int = 1, timeout: float = 10,
                        predicate: Callable[[Call], bool] | None = None) -> list[Call]:
        """wait_for for async tests: polls with asyncio.sleep so the caller's loop keeps running."""
        deadline = time.monotonic() + timeout
        while len(found := self._matching(method, predicate)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(self._timeout_report(method, count, timeout))
            await asyncio.sleep(0.01)
        return found

    @property
    def polls_started(self) -> int:
        """How many getUpdates requests bots have opened so far."""
        return self._polls_started

    async def await_polling(self, polls: int = 1, timeout: float = 30) -> None:
        """Wait until the bot has opened `polls` getUpdates requests (a long poll is recorded in
        `calls` only when it returns, which may be many seconds later)."""
        deadline = time.monotonic() + timeout
        while self._polls_started < polls:
            if time.monotonic() > deadline:
                raise AssertionError(f"the bot opened {self._polls_started} of {polls} long polls in {timeout} s")
            await asyncio.sleep(0.01)

    # ----------------------------------------------------------------------- network shaping

    def shape(self, *, latency: float = 0.0, bandwidth: float | None = None) -> None:
        """Add `latency` seconds before every answer (getUpdates excepted: an update reaches a waiting long
        poll at once) and read uploaded files at `bandwidth` bytes per second per connection (None or 0:
        unlimited). Nothing is shaped by default."""
        if latency < 0 or (bandwidth is not None and bandwidth < 0):
            raise ValueError("latency and bandwidth must not be negative")
        with self._lock:
            self._latency, self._upload_bandwidth = latency, bandwidth or None

    # ----------------------------------------------------------------------- holding media sends

    def hold_media_sends(self, *, answers: bool = False) -> None:
        """Media sends arriving from now on wait, unread, until let_go(): a test can then kill the process
        that sent one mid-upload, with none of that process's sends half done anywhere else. With `answers`,
        each send is handled first and only its answer waits: a process killed then dies while Telegram
        handles that very send (`unanswered` lists those sends)."""
        with self._lock:
            self._holding, self._holding_answers = True, answers

    def held_ports(self) -> list[int]:
        """The client (source) ports of the media sends held now."""
        with self._lock:
            return list(self._held)

    def let_go(self) -> None:
        with self._lock:
            self._holding = False

    async def _held_until_let_go(self, request: web.Request) -> bool:
        """False when the client went away while its call was held (the call is dropped, as Telegram
        would never have seen it)."""
        port = request.transport.get_extra_info("peername")[1]
        with self._lock:
            self._held.append(port)
        try:
            while self._holding and not self._closing:
                await asyncio.sleep(0.02)
        finally:
            with self._lock:
                self._held.remove(port)
        if request.transport is None or request.transport.is_closing():
            with self._lock:
                self.abandoned_ports.append(port)
            return False
        return True

    # ----------------------------------------------------------------------- scripting

    def enforce_flood_limits(self, **limits: tuple[int, float]) -> FloodModel:
        """From now on, answer sends over Telegram's flood limits with 429 (tests.fakes.telegram.flood)."""
        with self._lock:
            self.flood = FloodModel(**limits)
            return self.flood

    def fail_next(self, method: str, *, error_code: int = 429, description: str | None = None,
                  retry_after: int | None = None, times: int = 1,
                  predicate: Callable[[dict[str, Any]], bool] | None = None) -> None:
        """Answer the next `times` valid calls to `method` (whose params match `predicate`) with an error."""
        if error_code == 429 and retry_after is None:
            retry_after = 1
        text = description or DEFAULT_DESCRIPTIONS.get(error_code, "Error").format(retry_after=retry_after)
        with self._lock:
            self._failures.append(ScriptedFailure(method, ApiError(error_code, text, retry_after), times, predicate))

    def cut_next(self, method: str, *, handled: bool, times: int = 1) -> None:
        """Break the connection of the next `times` calls to `method` before answering: with `handled`, after
        Telegram carried the call out (the sender cannot know it arrived), else before it saw it."""
        with self._lock:
            self._cuts.append(ScriptedCut(method, handled, times))

    def _take_cut(self, method: str) -> ScriptedCut | None:
        with self._lock:
            cut = next((cut for cut in self._cuts if cut.method == method and cut.remaining > 0), None)
            if cut is not None:
                cut.remaining -= 1
            return cut

    def block_chat(self, chat_id: int) -> None:
        """Make sends to this chat fail like for a user who blocked the bot."""
        with self._lock:
            self._blocked.add(chat_id)

    def unblock_chat(self, chat_id: int) -> None:
        with self._lock:
            self._blocked.discard(chat_id)

    def set_chat_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Status getChatMember reports: creator, administrator, member, restricted, left or kicked."""
        self._spec.variant("ChatMember", status)
        with self._lock:
            self._members[(chat_id, user_id)] = status

    def forget_file_id(self, file_id: str) -> None:
        """Later sends by this file_id fail with "wrong file identifier", as for an expired id."""
        with self._lock:
            self._files.pop(file_id, None)

    def stored_file(self, file_id: str) -> StoredFile | None:
        with self._lock:
            return self._files.get(file_id)
