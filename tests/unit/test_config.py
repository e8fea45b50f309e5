"""Settings: the operator contract, and bad configuration as one line with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from data.config import ConfigError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
CONTRACT = [
    "BOT_TOKEN", "TG_SERVER", "TG_SERVER_LOCAL", "DB_URL", "REDIS_URL", "ADMIN_IDS", "STORAGE_CHANNEL_ID",
    "PROXY_FILE", "PROXY_INCLUDE_HOST", "PROXY_DATA_ONLY", "URL_RESOLVE_MAX_RETRIES", "VIDEO_INFO_MAX_RETRIES",
    "DOWNLOAD_MAX_RETRIES", "MAX_USER_QUEUE_SIZE", "MAX_VIDEO_DURATION", "YTDLP_COOKIES", "SSL_CERT_FILE",
    "LOG_LEVEL",
]


def test_every_contract_variable_is_a_setting_and_documented() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    assert set(CONTRACT) <= fields
    documented = (ROOT / ".env.example").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in fields:
        assert f"{name}=" in documented, f"{name} missing from .env.example"
        assert f"`{name}`" in readme, f"{name} missing from the README's configuration table"


def test_defaults_need_only_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOT_TOKEN", "123:abc")
    settings = load_settings()
    assert settings.bot_token.get_secret_value() == "123:abc"
    assert settings.tg_server == "https://api.telegram.org"
    assert settings.db_url.startswith("sqlite")
    assert (settings.url_resolve_max_retries, settings.video_info_max_retries, settings.download_max_retries) == (
        3, 3, 3,
    )
    assert settings.admin_ids == frozenset()
    assert settings.upload_limit == 50 * 1024 * 1024


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("BOT_TOKEN=55:from-dotenv\nTG_SERVER_LOCAL=true\nPROXY_FILE=\n")
    settings = load_settings()
    assert settings.bot_token.get_secret_value() == "55:from-dotenv"
    assert settings.upload_limit == 2000 * 1024 * 1024
    assert settings.proxy_file is None  # an empty value means unset


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("[1, 2]", {1, 2}), ('["3"]', {3}), ("1,2", {1, 2}), (" 4 , -5 ", {4, -5}), ("", set())],
)
def test_admin_ids_accept_json_or_commas(monkeypatch: pytest.MonkeyPatch, raw: str, expected: set[int]) -> None:
    monkeypatch.setenv("BOT_TOKEN", "1:a")
    monkeypatch.setenv("ADMIN_IDS", raw)
    assert load_settings().admin_ids == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "BOT_TOKEN: is required"),
        ({"BOT_TOKEN": "not-a-token"}, "BOT_TOKEN: malformed"),
        ({"BOT_TOKEN": "1:a", "ADMIN_IDS": "1,two"}, "ADMIN_IDS: must be integers"),
        ({"BOT_TOKEN": "1:a", "ADMIN_IDS": "[1.5]"}, "ADMIN_IDS: must be integers"),
        ({"BOT_TOKEN": "1:a", "PROXY_FILE": "/nonexistent/proxies.txt"},
         "PROXY_FILE: file '/nonexistent/proxies.txt' does not exist"),
        ({"BOT_TOKEN": "1:a", "URL_RESOLVE_MAX_RETRIES": "0"}, "URL_RESOLVE_MAX_RETRIES:"),
        ({"BOT_TOKEN": "1:a", "TG_SERVER": "localhost:8081"}, "TG_SERVER: must be an http"),
        ({"BOT_TOKEN": "1:a", "LOG_LEVEL": "chatty"}, "LOG_LEVEL:"),
        ({"BOT_TOKEN": "1:a", "TG_SERVER_LOCAL": "maybe"}, "TG_SERVER_LOCAL: must be true or false"),
        ({"BOT_TOKEN": "1:a", "REDIS_URL": "localhost:6379"}, "REDIS_URL: must be a redis://"),
        ({"BOT_TOKEN": "1:a", "WORKER_REDELIVERY_SECONDS": "0"}, "WORKER_REDELIVERY_SECONDS:"),
    ],
)
def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch, env: dict, expected: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith(expected)
    assert "\n" not in str(error.value)


def _run_main(tmp_path: Path, *command: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in CONTRACT}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *command], cwd=tmp_path, env={**clean, **env},
        capture_output=True, text=True, timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "configuration error: BOT_TOKEN: is required"),
        ({"BOT_TOKEN": "123456:secret-part", "ADMIN_IDS": "me"}, "configuration error: ADMIN_IDS: must be integers"),
        ({"BOT_TOKEN": "123:abc", "PROXY_FILE": "missing.txt"},
         "configuration error: PROXY_FILE: file 'missing.txt' does not exist"),
        ({"BOT_TOKEN": "123:abc", "DB_URL": "postgresql://bot:hunter2@127.0.0.1:1/bot"},
         "configuration error: DB_URL: cannot connect to postgresql+asyncpg://bot:***@127.0.0.1:1/bot"),
        ({"BOT_TOKEN": "123:abc", "REDIS_URL": "redis://:hunter2@127.0.0.1:1/0"},
         "configuration error: REDIS_URL: cannot connect to redis://***@127.0.0.1:1/0"),
        ({"BOT_TOKEN": "123:abc", "COMMAND": "worker"},
         "configuration error: REDIS_URL: is required by `main.py worker`"),
        ({"BOT_TOKEN": "123:abc", "DB_URL": "postgresql//bot:hunter2@127.0.0.1/bot"},
         "configuration error: DB_URL: not a database URL"),
        ({"BOT_TOKEN": "123:abc", "DB_URL": "postgresql://bot:hunter2@127.0.0.1:port/bot"},
         "configuration error: DB_URL:"),
    ],
)
def test_main_reports_bad_configuration_in_one_line(tmp_path: Path, env: dict, expected: str) -> None:
    command = [env["COMMAND"]] if "COMMAND" in env else []
    result = _run_main(tmp_path, *command, **{k: v for k, v in env.items() if k != "COMMAND"})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "hunter2" not in result.stderr and "secret-part" not in result.stderr


def test_proxy_file_is_read_and_its_passwords_are_secrets(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    proxies = tmp_path / "proxies.txt"
    proxies.write_text("# residential pool\n\nhttp://user:p%40ss@10.0.0.1:8080\n  socks5://10.0.0.2:1080  \n")
    monkeypatch.setenv("BOT_TOKEN", "1:a")
    monkeypatch.setenv("PROXY_FILE", str(proxies))
    settings = load_settings()
    assert settings.proxies == ("http://user:p%40ss@10.0.0.1:8080", "socks5://10.0.0.2:1080")
    assert "p@ss" in settings.secrets()


@pytest.mark.parametrize("line", ["10.0.0.1:8080", "ftp://10.0.0.1:21", "http://user:secret@host", "http://h:1/path"])
def test_malformed_proxy_line_names_the_line_not_its_content(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, line: str,
) -> None:
    proxies = tmp_path / "proxies.txt"
    proxies.write_text(f"http://ok:8080\n# comment\n{line}\n")
    monkeypatch.setenv("BOT_TOKEN", "1:a")
    monkeypatch.setenv("PROXY_FILE", str(proxies))
    with pytest.raises(ConfigError) as error:
        load_settings()
    assert str(error.value).startswith("PROXY_FILE: line 3 is not a proxy URL")
    assert "secret" not in str(error.value)
