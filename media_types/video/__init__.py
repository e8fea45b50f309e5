"""Video work for Telegram: slideshows of photo posts, H.265 made playable, audio taken out, files fitted
under a size limit.

Everything but `encoder` is plain synchronous code that runs in worker processes and imports only the
standard library, PyAV and Pillow; `VideoEncoder` runs it there from the event loop.
"""

from media_types.video.convert import ExtractedAudio, extract_audio, fit_video, tag_hvc1, to_h264
from media_types.video.encoder import VideoEncoder
from media_types.video.errors import CannotFitError, EncodingError, NoAudioError
from media_types.video.probe import RenderedVideo, VideoInfo, probe
from media_types.video.slideshow import SlideshowPlan, plan_slideshow, render_slideshow

__all__ = [
    "CannotFitError",
    "EncodingError",
    "ExtractedAudio",
    "NoAudioError",
    "RenderedVideo",
    "SlideshowPlan",
    "VideoEncoder",
    "VideoInfo",
    "extract_audio",
    "fit_video",
    "plan_slideshow",
    "probe",
    "render_slideshow",
    "tag_hvc1",
    "to_h264",
]
