"""Settings: the one place the environment (and .env) is read.

Each concern is a small settings class (Telegram, storage, fairness, webhook, Redis, the pipeline,
logging); `Settings` is all of them at once for the bot and its workers, and `FetchSettings` what
`main.py fetch` needs. The variable names stay flat (operators know them); the grouping is inside, so a
function that needs the webhook takes `WebhookSettings`, not all thirty fields."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CLOUD_BOT_API = "https://api.telegram.org"
DEFAULT_DB_URL = "sqlite+aiosqlite:///bot.sqlite3"
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")

# Messages for pydantic error types that are clearer to an operator than pydantic's own wording.
_FRIENDLY = {
    "missing": "is required (set it in the environment or in .env)",
    "path_not_file": "file does not exist",
    "bool_parsing": "must be true or false",
    "int_parsing": "must be an integer",
}


class ConfigError(Exception):
    """Bad configuration: one line naming the variable, reported with exit code 2."""


class EnvSettings(BaseSettings):
    """Read from the environment and .env; empty variables count as unset."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", env_ignore_empty=True,
                                      extra="ignore")

    def secrets(self) -> list[str]:
        """Strings that must never reach a log line; each concern adds its own."""
        return []


class LoggingSettings(EnvSettings):
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class PipelineSettings(EnvSettings):
    """What the download pipeline needs: proxies, the three stages' budgets, limits, yt-dlp's cookies and
    the CA bundle every outbound HTTPS client trusts."""

    proxy_file: Path | None = None
    proxy_include_host: bool = False
    proxy_data_only: bool = False
    url_resolve_max_retries: int = Field(3, ge=1, le=20)
    video_info_max_retries: int = Field(3, ge=1, le=20)
    download_max_retries: int = Field(3, ge=1, le=20)
    max_video_duration: int = Field(0, ge=0, description="seconds; 0 means no limit")
    ytdlp_cookies: Path | None = None
    ssl_cert_file: Path | None = None
    stage_alert_window: int = Field(40, ge=5, le=10_000)  # the last outcomes of a stage that are watched
    stage_alert_ratio: float = Field(0.5, gt=0, le=1)  # the share failing one way that means "broken"

    # Read from PROXY_FILE at start-up; not an environment variable itself.
    _proxies: tuple[str, ...] = PrivateAttr(())

    @model_validator(mode="after")
    def _read_proxy_file(self) -> PipelineSettings:
        if self.proxy_file is not None:
            self._proxies = read_proxy_file(self.proxy_file)
        return self

    @property
    def proxies(self) -> tuple[str, ...]:
        """Proxy URLs from PROXY_FILE, in file order."""
        return self._proxies

    @field_validator("proxy_file", "ytdlp_cookies", "ssl_cert_file")
    @classmethod
    def _existing_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"file {str(value)!r} does not exist")
        return value

    def secrets(self) -> list[str]:
        passwords = [unquote(urlsplit(proxy).password or "") for proxy in self.proxies]
        return [*filter(None, passwords), *super().secrets()]


class MediaSettings(EnvSettings):
    """Encoding (slideshows rendered, videos converted or compressed): in a process pool of its own."""

    video_workers: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1, le=64)
    convert_max_duration: int = Field(180, ge=0, le=3600)  # seconds a video may last to be transcoded or compressed


class FetchSettings(PipelineSettings, MediaSettings, LoggingSettings):
    """`main.py fetch`: the pipeline without Telegram."""


class TelegramSettings(EnvSettings):
    bot_token: SecretStr
    tg_server: str = CLOUD_BOT_API
    tg_server_local: bool = False
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    storage_channel_id: int | None = None
    telegram_max_wait: float = Field(900.0, ge=0, le=86400)  # seconds of 429s a delivery waits out before failing

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN_SHAPE.match(value.get_secret_value()):
            raise ValueError("malformed: expected <bot id>:<secret> as given by @BotFather")
        return value

    @field_validator("tg_server")
    @classmethod
    def _server_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _admin_ids(cls, value: object) -> object:
        """Accept a JSON list ("[1, 2]") or a comma-separated list ("1,2")."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        try:
            items = json.loads(text) if text.startswith("[") else [p for p in re.split(r"[,\s]+", text) if p]
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(_is_int_like(item) for item in items):
            raise ValueError(f"must be integers, as a JSON list or comma-separated (got {text!r})")
        return frozenset(int(item) for item in items)

    @property
    def upload_limit(self) -> int:
        """Largest file the Bot API accepts from us: 50 MB in the cloud, 2000 MB on a local server."""
        return (2000 if self.tg_server_local else 50) * 1024 * 1024

    def secrets(self) -> list[str]:
        return [self.bot_token.get_secret_value(), *super().secrets()]


class StorageSettings(EnvSettings):
    db_url: str = DEFAULT_DB_URL


class FairnessSettings(EnvSettings):
    """How much work one chat, one sender and the whole process may have at once, and how long a stop waits."""

    max_user_queue_size: int = Field(10, ge=1, le=100)
    max_group_queue_size: int = Field(20, ge=1, le=1000)
    max_chat_concurrency: int = Field(2, ge=1, le=100)
    max_concurrent_deliveries: int = Field(8, ge=1, le=1000)
    spam_max_links: int = Field(8, ge=1, le=1000)
    spam_window_seconds: float = Field(10.0, gt=0, le=3600)
    spam_mute_seconds: float = Field(60.0, ge=0, le=86400)
    shutdown_grace_seconds: float = Field(25.0, ge=0, le=600)


class WebhookSettings(EnvSettings):
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_host: str = "0.0.0.0"  # noqa: S104 - the port Telegram (or a load balancer) reaches
    webhook_port: int = Field(8080, ge=1, le=65535)

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be the public https:// URL Telegram posts updates to")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> WebhookSettings:
        if self.webhook_url and self.webhook_secret is None:
            raise ValueError("WEBHOOK_SECRET: is required with WEBHOOK_URL (Telegram sends it with every update)")
        return self

    def secrets(self) -> list[str]:
        webhook = [self.webhook_secret.get_secret_value()] if self.webhook_secret else []
        return [*webhook, *super().secrets()]


class RedisSettings(EnvSettings):
    """Shared state and the job queue of several processes; workers need it."""

    redis_url: str | None = None
    worker_redelivery_seconds: float = Field(60.0, ge=1, le=86400)

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str | None) -> str | None:
        if value and not re.match(r"^(rediss?|unix)://\S+$", value):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value or None

    def secrets(self) -> list[str]:
        redis = urlsplit(self.redis_url or "")
        passwords = [unquote(redis.password or ""), *parse_qs(redis.query).get("password", [])]
        return [*filter(None, passwords), *super().secrets()]


class ObservabilitySettings(LoggingSettings):
    metrics_port: int | None = Field(None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"  # only this machine by default; 0.0.0.0 for a scraper in another container


class Settings(TelegramSettings, StorageSettings, FairnessSettings, WebhookSettings, RedisSettings,
               PipelineSettings, MediaSettings, ObservabilitySettings):
    """Every variable of the operator contract (README's configuration table), validated once at start-up."""


SettingsT = TypeVar("SettingsT", bound=EnvSettings)


def read_proxy_file(path: Path) -> tuple[str, ...]:
    """One proxy URL a line (scheme://[user:password@]host:port); blank lines and # comments skipped.
    A malformed line is a start-up error naming the line (never echoing it: it may hold a password)."""
    proxies = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        entry = line.strip()
        if not entry or entry.startswith("#"):
            continue
        try:
            parts = urlsplit(entry)
            valid = parts.scheme.lower() in PROXY_SCHEMES and bool(parts.hostname) and parts.port is not None
        except ValueError:
            valid = False
        if not valid or parts.path not in ("", "/"):
            raise ValueError(
                f"PROXY_FILE: line {number} is not a proxy URL (expected scheme://[user:password@]host:port "
                f"with scheme {', '.join(PROXY_SCHEMES)})"
            )
        proxies.append(entry.rstrip("/"))
    return tuple(proxies)


def export_ca_bundle(settings: PipelineSettings) -> None:
    """Make SSL_CERT_FILE (even when it came from .env) win wherever a library looks for a CA bundle:
    OpenSSL reads SSL_CERT_FILE, while curl, which yt-dlp uses for page requests, prefers
    REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE."""
    if settings.ssl_cert_file is not None:
        for variable in ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            os.environ[variable] = str(settings.ssl_cert_file)


def _is_int_like(item: object) -> bool:
    if isinstance(item, bool):
        return False
    if isinstance(item, int):
        return True
    return isinstance(item, str) and re.fullmatch(r"-?\d+", item.strip()) is not None


def load_settings(kind: type[SettingsT] = Settings, **overrides: Any) -> SettingsT:  # type: ignore[assignment]
    """Read settings, turning validation errors into one ConfigError line per bad variable."""
    try:
        return kind(**overrides)
    except ValidationError as exc:
        raise ConfigError("; ".join(_describe(error) for error in exc.errors())) from None


def _describe(error: Any) -> str:
    message = _FRIENDLY.get(error["type"]) or str(error["msg"]).removeprefix("Value error, ")
    if not error["loc"]:  # a whole-model check; its message names the variable itself
        return message
    return f"{str(error['loc'][0]).upper()}: {message}"
