"""Operators hear when a platform breaks: when most extractions fail the same way, every admin gets one
message saying so, and one more when it works again."""

from __future__ import annotations

import pytest

from tests.harness import ADMIN, bot_in_world

FIRST_USER = 6000
pytestmark = pytest.mark.usefixtures("trust_world")


async def test_admins_hear_once_when_extraction_breaks_and_once_when_it_recovers(telegram, world, tmp_path):
    broken = [world.tiktok.add_video(f"73123456789012340{n:02d}") for n in range(6)]
    for post in broken:
        world.tiktok.fail_item(post.item_id, times=100, status=500)
    healthy = [world.tiktok.add_video(f"73123456789012341{n:02d}") for n in range(8)]

    def alerts(word: str) -> list[str]:
        return [c.params["text"] for c in telegram.calls_to("sendMessage")
                if c.params["chat_id"] == ADMIN and word in c.params["text"]]

    async with bot_in_world(telegram, world, tmp_path, stage_alert_window=6, stage_alert_ratio=0.5):
        for n, post in enumerate(broken):
            telegram.private_message(FIRST_USER + n, post.url)
        await telegram.await_for("sendMessage", timeout=60, predicate=lambda c: c.params["chat_id"] == ADMIN)
        for n, post in enumerate(healthy):
            telegram.private_message(FIRST_USER + 100 + n, post.url)
        await telegram.await_for("sendVideo", count=len(healthy), timeout=60)
        await telegram.await_for("sendMessage", count=2, timeout=30, predicate=lambda c: c.params["chat_id"] == ADMIN)
    [down] = alerts("is failing")
    assert "TikTok extract" in down and "HTTP #" in down and "of the last 6" in down
    assert len(alerts("works again")) == 1
