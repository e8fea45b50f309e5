"""What `fetch` has finished in an output directory, so that a re-run after Ctrl-C or a crash does only the
rest. One JSON line per finished item, appended and flushed the moment its files are in place (a partial
download never counts: it is renamed into place first, then written down)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

STATE_FILE = ".fetch-state.jsonl"


class FetchState:
    def __init__(self, out: Path) -> None:
        self._path = out / STATE_FILE
        self._out = out
        self._done: dict[str, Path] = {}
        self._cut = False  # the last line was cut short by a crash: the next one starts on a line of its own
        if self._path.exists():
            text = self._path.read_text(encoding="utf-8", errors="replace")
            self._cut = bool(text) and not text.endswith("\n")
            for line in text.splitlines():
                self._apply(line)
        self._file: IO[str] | None = None

    def done(self, key: str) -> Path | None:
        """Where a finished item's files are, if they still are."""
        path = self._done.get(key)
        return path if path is not None and path.exists() else None

    def finished(self, key: str, path: Path) -> None:
        self._write({"key": key, "status": "ok", "path": str(path.relative_to(self._out))})
        self._done[key] = path

    def failed(self, key: str, detail: str) -> None:
        self._write({"key": key, "status": "failed", "detail": detail})

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write(self, entry: dict[str, Any]) -> None:
        if self._file is None:
            self._file = self._path.open("a", encoding="utf-8")
            if self._cut:
                self._file.write("\n")
        self._file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._file.flush()  # in the OS's hands: survives the process being killed

    def _apply(self, line: str) -> None:
        """An "ok" line names where the item is, inside OUT; anything else (a failure, a line cut short by a
        crash, a path leading out of OUT) makes no item done."""
        try:
            entry = json.loads(line)
        except ValueError:
            return
        if not isinstance(entry, dict) or entry.get("status") != "ok":
            return
        key, path = entry.get("key"), entry.get("path")
        if not isinstance(key, str) or not isinstance(path, str):
            return
        inside = Path(path)
        if not inside.is_absolute() and ".." not in inside.parts:
            self._done[key] = self._out / inside
