"""The one transport interface: open, close, send, receive, as a context manager."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Protocol

from ..errors import TransportError


class Transport(Protocol):
    """Moves whole messages: MIDI messages, or serial lines without their terminator."""

    address: str

    @property
    def is_open(self) -> bool: ...
    def open(self) -> None: ...
    def close(self) -> None: ...
    def send(self, message: bytes) -> None: ...
    def receive(self, timeout: float) -> bytes | None: ...


class BaseTransport:
    """Checks state and locks once; a transport overrides only the underscore methods."""

    def __init__(self, address: str) -> None:
        self.address = address
        self._lock = threading.Lock()
        self._open = False

    @property
    def is_open(self) -> bool:
        return self._open

    def open(self) -> None:
        with self._lock:
            if not self._open:
                self._open_port()
                self._open = True

    def close(self) -> None:
        with self._lock:
            if self._open:
                self._open = False
                self._close_port()

    def send(self, message: bytes) -> None:
        if not self._open:
            raise TransportError(f"{self.address}: the port is not open")
        with self._lock:
            self._send(bytes(message))

    def receive(self, timeout: float) -> bytes | None:
        """The next whole message, or None when none came within ``timeout`` seconds."""
        if not self._open:
            raise TransportError(f"{self.address}: the port is not open")
        return self._receive(timeout)

    def __enter__(self) -> BaseTransport:
        self.open()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # Overridden by each transport.
    def _open_port(self) -> None:
        pass

    def _close_port(self) -> None:
        pass

    def _send(self, message: bytes) -> None:
        raise NotImplementedError

    def _receive(self, timeout: float) -> bytes | None:
        raise NotImplementedError
