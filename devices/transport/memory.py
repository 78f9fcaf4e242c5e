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
    makes the unit vanish as an unplugged one would. A unit told to misshape its replies
    has each piece of a reply (noise, a cut reply's head and rest) arrive as a message of
    its own; one told to send without end always has a message waiting once it has answered.
    """

    def __init__(self, unit: EmulatedUnit, *, kind: str = "midi") -> None:
        super().__init__(f"emulated:{unit.profile.key}")
        self.unit = unit
        self.kind = kind
        self._replies: collections.deque[tuple[float, bytes]] = collections.deque(maxlen=1024)
        self._gone = False
        self._streaming = False
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
        now = time.monotonic()
        self._replies.extend((now + after, piece) for after, piece
                             in self.unit.writes(replies, midi=self.kind == "midi") if piece)
        self._streaming = self._streaming or bool(replies)

    def _receive(self, timeout: float) -> bytes | None:
        if self._gone:
            raise TransportError(f"{self.address}: the unit went away")
        if self._streaming and self.unit.misbehaviour.endless and not self._replies:
            return self.unit.misbehaviour.endless
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
