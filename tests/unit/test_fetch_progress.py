"""fetch's progress: a bar on a terminal with failures (and with -v every item) printed above it; a plain line
per item when the output goes to a file or a pipe."""

from __future__ import annotations

import io
import time

import pytest

from pipeline.cli import Progress, summary
from pipeline.fetcher import DUPLICATE, FAILED, OK, Outcome


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_bar_and_only_the_failures_above_it(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    progress = Progress(3, verbose=False)
    progress.report(Outcome("record 1", OK, "1", "video"), time.monotonic())
    progress.report(Outcome("record 2", FAILED, "2", "deleted: gone"), time.monotonic())
    progress.report(Outcome("record 3", DUPLICATE, "1"), time.monotonic())
    progress.close()
    bar, above = terminal.getvalue(), capsys.readouterr().out  # the bar on stderr, the lines above it on stdout
    assert "3/3" in bar and "100%" in bar  # the bar, finished
    assert above.splitlines() == [line for line in above.splitlines() if "record 2" in line]
    assert "[2/3] failed" in above and "deleted: gone" in above


def test_a_pipe_gets_one_line_per_item(capsys) -> None:
    progress = Progress(2, verbose=False)
    progress.report(Outcome("record 1", OK, "1", "video 0.2 MB by its URL"), time.monotonic())
    progress.report(Outcome("record 2", FAILED, "2", "deleted: gone"), time.monotonic())
    progress.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("[1/2] ok") and "by its URL" in lines[0]
    assert lines[1].startswith("[2/2] failed")


def test_the_summary_counts_and_explains() -> None:
    text = summary([Outcome("a", OK), Outcome("b", FAILED, detail="deleted: gone")], 3, ["record 9: no item id"],
                   stopped=4)
    assert "1 ok, 0 already there, 3 duplicates, 1 failed, 1 records skipped; stopped with 4 not done" in text
    assert "failed: b: deleted: gone" in text and "skipped: record 9: no item id" in text
