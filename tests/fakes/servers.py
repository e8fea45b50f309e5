"""Servers of a test's own, to break on purpose, started from the machine's binaries on spare ports: a
redis-server, append-only in a temporary directory (as docker-compose.yml runs it), and a PostgreSQL cluster
made with initdb (run as the `postgres` user when the tests run as root, which PostgreSQL refuses). Each can be
stopped and started again. The shared servers every test uses (127.0.0.1:6379, :5432) are never touched."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from tests.harness import free_port

READY_TIMEOUT = 10.0


class ThrowawayRedis:
    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not on PATH")
        self._binary = binary
        self._directory = directory
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self._directory.mkdir(parents=True, exist_ok=True)
        log = (self._directory / "redis.log").open("a")
        self._process = subprocess.Popen(
            [self._binary, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self._directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no"],
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + READY_TIMEOUT
        while not self._answers():
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server on port {self.port} did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM: Redis finishes writing its append-only file and exits."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            self._process.wait(timeout=READY_TIMEOUT)
        self._process = None

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


class ThrowawayPostgres:
    """A PostgreSQL cluster of the test's own, with a `bot` database; `stop()` and `start()` take it away and
    bring it back on the same port, data kept."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not found:
            raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
        self._bin = found[-1].parent
        # Not under pytest's tmp_path: the `postgres` user must be able to reach the directory.
        self._directory = Path(tempfile.mkdtemp(prefix="throwaway-pg-"))
        self.port = free_port()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/bot"

    def _run(self, *command: str) -> None:
        as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*as_postgres, *command], check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self._directory, "postgres", "postgres")
        self._run(str(self._bin / "initdb"), "-D", str(self._directory / "data"), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--no-sync")
        self.start()
        self._run(str(self._bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "bot")

    def start(self) -> None:
        options = f"-p {self.port} -k {self._directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(str(self._bin / "pg_ctl"), "-D", str(self._directory / "data"), "-o", options,
                  "-l", str(self._directory / "server.log"), "-w", "start")

    def stop(self) -> None:
        self._run(str(self._bin / "pg_ctl"), "-D", str(self._directory / "data"), "-m", "fast", "-w", "stop")

    def __enter__(self) -> Self:
        self.create()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped by the test
            self.stop()
        shutil.rmtree(self._directory, ignore_errors=True)
