"""`make demo` runs as a newcomer runs it (`python -m tests.demo`, what the Makefile target calls): the whole
scripted journey against the real bot process, the transcript's steps, and the files it wrote, compared with
the bytes the offline world served."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.fakes import media

ROOT = Path(__file__).resolve().parents[2]
STEPS = ["A TikTok video, by short link", "A TikTok slideshow", "The 🎵 button under the video",
         "The same video again", "An Instagram carousel", "A deleted post", "A link in a group",
         "Inline, in any chat", "As a guest, in a chat the bot is not in"]


def run_demo(out: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "tests.demo", "--out", str(out), *args], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=240, check=False)


def test_the_demo_plays_the_journey_and_writes_what_the_bot_sent(tmp_path) -> None:
    out = tmp_path / "demo-output"
    result = run_demo(out)
    transcript = result.stdout
    assert result.returncode == 0, transcript + result.stderr
    positions = [transcript.index(f"{number}. {title}") for number, title in enumerate(STEPS, start=1)]
    assert positions == sorted(positions)
    assert "by file id, from the cache: no download, no upload" in transcript  # the same video again
    assert "This post was deleted" in transcript
    assert "posted into the chat as a guest: video" in transcript
    assert "no answer within the time limit" not in transcript and "FAILED" not in transcript
    assert "the bot stopped cleanly" in transcript
    files = {path.name: path.read_bytes() for path in out.iterdir()}
    assert files["01-a-tiktok-video-by-1.mp4"] == media.sample("h264.mp4")  # as the CDN served it
    assert files["03-the-button-under-6.mp3"] == media.sample("sound.mp3")
    assert len([name for name in files if name.startswith("02-") and name.endswith(".jpeg")]) == 4
    assert len([name for name in files if name.startswith("05-")]) == 3
    assert "Traceback" not in files["bot.log"].decode()


def test_the_interactive_demo_answers_what_the_person_types(tmp_path) -> None:
    result = run_demo(tmp_path / "out", "--interactive",
                      stdin="https://www.instagram.com/reel/DemoReel01/\nhello bot\n\n")
    transcript = result.stdout
    assert result.returncode == 0, transcript + result.stderr
    assert "https://vm.tiktok.com/ZMdemo001/" in transcript  # links to try are printed
    assert "sent 🎬 video" in transcript and "uploaded" in transcript
    assert "Send me a link" in transcript
    assert "the bot stopped cleanly" in transcript
