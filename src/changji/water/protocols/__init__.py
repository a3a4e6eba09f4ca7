"""Field-terminal protocol codecs: SL651-2014 and SZY206-2016 / SL/T 427-2021.

Pure Python with no Django import, so the gateway, the ``decode`` command and any other tool can
use them alone. The modules:

* ``crc``, ``bcd``        check codes and packed BCD shared by both families
* ``framing``             a stream framer for both families on one byte stream, linear in its input
* ``sl651``               SL651-2014 HEX/BCD and ASCII frames (``sl651_*`` hold the parts)
* ``szy206``              SZY206-2016 / SL/T 427-2021 frames (``szy206_*`` hold the parts)
* ``reassembly``          memory caps and expiry shared by the multi-packet reassemblers
* ``reading``             the canonical reading in platform units
* ``inspection``          one frame described as plain data (the ``changji decode`` contract)
* ``errors``              the codec error hierarchy
"""

from changji.water.protocols.errors import ChecksumError, DecodeError, EncodeError, FramingError, ProtocolError
from changji.water.protocols.framing import SL651, SZY206, Framer, RawFrame, Rejected, detect_protocol
from changji.water.protocols.inspection import describe_frame
from changji.water.protocols.reading import CANONICAL_FIELDS, Reading

__pure__ = True  # no Django: tests/test_architecture.py checks it

__all__ = [
    "CANONICAL_FIELDS",
    "SL651",
    "SZY206",
    "ChecksumError",
    "DecodeError",
    "EncodeError",
    "Framer",
    "FramingError",
    "ProtocolError",
    "RawFrame",
    "Reading",
    "Rejected",
    "describe_frame",
    "detect_protocol",
]
