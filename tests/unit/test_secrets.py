"""Secrets never leave the process: not in logs (however a password is encoded), not in pipeline errors
(which repeat the URLs they failed on), not in what an operator or a user is shown."""

from __future__ import annotations

import logging

from data.logs import RedactSecrets, redact_credentials
from pipeline import NetworkError


def scrubbed(secrets: list[str], message: str) -> str:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
    RedactSecrets(secrets).filter(record)
    return record.getMessage()


def test_a_password_is_scrubbed_as_written_and_percent_encoded() -> None:
    line = scrubbed(["p@ss/w rd"], "proxy http://user:p%40ss%2Fw%20rd@10.0.0.1:8080 failed; raw p@ss/w rd")
    assert "p@ss" not in line and "p%40ss" not in line and "w%20rd" not in line


def test_any_url_credentials_are_scrubbed_even_when_unknown() -> None:
    line = scrubbed([], "cannot connect to socks5://sock:unlisted@10.0.0.2:1080 and postgresql://bot:pw@db/bot")
    assert "unlisted" not in line and ":pw@" not in line
    assert "socks5://***@10.0.0.2:1080" in line and "postgresql://***@db/bot" in line


def test_pipeline_errors_drop_url_credentials() -> None:
    error = NetworkError("ClientHttpProxyError: 407, message='Proxy Authentication Required', "
                         "url='http://scraper:s3cr3t@127.0.0.1:3128'")
    assert "s3cr3t" not in str(error) and "scraper" not in str(error) and "127.0.0.1:3128" in str(error)


def test_text_without_credentials_is_left_alone() -> None:
    text = "https://www.tiktok.com/@bob/video/1 and user@example.com"
    assert redact_credentials(text) == text
