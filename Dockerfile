# The bot as a slim, non-root image. Build: docker build -t tiktok-bot .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first, from the hashed lock, so code changes do not reinstall them.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

RUN useradd --create-home --uid 10001 bot && mkdir -p /app/state && chown bot:bot /app/state
COPY --chown=bot:bot main.py ./
COPY --chown=bot:bot data ./data
COPY --chown=bot:bot handlers ./handlers
COPY --chown=bot:bot locale ./locale
COPY --chown=bot:bot media_types ./media_types
COPY --chown=bot:bot pipeline ./pipeline
COPY --chown=bot:bot tiktok_api ./tiktok_api
COPY --chown=bot:bot instagram_api ./instagram_api

USER bot
# The default SQLite database lives in a volume-friendly directory; set DB_URL for PostgreSQL.
ENV DB_URL=sqlite+aiosqlite:////app/state/bot.sqlite3
VOLUME ["/app/state"]

# SIGTERM (docker stop) stops the bot cleanly within seconds.
STOPSIGNAL SIGTERM
CMD ["python", "main.py"]
