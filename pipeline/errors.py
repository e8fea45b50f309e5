"""Typed errors of the download pipeline. Permanent ones are never retried; each maps to one
localized message in media_types."""

from __future__ import annotations

from data.logs import redact_credentials


class MediaError(Exception):
    """Base of every pipeline error. `retryable` errors may succeed on another attempt or proxy."""

    retryable = False
    reason = "error"

    def __init__(self, message: str = "") -> None:
        # Library errors repeat the URLs they failed on, proxies' credentials included: never keep those.
        super().__init__(redact_credentials(message) if message else self.reason)
        # Where it happened, filled in by the stage that gave up (shown to admins, and in logs).
        self.stage: str | None = None
        self.proxy: str | None = None
        self.attempts = 0


# Permanent: the item itself cannot be delivered, whatever proxy or attempt.
class ItemDeletedError(MediaError):
    reason = "deleted"


class ItemUnderReviewError(MediaError):
    reason = "under_review"


class ItemPrivateError(MediaError):
    reason = "private"


class RegionBlockedError(MediaError):
    reason = "region"


class LoginRequiredError(MediaError):
    reason = "login_required"


class LoginWallError(LoginRequiredError):
    """A login page served instead of the post. Instagram does this to anonymous visitors it rate-limits,
    per IP, so another proxy may get through; when none does, it is reported as login required."""

    retryable = True


class ClassifiedContentError(MediaError):
    """Age-restricted ("may not be comfortable for some audiences"): needs a logged-in account."""

    reason = "classified"


class TooLongError(MediaError):
    reason = "too_long"


class TooLargeError(MediaError):
    reason = "too_large"


class InvalidLinkError(MediaError):
    reason = "invalid_link"


class UnsupportedError(MediaError):
    reason = "unsupported"


class NoSoundError(UnsupportedError):
    """The post has neither a sound of its own nor a video with an audio track."""

    reason = "no_sound"


# Transient: another attempt, usually through another proxy, may succeed.
class RateLimitedError(MediaError):
    retryable = True
    reason = "rate_limited"


class NetworkError(MediaError):
    retryable = True
    reason = "network"


class ConsumerBusyError(NetworkError):
    """Whoever a stream was handed to (an upload to Telegram) asked to wait, and waited: the stream goes
    again, without using up the stage's budget (the platform did nothing wrong)."""

    reason = "busy"


class ProxyUnreachableError(NetworkError):
    """The proxy itself could not be reached (refused, timed out, 407, its own 5xx): the platform was never
    asked. Another proxy is tried at once, without using up the stage's budget."""

    reason = "proxy"



def error_for(reason: str, message: str = "") -> MediaError:
    """The typed error a reason names (another process's failure, passed on by reason)."""
    kinds = {kind.reason: kind for kind in (
        ItemDeletedError, ItemUnderReviewError, ItemPrivateError, RegionBlockedError, LoginRequiredError,
        ClassifiedContentError, TooLongError, TooLargeError, InvalidLinkError, UnsupportedError, NoSoundError,
        RateLimitedError, NetworkError, ProxyUnreachableError,
    )}
    return kinds.get(reason, MediaError)(message or reason)
