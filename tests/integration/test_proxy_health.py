"""Proxy health against the offline world: a dead proxy costs a request nothing and is tried again only
when its bench runs out."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from data.config import PipelineSettings
from pipeline import Video
from pipeline.proxies import BENCH_FIRST, ProxyState
from tests.fakes.world import ProxyConfig, TikTokWorld
from tiktok_api import TikTokClient, parse_link

THREE_ONE_DEAD = {"refusing": ProxyConfig(mode="refuse"), "a": ProxyConfig(), "b": ProxyConfig()}


@pytest.fixture
async def client(world: TikTokWorld, trust_world) -> AsyncIterator[TikTokClient]:
    client = TikTokClient(PipelineSettings(_env_file=None, proxy_file=world.proxy_file, ssl_cert_file=world.ca_path))
    yield client
    await client.close()


async def extract(client: TikTokClient, url: str) -> Video:
    session = client.session()
    media = await client.extract(await client.resolve(parse_link(url), session), session)
    assert isinstance(media, Video)
    return media


@pytest.mark.parametrize("world_proxies", [THREE_ONE_DEAD])
async def test_a_post_failing_twice_gets_through_with_the_default_budget_and_a_dead_proxy(world, client) -> None:
    """The dead proxy is first in line: reaching it fails at once and costs no attempt, so the two 500s
    and the success fit in the default three."""
    post = world.tiktok.add_video("7312345678901234567")
    world.tiktok.fail_item(post.item_id, times=2, status=500)
    video = await extract(client, post.url)
    assert video.item.item_id == post.item_id
    assert len(world.proxies["refusing"].requests) == 1
    assert next(r.state for r in client.proxies.reports()) is ProxyState.BENCHED


@pytest.mark.parametrize("world_proxies", [THREE_ONE_DEAD])
async def test_three_hundred_requests_lose_nothing_and_try_the_dead_proxy_once_per_bench(world, client) -> None:
    posts = [world.tiktok.add_video(f"7312345678901{n:06d}") for n in range(300)]
    started = time.monotonic()
    videos = await asyncio.gather(*(extract(client, post.url) for post in posts))
    elapsed = time.monotonic() - started
    assert [v.item.item_id for v in videos] == [p.item_id for p in posts]
    # Once when it is first tried, then at most once more per bench that ran out during the run.
    assert 1 <= len(world.proxies["refusing"].requests) <= 1 + int(elapsed // BENCH_FIRST), elapsed
