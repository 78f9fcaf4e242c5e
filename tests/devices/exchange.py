"""Expected exchanges: a transport that checks every byte sent and plays scripted replies."""

from __future__ import annotations

from types import TracebackType

from devices.transport.base import BaseTransport


class ExpectedExchange(BaseTransport):
    """Each step is (bytes the driver must send, replies the unit gives back to it).

    Sending anything else fails at once; leaving the ``with`` block with steps unused, or
    with replies unread, fails too. So a test's list of steps is the whole conversation.
    """

    def __init__(self, steps: list[tuple[bytes, list[bytes]]]) -> None:
        super().__init__("expected-exchange")
        self._steps = list(steps)
        self._pending: list[bytes] = []

    def _send(self, message: bytes) -> None:
        assert self._steps, f"sent {message.hex(' ').upper()} after the conversation ended"
        expected, replies = self._steps.pop(0)
        assert message == expected, (
            f"sent {message.hex(' ').upper()}, expected {expected.hex(' ').upper()}")
        self._pending.extend(replies)

    def _receive(self, timeout: float) -> bytes | None:
        return self._pending.pop(0) if self._pending else None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        super().__exit__(kind, error, trace)
        if kind is None:
            assert not self._steps, f"{len(self._steps)} expected messages were never sent"
            assert not self._pending, f"{len(self._pending)} replies were never read"
