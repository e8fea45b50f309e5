"""The chats, messages and files the fake remembers, and the Telegram objects it builds from them: shared by
injected updates and method answers."""

from __future__ import annotations

import mimetypes
import secrets
import time
from pathlib import Path
from typing import Any

from tests.fakes.telegram.formatting import render_text
from tests.fakes.telegram.images import image_size, thumbnail
from tests.fakes.telegram.records import StoredFile, UploadedFile, bad_request

BOT_USERNAME = "test_downloader_bot"
MEDIA_METADATA = ("width", "height", "duration", "length", "performer", "title")
NOT_FOUND_TO_EDIT = "message to edit not found"
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are exactly "
                "the same as a content and reply markup of the current message")


class MessagesMixin:
    """FakeTelegram's builders of bot users, chat members, chats, messages, files and edits (its state is set
    up in FakeTelegram.__init__)."""

    def _bot_user(self, full: bool = False) -> dict[str, Any]:
        user = {"id": self.bot_id, "is_bot": True, "first_name": "Test Downloader", "username": BOT_USERNAME}
        if full:
            user |= {"can_join_groups": True, "can_read_all_group_messages": False,
                     "supports_inline_queries": True, "can_connect_to_business": False, "has_main_web_app": False,
                     "supports_guest_queries": True}
        return user

    def _member(self, status: str, user: dict[str, Any]) -> dict[str, Any]:
        type_name = self._spec.variant("ChatMember", status)
        member = {"status": status, "user": user}
        if status == "administrator":
            member |= {name: True for name, spec in self._spec.fields(type_name).items()
                       if name.startswith("can_") and name != "can_be_edited" and spec.types == ("Boolean",)}
        return self._spec.with_defaults(type_name, member)

    def _chat(self, chat_id: int | str) -> dict[str, Any]:
        """The chat object for an id: one seen in updates, or a plausible private chat/supergroup/channel."""
        if chat_id not in self._chats:
            if isinstance(chat_id, str):
                chat = {"id": -1001000000000 - next(self._ids), "type": "channel", "title": chat_id,
                        "username": chat_id.lstrip("@")}
            elif chat_id > 0:
                chat = {"id": chat_id, "type": "private", "first_name": "User"}
            else:
                kind = "supergroup" if str(chat_id).startswith("-100") else "group"
                chat = {"id": chat_id, "type": kind, "title": "Group"}
            self._chats[chat_id] = chat
        return self._chats[chat_id]

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _new_message(self, params: dict[str, Any], content: dict[str, Any]) -> dict[str, Any]:
        """A message from the bot in params["chat_id"], echoing the inline keyboard and the replied message."""
        chat = self._chat(params["chat_id"])
        message = {"message_id": self._next_message_id(chat["id"]), "from": self._bot_user(), "chat": chat,
                   "date": int(time.time()), **content}
        reply_to = (params.get("reply_parameters") or {}).get("message_id", params.get("reply_to_message_id"))
        if replied := self._messages.get((chat["id"], reply_to)):
            message["reply_to_message"] = {key: value for key, value in replied.items() if key != "reply_to_message"}
        if markup := inline_markup(params):
            message["reply_markup"] = markup
        self._messages[(chat["id"], message["message_id"])] = message
        return message

    def _media_content(self, kind: str, source: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        """Message fields for a media item: the file (remembered or newly issued) and its caption."""
        reference = source["media" if "media" in source else kind]
        if reference in self._files:
            media = self._files[reference].media
        else:
            metadata = {key: source[key] for key in MEDIA_METADATA if key in source}
            if (thumbnail := source.get("thumbnail", "")).startswith("attach://"):
                metadata["thumbnail"] = self._resolve_file("thumbnail", thumbnail, files, {}).media[-1]
            media = self._resolve_file(kind, reference, files, metadata).media
        return {kind: media, **caption(source)}

    def _resolve_file(self, kind: str, reference: str, files: dict[str, UploadedFile],
                      metadata: dict[str, Any]) -> StoredFile:
        if reference.startswith("attach://"):
            upload = files[reference.removeprefix("attach://")]
            mime_type = mimetypes.guess_type(upload.filename)[0] or upload.content_type
            data = upload.data if self.keep_uploads or kind in ("photo", "thumbnail") else b""
            return self._issue_file(kind, data, upload.filename, metadata | {"mime_type": mime_type}, upload.size)
        return self._issue_file(kind, b"", reference.rsplit("/", 1)[-1] or None, metadata)

    def _issue_file(self, kind: str, data: bytes, file_name: str | None, metadata: dict[str, Any],
                    size: int | None = None) -> StoredFile:
        """Remember a new file and build the object messages show for it (a PhotoSize list for photos);
        `size` is the upload's size when `data` does not hold its bytes."""
        if kind in ("photo", "thumbnail"):
            return self._issue_photo(kind, data, file_name)
        stored = self._store(kind, data, file_name)
        if size is not None and size != len(data):
            stored.recorded_size = size
        type_name = "".join(part.title() for part in kind.split("_"))
        allowed = self._spec.fields(type_name)
        media = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        media |= {key: value for key, value in (metadata | {"file_name": file_name}).items()
                  if key in allowed and value is not None}
        if stored.size:
            media["file_size"] = stored.size
        stored.media = self._spec.with_defaults(type_name, media)
        return stored

    def _issue_photo(self, kind: str, data: bytes, file_name: str | None) -> StoredFile:
        width, height = image_size(data) or (0, 0)
        variants = [(data, width, height)]
        if preview := thumbnail(data):
            variants.insert(0, preview)
        stored = [self._store(kind, variant, file_name) for variant, _, _ in variants]
        sizes = [{"file_id": f.file_id, "file_unique_id": f.file_unique_id, "width": w, "height": h}
                 | ({"file_size": f.size} if f.size else {}) for f, (_, w, h) in zip(stored, variants, strict=False)]
        for item in stored:
            item.media = sizes
        return stored[-1]

    def _store(self, kind: str, data: bytes, file_name: str | None) -> StoredFile:
        number = next(self._ids)
        suffix = Path(file_name or "").suffix or (".jpg" if kind in ("photo", "thumbnail") else "")
        stored = StoredFile(f"FAKE-{kind}-{number}-{secrets.token_hex(4)}", f"U{number:06d}", kind, data,
                            f"{kind}s/file_{number}{suffix}", file_name)
        self._files[stored.file_id] = stored
        return stored

    def _find_message(self, params: dict[str, Any], not_found: str) -> dict[str, Any]:
        if "chat_id" not in params or "message_id" not in params:
            raise bad_request("message identifier is not specified")
        message = self._messages.get((self._chat(params["chat_id"])["id"], params["message_id"]))
        if message is None:
            raise bad_request(not_found)
        return message

    def _edit(self, params: dict[str, Any], changes: dict[str, Any], remove: tuple[str, ...] = ()) -> Any:
        """Apply an edit like Telegram: inline messages answer true, unchanged content is an error."""
        if params.get("inline_message_id"):
            return True
        message = self._find_message(params, NOT_FOUND_TO_EDIT)
        edited = {key: value for key, value in message.items() if key not in remove and key != "reply_markup"}
        edited |= {key: value for key, value in changes.items() if value}
        if markup := inline_markup(params):
            edited["reply_markup"] = markup
        if {**edited, "edit_date": None} == {**message, "edit_date": None}:
            raise bad_request(NOT_MODIFIED)
        edited["edit_date"] = int(time.time())
        self._messages[(message["chat"]["id"], message["message_id"])] = edited
        return edited


def caption(source: dict[str, Any]) -> dict[str, Any]:
    if not source.get("caption"):
        return {}
    text, entities = render_text(source["caption"], source.get("parse_mode"), source.get("caption_entities"))
    return {"caption": text, **({"caption_entities": entities} if entities else {})}


def inline_markup(params: dict[str, Any]) -> dict[str, Any] | None:
    """Telegram echoes only inline keyboards in the sent message."""
    markup = params.get("reply_markup")
    return markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
