"""Every key of the shared state (data.shared) and how long it lives, written once. Callers ask for a key
here by what it means; nobody else spells a key.

Keys live under the "bot:" prefix in Redis. A key whose `ttl` is None is a lease: it lives while its holder
does (data.shared.SharedState.lease)."""

from __future__ import annotations

from dataclasses import dataclass

SEEN_UPDATE_TTL = 3600  # seconds an update id is remembered against Telegram delivering it again
HANDLING_UPDATE_TTL = 5  # seconds: taking an update (queueing its jobs) takes milliseconds; a dead taker lapses
WEBHOOK_SETTING_TTL = 60  # seconds one replica has to set the webhook before another may try
IN_FLIGHT_TTL = 1800  # seconds: a place a crashed process held in a chat's quota is free again after this
FLIGHT_FAILURE_TTL = 30  # seconds a fetch's failure is reported to the requests that waited for it
DELIVERED_TTL = 24 * 3600  # seconds a finished request is remembered, against a late repeat of its job
SENDS_TTL = 3600  # seconds a running delivery's sends are remembered, for a run that takes over its job
MEDIA_INDEX_TTL = 24 * 3600  # seconds recently used file ids stay indexed beside the database
FLOOD_WINDOW_TTL = 8 * 60.0  # the longest flood window asked about: a group's minute, stretched 8x after 429s
STAGE_ALARM_TTL = 24 * 3600  # seconds the admins' "it is broken" stands unless "it recovered" comes first


@dataclass(frozen=True, slots=True)
class Key:
    name: str
    ttl: float | None = None  # seconds; None for a lease

    @property
    def lifetime(self) -> float:
        """The ttl of a key that has one (every key but a lease)."""
        if self.ttl is None:
            raise ValueError(f"{self.name} is a lease: it has no fixed lifetime")
        return self.ttl


def seen_update(update_id: int) -> Key:
    """Set once the update is handled (its job queued): a repeat is dropped."""
    return Key(f"update:{update_id}", SEEN_UPDATE_TTL)


def handling_update(update_id: int) -> Key:
    """Claimed by the process handling the update; lapses soon if that process dies mid-handling."""
    return Key(f"update:{update_id}:handling", HANDLING_UPDATE_TTL)


def webhook_setting() -> Key:
    return Key("webhook-setting", WEBHOOK_SETTING_TTL)


def in_flight(owner: int) -> Key:
    """A chat's (or an inline user's) requests in flight: a counter."""
    return Key(f"inflight:{owner}", IN_FLIGHT_TTL)


def spam_hits(sender_id: int, window: float) -> Key:
    """A sender's links over the last `window` seconds."""
    return Key(f"spam:{sender_id}", window)


def mute(sender_id: int, seconds: float) -> Key:
    return Key(f"mute:{sender_id}", seconds)


def flight(platform: str, item_id: str, variant: str) -> Key:
    """Lease of the request that fetches and uploads this item's variant (single flight)."""
    return Key(f"flight:{platform}:{item_id}:{variant}")


def flight_failure(platform: str, item_id: str, variant: str) -> Key:
    """Why the last fetch of this variant failed, for the requests that waited for it."""
    return Key(f"flight:{platform}:{item_id}:{variant}:failed", FLIGHT_FAILURE_TTL)


def delivered(request_id: str) -> Key:
    """Set once the chat has what it asked for: a repeat of the job does nothing."""
    return Key(f"done:{request_id}", DELIVERED_TTL)


def sends(request_id: str) -> Key:
    """What Telegram answered to each send of a delivery so far, and which send is in flight
    (media_types.senders.record); gone once the delivery is done."""
    return Key(f"sends:{request_id}", SENDS_TTL)


def job(request_id: str) -> Key:
    """Lease of the worker running this delivery job."""
    return Key(f"job:{request_id}")


def broadcast(broadcast_id: int) -> Key:
    """Lease of the process running this broadcast."""
    return Key(f"broadcast:{broadcast_id}")


def flood_window(chat_id: int | str | None) -> Key:
    """The messages sent lately to a chat (None: to anyone), one entry per message (data.shared.take)."""
    return Key(f"flood:{'all' if chat_id is None else chat_id}", FLOOD_WINDOW_TTL)


def flood_hold(chat_id: int | str | None, seconds: float) -> Key:
    """Until when Telegram asked (429) to send nothing to a chat (None: to anyone)."""
    return Key(f"hold:{'all' if chat_id is None else chat_id}", seconds + 1)


def media_index(platform: str, item_id: str, variant: str) -> Key:
    """An item's file ids, recently used (the database holds them for good)."""
    return Key(f"media:{platform}:{item_id}:{variant}", MEDIA_INDEX_TTL)


def stage_alarm(platform: str, stage: str) -> Key:
    """Set while the admins know a platform's stage is broken (the first process to notice tells them)."""
    return Key(f"alarm:{platform}:{stage}", STAGE_ALARM_TTL)


def chat_line(owner: int) -> Key:
    """A chat's (or an inline user's) requests in flight, in the order they were sent."""
    return Key(f"line:{owner}", IN_FLIGHT_TTL)


def guest_answer(guest_query_id: str) -> Key:
    """The inline message a guest query was answered with: a repeat of its update submits again, never answers."""
    return Key(f"guest:{guest_query_id}", SEEN_UPDATE_TTL)
