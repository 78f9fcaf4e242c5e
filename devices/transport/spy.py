"""A spy around any transport: logs every byte each way as hex, for field debugging."""

from __future__ import annotations

import logging
import time
from typing import TextIO

from .base import Transport

log = logging.getLogger("outboard.wire")


class SpyTransport:
    """Wraps ``inner``; every message sent or received is logged and kept in ``traffic``;
    ``sent_at`` holds the perf_counter time each message went out."""

    def __init__(self, inner: Transport, *, echo: TextIO | None = None) -> None:
        self.inner = inner
        self._echo = echo
        self.address = inner.address
        self.traffic: list[tuple[str, bytes]] = []
        self.sent_at: list[float] = []

    @property
    def is_open(self) -> bool:
        return self.inner.is_open

    def open(self) -> None:
        self.inner.open()

    def close(self) -> None:
        self.inner.close()

    def send(self, message: bytes) -> None:
        self.traffic.append(("out", message))
        self.sent_at.append(time.perf_counter())
        self._log("->", message)
        self.inner.send(message)

    def receive(self, timeout: float) -> bytes | None:
        message = self.inner.receive(timeout)
        if message is not None:
            self.traffic.append(("in", message))
            self._log("<-", message)
        return message

    def _log(self, arrow: str, message: bytes) -> None:
        text = f"{self.address} {arrow} {message.hex(' ').upper()}"
        log.info(text)
        if self._echo is not None:
            print(text, file=self._echo, flush=True)

    def __enter__(self) -> SpyTransport:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
