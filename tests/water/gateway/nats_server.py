"""A NATS server of the test's own: ``nats-server -js`` on a free port, its store in a temporary directory.

Tests start, stop (SIGKILL, as a crash) and restart it on the same port and store directory; they never touch
the machine's shared server on 4222. Without the binary the tests are skipped, saying why.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.waiting import wait_until

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class _Requirement:
    """``requires_nats_server()`` skips the calling test without the binary; ``.mark`` does it as a marker."""

    reason = f"{NATS_SERVER} is not installed (apt install nats-server): the JetStream tests need a real server"

    def __init__(self) -> None:
        self.mark = pytest.mark.skipif(not os.access(NATS_SERVER, os.X_OK), reason=self.reason)

    def __call__(self) -> None:
        if not os.access(NATS_SERVER, os.X_OK):
            pytest.skip(self.reason)


requires_nats_server = _Requirement()


class NatsServer:
    """One JetStream-enabled server with file storage in ``store``."""

    def __init__(self, store: Path, port: int | None = None) -> None:
        self.store = store
        self.port = port or _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.store.mkdir(parents=True, exist_ok=True)
        log = open(self.store.parent / f"nats-{self.port}.log", "ab")
        self.process = subprocess.Popen(
            [NATS_SERVER, "-js", "-sd", str(self.store), "-a", "127.0.0.1", "-p", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT,
        )

        def listening() -> bool:
            with socket.socket() as probe:
                return probe.connect_ex(("127.0.0.1", self.port)) == 0

        wait_until(listening, timeout=20, every=0.05, what=f"nats-server to listen on {self.port}")

    def stop(self, sig: int = signal.SIGKILL) -> None:
        """Stop the server (by default as a crash: SIGKILL, nothing flushed on the way out)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=20)
        self.process = None
