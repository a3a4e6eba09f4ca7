"""The NATS connection of a gateway or writer, and the idempotent set-up of the stream and its consumer.

Once connected, both sides reconnect forever (``max_reconnect_attempts=-1``); when NATS is down at start,
``connect_when_up`` keeps trying: a gateway meanwhile serves its terminals and acknowledges none, a writer waits.
``set_up`` creates the stream and the consumer, or brings an existing one to the configuration in
``stream`` (``changji writer --setup``, and on every start of a gateway or writer).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js import api as js_api
from nats.js.errors import NotFoundError

from changji.water.gateway import stream

__pure__ = True  # no Django: tests/test_architecture.py checks it

log = logging.getLogger("changji.gateway.stream")


async def connect_when_up(servers: str, name: str, every_s: float = 0.5) -> Client:
    """Return a connection once a NATS server answers, trying every ``every_s`` seconds until then."""
    while True:
        try:
            return await connect(servers, name)
        except Exception as exc:
            log.warning("%s: NATS at %s does not answer yet: %r", name, servers, exc)
            await asyncio.sleep(every_s)


async def connect(servers: str, name: str) -> Client:
    """Return a NATS connection that reconnects on its own, whatever happens to the server afterwards."""

    async def disconnected() -> None:
        log.warning("%s: NATS connection lost; reconnecting", name)

    async def reconnected() -> None:
        log.warning("%s: NATS connection back", name)

    async def error(exc: Exception) -> None:
        log.info("%s: NATS: %s", name, exc)

    return await nats.connect(
        servers=[server.strip() for server in servers.split(",")], name=name, max_reconnect_attempts=-1,
        reconnect_time_wait=0.25, connect_timeout=2, ping_interval=5,
        max_outstanding_pings=2, disconnected_cb=disconnected, reconnected_cb=reconnected, error_cb=error,
    )


def _stream_config() -> js_api.StreamConfig:
    config: dict[str, Any] = stream.stream_config()
    config["storage"] = js_api.StorageType(config["storage"])
    config["retention"] = js_api.RetentionPolicy(config["retention"])
    config["discard"] = js_api.DiscardPolicy(config["discard"])
    return js_api.StreamConfig(**config)


def _consumer_config(ack_wait_s: float) -> js_api.ConsumerConfig:
    config: dict[str, Any] = stream.consumer_config(ack_wait_s)
    config["ack_policy"] = js_api.AckPolicy(config["ack_policy"])
    config["deliver_policy"] = js_api.DeliverPolicy(config["deliver_policy"])
    return js_api.ConsumerConfig(**config)


async def set_up(js: JetStreamContext, consumer: bool = True, ack_wait_s: float = stream.ACK_WAIT_S) -> None:
    """Create or update the stream (and the writers' consumer); running it again changes nothing."""
    config = _stream_config()
    try:
        await js.stream_info(stream.STREAM)
    except NotFoundError:
        await js.add_stream(config)
        log.info("created the JetStream stream %s", stream.STREAM)
    else:
        await js.update_stream(config)
    if consumer:
        await js.add_consumer(stream.STREAM, _consumer_config(ack_wait_s))  # creates, or updates to the same config
