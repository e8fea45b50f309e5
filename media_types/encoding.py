"""The encoder's refusals as the pipeline's errors, so the user's message comes from the one table
(media_types.texts) and `main.py fetch` reports them like any other failure. No aiogram here: the fetch
command uses this too."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from concurrent.futures import BrokenExecutor
from pathlib import Path

from media_types.video import CannotFitError, EncodingError, ExtractedAudio, NoAudioError, RenderedVideo, VideoEncoder
from pipeline import MediaError, NoSoundError, TooLargeError, UnsupportedError


@contextlib.contextmanager
def encoding_errors() -> Iterator[None]:
    try:
        yield
    except CannotFitError as exc:
        raise TooLargeError(str(exc)) from None
    except NoAudioError as exc:
        raise NoSoundError(str(exc)) from None
    except EncodingError as exc:
        raise UnsupportedError(f"cannot encode: {exc}") from None
    except BrokenExecutor as exc:  # a worker killed mid-encode (out of memory): the waiters of its flight hear it
        raise MediaError(f"the encoding worker died: {exc}") from None


class FetchEncoding:
    """What `main.py fetch --slideshow-video / --audio` asks of the encoder (pipeline.cli.Encoding)."""

    def __init__(self, encoder: VideoEncoder) -> None:
        self._encoder = encoder

    async def render_slideshow(self, pictures: Sequence[Path], sound: Path | None, output: Path, *,
                               max_bytes: int) -> RenderedVideo:
        with encoding_errors():
            return await self._encoder.render_slideshow(pictures, sound, output, max_bytes=max_bytes)

    async def extract_audio(self, video: Path, output: Path) -> ExtractedAudio:
        with encoding_errors():
            return await self._encoder.extract_audio(video, output)

    def close(self) -> None:
        self._encoder.close()
