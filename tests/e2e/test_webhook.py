"""Webhook mode: Telegram POSTs updates to the bot; the secret is checked, a redelivered update is handled
once, and a second replica does not set the webhook again."""

from __future__ import annotations

import aiohttp

from tests.harness import eventually, free_port, running_bot

USER = 6001
SECRET = "hook-s3cret_token"


def webhook_settings(port: int) -> dict:
    return {"webhook_url": f"http://127.0.0.1:{port}/telegram/hook", "webhook_secret": SECRET,
            "webhook_host": "127.0.0.1", "webhook_port": port}


async def test_updates_arrive_by_webhook_and_repeats_are_handled_once(telegram, tmp_path) -> None:
    port = free_port()
    async with running_bot(telegram, tmp_path, **webhook_settings(port)):
        [hook] = await telegram.await_for("setWebhook", timeout=30)
        assert hook.params["url"] == f"http://127.0.0.1:{port}/telegram/hook"
        assert hook.params["secret_token"] == SECRET
        update = telegram.command(USER, "help")
        await telegram.await_for("sendMessage", timeout=30)
        telegram.redeliver(update)  # Telegram delivers at least once
        await eventually(lambda: sum(1 for update_id, _ in telegram.webhook_deliveries
                                     if update_id == update["update_id"]) >= 2, 30, "the update's second delivery")
        telegram.command(USER, "help")
        await telegram.await_for("sendMessage", count=2, timeout=30)
    assert len(telegram.calls_to("sendMessage")) == 2  # the repeat was dropped, the next update was not
    assert telegram.calls_to("getUpdates") == []


async def test_a_request_without_the_secret_is_refused(telegram, tmp_path) -> None:
    port = free_port()
    async with running_bot(telegram, tmp_path, **webhook_settings(port)):
        forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/help",
                                                 "chat": {"id": USER, "type": "private"},
                                                 "from": {"id": USER, "is_bot": False, "first_name": "M"},
                                                 "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(f"http://127.0.0.1:{port}/telegram/hook", json=forged,
                                     headers=headers) as response:
                    assert response.status == 401
    assert telegram.calls_to("sendMessage") == []


async def test_a_second_replica_leaves_the_webhook_alone(telegram, tmp_path) -> None:
    first, second = free_port(), free_port()
    async with running_bot(telegram, tmp_path, **webhook_settings(first)):
        await telegram.await_for("setWebhook", timeout=30)
        async with running_bot(telegram, tmp_path, **{**webhook_settings(first), "webhook_port": second}):
            await telegram.await_for("getWebhookInfo", count=2, timeout=30)
    assert len(telegram.calls_to("setWebhook")) == 1
