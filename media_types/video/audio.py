"""AAC tracks made from any decoded audio: resampled to 44.1 kHz stereo, timed to the sample."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from fractions import Fraction
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.audio.stream import AudioStream
from av.container import OutputContainer

from media_types.video.errors import EncodingError, ffmpeg_errors_as

__all__ = ["AUDIO_RATE", "DEFAULT_AUDIO_BIT_RATE", "AacTrack", "looped_sound", "silence", "stated_samples"]

AUDIO_RATE = 44_100
AUDIO_LAYOUT = "stereo"
AUDIO_FORMAT = "fltp"  # what FFmpeg's AAC encoder takes
AAC_FRAME_SAMPLES = 1024
DEFAULT_AUDIO_BIT_RATE = 128_000


class AacTrack:
    """An AAC stream of `output`, fed decoded frames of any rate, layout and length.

    Frames pass through a FIFO so the encoder always gets whole 1024-sample frames with timestamps
    counted in samples (pts gaps and jumps in the input, such as a looped sound restarting, vanish).
    `start` shifts the track, in seconds, to keep it in step with a video that does not begin at zero;
    `length`, in samples, cuts it.
    """

    def __init__(
        self,
        output: OutputContainer,
        *,
        bit_rate: int = DEFAULT_AUDIO_BIT_RATE,
        start: float = 0.0,
        length: int | None = None,
    ) -> None:
        self._output = output
        self.stream: AudioStream = output.add_stream("aac", rate=AUDIO_RATE)
        self.stream.layout = AUDIO_LAYOUT
        self.stream.format = AUDIO_FORMAT
        self.stream.bit_rate = bit_rate
        self._resampler = av.AudioResampler(format=AUDIO_FORMAT, layout=AUDIO_LAYOUT, rate=AUDIO_RATE)
        self._fifo = av.AudioFifo()
        self._first_sample = round(start * AUDIO_RATE)
        self._length = length
        self.samples_received = 0
        self._samples_encoded = 0

    def add(self, frame: AudioFrame) -> None:
        """Queue a decoded frame and encode the whole AAC frames queued (none past `length`)."""
        frame.pts = None  # the FIFO checks continuity of the pts it is given; ours come from the sample count
        self._queue(self._resampler.resample(frame))
        while self._fifo.samples >= AAC_FRAME_SAMPLES and (
            self._length is None or self._samples_encoded + AAC_FRAME_SAMPLES <= self._length
        ):
            self._encode(AAC_FRAME_SAMPLES)

    def fill(self, frames: Iterator[AudioFrame], samples: int) -> None:
        """Take frames from `frames` until `samples` samples were received in all."""
        while self.samples_received < samples:
            self.add(next(frames))

    def finish(self) -> None:
        """Encode what is queued (up to `length`) and flush the encoder."""
        self._queue(self._resampler.resample(None))  # what the resampler still holds
        queued_end = self._samples_encoded + self._fifo.samples
        end = queued_end if self._length is None else min(queued_end, self._length)
        while (remaining := end - self._samples_encoded) > 0:
            self._encode(min(remaining, AAC_FRAME_SAMPLES))
        self._output.mux(self.stream.encode(None))

    def _queue(self, frames: list[AudioFrame]) -> None:
        for frame in frames:
            frame.pts = None
            self._fifo.write(frame)
            self.samples_received += frame.samples

    def _encode(self, samples: int) -> None:
        frame = self._fifo.read(samples)
        if frame is None:
            return
        frame.pts = self._first_sample + self._samples_encoded
        frame.time_base = Fraction(1, AUDIO_RATE)
        self._samples_encoded += frame.samples
        self._output.mux(self.stream.encode(frame))


def stated_samples(stream: AudioStream) -> int | None:
    """The stream's length in samples at AUDIO_RATE as its container states it, None when it does not.

    Decoders hand out whole codec frames, so a re-encoding cut to this is no longer than the original.
    """
    if stream.duration is None or stream.time_base is None:
        return None
    return round(stream.duration * stream.time_base * AUDIO_RATE)


def looped_sound(sound: Path) -> Generator[AudioFrame, None, None]:
    """The decoded frames of `sound`, from the start again each time it ends, for ever. Close it to
    close the file.

    Raises EncodingError when the file has no audio stream or decodes to nothing.
    """
    while True:
        produced = False
        with ffmpeg_errors_as(f"cannot decode the sound {sound.name}"), av.open(str(sound)) as container:
            if not container.streams.audio:
                raise EncodingError(f"the sound {sound.name} has no audio stream")
            for frame in container.decode(container.streams.audio[0]):
                produced = True
                yield frame
        if not produced:
            raise EncodingError(f"the sound {sound.name} decodes to no audio")


def silence() -> Generator[AudioFrame, None, None]:
    """Silent frames in the track's own format, for ever."""
    while True:
        frame = AudioFrame(format=AUDIO_FORMAT, layout=AUDIO_LAYOUT, samples=AAC_FRAME_SAMPLES)
        frame.sample_rate = AUDIO_RATE
        for plane in frame.planes:
            plane.update(bytes(plane.buffer_size))
        yield frame
