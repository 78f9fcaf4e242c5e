"""The in-memory transport: a driver talking straight to an emulated unit, no port."""

from __future__ import annotations

import collections
import time

from ..emulator.unit import EmulatedUnit
from ..errors import TransportError
from .base import BaseTransport


class MemoryTransport(BaseTransport):
    """Hands each message to an emulated unit and queues its replies (after its delay).

    ``kind`` says whether the unit is spoken to as MIDI or as serial lines. ``disconnect()``
    makes the unit vanish as an unplugged one would.
    """

    def __init__(self, unit: EmulatedUnit, *, kind: str = "midi") -> None:
        super().__init__(f"emulated:{unit.profile.key}")
        self.unit = unit
        self.kind = kind
        self._replies: collections.deque[tuple[float, bytes]] = collections.deque(maxlen=1024)
        self._gone = False
        self.sent: list[bytes] = []

    def disconnect(self) -> None:
        self._gone = True

    def _send(self, message: bytes) -> None:
        if self._gone:
            raise TransportError(f"{self.address}: the unit went away")
        self.sent.append(message)
        if self.kind == "midi":
            replies = self.unit.receive_midi(message)
        else:
            replies = self.unit.receive_serial(message)
        due = time.monotonic() + self.unit.misbehaviour.delay_s
        self._replies.extend((due, r) for r in replies)

    def _receive(self, timeout: float) -> bytes | None:
        if self._gone:
            raise TransportError(f"{self.address}: the unit went away")
        if not self._replies:
            time.sleep(min(timeout, 0.001))
            return None
        due, reply = self._replies[0]
        wait = due - time.monotonic()
        if wait > timeout:
            time.sleep(max(timeout, 0.0))
            return None
        if wait > 0:
            time.sleep(wait)
        self._replies.popleft()
        return reply
