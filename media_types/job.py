"""A delivery job: one item (or its sound) for one chat or one inline message, as plain data, so the same
job runs in the process that took the request or on a task-queue worker."""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from data import Platform, Surface
from media_types.cache import Variant
from pipeline import Platforms


class Form(StrEnum):
    """What the user asked for: the post (as the chat's settings say), its sound (🎵), or a slideshow as one
    video (🎬)."""

    POST = "post"
    SOUND = "sound"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class DeliveryJob:
    platform: Platform
    link: str
    surface: Surface
    language: str
    file_mode: bool = False
    chat_id: int | None = None
    user_id: int | None = None
    reply_to: int | None = None
    inline_message_id: str | None = None
    form: Form = Form.POST
    slideshow_video: bool = False  # the chat's setting: a slideshow arrives as one video, not as pictures
    position: float | None = None  # its place in its chat's order (from its message); None: when it arrives
    request_id: str = field(default_factory=lambda: secrets.token_hex(6))

    @property
    def variant(self) -> Variant:
        """Which of the item's cached forms this job sends."""
        if self.form is Form.SOUND:
            return Variant.MUSIC
        if self.form is Form.VIDEO or (self.slideshow_video and self.surface is not Surface.INLINE):
            return Variant.RENDERED
        return self.post_variant

    @property
    def post_variant(self) -> Variant:
        """The post as it is (no slideshow rendered): as media, or as files in file mode."""
        return Variant.DOCUMENTS if self.file_mode and self.surface is not Surface.INLINE else Variant.MEDIA

    @property
    def sound(self) -> bool:
        return self.form is Form.SOUND

    @property
    def owner(self) -> int:
        """Whose quota the request uses: its chat, or for inline requests the user."""
        owner = self.chat_id if self.chat_id is not None else self.user_id
        if owner is None:
            raise ValueError(f"request {self.request_id} has neither a chat nor a user")
        return owner

    def to_message(self) -> dict[str, Any]:
        """The job as a task queue carries it (JSON)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> DeliveryJob:
        fields = {**message, "platform": Platform(message["platform"]), "surface": Surface(message["surface"])}
        if "sound" in fields:  # queued by a version before forms (a rolling deploy): the music button's jobs
            fields["form"] = Form.SOUND if fields.pop("sound") else Form.POST
        return cls(**{**fields, "form": Form(fields.get("form", Form.POST))})


def position_of(message_id: int, index: int = 0) -> float:
    """A request's place in its chat's order: the message it came from (ids only grow within a chat, for the
    user's and the bot's messages alike), then its place among that message's links."""
    return message_id * 100 + min(index, 99)


def retry_token(job: DeliveryJob, platforms: Platforms) -> str | None:
    """What a "try again" button carries for this job: its link, asked again as the chat's settings say. None
    for a button's request (🎵, 🎬, 🖼): the button is still there to press again."""
    link = platforms.link(job.platform, job.link)
    return link.token if link is not None and job.form is Form.POST else None
