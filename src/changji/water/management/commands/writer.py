"""``changji writer``: store the frames that ``changji gateway --via jetstream`` published to JetStream."""

from __future__ import annotations

import asyncio

from django.core.management.base import BaseCommand, CommandError

from changji.water.gateway import stream, stream_client
from changji.water.gateway.stream_writer import run_writer


class Command(BaseCommand):
    help = ("Take frames from the NATS JetStream stream, store them in the database exactly once and "
            "acknowledge them after the commit; several writers share one durable consumer.")

    def add_arguments(self, parser):
        parser.add_argument("--nats", default=stream.DEFAULT_SERVERS, help="NATS server URL(s), comma-separated")
        parser.add_argument("--batch", type=int, default=500, help="messages fetched and stored per transaction")
        parser.add_argument("--ack-wait", type=float, default=stream.ACK_WAIT_S,
                            help="seconds before a message a writer took and did not acknowledge goes to another")
        parser.add_argument("--setup", action="store_true",
                            help="create or update the stream and the writers' consumer, then exit")

    def handle(self, *args, **options):
        if options["batch"] < 1:
            raise CommandError("--batch must be at least 1")
        if options["setup"]:
            try:
                asyncio.run(_set_up(options["nats"], options["ack_wait"]))
            except Exception as exc:
                raise CommandError(f"could not set up JetStream at {options['nats']}: {exc}") from exc
            self.stdout.write(f"stream {stream.STREAM} and consumer {stream.CONSUMER} are set up")
            return
        run_writer(options["nats"], options["batch"], options["ack_wait"])


async def _set_up(servers: str, ack_wait_s: float) -> None:
    import nats  # deferred: a plain connection that fails fast, not the serving one that retries forever

    nc = await nats.connect(servers=servers.split(","), connect_timeout=3, max_reconnect_attempts=0)
    try:
        await stream_client.set_up(nc.jetstream(timeout=5.0), ack_wait_s=ack_wait_s)
    finally:
        await nc.close()
