"""A fake Telegram Bot API server for tests.

The real aiogram client talks to it over HTTP, so the tests exercise request serialisation, file
uploads and error handling exactly as in production.  Every call is validated against the official
Bot API description (api.json) and Telegram's documented limits, answered with Telegram-shaped
objects and recorded for assertions.

    with FakeTelegram() as fake:
        bot = Bot(fake.token, session=AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url)))

For benchmarks, `fake.shape(latency=0.05, bandwidth=20e6)` delays every answer but getUpdates by 50 ms and
reads uploaded files at 20 MB/s per connection, and `FakeTelegram(keep_uploads=False)` records only the size
and SHA-256 of each upload instead of its bytes.
"""

from tests.fakes.telegram.formatting import html_error
from tests.fakes.telegram.records import Call, StoredFile, UploadedFile, utf16_len
from tests.fakes.telegram.server import FakeTelegram

__all__ = ["Call", "FakeTelegram", "StoredFile", "UploadedFile", "html_error", "utf16_len"]
