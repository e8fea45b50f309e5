"""StageWatch: a stage is broken when one way of failing fills a share of its last outcomes, and recovered
when that way falls under half the share; each is said once."""

from __future__ import annotations

from data import Platform
from pipeline import NetworkError, RateLimitedError, StageAlarm, StageWatch

UNIVERSAL = NetworkError("Unable to extract universal data; item 7312345678901234567")


def watch(alarms: list[StageAlarm]) -> StageWatch:
    stage_watch = StageWatch(Platform.TIKTOK, window=40, ratio=0.5)
    stage_watch.on_change = alarms.append
    return stage_watch


def test_half_the_window_failing_one_way_is_broken_once_and_recovers_once() -> None:
    alarms: list[StageAlarm] = []
    extract = watch(alarms)
    for n in range(40):
        extract.record("extract", NetworkError(f"Unable to extract universal data; item {n}") if n >= 21 else None)
    assert alarms == []
    extract.record("extract", UNIVERSAL)  # 20 of the last 40: each item's id differs, the way is the same
    extract.record("extract", UNIVERSAL)
    assert [(a.broken, a.failures, a.window, a.stage) for a in alarms] == [(True, 20, 40, "extract")]
    assert alarms[0].way == "NetworkError: Unable to extract universal data; item #"
    for _ in range(35):
        extract.record("extract", None)
    assert [a.broken for a in alarms] == [True, False] and alarms[1].failures < 10


def test_failing_many_different_ways_is_not_one_breakage() -> None:
    alarms: list[StageAlarm] = []
    extract = watch(alarms)
    ways = (UNIVERSAL, RateLimitedError("HTTP 429"), NetworkError("HTTP 500 from www.tiktok.com"))
    for n in range(80):
        extract.record("extract", ways[n % 3])
    assert alarms == []


def test_stages_are_watched_apart_and_a_short_history_says_nothing() -> None:
    alarms: list[StageAlarm] = []
    stages = watch(alarms)
    for _ in range(39):
        stages.record("download", UNIVERSAL)
        stages.record("extract", None)
    assert alarms == []
    stages.record("download", UNIVERSAL)
    assert [(a.stage, a.broken) for a in alarms] == [("download", True)]
