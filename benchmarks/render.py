"""The render scenario: a photo post as one video (media_types.video.slideshow), three ways.

1. **Standalone**: `render_slideshow` in a fresh process (benchmarks.render_child), timed around the call, its
   peak RSS over the RSS right before the call; median of `runs`.
2. **Baseline**: the same plan (`plan_slideshow`'s frame size, seconds per picture and frame rate) rendered by
   the ffmpeg command line with the same codec settings, each picture a looped input (`-loop 1 -t S`), a concat
   filter, the sound looped and cut; median of `runs`, interleaved with the product's runs. Also, as a stricter
   reference, the same command decoding each picture once (the `loop` filter instead of a looped input).
3. **Responsiveness**: the real bot (`python main.py`); cache hits of a video from fresh chats, one at a time,
   first idle, then while users whose chats get slideshows as one video (/mode) each send a distinct slideshow
   with the sound, which the bot renders in its worker processes and sends with sendVideo.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import av

from benchmarks.harness import (
    ROOT,
    Item,
    Library,
    Options,
    Request,
    ScenarioRun,
    Session,
    _small_video,
    _stats,
    percentile,
)
from benchmarks.probe import machine_busy_seconds, own_cpu_seconds
from benchmarks.render_inputs import picture, sound_mp3
from benchmarks.scenarios import Scenario
from media_types.video.slideshow import SlideshowPlan, plan_slideshow
from tests.fakes.tiktok import Music

HIT_GAP = 0.1  # seconds between one cache hit's answer and the next hit: under the bot's 30 messages/s
MAX_HITS_DURING = 600
MAX_BYTES = 50 * 1024 * 1024  # Telegram's upload limit for bots, the product's default
CALL_TIMEOUT = 60.0


@dataclass(frozen=True)
class Inputs:
    pictures: list[Path]
    sound: Path
    sound_data: bytes


def make_inputs(directory: Path, scenario: Scenario, seed: int = 0) -> Inputs:
    directory.mkdir(parents=True, exist_ok=True)
    pictures = []
    for index in range(scenario.slideshow_images):
        path = directory / f"picture-{index:02d}.jpg"
        path.write_bytes(picture(index, scenario.picture_size, seed))
        pictures.append(path)
    sound = directory / "sound.mp3"
    data = sound_mp3(scenario.sound_seconds, seed)
    sound.write_bytes(data)
    return Inputs(pictures, sound, data)


# --------------------------------------------------------------------------- standalone: product and ffmpeg


def ffmpeg_binary() -> tuple[str, str]:
    """The FFmpeg of the imageio-ffmpeg dev dependency, and its version."""
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe(), imageio_ffmpeg.get_ffmpeg_version()


def baseline_command(ffmpeg: str, plan: SlideshowPlan, inputs: Inputs, output: Path, *,
                     decode_once: bool = False) -> list[str]:
    """ffmpeg rendering `plan` (a SlideshowPlan) as the product does: every picture letterboxed on black for
    `seconds_per_picture`, libx264 veryfast/stillimage CRF 23 yuv420p High BT.709 limited range, the sound
    looped and cut to the video, AAC 128 kb/s 44.1 kHz stereo, +faststart.

    By default each picture is a looped input (`-loop 1 -framerate FPS -t S`): ffmpeg decodes and scales it for
    every frame, as the usual command line does. `decode_once` reads each picture once and repeats the scaled
    frame with the `loop` filter, which is what the product does."""
    width, height, fps = plan.width, plan.height, plan.fps
    seconds, count = plan.seconds_per_picture, plan.pictures
    command = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    chains, labels = [], []
    for index, path in enumerate(inputs.pictures):
        if decode_once:
            command += ["-i", str(path)]
            frames = round((index + 1) * seconds * fps) - round(index * seconds * fps)
            repeat = f",loop=loop={frames - 1}:size=1:start=0,setpts=N/{fps}/TB"
        else:
            command += ["-loop", "1", "-framerate", str(fps), "-t", f"{seconds:g}", "-i", str(path)]
            repeat = ""
        chains.append(
            f"[{index}:v]scale={width}:{height}:force_original_aspect_ratio=decrease:out_color_matrix=bt709"
            f":out_range=tv,pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1,format=yuv420p{repeat}"
            f"[v{index}]"
        )
        labels.append(f"[v{index}]")
    command += ["-stream_loop", "-1", "-i", str(inputs.sound)]
    graph = ";".join([*chains, f"{''.join(labels)}concat=n={count}:v=1:a=0[v]"])
    command += [
        "-filter_complex", graph, "-map", "[v]", "-map", f"{count}:a:0", "-t", f"{plan.total_seconds:g}",
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage", "-crf", "23", "-pix_fmt", "yuv420p",
        "-profile:v", "high", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv", "-r", str(fps),
        "-c:a", "aac", "-b:a", "128k", "-ar", "44100", "-ac", "2",
        "-movflags", "+faststart", str(output),
    ]
    return command


def run_product(inputs: Inputs, output: Path) -> dict:
    """`render_slideshow` in a fresh `python -m benchmarks.render_child`; what the child measured."""
    spec = output.with_suffix(".json")
    spec.write_text(json.dumps({"pictures": [str(p) for p in inputs.pictures], "sound": str(inputs.sound),
                                "output": str(output), "max_bytes": MAX_BYTES}))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "benchmarks.render_child", str(spec)], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    process_wall = time.monotonic() - started
    if done.returncode != 0:
        return {"error": f"exit {done.returncode}: {done.stderr.strip()[-2000:]}"}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = round(process_wall, 4)
    return result


def run_ffmpeg(command: list[str], output: Path) -> dict:
    """The command, timed from start to exit; its peak RSS and CPU from wait4()."""
    with tempfile.TemporaryFile() as errors:
        started = time.monotonic()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            return {"error": f"exit {process.returncode}: {errors.read().decode(errors='replace')[-2000:]}"}
    return {"wall_s": round(wall, 4), "cpu_s": round(usage.ru_utime + usage.ru_stime, 4),
            "peak_rss_bytes": usage.ru_maxrss * 1024, "output": describe_video(output)}


def describe_video(path: Path) -> dict:
    """What PyAV reads from a rendered file."""
    with av.open(str(path)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        return {
            "width": video.codec_context.width, "height": video.codec_context.height,
            "duration_s": round(container.duration / av.time_base, 4),
            "video_frames": video.frames, "fps": float(video.average_rate) if video.average_rate else None,
            "video_s": round(float(video.duration * video.time_base), 4) if video.duration else None,
            "audio_s": round(float(audio.duration * audio.time_base), 4) if audio.duration else None,
            "audio_rate": audio.rate, "audio_channels": audio.codec_context.channels,
            "video_codec": video.codec_context.name, "profile": video.codec_context.profile,
            "pix_fmt": video.codec_context.pix_fmt, "audio_codec": audio.codec_context.name,
            "size_bytes": path.stat().st_size,
        }


def _median(runs: list[dict], key: str) -> float | None:
    values = [run[key] for run in runs if key in run]
    return round(statistics.median(values), 4) if values else None


def _summary(runs: list[dict]) -> dict:
    ok = [run for run in runs if "error" not in run]
    summary = {"runs": runs, "errors": len(runs) - len(ok)}
    for key in ("wall_s", "cpu_s", "peak_rss_bytes", "growth_bytes", "rss_before_bytes"):
        if any(key in run for run in ok):
            value = _median(ok, key)
            summary[key] = int(value) if key.endswith("_bytes") and value is not None else value
    summary["output"] = ok[-1]["output"] if ok else None
    return summary


def compare_outputs(product: dict | None, baseline: dict | None, fps: int) -> dict:
    """Both renders hold the same video: the same frame size, the same length within one frame."""
    if not product or not baseline:
        return {"same_frame_size": False, "duration_difference_s": None, "within_a_frame": False}
    frame = 1 / fps + 1e-6
    difference = abs(product["duration_s"] - baseline["duration_s"])
    video_difference = (abs(product["video_s"] - baseline["video_s"])
                        if product.get("video_s") is not None and baseline.get("video_s") is not None else None)
    return {
        "same_frame_size": (product["width"], product["height"]) == (baseline["width"], baseline["height"]),
        "duration_difference_s": round(difference, 4),
        "video_duration_difference_s": None if video_difference is None else round(video_difference, 4),
        "within_a_frame": difference <= frame and (video_difference is None or video_difference <= frame),
        "size_ratio": round(product["size_bytes"] / baseline["size_bytes"], 3) if baseline["size_bytes"] else None,
    }


def standalone(scenario: Scenario, inputs: Inputs, directory: Path) -> dict:
    """The product's render and the two ffmpeg command lines, `runs` times each, interleaved."""
    sizes = []
    for path in inputs.pictures:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            sizes.append((stream.codec_context.width, stream.codec_context.height))
    with av.open(str(inputs.sound)) as container:
        sound_seconds = container.duration / av.time_base
    plan = plan_slideshow(sizes, sound_seconds)
    ffmpeg, version = ffmpeg_binary()
    commands = {
        "ffmpeg": baseline_command(ffmpeg, plan, inputs, directory / "ffmpeg.mp4"),
        "ffmpeg_decode_once": baseline_command(ffmpeg, plan, inputs, directory / "ffmpeg_decode_once.mp4",
                                               decode_once=True),
    }
    runs: dict[str, list[dict]] = {"product": [], "ffmpeg": [], "ffmpeg_decode_once": []}
    machine_before, own_before, children_before = machine_busy_seconds(), own_cpu_seconds(), _children_cpu()
    for run in range(scenario.runs):
        print(f"[bench] render: standalone run {run + 1}/{scenario.runs}", file=sys.stderr, flush=True)
        product = run_product(inputs, directory / "product.mp4")
        if "output" in product:
            product["output"] = describe_video(directory / "product.mp4")
        runs["product"].append(product)
        for name, command in commands.items():
            runs[name].append(run_ffmpeg(command, Path(command[-1])))
    others = other_cpu(machine_before, machine_busy_seconds(),
                       own_cpu_seconds() - own_before + _children_cpu() - children_before)
    product, baseline, once = (_summary(runs[name]) for name in ("product", "ffmpeg", "ffmpeg_decode_once"))
    shown = {name: shlex.join(_relative(command, directory)) for name, command in commands.items()}
    return {
        "plan": {"width": plan.width, "height": plan.height, "seconds_per_picture": plan.seconds_per_picture,
                 "pictures": plan.pictures, "fps": plan.fps, "total_seconds": plan.total_seconds},
        "inputs": {"pictures": len(inputs.pictures), "picture_size": list(sizes[0]),
                   "picture_bytes": [path.stat().st_size for path in inputs.pictures],
                   "sound_bytes": len(inputs.sound_data), "sound_seconds": round(sound_seconds, 4),
                   "sound_format": "MP3 44.1 kHz stereo 128 kb/s"},
        "product": product,
        "ffmpeg": {**baseline, "binary": ffmpeg, "version": version, "command": shown["ffmpeg"]},
        "ffmpeg_decode_once": {**once, "command": shown["ffmpeg_decode_once"]},
        "pyav": {"version": av.__version__,
                 "libavcodec": ".".join(map(str, av.library_versions.get("libavcodec", ())))},
        "time_ratio": _ratio(product.get("wall_s"), baseline.get("wall_s")),
        "time_ratio_decode_once": _ratio(product.get("wall_s"), once.get("wall_s")),
        "outputs": compare_outputs(product["output"], baseline["output"], plan.fps),
        "other_processes_cores": others,
    }


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def other_cpu(before: tuple[float, float], after: tuple[float, float], accounted: float) -> float | None:
    """Cores busy on average with work that is not ours (`accounted`: CPU seconds of what we ran): other
    programs on the machine, which make figures noisy when far above 0."""
    cores = os.cpu_count() or 1
    wall = (after[1] - before[1]) / cores
    if wall <= 0:
        return None
    return round(max(after[0] - before[0] - accounted, 0.0) / wall, 3)


def _relative(command: list[str], directory: Path) -> list[str]:
    return ["ffmpeg", *(part.replace(f"{directory}/", "") for part in command[1:])]


def _ratio(value: float | None, base: float | None) -> float | None:
    return round(value / base, 3) if value is not None and base else None


# --------------------------------------------------------------------------- responsiveness: the real bot


class Responsiveness:
    """Cache hits answered by the bot while it renders: idle first, then during the renders."""

    def __init__(self, session: Session, scenario: Scenario, pictures: list[list[bytes]], sound: bytes) -> None:
        self.session = session
        self.scenario = scenario
        self.options: Options = session.options
        self._pictures = pictures
        self._sound = sound
        self._run = ScenarioRun(session, scenario, Library())

    async def run(self) -> dict:
        session, scenario = self.session, self.scenario
        publisher = session.publisher
        publisher.short_links = scenario.short_links
        session.shape(scenario)
        warm = {user: [publisher.video(*_small_video())] for user in session.users(self.options.warmup)}
        warmed = await self._run._phase("warmup", warm) if warm else None

        renderers = session.users(scenario.users)
        for user in renderers:
            await self._slideshows_as_video(user)
        cached = publisher.video(*_small_video())
        [first] = await self._run._user(session.users(1)[0], [cached], "prime")

        probe = session.probe
        idle_start = time.monotonic()
        await asyncio.sleep(self.options.idle_seconds)
        idle_rss = probe.median(idle_start, time.monotonic()) or 0
        idle_hits = [await self._hit(cached) for _ in range(scenario.hits)]

        music = Music(data=self._sound, duration=round(scenario.sound_seconds))
        items = {user: publisher.slideshow(pictures, music=music, rendered=True)
                 for user, pictures in zip(renderers, self._pictures, strict=True)}
        cpu_before, machine_before, own_before = probe.cpu_seconds(), machine_busy_seconds(), own_cpu_seconds()
        start = time.monotonic()
        renders = asyncio.ensure_future(asyncio.gather(*(self._run._user(user, [item], "render")
                                                         for user, item in items.items())))
        during: list[Request] = []
        while not renders.done() and len(during) < MAX_HITS_DURING:
            during.append(await self._hit(cached))
        rendered = [request for requests in await renders for request in requests]
        end = time.monotonic()
        cpu = probe.cpu_seconds() - cpu_before
        machine_after = machine_busy_seconds()
        own = own_cpu_seconds() - own_before

        window = self._window(rendered, start, end)
        in_window = [r for r in during if r.sent_at >= window[0] and r.done_at is not None and r.done_at <= window[1]]
        idle_p50 = _p50(idle_hits)
        during_p50 = _p50(in_window)
        elapsed = machine_after[1] - machine_before[1]
        return {
            "warmup": {key: warmed[key] for key in ("requests", "delivered", "errors")} if warmed else None,
            "video_workers": os.cpu_count(),  # the product's default (the harness passes no VIDEO_WORKERS)
            "prime": _requests_summary([first]),
            "idle_hits": _requests_summary(idle_hits),
            "renders": {**_requests_summary(rendered), **_render_details(rendered)},
            "hits_during_renders": {**_requests_summary(in_window), "sent": len(during),
                                    "errors_outside_window": sum(r.error is not None for r in during
                                                                 if r not in in_window)},
            "window_s": [round(window[0] - start, 4), round(window[1] - start, 4)],
            "hit_p50_idle_s": idle_p50,
            "hit_p50_during_s": during_p50,
            "hit_p50_ratio": _ratio(during_p50, idle_p50),
            "bot_idle_rss_bytes": idle_rss,
            "bot_peak_rss_bytes": probe.peak(start, end) or 0,
            "bot_rss_growth_bytes": (probe.peak(start, end) or 0) - idle_rss,
            "bot_cpu_s": round(cpu, 3),
            "harness_cpu_s": round(own, 3),
            "machine_cpu_busy": round((machine_after[0] - machine_before[0]) / elapsed, 3) if elapsed else None,
            "other_processes_cores": other_cpu(machine_before, machine_after, cpu + own),
        }

    def _window(self, rendered: list[Request], start: float, end: float) -> tuple[float, float]:
        """From the first sound download's end (the first render starts right after it) to the last render's
        sendVideo arriving (every render is done by then)."""
        paths = set().union(*(request.item.sound_paths for request in rendered))
        sounds = [h.done_at for h in self.session.tiktok.requests if h.path in paths and h.done_at is not None]
        sends = [call.at for request in rendered for call in request.calls if call.method in ("sendVideo",
                                                                                             "sendDocument")]
        return (min(sounds, default=start), max(sends, default=end))

    async def _hit(self, item: Item) -> Request:
        [request] = await self._run._user(self.session.users(1)[0], [item], "hit")
        if request.error is None and any(call.files for call in request.calls):
            request.error = "a cache hit uploaded a file"
        await asyncio.sleep(HIT_GAP)
        return request

    async def _slideshows_as_video(self, user: int) -> None:
        """/mode, then the "Slideshows as one video" button (callback data ssv:1), as a user does."""
        telegram = self.session.telegram

        def in_chat(method: str) -> object:
            return lambda call: call.method == method and call.params.get("chat_id") == user

        telegram.command(user, "mode")
        [menu] = await telegram.await_for("sendMessage", timeout=CALL_TIMEOUT, predicate=in_chat("sendMessage"))
        buttons = [button for row in menu.params["reply_markup"]["inline_keyboard"] for button in row]
        data = next(b["callback_data"] for b in buttons if str(b.get("callback_data", "")).startswith("ssv:"))
        telegram.callback_query(user, data, message=menu.result)
        await telegram.await_for("editMessageText", timeout=CALL_TIMEOUT, predicate=in_chat("editMessageText"))


def _p50(requests: list[Request]) -> float | None:
    value = percentile([r.latency for r in requests if r.error is None and r.latency is not None], 0.5)
    return None if value is None else round(value, 4)


def _requests_summary(requests: list[Request]) -> dict:
    delivered = [r for r in requests if r.error is None and r.done_at is not None]
    errors = [f"user {r.user} item {r.item.item_id}: {r.error}" for r in requests if r.error]
    return {"requests": len(requests), "delivered": len(delivered), "errors": len(errors),
            "error_details": errors[:20], "latency_s": _stats([r.latency for r in delivered])}


def _render_details(rendered: list[Request]) -> dict:
    videos = []
    for request in rendered:
        send = next((c for c in request.calls if c.method == "sendVideo" and c.files), None)
        if send is not None:
            upload = send.upload("video")
            videos.append({"width": send.params.get("width"), "height": send.params.get("height"),
                           "duration": send.params.get("duration"),
                           "upload_bytes": upload.size if upload is not None else None})
    return {"uploads": len(videos), "videos": videos}


# --------------------------------------------------------------------------- the scenario


async def run(scenario: Scenario, options: Options) -> dict:
    """Inputs, the standalone renders, then the bot's responsiveness in its own session."""
    print(f"[bench] {scenario.name}: {scenario.description} ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-render-") as temporary:
        directory = Path(temporary)
        inputs = make_inputs(directory / "inputs", scenario)
        result = await asyncio.to_thread(standalone, scenario, inputs, directory)
        # Every user's slideshow distinct: the standalone pictures for the first, new ones for the others.
        pictures = [[path.read_bytes() for path in inputs.pictures]]
        pictures += [[picture(index, scenario.picture_size, seed) for index in range(scenario.slideshow_images)]
                     for seed in range(1, scenario.users)]
    print(f"[bench] {scenario.name}: product {result['product'].get('wall_s')} s, ffmpeg "
          f"{result['ffmpeg'].get('wall_s')} s; the bot under renders ...", file=sys.stderr, flush=True)
    async with Session([scenario], options, scenario.name) as session:
        responsiveness = await Responsiveness(session, scenario, pictures, inputs.sound_data).run()
    bot = session.bot_report()
    errors = (result["product"]["errors"] + result["ffmpeg"]["errors"] + result["ffmpeg_decode_once"]["errors"]
              + sum(responsiveness[key]["errors"] for key in ("prime", "idle_hits", "renders", "hits_during_renders"))
              + responsiveness["hits_during_renders"]["errors_outside_window"])
    print(f"[bench] {scenario.name}: hit p50 idle {responsiveness['hit_p50_idle_s']} s, during renders "
          f"{responsiveness['hit_p50_during_s']} s", file=sys.stderr, flush=True)
    return {"kind": "render", "description": scenario.description, "params": scenario.as_json(), **result,
            "responsiveness": responsiveness, "errors": errors, "bot": bot}
