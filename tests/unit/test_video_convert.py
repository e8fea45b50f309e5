"""Conversions on real files, read back with PyAV: the audio taken out (copied when it can be), H.265 made H.264,
files fitted under a limit, the hvc1 tag, and what probe reports."""

from __future__ import annotations

import pickle
from pathlib import Path

import av
import pytest

from media_types.video import (
    CannotFitError,
    EncodingError,
    NoAudioError,
    extract_audio,
    fit_video,
    probe,
    tag_hvc1,
    to_h264,
)
from media_types.video.convert import _frame_size_for
from tests.fakes.media import MEDIA_DIR, SAMPLE_HEIGHT, SAMPLE_SECONDS, SAMPLE_WIDTH, noise_video, remuxed, tone

H264, H265 = MEDIA_DIR / "h264.mp4", MEDIA_DIR / "h265.mp4"
SAMPLE_FRAME = 1 / 15  # the samples' frame rate


def _streams(path: Path) -> dict[str, tuple]:
    """(codec, codec tag, packets, bytes, seconds, width, height, pix_fmt) of each stream type."""
    found = {}
    with av.open(str(path)) as container:
        packets = {stream.index: [] for stream in container.streams}
        for packet in container.demux():
            if packet.size:
                packets[packet.stream.index].append(bytes(packet))
        for stream in container.streams:
            context = stream.codec_context
            found[stream.type] = (
                context.name, stream.codec_tag, len(packets[stream.index]), b"".join(packets[stream.index]),
                float(stream.duration * stream.time_base), getattr(context, "width", None),
                getattr(context, "height", None), getattr(context, "pix_fmt", None),
            )
    return found


def _leftovers(folder: Path, *expected: str) -> list[str]:
    return sorted({path.name for path in folder.iterdir()} - set(expected))


# --------------------------------------------------------------------------- extract_audio


def test_aac_audio_comes_out_bit_for_bit(tmp_path: Path) -> None:
    output = tmp_path / "sound.m4a"

    audio = extract_audio(H264, output)

    assert (audio.path, audio.codec, audio.reencoded) == (output, "aac", False)
    assert audio.duration == pytest.approx(SAMPLE_SECONDS, abs=0.05)
    streams = _streams(output)
    assert list(streams) == ["audio"]
    assert streams["audio"][3] == _streams(H264)["audio"][3]  # the very same packets
    assert _leftovers(tmp_path, "sound.m4a") == []


def test_other_audio_is_reencoded_to_aac(tmp_path: Path) -> None:
    source = tone(tmp_path / "song.mp3", 2.0, codec="libmp3lame")

    audio = extract_audio(source, tmp_path / "sound.m4a")

    assert (audio.codec, audio.reencoded) == ("aac", True)
    assert audio.duration == pytest.approx(2.0, abs=0.1)
    assert _streams(audio.path)["audio"][0] == "aac"


def test_a_video_without_audio_has_none_to_take_out(tmp_path: Path) -> None:
    silent = noise_video(tmp_path / "silent.mp4", 0.5, audio=False)

    with pytest.raises(NoAudioError):
        extract_audio(silent, tmp_path / "sound.m4a")
    assert _leftovers(tmp_path, "silent.mp4") == []


# --------------------------------------------------------------------------- to_h264


def test_h265_becomes_h264_of_the_same_size_and_length(tmp_path: Path) -> None:
    output = tmp_path / "video.mp4"

    result = to_h264(H265, output, max_bytes=5_000_000, progress=tmp_path / "progress")

    assert (result.path, result.width, result.height) == (output, SAMPLE_WIDTH, SAMPLE_HEIGHT)
    assert result.duration == pytest.approx(SAMPLE_SECONDS, abs=SAMPLE_FRAME)
    streams, source = _streams(output), _streams(H265)
    assert streams["video"][0] == "h264"
    assert streams["video"][7] == "yuv420p"
    assert streams["video"][2] == source["video"][2]  # every frame kept, none added
    assert streams["video"][4] == pytest.approx(source["video"][4], abs=SAMPLE_FRAME)
    assert streams["audio"][3] == source["audio"][3]  # AAC copied, not re-encoded
    assert (tmp_path / "progress").read_text() == "1.000"
    assert probe(output).codec == "h264"


def test_to_h264_steps_down_until_the_file_fits(tmp_path: Path) -> None:
    noisy = noise_video(tmp_path / "noisy.mp4", 2.0)
    first_try = to_h264(noisy, tmp_path / "roomy.mp4", max_bytes=50_000_000)

    result = to_h264(noisy, tmp_path / "tight.mp4", max_bytes=first_try.size // 3)

    assert result.size <= first_try.size // 3
    assert _streams(result.path)["video"][0] == "h264"
    assert result.duration == pytest.approx(2.0, abs=SAMPLE_FRAME)


# --------------------------------------------------------------------------- fit_video


def test_a_noisy_clip_is_fitted_under_a_small_limit(tmp_path: Path) -> None:
    noisy = noise_video(tmp_path / "noisy.mp4", 2.0)
    assert noisy.stat().st_size > 1_000_000

    result = fit_video(noisy, tmp_path / "small.mp4", max_bytes=150_000)

    assert result.size <= 150_000
    streams = _streams(result.path)
    assert (streams["video"][0], streams["audio"][0]) == ("h264", "aac")
    assert result.duration == pytest.approx(2.0, abs=SAMPLE_FRAME)
    assert streams["audio"][4] == pytest.approx(2.0, abs=SAMPLE_FRAME)


def test_too_few_bits_per_pixel_shrink_the_picture(tmp_path: Path) -> None:
    noisy = noise_video(tmp_path / "noisy.mp4", 2.0, width=480, height=848)

    result = fit_video(noisy, tmp_path / "small.mp4", max_bytes=70_000)

    assert result.size <= 70_000
    assert 240 <= result.width < 480
    assert result.width % 2 == 0 and result.height % 2 == 0
    assert result.height / result.width == pytest.approx(848 / 480, rel=0.02)


@pytest.mark.parametrize(
    ("bit_rate", "source", "size"),
    [
        (3_000_000, (1080, 1920), (1080, 1920)),  # 0.048 bits per pixel per frame at 30 fps: enough
        (1_000_000, (1080, 1920), (684, 1216)),  # 0.016: the sides shrink by sqrt(0.016 / 0.04)
        (50_000, (1080, 1920), (240, 426)),  # never under 240 px on the short side
        (10_000, (200, 356), (200, 356)),  # a source already under 240 px is never enlarged
    ],
)
def test_the_frame_shrinks_to_keep_enough_bits_per_pixel(bit_rate, source, size) -> None:
    assert _frame_size_for(bit_rate, *source, 30.0) == size


def test_an_impossible_limit_raises_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(CannotFitError):
        fit_video(H264, tmp_path / "small.mp4", max_bytes=5_000)
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- tag_hvc1


def test_hev1_is_retagged_hvc1_without_reencoding(tmp_path: Path) -> None:
    hev1 = remuxed(H265, tmp_path / "hev1.mp4", codec_tag="hev1")
    assert probe(hev1).codec_tag == "hev1"

    result = tag_hvc1(hev1, tmp_path / "hvc1.mp4")

    assert probe(result.path).codec_tag == "hvc1"
    before, after = _streams(hev1), _streams(result.path)
    assert after["video"][3] == before["video"][3]  # the same packets, bit for bit
    assert after["audio"][3] == before["audio"][3]
    assert (result.width, result.height) == (SAMPLE_WIDTH, SAMPLE_HEIGHT)


def test_only_h265_is_retagged(tmp_path: Path) -> None:
    with pytest.raises(EncodingError, match=r"not H\.265"):
        tag_hvc1(H264, tmp_path / "out.mp4")
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- probe and errors


def test_probe_reads_codecs_size_and_length() -> None:
    info = probe(H265)

    assert (info.codec, info.codec_tag, info.width, info.height) == ("hevc", "hvc1", SAMPLE_WIDTH, SAMPLE_HEIGHT)
    assert (info.has_audio, info.audio_codec) == (True, "aac")
    assert info.duration == pytest.approx(SAMPLE_SECONDS)


def test_probe_reports_the_displayed_size_of_a_rotated_video(tmp_path: Path) -> None:
    turned = remuxed(H264, tmp_path / "turned.mp4", rotation=90)

    assert (probe(turned).width, probe(turned).height) == (SAMPLE_HEIGHT, SAMPLE_WIDTH)


def test_a_rotated_video_stays_rotated_when_converted(tmp_path: Path) -> None:
    turned = remuxed(H265, tmp_path / "turned.mp4", rotation=90)

    result = to_h264(turned, tmp_path / "h264.mp4", max_bytes=5_000_000)

    info = probe(result.path)
    assert (info.codec, info.width, info.height) == ("h264", SAMPLE_HEIGHT, SAMPLE_WIDTH)
    assert (result.width, result.height) == (SAMPLE_HEIGHT, SAMPLE_WIDTH)  # as players show it


def test_unreadable_files_raise_encoding_errors(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 10)
    sound_only = tone(tmp_path / "sound.m4a", 0.5)

    for call in (lambda: probe(garbage), lambda: probe(sound_only), lambda: to_h264(garbage, tmp_path / "x.mp4",
                 max_bytes=1_000_000), lambda: extract_audio(garbage, tmp_path / "x.m4a")):
        with pytest.raises(EncodingError):
            call()
    assert _leftovers(tmp_path, "garbage.mp4", "sound.m4a") == []


@pytest.mark.parametrize("error", [EncodingError("bad"), NoAudioError("none"), CannotFitError("big")])
def test_errors_survive_the_trip_from_a_worker(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, as the process pool does
    assert (type(copy), str(copy)) == (type(error), str(error))
