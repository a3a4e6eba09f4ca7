"""Wait for a condition, never for a while.

The gateway, fleet and browser tests wait for the thing they need (a command answered, a message
expired, the fleet caught up with real time) instead of sleeping a fixed time, which is too short on
a busy machine and needlessly long on an idle one. These helpers poll a condition until it holds or
a deadline passes, and then fail saying what never happened.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], *, what: str, timeout: float = 10.0, every: float = 0.01) -> T:
    """Return ``condition()`` once it is true; fail after ``timeout`` seconds naming ``what`` was awaited."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(every)


async def eventually(condition: Callable[[], T | Awaitable[T]], *, what: str, timeout: float = 10.0,
                     every: float = 0.01) -> T:
    """Await ``condition()`` (a value or an awaitable) until it is true; fail after ``timeout`` naming ``what``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = condition()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if loop.time() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(every)
