"""Which platforms the bot (and `main.py fetch`) serves: the one list a new platform joins."""

from __future__ import annotations

from data.config import PipelineSettings
from instagram_api import InstagramClient
from pipeline import Platforms
from tiktok_api import TikTokClient


def create_platforms(settings: PipelineSettings) -> Platforms:
    return Platforms((TikTokClient(settings), InstagramClient(settings)))
