"""``changji serve``: gunicorn in front of the platform (core/serving.py, core/management/commands/serve.py).

The end-to-end test starts the real command on a migrated SQLite file of its own (never DATABASE_URL) and talks
HTTP to it; the others check the pure parts: the refusals, the gunicorn settings built from the flags, the
metrics directory and the child_exit hook.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gzip
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from changji.core import serving

#: Subprocesses on a SQLite file of their own, and pure functions: no test here reaches the suite's database.
pytestmark = pytest.mark.database_independent

DEMO_KEY = "changji-demo-only-secret-key-set-DJANGO_SECRET_KEY-in-production"
PRODUCTION = {"DJANGO_SECRET_KEY": "a-real-key-" + "k" * 40, "DJANGO_ALLOWED_HOSTS": "water.example.gov.cn"}


def test_the_demo_key_is_the_settings_default():
    from django.conf import settings

    assert settings.DEMO_SECRET_KEY == DEMO_KEY


@pytest.mark.parametrize(("debug", "environ", "expected"), [
    (False, PRODUCTION, []),
    (True, PRODUCTION, ["DEBUG is on"]),
    (False, {**PRODUCTION, "DJANGO_SECRET_KEY": ""}, ["DJANGO_SECRET_KEY is not set"]),
    (False, {"DJANGO_ALLOWED_HOSTS": "a.example"}, ["DJANGO_SECRET_KEY is not set"]),
    (False, {**PRODUCTION, "DJANGO_SECRET_KEY": DEMO_KEY}, ["DJANGO_SECRET_KEY is the demo's"]),
    (False, {"DJANGO_SECRET_KEY": "k" * 50}, ["DJANGO_ALLOWED_HOSTS is not set"]),
    (False, {**PRODUCTION, "DJANGO_ALLOWED_HOSTS": " , "}, ["DJANGO_ALLOWED_HOSTS is not set"]),
])
def test_refusals(debug, environ, expected):
    reasons = serving.refusals(debug, environ, DEMO_KEY)
    assert [reason[: len(start)] for reason, start in zip(reasons, expected, strict=False)] == expected
    assert len(reasons) == len(expected)


def test_serve_refuses_debug_the_demo_key_and_no_hosts(tmp_path, settings, monkeypatch, capsys):
    """Exit status 1, every reason named, and nothing done: no static files collected, no metrics directory."""
    from changji.core.management.commands.serve import Command

    settings.DEBUG, settings.DATA_DIR, settings.STATIC_ROOT = True, tmp_path, tmp_path / "static"
    monkeypatch.setenv("DJANGO_SECRET_KEY", DEMO_KEY)
    monkeypatch.delenv("DJANGO_ALLOWED_HOSTS", raising=False)
    monkeypatch.setattr(os, "execv", lambda *args: pytest.fail(f"served: {args}"))  # never replace pytest
    with pytest.raises(SystemExit) as exit_status:
        Command().run_from_argv(["changji", "serve", "--addr", "127.0.0.1:0", "--skip-checks"])
    assert exit_status.value.code == 1
    stderr = capsys.readouterr().err
    for reason in ("DEBUG is on", "DJANGO_SECRET_KEY is the demo's published key", "DJANGO_ALLOWED_HOSTS is not set"):
        assert reason in stderr
    assert list(tmp_path.iterdir()) == []


def test_default_workers_follow_the_cores_and_are_capped():
    assert [serving.default_workers(cores) for cores in (None, 1, 2, 3, 4, 64)] == [3, 3, 5, 7, 8, 8]


def test_gunicorn_options_from_the_flags():
    parser = argparse.ArgumentParser()
    serving.add_arguments(parser)
    flags = parser.parse_args(["--addr", "0.0.0.0:8080", "--workers", "3", "--threads", "6", "--timeout", "45"])
    options = serving.gunicorn_options(flags.addr, flags.workers, flags.threads, flags.timeout)
    assert options["bind"] == ["0.0.0.0:8080"]
    assert (options["workers"], options["threads"], options["timeout"]) == (3, 6, 45)
    assert options["worker_class"] == "gthread"
    assert options["forwarded_allow_ips"] == "127.0.0.1"
    assert options["max_requests"] > options["max_requests_jitter"] > 0
    assert options["child_exit"] is serving.child_exit
    assert options["control_socket_disable"] is True
    # The command hands its flags to `python -m changji.core.serving` unchanged.
    assert parser.parse_args(serving.serving_argv(vars(flags))) == flags
    # Gunicorn's own validators accept every setting.
    config = Config()
    for name, value in options.items():
        config.set(name, value)
    assert config.worker_class_str == "gthread" and config.address == [("0.0.0.0", 8080)]


def test_gunicorn_options_by_default():
    parser = argparse.ArgumentParser()
    serving.add_arguments(parser)
    flags = parser.parse_args([])
    options = serving.gunicorn_options(flags.addr, flags.workers, flags.threads, flags.timeout, cores=2)
    assert options["bind"] == ["127.0.0.1:8000"] and options["workers"] == 5 and options["threads"] >= 2
    assert serving.serving_argv(vars(flags)) == ["--addr", "127.0.0.1:8000", "--threads", str(flags.threads),
                                                 "--timeout", str(flags.timeout)]


@pytest.mark.parametrize("text", ["8000", "localhost", "host:port", ":8000", "127.0.0.1:70000"])
def test_a_bad_address_is_refused(text):
    parser = argparse.ArgumentParser()
    serving.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--addr", text])


def test_the_log_format_is_the_platforms():
    from django.conf import settings

    assert serving.LOG_FORMAT == settings.LOGGING["formatters"]["plain"]["format"]
    config = serving.logging_config()
    assert config["loggers"]["gunicorn.access"] == {"level": "INFO", "handlers": [], "propagate": True}
    assert config["handlers"]["console"]["filters"] == ["redact_secrets"]


def test_the_metrics_directory_is_emptied_of_a_previous_run(tmp_path, monkeypatch):
    default = serving.prepare_metrics_dir({}, tmp_path)
    assert default == tmp_path / "run" / "prometheus-web" and default.is_dir()
    chosen = tmp_path / "chosen"
    chosen.mkdir()
    (chosen / "counter_123.db").write_bytes(b"x")
    (chosen / "notes.txt").write_text("kept")
    assert serving.prepare_metrics_dir({"PROMETHEUS_MULTIPROC_DIR": str(chosen)}, tmp_path) == chosen
    assert [path.name for path in chosen.iterdir()] == ["notes.txt"]


def test_child_exit_marks_the_worker_dead(tmp_path, monkeypatch):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    for name in ("gauge_livesum_4242.db", "gauge_liveall_4242.db", "counter_4242.db", "gauge_livesum_7.db"):
        (tmp_path / name).write_bytes(b"")
    serving.child_exit(None, SimpleNamespace(pid=4242))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["counter_4242.db", "gauge_livesum_7.db"]


class Server:
    """A `changji serve` process whose log lines are collected as they come."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, pattern: str, timeout_s: float = 60) -> list[str]:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = re.findall(pattern, self.text())
            if found:
                return found
            assert self.process.poll() is None, self.text()
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in:\n{self.text()}")


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.mark.slow
def test_serve_runs_the_platform_under_gunicorn(tmp_path, migrated_sqlite):
    """Home page, whitenoise, the platform's 404, redacted access lines, two workers, SIGTERM ends it with 0."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    migrated_sqlite(data_dir)
    env = {key: value for key, value in os.environ.items()
           if key not in ("DATABASE_URL", "DJANGO_DEBUG", "PROMETHEUS_MULTIPROC_DIR")}
    env.update(CHANGJI_DATA_DIR=str(data_dir), DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
               DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost")
    server = Server([sys.executable, "-m", "changji.cli", "serve", "--addr", "127.0.0.1:0", "--workers", "2",
                     "--threads", "2"], env)
    try:
        port = server.wait_for(r"Listening at: http://127\.0\.0\.1:(\d+)")[0]
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while (status := get(f"{base}/healthz")[0]) != 200 and time.monotonic() < deadline:
            time.sleep(0.2)  # the workers are still importing the platform
        assert status == 200
        # Shared contract 1: each worker has PROMETHEUS_MULTIPROC_DIR, a directory under the data directory.
        metrics_dir = f"PROMETHEUS_MULTIPROC_DIR={data_dir / 'run' / 'prometheus-web'}"
        for pid in server.wait_for(r"Booting worker with pid: (\d+)"):
            assert metrics_dir in Path(f"/proc/{pid}/environ").read_text().split("\0")

        status, _, body = get(f"{base}/?token=SECRET123&next=/")
        assert status == 200 and b"<html" in body
        status, headers, body = get(f"{base}/static/vendor/htmx/htmx.min.js", {"Accept-Encoding": "gzip"})
        original = (data_dir / "static" / "vendor" / "htmx" / "htmx.min.js").read_bytes()
        assert status == 200 and headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == original
        assert headers["Cache-Control"] == "max-age=60, public" and headers["ETag"]  # whitenoise, unhashed name
        status, _, body = get(f"{base}/no/such/page/")
        assert status == 404 and "页面不存在" in body.decode() and b"URLconf" not in body  # not Django's debug page

        with concurrent.futures.ThreadPoolExecutor(8) as pool:  # until both workers have answered
            deadline = time.monotonic() + 20
            while len(set(re.findall(r"worker=<(\d+)>", server.text()))) < 2 and time.monotonic() < deadline:
                assert all(status == 200 for status, _, _ in pool.map(get, [f"{base}/healthz"] * 16))
                time.sleep(0.2)
        workers = set(re.findall(r"Booting worker with pid: (\d+)", server.text()))
        assert len(workers) == 2 and set(re.findall(r"worker=<(\d+)>", server.text())) == workers

        server.wait_for(r'"GET /\?token=\[REDACTED\]&next=/ HTTP/1.1" 200 \d+ \d+ms fwd=- worker=<\d+>')
        started = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=15) == 0
        assert time.monotonic() - started < 10
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)
    server.reader.join(timeout=5)
    text = server.text()
    assert "SECRET123" not in text
    assert "Shutting down: Master" in text and "Traceback" not in text
