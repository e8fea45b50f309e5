"""Every language is complete, every key is used by the code, and every text is valid Telegram HTML."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import ast as fluent_ast
from fluent.syntax import parse

from handlers import COMMANDS
from handlers.i18n import LANGUAGES, LOCALE_DIR
from media_types.texts import ERROR_KEYS
from tests.fakes.telegram import html_error

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_PACKAGES = ("handlers", "media_types", "tiktok_api", "instagram_api", "pipeline", "data")
SAMPLE_ARGUMENTS = {
    "name": "Ann &amp; Bob", "bot": "test_bot", "shown": 10, "total": 12, "minutes": 3, "megabytes": 50,
    "seconds": 60, "request": "ab12", "link": "https://vm.tiktok.com/x/", "stage": "extract", "attempts": 3,
    "proxy": "http://10.0.0.1:8080", "error": "NetworkError: HTTP 403", "users": 5, "blocked": 1, "groups": 2,
    "day": 1, "week": 2, "month": 3, "platforms": "tiktok 3", "kinds": "video 3", "hits": 50,
    "errors": "deleted 2", "done": 4, "sent": 3, "failed": 1, "platform": "TikTok", "percent": 40,
    "count": 21, "window": 40,
    "states": "\ntiktok: http://10.0.0.1:8080 healthy (3 answered, 0 unreachable, 0 refused)",
}


def message_ids(language: str) -> list[str]:
    resource = parse((LOCALE_DIR / language / "bot.ftl").read_text(encoding="utf-8"))
    junk = [entry.content for entry in resource.body if isinstance(entry, fluent_ast.Junk)]
    assert not junk, f"{language}: unparsable Fluent: {junk}"
    return [entry.id.name for entry in resource.body if isinstance(entry, fluent_ast.Message)]


def product_strings() -> set[str]:
    """Every string literal in the product code: translation keys are only ever written literally."""
    strings: set[str] = set()
    for package in PRODUCT_PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    strings.add(node.value)
    return strings


def test_locale_folders_are_the_supported_languages() -> None:
    assert sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir()) == sorted(LANGUAGES)


@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_language_has_exactly_the_english_keys(language: str) -> None:
    english, translated = message_ids("en"), message_ids(language)
    assert sorted(set(english) - set(translated)) == [], f"{language} lacks these keys"
    assert sorted(set(translated) - set(english)) == [], f"{language} has keys English lacks"


def test_every_key_is_used_by_the_code() -> None:
    unused = sorted(set(message_ids("en")) - product_strings())
    assert unused == [], f"keys no code uses: {unused}"


def test_every_key_the_code_asks_for_exists() -> None:
    pattern = re.compile(r"""(?:i18n\.get|\bt)\(\s*["']([a-z0-9-]+)["']""")
    asked = {
        key for package in PRODUCT_PACKAGES for path in (ROOT / package).rglob("*.py")
        for key in pattern.findall(path.read_text(encoding="utf-8"))
    }
    assert asked, "found no i18n.get calls: has the lookup style changed?"
    asked |= set(ERROR_KEYS.values()) | {key for _, key in COMMANDS}
    assert sorted(asked - set(message_ids("en"))) == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_text_formats_and_is_valid_telegram_html(language: str) -> None:
    bundle = FluentBundle([language], use_isolating=False)
    bundle.add_resource(FluentResource((LOCALE_DIR / language / "bot.ftl").read_text(encoding="utf-8")))
    for key in message_ids(language):
        text, errors = bundle.format_pattern(bundle.get_message(key).value, SAMPLE_ARGUMENTS)
        assert not errors, (language, key, errors)
        assert text.strip(), (language, key)
        assert html_error(text) is None, (language, key, html_error(text))
