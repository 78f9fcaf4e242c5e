"""A spy around any transport: logs every byte each way as hex, for field debugging."""

from __future__ import annotations

import logging

from .base import Transport

log = logging.getLogger("outboard.wire")


class SpyTransport:
    """Wraps ``inner``; every message sent or received is logged and kept in ``traffic``."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.address = inner.address
        self.traffic: list[tuple[str, bytes]] = []

    @property
    def is_open(self) -> bool:
        return self.inner.is_open

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def send(self, message: bytes) -> None:
        self.traffic.append(("out", message))
        log.info("%s -> %s", self.address, message.hex(" ").upper())
        self.inner.send(message)

    def receive(self, timeout: float) -> bytes | None:
        message = self.inner.receive(timeout)
        if message is not None:
            self.traffic.append(("in", message))
            log.info("%s <- %s", self.address, message.hex(" ").upper())
        return message

    def __enter__(self) -> SpyTransport:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
