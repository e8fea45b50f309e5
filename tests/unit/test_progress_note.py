"""The progress note of a long piece of work: nothing for quick work, one message edited no faster than a chat
takes, removed at the end, and Telegram's refusals never fail the work."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import EditMessageText

from media_types.senders import progress
from media_types.senders.progress import EDIT_EVERY, NOTE_AFTER, ProgressNote


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Surface:
    """Records what the note asked of Telegram; can be told to refuse."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, Any]] = []
        self.removed: list[Any] = []
        self.refuse = False

    async def show(self, text: str, note: Any) -> Any:
        if self.refuse:
            raise TelegramBadRequest(EditMessageText(text=text), "message is not modified")
        self.shown.append((text, note))
        return note or "note-1"

    async def remove(self, note: Any) -> None:
        self.removed.append(note)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progress.time, "monotonic", clock)
    return clock


def note_on(surface: Surface, after: float = NOTE_AFTER) -> ProgressNote:
    return ProgressNote(lambda percent: f"{percent}%", surface.show, surface.remove, after=after)


async def test_quick_work_shows_nothing(clock: Clock) -> None:
    surface = Surface()
    note = note_on(surface)
    for fraction in (0.0, 0.5, 0.9):
        clock.now += NOTE_AFTER / 4
        await note.update(fraction)
    await note.remove()
    assert surface.shown == [] and surface.removed == []


async def test_long_work_shows_one_note_edited_at_a_chats_pace_then_removed(clock: Clock) -> None:
    surface = Surface()
    note = note_on(surface)
    clock.now += NOTE_AFTER
    await note.update(0.1)
    clock.now += EDIT_EVERY / 2
    await note.update(0.2)  # too soon after the last edit
    clock.now += EDIT_EVERY / 2
    await note.update(0.3)
    await note.update(0.3)
    clock.now += EDIT_EVERY
    await note.update(1.0)  # the media itself is 100 %
    await note.remove()
    assert surface.shown == [("10%", None), ("30%", "note-1"), ("99%", "note-1")]
    assert surface.removed == ["note-1"]


async def test_a_note_asked_at_once_shows_before_any_progress(clock: Clock) -> None:
    surface = Surface()
    await note_on(surface, after=0).update(0.0)
    assert surface.shown == [("0%", None)]


async def test_telegram_refusing_the_note_does_not_fail_the_work(clock: Clock) -> None:
    surface = Surface()
    surface.refuse = True
    note = note_on(surface, after=0)
    await note.update(0.5)
    await note.remove()
    assert surface.shown == [] and surface.removed == []
