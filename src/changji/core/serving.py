"""The platform under a production WSGI server: gunicorn running ``changji.wsgi:application``.

``changji serve`` (``core/management/commands/serve.py``) checks the settings, collects the static files and then
replaces its own process (``os.execv``, same process id, so systemd and ``kill -TERM`` reach gunicorn's master)
with ``python -m changji.core.serving``, which runs gunicorn through its documented custom-application API
(`gunicorn.app.base.BaseApplication`, "Custom Application" in gunicorn's documentation): no configuration file.
The master process of that fresh interpreter imports no Django (this module is ``__pure__``); each worker imports
``changji.wsgi`` after it is forked, so the ``PROMETHEUS_MULTIPROC_DIR`` that the command set (shared contract 1 of
issue 19: a fresh empty directory, ``$CHANGJI_DATA_DIR/run/prometheus-web`` unless set) is in place before any
worker imports Django or prometheus_client, and :func:`child_exit` marks a dead worker's metric files
(``prometheus_client.multiprocess.mark_process_dead``, prometheus_client's "Multiprocess Mode" documentation).

The choices (gunicorn's "Settings" and "Design" documentation):

* ``gthread`` workers with :data:`DEFAULT_THREADS` threads each: the pages wait on the database, and threads let a
  worker answer another request meanwhile; processes give the parallelism (the GIL).
* :func:`default_workers`: gunicorn's rule of thumb, 2 × cores + 1, capped at :data:`MAX_DEFAULT_WORKERS`: each
  worker is a whole Django process (about 100 MB), and past eight the database, not the web tier, is the limit
  (SQLite has one writer).
* ``graceful_timeout``: on SIGTERM the master stops accepting, lets each worker finish its requests for up to
  :data:`GRACEFUL_TIMEOUT_S` and exits 0; ``max_requests`` with jitter recycles workers one at a time.
* ``forwarded_allow_ips = 127.0.0.1``: only the local nginx (deploy/nginx-changji.conf) may say the request came
  over HTTPS (``X-Forwarded-Proto``); a client reaching the port directly cannot.
* No control socket (gunicorn 25's ``gunicornc``): its default path is shared by every gunicorn of the user and
  lies under ``$HOME``, which the systemd unit makes read-only; signals (HUP, TTIN, TTOU, TERM) do the same work.
* Logging: gunicorn's loggers get no handler of their own and propagate to the root logger, whose handler redacts
  secrets (``core.log_redaction``); in a worker, Django's ``LOGGING`` (settings.py) replaces the root handler with
  its own, which redacts too. The access line (:data:`ACCESS_LOG_FORMAT`) says who asked (the peer, and the
  ``X-Forwarded-For`` nginx sets), what (method, path and query string, protocol), the status, the bytes sent,
  the duration in milliseconds and which worker answered.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from changji.core.log_redaction import RedactSecrets

__pure__ = True  # the master process imports no Django: tests/test_architecture.py checks it

WSGI_APP = "changji.wsgi:application"
DEFAULT_ADDR = "127.0.0.1:8000"
MAX_DEFAULT_WORKERS = 8
DEFAULT_THREADS = 4
DEFAULT_TIMEOUT_S = 30
GRACEFUL_TIMEOUT_S = 20
MAX_REQUESTS = 2000
MAX_REQUESTS_JITTER = 200
#: The format of settings.LOGGING's "plain" formatter (tests/core/test_serve.py checks they agree).
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: Gunicorn's access-log atoms: peer, "request line", status, bytes, duration (ms), X-Forwarded-For, worker pid.
ACCESS_LOG_FORMAT = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms fwd=%({x-forwarded-for}i)s worker=%(p)s'
#: The environment variable of prometheus_client's multiprocess mode, and its default place under the data dir.
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
METRICS_DIR_DEFAULT = Path("run") / "prometheus-web"


def default_workers(cores: int | None) -> int:
    """Gunicorn's suggested worker count, 2 × cores + 1, capped at :data:`MAX_DEFAULT_WORKERS`."""
    return min(2 * (cores or 1) + 1, MAX_DEFAULT_WORKERS)


def address(text: str) -> str:
    """Check ``--addr`` (``HOST:PORT``, IPv6 in brackets) and return it; ValueError otherwise."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"not HOST:PORT: {text!r}")
    return text


def positive(text: str) -> int:
    """Parse a count or a number of seconds that must be at least 1."""
    value = int(text)
    if value < 1:
        raise ValueError(f"must be at least 1: {text!r}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options ``changji serve`` and ``python -m changji.core.serving`` share."""
    parser.add_argument("--addr", type=address, default=DEFAULT_ADDR, help=f"HOST:PORT to listen on ({DEFAULT_ADDR})")
    parser.add_argument("--workers", type=positive, default=None,
                        help=f"worker processes (default 2 × cores + 1, at most {MAX_DEFAULT_WORKERS})")
    parser.add_argument("--threads", type=positive, default=DEFAULT_THREADS,
                        help=f"threads per worker ({DEFAULT_THREADS})")
    parser.add_argument("--timeout", type=positive, default=DEFAULT_TIMEOUT_S,
                        help=f"seconds a request may take before its worker is restarted ({DEFAULT_TIMEOUT_S})")


def serving_argv(options: Mapping[str, Any]) -> list[str]:
    """The arguments of ``python -m changji.core.serving`` for the parsed options of :func:`add_arguments`."""
    argv = ["--addr", str(options["addr"]), "--threads", str(options["threads"]), "--timeout", str(options["timeout"])]
    if options.get("workers"):
        argv += ["--workers", str(options["workers"])]
    return argv


def refusals(debug: bool, environ: Mapping[str, str], demo_secret_key: str) -> list[str]:
    """Why the platform must not be served in production with these settings (empty: it may)."""
    reasons = []
    if debug:
        reasons.append("DEBUG is on (DJANGO_DEBUG=1): tracebacks and settings would be shown to anyone")
    key = environ.get("DJANGO_SECRET_KEY", "")
    if not key:
        reasons.append("DJANGO_SECRET_KEY is not set: sessions and tokens would be signed with the demo's key")
    elif key == demo_secret_key:
        reasons.append("DJANGO_SECRET_KEY is the demo's published key")
    if not environ.get("DJANGO_ALLOWED_HOSTS", "").strip(" ,"):
        reasons.append("DJANGO_ALLOWED_HOSTS is not set: name the host names this instance answers to")
    return reasons


def prepare_metrics_dir(environ: Mapping[str, str], data_dir: Path) -> Path:
    """Create the multiprocess metrics directory and empty it of a previous run's files; return it.

    ``PROMETHEUS_MULTIPROC_DIR`` when set, else ``data_dir/run/prometheus-web``. Only prometheus_client's files
    (``*.db``) are removed, so a directory named by mistake loses nothing else.
    """
    path = Path(environ.get(METRICS_DIR_VARIABLE) or data_dir / METRICS_DIR_DEFAULT)
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    return path


def child_exit(server: Any, worker: Any) -> None:
    """Gunicorn's ``child_exit`` hook (in the master): mark the dead worker's live gauges as gone."""
    from prometheus_client import multiprocess  # deferred: imported after PROMETHEUS_MULTIPROC_DIR is set

    if os.environ.get(METRICS_DIR_VARIABLE):
        multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call, unused-ignore]  # untyped upstream


def logging_config() -> dict[str, Any]:
    """Gunicorn's ``logconfig_dict``: its loggers propagate to a root handler that redacts secrets."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact_secrets": {"()": RedactSecrets}},
        "formatters": {"plain": {"format": LOG_FORMAT}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                                 "filters": ["redact_secrets"], "stream": "ext://sys.stderr"}},
        "loggers": {"gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
                    "gunicorn.access": {"level": "INFO", "handlers": [], "propagate": True}},
        "root": {"level": "INFO", "handlers": ["console"]},
    }


def gunicorn_options(addr: str, workers: int | None, threads: int, timeout_s: int,
                     cores: int | None = None) -> dict[str, Any]:
    """Gunicorn's settings (names as in its "Settings" documentation) for the options of ``changji serve``."""
    return {
        "bind": [addr],
        "workers": workers or default_workers(cores if cores is not None else os.cpu_count()),
        "worker_class": "gthread",
        "threads": threads,
        "timeout": timeout_s,
        "graceful_timeout": GRACEFUL_TIMEOUT_S,
        "max_requests": MAX_REQUESTS,
        "max_requests_jitter": MAX_REQUESTS_JITTER,
        "forwarded_allow_ips": "127.0.0.1",
        "control_socket_disable": True,
        "logconfig_dict": logging_config(),
        "access_log_format": ACCESS_LOG_FORMAT,
        "child_exit": child_exit,
        "proc_name": "changji-web",
    }


class PlatformApplication(BaseApplication):  # type: ignore[misc, unused-ignore]  # gunicorn has no type information
    """Gunicorn's custom application: the settings given, the WSGI app imported in each worker."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from gunicorn.util import import_app  # deferred: gunicorn's own import of "module:name", in the worker

        return import_app(WSGI_APP)


def main(argv: Sequence[str] | None = None) -> None:
    """Run gunicorn with the options of :func:`add_arguments` until it is stopped (SIGTERM, SIGINT)."""
    parser = argparse.ArgumentParser(prog="python -m changji.core.serving", description=__doc__.splitlines()[0])
    add_arguments(parser)
    options = parser.parse_args(argv)
    PlatformApplication(gunicorn_options(options.addr, options.workers, options.threads, options.timeout)).run()


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
