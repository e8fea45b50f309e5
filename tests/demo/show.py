"""How the demo shows what the bot did: one readable line per Bot API call, and the files it sent saved under
the step's name."""

from __future__ import annotations

import html
import io
import re
from pathlib import Path
from typing import Any

import av
from PIL import Image

from tests.fakes.telegram import Call, FakeTelegram

QUIET = {"getUpdates", "sendChatAction", "getMe", "setMyCommands", "deleteWebhook", "answerCallbackQuery",
         "getChatMember", "getChat"}
EXTENSIONS = {"video": "mp4", "photo": "jpg", "audio": "mp3", "document": "bin", "animation": "mp4"}
KIND_ICONS = {"video": "🎬 video", "photo": "🖼 photo", "audio": "🎵 sound", "document": "📄 file"}


def plain(text: str, limit: int = 90) -> str:
    """Telegram HTML as a reader sees it, on one line."""
    flat = " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def size(data: bytes) -> str:
    return f"{len(data) / 1e6:.2f} MB" if len(data) >= 100_000 else f"{len(data) / 1e3:.0f} kB"


def looks(data: bytes, kind: str) -> str:
    """Resolution and duration of a picture, a video or a sound, read from its bytes."""
    try:
        if kind == "photo":
            with Image.open(io.BytesIO(data)) as image:
                return f"{image.width}x{image.height}"
        with av.open(io.BytesIO(data)) as container:
            seconds = f"{container.duration / av.time_base:.1f} s" if container.duration else "?"
            if container.streams.video:
                stream = container.streams.video[0].codec_context
                return f"{stream.width}x{stream.height} {stream.name} · {seconds}"
            return f"{container.streams.audio[0].codec_context.name} · {seconds}" if container.streams.audio \
                else seconds
    except (OSError, av.error.FFmpegError, IndexError):
        return "unreadable"


class Shower:
    """Describes calls and saves the media they carried."""

    def __init__(self, telegram: FakeTelegram, out: Path, storage: int) -> None:
        self._telegram = telegram
        self._out = out
        self._storage = storage
        self.saved: list[Path] = []

    def lines(self, call: Call, step: int, slug: str) -> list[str]:
        """What a call did, in a line or two; [] for the plumbing nobody needs to see."""
        if call.method in QUIET or (call.method == "answerCallbackQuery" and not call.params.get("url")):
            return []
        if not call.ok:
            return [f"{call.method} refused: {call.error}"]
        where = "into the storage channel " if call.params.get("chat_id") == self._storage else ""
        params = call.params
        if call.method in ("sendVideo", "sendPhoto", "sendAudio", "sendDocument"):
            kind = call.method.removeprefix("send").lower()
            line = f"sent {where}{self._media(call, kind, params[kind], step, slug)}"
            return [line, *self._text_lines(params.get("caption"), params)]
        if call.method == "sendMediaGroup":
            items = [self._media(call, item["type"], item["media"], step, slug) for item in params["media"]]
            return [f"sent {where}an album of {len(items)}:", *(f"  · {item}" for item in items),
                    *self._text_lines(params["media"][0].get("caption"), {})]
        if call.method in ("sendMessage", "editMessageText"):
            verb = "said" if call.method == "sendMessage" else "changed its message to"
            return [f"{verb}: “{plain(params['text'])}”", *self._buttons(params)]
        if call.method == "editMessageMedia":
            item = params["media"]
            return [f"turned the inline message into {self._media(call, item['type'], item['media'], step, slug)}"]
        if call.method == "editMessageCaption":
            return [f"wrote on the inline message: “{plain(params.get('caption', ''))}”"]
        if call.method == "answerInlineQuery":
            titles = ", ".join(f"“{r.get('title', r['type'])}”" for r in params["results"]) or "nothing"
            return [f"offered inline results: {titles}"]
        if call.method == "answerGuestQuery":
            result = params["result"]
            what = result.get("title") or result["type"]
            return [f"posted into the chat as a guest: {result['type']} “{what}”"]
        if call.method == "setMessageReaction":
            return [f"reacted {''.join(r.get('emoji', '') for r in params.get('reaction', []))}"]
        if call.method == "deleteMessage":
            return ["removed its progress note"]
        return [call.method]

    def _media(self, call: Call, kind: str, value: str, step: int, slug: str) -> str:
        upload = call.upload(value) or call.upload(kind)
        data = upload.data if upload is not None else self._telegram.file_data(value) or b""
        source = "uploaded" if upload is not None else "by file id, from the cache: no download, no upload"
        label = KIND_ICONS.get(kind, kind)
        if not data:
            return f"{label} ({source})"
        extension = Path(upload.filename).suffix.lstrip(".") if upload is not None and upload.filename else ""
        path = self._out / f"{step:02d}-{slug}-{len(self.saved) + 1}.{extension or EXTENSIONS.get(kind, 'bin')}"
        path.write_bytes(data)
        self.saved.append(path)
        return f"{label} {size(data)} · {looks(data, kind)} · {source} → {path.name}"

    @staticmethod
    def _text_lines(caption: str | None, params: dict[str, Any]) -> list[str]:
        lines = [f"  caption: “{plain(caption)}”"] if caption else []
        return lines + Shower._buttons(params)

    @staticmethod
    def _buttons(params: dict[str, Any]) -> list[str]:
        markup = params.get("reply_markup") or {}
        texts = [button["text"] for row in markup.get("inline_keyboard", []) for button in row]
        return [f"  buttons: {' '.join(f'[{text}]' for text in texts)}"] if texts else []
