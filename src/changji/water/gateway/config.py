"""Gateway settings: limits that protect the server, and the protocol variants of the deployment."""

from __future__ import annotations

from dataclasses import dataclass, field

from changji.water.protocols.sl651 import Sl651Options
from changji.water.protocols.szy206 import Szy206Options

__pure__ = True  # no Django: tests/test_architecture.py checks it


@dataclass(frozen=True)
class GatewayConfig:
    """Everything a gateway process needs to know besides its database."""

    host: str = "0.0.0.0"
    port: int = 9000
    #: Share the port with other gateway processes (SO_REUSEPORT: the kernel spreads connections).
    reuse_port: bool = False
    #: Connections beyond this are closed on accept (the prefecture has 10,401 terminals).
    max_connections: int = 20_000
    #: A connection that sends nothing for this long is closed (terminals keep alive every 40–240 s).
    idle_timeout_s: float = 600.0
    #: Largest frame accepted; a longer run of bytes is thrown away.
    max_frame_bytes: int = 16 * 1024
    #: A peer whose recent garbage (stray bytes, frames failing their CRC) reaches this many bytes
    #: and outnumbers the bytes of its recent valid frames is cut off (``guard``).
    garbage_limit_bytes: int = 4096
    #: "Recent" for the garbage rule: the counts halve every this many seconds.
    garbage_window_s: float = 60.0
    #: A peer sending more frames (valid or failing their CRC) than this per second (10 s average)
    #: is cut off as a flood.
    max_frames_per_s: float = 50.0
    #: Incomplete multi-packet messages (SL651 M3, SZY206 DIV): the bytes one connection's may hold,
    #: the bytes all connections' may hold together, and how long one may wait for its next packet.
    multipacket_max_bytes: int = 1024 * 1024
    multipacket_total_bytes: int = 64 * 1024 * 1024
    multipacket_max_idle_s: float = 300.0
    #: How long a write (ack, command) may wait for a slow peer before the connection is closed.
    write_timeout_s: float = 30.0
    #: Register unknown terminals on first contact instead of quarantining them (demo only).
    auto_register: bool = False
    #: SZY206 time-label allowed delay (SL/T 427-2021 表7, docs/protocols.md §2.7): "flag" stores a frame
    #: older than the delay its terminal set and marks it late (nothing measured is thrown away);
    #: "reject" keeps it as evidence only (acknowledged, no reading), as the standard's receiver rule
    #: says; "ignore".
    time_label_delay: str = "flag"
    #: Readings more than this far ahead of the receipt time are flagged as future-dated.
    future_tolerance_s: float = 300.0
    #: Group commit: at most this many frames per transaction, waiting at most this long to fill.
    batch_max: int = 1000
    batch_linger_s: float = 0.005
    #: A command not answered within this time is sent again at the next opportunity.
    command_answer_timeout_s: float = 60.0
    sl651: Sl651Options = field(default_factory=Sl651Options)
    szy206: Szy206Options = field(default_factory=Szy206Options)
