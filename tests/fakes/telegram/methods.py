"""The Bot API methods the fake implements beyond validating and answering true: commands, sends, copies,
edits, deletions, chats, chat members and files."""

from __future__ import annotations

import json
from typing import Any

from tests.fakes.telegram.formatting import render_text
from tests.fakes.telegram.messages import NOT_FOUND_TO_EDIT, caption
from tests.fakes.telegram.records import UploadedFile, bad_request

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
SEND_MEDIA_METHODS = {
    "sendPhoto": "photo", "sendVideo": "video", "sendAudio": "audio", "sendDocument": "document",
    "sendAnimation": "animation", "sendVoice": "voice", "sendVideoNote": "video_note",
}


class MethodsMixin:
    """FakeTelegram's method handlers, each called as handler(method, params, files) under its lock."""

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.get("language_code", "")

    def _set_my_commands(self, method: str, params: dict[str, Any], files: dict) -> bool:
        self._commands[self._commands_key(params)] = params["commands"]
        return True

    def _get_my_commands(self, method: str, params: dict[str, Any], files: dict) -> list[dict[str, Any]]:
        return self._commands.get(self._commands_key(params), [])

    def _send_message(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        text, entities = render_text(params["text"], params.get("parse_mode"), params.get("entities"))
        return self._new_message(params, {"text": text, **({"entities": entities} if entities else {})})

    def _send_media(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> dict[str, Any]:
        return self._new_message(params, self._media_content(SEND_MEDIA_METHODS[method], params, files))

    def _send_media_group(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> list[dict]:
        contents = [self._media_content(item["type"], item, files) for item in params["media"]]
        group_id = str(next(self._ids))
        return [self._new_message(params, {**content, "media_group_id": group_id}) for content in contents]

    def _copy_message(self, method: str, params: dict[str, Any], files: dict) -> dict[str, int]:
        original = self._find_message({"chat_id": params["from_chat_id"], "message_id": params["message_id"]},
                                      "message to copy not found")
        envelope = ("message_id", "from", "chat", "date", "reply_markup", "reply_to_message", "edit_date")
        content = {key: value for key, value in original.items() if key not in envelope}
        if "caption" in params:
            content = {key: value for key, value in content.items() if key not in ("caption", "caption_entities")}
            content |= caption(params)
        return {"message_id": self._new_message(params, content)["message_id"]}

    def _edit_message_text(self, method: str, params: dict[str, Any], files: dict) -> Any:
        if not params.get("inline_message_id") and "text" not in self._find_message(params, NOT_FOUND_TO_EDIT):
            raise bad_request("there is no text in the message to edit")
        text, entities = render_text(params["text"], params.get("parse_mode"), params.get("entities"))
        return self._edit(params, {"text": text, "entities": entities}, remove=("entities",))

    def _edit_message_caption(self, method: str, params: dict[str, Any], files: dict) -> Any:
        return self._edit(params, caption(params), remove=("caption", "caption_entities"))

    def _edit_message_reply_markup(self, method: str, params: dict[str, Any], files: dict) -> Any:
        return self._edit(params, {})

    def _edit_message_media(self, method: str, params: dict[str, Any], files: dict[str, UploadedFile]) -> Any:
        if params.get("inline_message_id"):
            return True
        self._find_message(params, NOT_FOUND_TO_EDIT)
        content = self._media_content(params["media"]["type"], params["media"], files)
        return self._edit(params, content, remove=(*SEND_MEDIA_METHODS.values(), "caption", "caption_entities"))

    def _delete_message(self, method: str, params: dict[str, Any], files: dict) -> bool:
        message = self._find_message(params, "message to delete not found")
        del self._messages[(message["chat"]["id"], message["message_id"])]
        return True

    def _get_chat(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        chat = self._chat(params["chat_id"])
        return self._spec.with_defaults("ChatFullInfo", {**chat, "max_reaction_count": 11})

    def _get_chat_member(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        chat_id, user_id = self._chat(params["chat_id"])["id"], params["user_id"]
        user = self._bot_user() if user_id == self.bot_id else self._users.get(
            user_id, {"id": user_id, "is_bot": False, "first_name": "User"})
        return self._member(self._members.get((chat_id, user_id), "member"), user)

    def _get_file(self, method: str, params: dict[str, Any], files: dict) -> dict[str, Any]:
        stored = self._files.get(params["file_id"])
        if stored is None:
            raise bad_request("wrong file_id or the file is temporarily unavailable")
        if stored.size > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        return {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id,
                "file_size": stored.size, "file_path": stored.file_path}
