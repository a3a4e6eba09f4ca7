"""The fault tests' real processes: a migrated database with a seeded fleet, a free port, a listening gateway."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psycopg

from tests.waiting import wait_until

CHANGJI = str(Path(sys.executable).with_name("changji"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fleet_database(tmp_path: Path, wells: int, postgresql: str | None = None) -> dict[str, str]:
    """The environment of a fresh database, migrated and seeded with ``wells`` simulated wells.

    SQLite under ``tmp_path``, or the PostgreSQL database the URL ``postgresql`` names (dropped and created).
    """
    env = {**os.environ, "CHANGJI_DATA_DIR": str(tmp_path), "CHANGJI_LOG_LEVEL": "WARNING"}
    env.pop("DATABASE_URL", None)
    if postgresql:
        server, name = postgresql.rsplit("/", 1)
        with psycopg.connect(server.replace("postgres://", "postgresql://") + "/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.execute(f"CREATE DATABASE {name}")
        env["DATABASE_URL"] = postgresql
    subprocess.run([CHANGJI, "migrate", "-v0"], env=env, check=True, timeout=300)
    seed = f"import django; django.setup(); from changji.water.sim.demo import seed_fleet; seed_fleet({wells})"
    subprocess.run([sys.executable, "-c", seed], env={**env, "DJANGO_SETTINGS_MODULE": "changji.settings"},
                   check=True, timeout=300)
    return env


def start_gateway(env: dict[str, str], port: int, *options: str) -> subprocess.Popen[bytes]:
    """``changji gateway`` on 127.0.0.1:``port`` (with ``options``), once it listens; killed if it never does."""
    process = subprocess.Popen([CHANGJI, "gateway", *options, "--host", "127.0.0.1", "--port", str(port)], env=env)

    def listening() -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_until(listening, timeout=60, every=0.1, what=f"the gateway to listen on port {port}")
    except AssertionError:
        process.kill()
        raise
    return process
