"""The notification outbox delivering 10,000 SMS notices through a local Aliyun-format SMS server.

Two figures:

* **Delivery rate** — ``--notices`` (10,000) pending SMS notices, each to its own phone (no rate limit applies),
  delivered by ``core.notifications.delivery.deliver`` through the local SMS server (``core.notifications.
  local_sms``, in a process of its own: a real HTTP server on a socket that verifies every request's HMAC-SHA1
  signature and refuses a wrong one, which would leave the notice failed and fail the run), the way the job and
  ``changji notifications deliver`` run it: notices per second, wall clock, claim to recorded status.
* **End-to-end latency** — events recorded with ``core.audit.record`` at ``--rate`` a second for ``--seconds``
  seconds while a delivery loop polls every ``--interval`` seconds (as ``changji notifications deliver
  --interval``): the time from the event's audit entry to its notice's recorded ``sent_at``, percentiles.

A fresh SQLite database (WAL) by default; ``--database-url postgres://…`` runs it on PostgreSQL (the database
must exist and be empty of this benchmark's rows; it is migrated first).

Run: .venv/bin/python benchmarks/notifications.py [--notices 10000] [--workers 8] [--rate 50] [--seconds 20]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import report  # noqa: E402

KEY_ID, SECRET = "LTAI-bench", "bench-secret"
EVENT = "bench.notice.sms"


def setup(database_url: str | None, endpoint: str) -> None:
    os.environ["CHANGJI_DATA_DIR"] = tempfile.mkdtemp(prefix="changji-notifications-")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "changji.settings", "CHANGJI_LOG_LEVEL": "WARNING",
        "CHANGJI_SMS_ENDPOINT": endpoint, "CHANGJI_SMS_ACCESS_KEY_ID": KEY_ID,
        "CHANGJI_SMS_ACCESS_KEY_SECRET": SECRET, "CHANGJI_SMS_TEMPLATE_CODES": json.dumps({EVENT: "SMS_900001"}),
    })
    subprocess.run([str(Path(sys.executable).with_name("changji")), "migrate", "-v0"], check=True)
    import django

    django.setup()


def phone(n: int) -> str:
    return f"139{n:08d}"


def measure_rate(count: int, workers: int, batch: int) -> dict[str, float]:
    from django.utils import timezone

    from changji.core.models import Notification
    from changji.core.notifications.delivery import deliver
    from changji.core.notifications.senders import SmsSender

    now = timezone.now()
    Notification.objects.bulk_create([
        Notification(event=EVENT, channel="sms", address=phone(n), title="关泵预告", body=f"第{n}条",
                     sms_params={"well": f"652323-{n:05d}", "time": "2026-07-01 10:00", "hours": "24"},
                     next_attempt_at=now) for n in range(count)], batch_size=2000)
    started = time.perf_counter()
    counts = deliver({"sms": SmsSender(workers=workers)}, budget_s=3600, batch=batch)
    elapsed = time.perf_counter() - started
    assert counts.sent == count, counts.as_dict()
    return {"notices": count, "seconds": elapsed, "notices_per_s": count / elapsed}


def measure_latency(rate: float, seconds: float, interval: float, workers: int) -> dict[str, float]:
    from django.db import connection

    from changji.core import audit
    from changji.core.models import AuditEntry, Notification
    from changji.core.notifications import events
    from changji.core.notifications.delivery import deliver
    from changji.core.notifications.events import EventSpec, Message, Recipient
    from changji.core.notifications.senders import SmsSender

    events.register(EventSpec(EVENT, "基准测试", "core.notification.read",
                              lambda entry: Message("关泵预告", "基准", {"n": str(entry.detail["n"])}),
                              lambda entry: [Recipient("sms", address=phone(50_000_000 + entry.detail["n"]))],
                              notify_staff=False))
    Notification.objects.all().delete()
    stop = threading.Event()

    def loop() -> None:
        sender = SmsSender(workers=workers)
        while not stop.is_set():
            deliver({"sms": sender}, budget_s=30)
            stop.wait(interval)
        deliver({"sms": sender}, budget_s=30)
        connection.close()

    worker = threading.Thread(target=loop)
    worker.start()
    total = int(rate * seconds)
    started = time.perf_counter()
    for n in range(total):
        audit.record(EVENT, n=n)
        pause = started + (n + 1) / rate - time.perf_counter()
        if pause > 0:
            time.sleep(pause)
    time.sleep(interval * 2 + 1)
    stop.set()
    worker.join()
    entries = dict(AuditEntry.objects.filter(action=EVENT).values_list("pk", "at"))
    latencies = sorted((sent - entries[source]).total_seconds() * 1000 for source, sent in
                       Notification.objects.filter(event=EVENT, state="sent").values_list("source_id", "sent_at"))
    assert len(latencies) == total, (len(latencies), total)
    cut = statistics.quantiles(latencies, n=100)
    return {"events": total, "events_per_s": rate, "poll_interval_s": interval, "p50_ms": cut[49],
            "p95_ms": cut[94], "p99_ms": cut[98], "max_ms": latencies[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--database-url", default=None)
    options = parser.parse_args()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The provider runs in a process of its own, as a real one would: it does not share this process's GIL.
    server = subprocess.Popen([sys.executable, "-m", "changji.core.notifications.local_sms", "--port", str(port),
                               "--key", f"{KEY_ID}:{SECRET}"], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and "local SMS provider" in server.stdout.readline()
        setup(options.database_url, f"http://127.0.0.1:{port}/")
        from django.db import connection

        rate = measure_rate(options.notices, options.workers, options.batch)
        latency = measure_latency(options.rate, options.seconds, options.interval, options.workers)
        vendor = connection.vendor
    finally:
        server.terminate()
        server.wait()
    report("notifications", [{"database": vendor, "workers": options.workers, **rate}], {"latency": latency})
    print("end-to-end latency (audit entry → sent):", json.dumps(latency, ensure_ascii=False))


if __name__ == "__main__":
    main()
