"""Web serving: `changji serve` (gunicorn, gthread workers) against `changji runserver`, requests/s and latency.

Setup: a fresh migrated SQLite database without demo data, one prefecture administrator. Each server is started
as a real process on a free port with DEBUG off; a closed-loop client (``--concurrency`` threads, a new
connection per request, as nginx's default proxying makes them) requests each page for ``--duration`` seconds
after a short warm-up. Pages: the front page (anonymous; one query for the counties) and the water dashboard
(logged in; the dashboard figures, empty here, and the page shell). The client runs on the same machine and takes
CPU from the servers: on a 2-core machine the figures are indicative and lower than a server on its own would give.
The servers' own CPU time per request (all their processes, from /proc) is printed too: it does not depend on how
busy the machine is, and says what each server costs per request.

Run: .venv/bin/python benchmarks/serve.py [--duration 10] [--concurrency 8] [--workers 2] [--threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest import percentile  # noqa: E402
from machine import report  # noqa: E402

PASSWORD = "Bench-pw-" + secrets.token_hex(4)


def changji(*argv: str) -> list[str]:
    return [sys.executable, "-m", "changji.cli", *argv]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def request(port: int, path: str, cookie: str = "", method: str = "GET", body: str | None = None,
            headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request(method, path, body=body, headers={"Cookie": cookie, **(headers or {})})
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def wait_ready(port: int, process: subprocess.Popen[bytes], timeout_s: float = 120) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        try:
            if request(port, "/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not answer in time")


def log_in(port: int) -> str:
    """Sign in as the benchmark's administrator; return the Cookie header of the session."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/accounts/login/")
    page = connection.getresponse()
    html = page.read().decode()
    csrf = re.search(r"csrftoken=([^;]+)", page.getheader("Set-Cookie") or "")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert csrf and token, "no CSRF token on the login page"
    body = urllib.parse.urlencode({"csrfmiddlewaretoken": token.group(1), "username": "bench", "password": PASSWORD})
    connection.request("POST", "/accounts/login/", body=body, headers={
        "Cookie": f"csrftoken={csrf.group(1)}", "Content-Type": "application/x-www-form-urlencoded"})
    answer = connection.getresponse()
    answer.read()
    session = re.search(r"sessionid=([^;]+)", answer.getheader("Set-Cookie") or "")
    assert answer.status == 302 and session, f"login failed: {answer.status}"
    return f"sessionid={session.group(1)}"


def cpu_s(root: int) -> float:
    """CPU time (user + system) of process ``root`` and its descendants so far (Linux /proc)."""
    parents, times = {}, {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        pid = int(stat.parent.name)
        parents[pid], times[pid] = int(fields[1]), int(fields[11]) + int(fields[12])
    tree, grown = {root}, True
    while grown:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grown = bool(more)
    return sum(times.get(pid, 0) for pid in tree) / os.sysconf("SC_CLK_TCK")


def load(port: int, path: str, cookie: str, concurrency: int, duration_s: float) -> dict[str, float]:
    """Closed-loop load: each thread requests ``path`` again as soon as it has its answer."""
    latencies: list[float] = []
    failures = [0]
    stop_at = time.monotonic() + duration_s
    lock = threading.Lock()

    def worker() -> None:
        mine, failed = [], 0
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                ok = request(port, path, cookie).status == 200
            except OSError:
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    latencies.sort()
    return {"requests/s": len(latencies) / elapsed, "p50 ms": percentile(latencies, 0.5) * 1000,
            "p95 ms": percentile(latencies, 0.95) * 1000, "errors": failures[0]}


def measure(name: str, argv: list[str], port: int, env: dict[str, str], options: argparse.Namespace) -> list[dict]:
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = []
    try:
        wait_ready(port, process)
        cookie = log_in(port)
        for page, path, page_cookie in (("front page", "/", ""), ("water dashboard", "/water/", cookie)):
            load(port, path, page_cookie, options.concurrency, 2.0)  # warm-up: every worker and thread answers once
            cpu_before = cpu_s(process.pid)
            figures = load(port, path, page_cookie, options.concurrency, options.duration)
            served = figures["requests/s"] * options.duration
            cpu_ms = (cpu_s(process.pid) - cpu_before) * 1000 / served if served else float("nan")
            rows.append({"server": name, "page": page, **figures, "server CPU ms/request": cpu_ms})
            print(rows[-1], flush=True)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load per page and server")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as data_dir:
        env = {key: value for key, value in os.environ.items()
               if key not in ("DATABASE_URL", "DJANGO_DEBUG", "PROMETHEUS_MULTIPROC_DIR")}
        env.update(CHANGJI_DATA_DIR=data_dir, DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
                   DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost", CHANGJI_LOG_LEVEL="WARNING")
        started = time.perf_counter()
        subprocess.run(changji("migrate", "-v0"), env=env, check=True)
        subprocess.run(changji("createuser", "bench", "--password-stdin"), env=env, input=PASSWORD.encode(),
                       check=True, stdout=subprocess.DEVNULL)
        print(f"migrated in {time.perf_counter() - started:.0f} s", flush=True)
        port = free_port()
        rows = measure("runserver (threaded)", changji("runserver", f"127.0.0.1:{port}", "--noreload"), port, env,
                       options)
        port = free_port()
        rows += measure(f"changji serve ({options.workers} workers × {options.threads} threads)",
                        changji("serve", "--addr", f"127.0.0.1:{port}", "--workers", str(options.workers),
                                "--threads", str(options.threads)), port, env, options)
    report("serve", rows, {"duration_s": options.duration, "concurrency": options.concurrency})


if __name__ == "__main__":
    main()
