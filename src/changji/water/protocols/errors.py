"""Errors raised by the field-terminal protocol codecs.

Every failure of a codec is one of these; callers (the gateway, the ``decode`` command) catch
``ProtocolError`` and never see an ``IndexError`` or ``ValueError`` from a hostile frame::

    ProtocolError
    ├── FramingError        the bytes do not form a frame (start, length, end character)
    │   └── ChecksumError   a whole frame whose CRC does not match (expected and found)
    ├── DecodeError         a well-framed frame whose body cannot be read
    │   └── LimitError      a readable message beyond a receiver limit (multi-packet size, memory)
    └── EncodeError         field values that cannot be put on the wire
"""

from __future__ import annotations

__pure__ = True  # no Django: tests/test_architecture.py checks it


class ProtocolError(Exception):
    """Base class of every codec error."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class FramingError(ProtocolError):
    """The bytes do not form a frame of the protocol."""


class ChecksumError(FramingError):
    """A frame whose check code does not match its content."""

    def __init__(self, protocol: str, expected: int, found: int, width: int = 4) -> None:
        super().__init__(
            f"{protocol} CRC mismatch: expected {expected:0{width}X}, found {found:0{width}X}"
        )
        self.protocol = protocol
        self.expected = expected
        self.found = found


class DecodeError(ProtocolError):
    """A well-framed frame whose content cannot be decoded."""


class LimitError(DecodeError):
    """A readable message refused because it exceeds a receiver limit (packets, bytes, memory)."""


class EncodeError(ProtocolError):
    """Values that cannot be encoded into a frame."""
