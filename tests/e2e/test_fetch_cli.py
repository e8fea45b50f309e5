"""`python main.py fetch` as a real process against the offline TikTok."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import av
import pytest

from tests.fakes import media
from tests.fakes.world import ProxyConfig, TikTokWorld

ROOT = Path(__file__).resolve().parents[2]
VIDEO, SLIDESHOW, DELETED = "7312345678901234501", "7312345678901234502", "7312345678901234503"


@pytest.fixture
def world():
    with TikTokWorld({"dead": "dead", "paid": ProxyConfig(username="buyer", password="pr0xy-pa55")}) as world:
        yield world


def fetch(world: TikTokWorld, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "fetch", *args],
        env={**os.environ, **world.env()}, capture_output=True, text=True, timeout=120,
    )


def test_a_file_of_links_is_fetched_once_and_a_second_run_downloads_nothing(world, tmp_path) -> None:
    video = world.tiktok.add_video(VIDEO)
    images = [media.jpeg(320, 480, (200, 30 * i, 30)) for i in range(3)]
    slideshow = world.tiktok.add_slideshow(SLIDESHOW, images=images)
    short = world.tiktok.add_short_link("ZMcli12345", video.url)
    reel = world.instagram.add_reel("ReelCli123")
    links = tmp_path / "links.txt"
    links.write_text(f"# my list\n{video.url}\n{short}\n{slideshow.url} {video.url}?utm=1\n{video.url}\n{reel.url}\n")
    out = tmp_path / "out"

    first = fetch(world, "--from", str(links), "--out", str(out), "--concurrency", "2")
    assert first.returncode == 0, first.stdout + first.stderr
    assert (out / f"{VIDEO}.mp4").read_bytes() == media.sample("h264.mp4")
    assert sorted(p.read_bytes() for p in (out / SLIDESHOW).glob("*.jp*g")) == sorted(images)
    assert (out / SLIDESHOW / "sound.mp3").read_bytes() == media.sample("sound.mp3")
    assert (out / "ReelCli123.mp4").read_bytes() == media.sample("h264.mp4")
    assert "3 ok, 0 already there, 2 duplicates, 0 failed" in first.stdout
    assert not list(out.glob(".partial-*"))
    cdn_after_first = len(world.tiktok.cdn_hits())

    world.tiktok.reset()
    world.instagram.reset()
    second = fetch(world, "--from", str(links), "--out", str(out))
    assert second.returncode == 0, second.stdout + second.stderr
    assert "0 ok, 3 already there, 2 duplicates, 0 failed" in second.stdout
    assert world.tiktok.cdn_hits() == [] and cdn_after_first == 1 + 3 + 1
    assert all("/video/" not in hit.path for hit in world.tiktok.requests)  # no page was fetched again
    assert world.instagram.requests == []


def test_verbose_single_link_shows_the_stages_and_failures_exit_non_zero(world, tmp_path) -> None:
    gone = world.tiktok.add_unavailable(DELETED, 10204)
    video = world.tiktok.add_video(VIDEO)
    result = fetch(world, "-v", video.url, gone, "https://evil.example/?tiktok.com", "--out", str(tmp_path))
    assert result.returncode == 1
    assert "1 ok, 0 already there, 0 duplicates, 2 failed" in result.stdout
    assert "deleted" in result.stdout and "invalid_link" in result.stdout
    for stage in ("resolve", "extract", "download"):
        assert f"{stage} " in result.stderr
    assert "cannot be reached" in result.stderr  # the dead proxy was passed over
    assert "pr0xy-pa55" not in result.stderr + result.stdout and "buyer" not in result.stderr
    assert (tmp_path / f"{VIDEO}.mp4").exists() and not (tmp_path / DELETED).exists()


def test_nothing_to_fetch_is_a_usage_error(world, tmp_path) -> None:
    result = fetch(world, "--out", str(tmp_path))
    assert result.returncode == 2 and "nothing to fetch" in result.stderr


def test_disk_trouble_with_one_item_fails_that_item_not_the_run(world, tmp_path) -> None:
    video = world.tiktok.add_video(VIDEO)
    slideshow = world.tiktok.add_slideshow(SLIDESHOW, images=[media.jpeg(320, 480, (9, 9, 9))] * 2)
    out = tmp_path / "out"
    out.mkdir()
    (out / f".partial-{VIDEO}").write_text("a file where the item's work directory should go")
    result = fetch(world, video.url, slideshow.url, "--out", str(out))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "1 ok, 0 already there, 0 duplicates, 1 failed" in result.stdout
    assert f"failed: {video.url}: disk: FileExistsError" in result.stdout
    assert len(list((out / SLIDESHOW).glob("*.jp*g"))) == 2


def test_verbose_ends_with_each_proxys_state_without_credentials(world, tmp_path) -> None:
    video = world.tiktok.add_video(VIDEO)
    result = fetch(world, "-v", video.url, "--out", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    proxies = result.stdout.split("proxies:")[1].splitlines()
    assert any("benched" in line and "1 unreachable" in line for line in proxies), proxies
    assert any("healthy" in line for line in proxies), proxies
    assert "pr0xy-pa55" not in result.stdout and "buyer" not in result.stdout


def test_slideshows_render_to_video_and_videos_give_their_sound(world, tmp_path) -> None:
    video = world.tiktok.add_video(VIDEO)
    images = [media.jpeg(320, 480, (200, 30 * i, 30)) for i in range(3)]
    slideshow = world.tiktok.add_slideshow(SLIDESHOW, images=images)
    silent = media.noise_video(tmp_path / "silent.mp4", 1, audio=False).read_bytes()
    carousel = world.instagram.add_carousel("CarCli1234", items=[("photo", None), ("video", None), ("video", silent)])
    out = tmp_path / "out"
    result = fetch(world, "--slideshow-video", "--audio", video.url, slideshow.url, carousel.url, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 ok, 0 already there, 0 duplicates, 0 failed" in result.stdout

    with av.open(str(out / SLIDESHOW / f"{SLIDESHOW}.mp4")) as rendered:
        assert [s.codec_context.name for s in rendered.streams] == ["h264", "aac"]
        assert (rendered.streams.video[0].width, rendered.streams.video[0].height) == (320, 480)
    assert (out / SLIDESHOW / "sound.mp3").exists()  # the original sound stays beside the pictures

    with av.open(str(out / f"{VIDEO}.m4a")) as sound:
        assert [s.codec_context.name for s in sound.streams] == ["aac"]
    clips = sorted((out / "CarCli1234").glob("*.mp4"))
    assert [clip.with_suffix(".m4a").exists() for clip in clips] == [True, False]  # the silent clip has none
    assert "(no sound)" in result.stdout
    assert not (out / "CarCli1234" / "CarCli1234.mp4").exists()  # clips among the pictures: no slideshow
