"""SSL_CERT_FILE is honoured by every outbound HTTPS client: aiogram's aiohttp session, curl_cffi and
yt-dlp (the latter two are covered by every pipeline test, whose fake TikTok is only reachable through
the test CA)."""

from __future__ import annotations

import ssl

import pytest
import trustme
from aiogram.exceptions import TelegramNetworkError
from aiohttp import web

from data.config import Settings
from handlers.factory import create_bot


@pytest.fixture
async def https_bot_api(tmp_path):
    """A one-method Bot API over HTTPS whose certificate only the test CA vouches for."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(server_context)


    async def get_me(_request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "result": {"id": 1, "is_bot": True, "first_name": "T",
                                                         "username": "tls_bot"}})

    app = web.Application()
    app.router.add_post("/bot{token}/getMe", get_me)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "localhost", 0, ssl_context=server_context)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    ca_path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))
    yield f"https://localhost:{port}", ca_path
    await runner.cleanup()


async def test_telegram_session_trusts_ssl_cert_file(https_bot_api) -> None:
    url, ca_path = https_bot_api
    trusting = create_bot(Settings(_env_file=None, bot_token="1:a", tg_server=url, ssl_cert_file=ca_path))
    default = create_bot(Settings(_env_file=None, bot_token="1:a", tg_server=url))
    try:
        assert (await trusting.get_me()).username == "tls_bot"
        with pytest.raises(TelegramNetworkError):
            await default.get_me()
    finally:
        await trusting.session.close()
        await default.session.close()
