"""Ports for emulated units: a pseudo-terminal for serial units, a virtual MIDI port for MIDI
ones. Each runs one daemon thread with a stop event, joined on close."""

from __future__ import annotations

import collections
import os
import select
import threading
import time
import tty
from collections.abc import Callable
from types import TracebackType
from typing import Any

import rtmidi

from ..errors import TransportError
from ..transport.midi_port import QUEUE_LIMIT, poll, rt_api
from .unit import EmulatedUnit

_POLL_S = 0.01
_FRAME_GAP_S = 0.005
# How often a unit that sends without end sends its next message.
_ENDLESS_GAP_S = 0.0002


class _Runner:
    def __init__(self, unit: EmulatedUnit, on_change: Callable[[str, float], None] | None) -> None:
        self.unit = unit
        self.on_change = on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.error: BaseException | None = None

    def _report_changes(self, before: int) -> None:
        if self.on_change is not None:
            for change in self.unit.changes[before:]:
                self.on_change(*change)

    def __enter__(self) -> _Runner:
        self.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None


class PtyEmulator(_Runner):
    """A serial unit on the far end of a pseudo-terminal; ``port`` is the path to open.

    Replies go out through a queue of timed writes, so a unit told to stall mid-reply, or to
    send without end, still takes in what it is sent meanwhile.
    """

    def __init__(self, unit: EmulatedUnit, *,
                 on_change: Callable[[str, float], None] | None = None) -> None:
        super().__init__(unit, on_change)
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        os.set_blocking(self._master, False)
        self.port = os.ttyname(self._slave)
        settings = unit.profile.serial
        self._terminator = settings.terminator if settings else b"\r"
        # Timed writes, in order: (when, bytes); the rest of a write the line did not take.
        self._out: collections.deque[tuple[float, bytes | memoryview]] = collections.deque()
        self._streaming = False
        self.written = 0  # bytes put on the line so far

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="pty-emulator", daemon=True)
        self._thread.start()

    def send_unasked(self, data: bytes) -> None:
        """Put ``data`` on the line as if the unit sent it unasked: line noise, a stray
        answer. It goes out after any reply still going out."""
        self._out.append((time.monotonic(), data))

    def disconnect(self) -> None:
        """Pull the plug: the line goes dead and the port disappears."""
        self.close()

    def close(self) -> None:
        super().close()
        for fd in (self._master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass

    def _serve(self) -> None:
        buffer = bytearray()
        last = 0.0
        try:
            while not self._stop.is_set():
                self._refill()
                # Wait for what is sent, or for the line to take the next write once due.
                due = bool(self._out) and self._out[0][0] <= time.monotonic()
                wait = _POLL_S
                if self._out and not due:
                    wait = min(self._out[0][0] - time.monotonic(), _POLL_S)
                ready, writable, _ = select.select(
                    [self._master], [self._master] if due else [], [], max(wait, 0.0))
                if ready:
                    chunk = os.read(self._master, 4096)
                    if not chunk:
                        return
                    buffer += chunk
                    last = time.monotonic()
                if writable:
                    self._write_due()
                for message in self._messages(buffer, last):
                    self._handle(message)
        except OSError:
            return  # the port was closed under us: the unit is gone
        except BaseException as err:  # noqa: BLE001 - kept for the owner to re-raise
            self.error = err

    def _refill(self) -> None:
        """A unit that sends without end always has its next bytes waiting."""
        endless = self.unit.misbehaviour.endless
        if self._streaming and endless and not self._out:
            self._out.append((0.0, endless))

    def _write_due(self) -> None:
        """Write what is due, as much as the line takes now; the rest stays queued."""
        while self._out and self._out[0][0] <= time.monotonic():
            due, data = self._out.popleft()
            try:
                written = os.write(self._master, data)
            except BlockingIOError:
                written = 0
            self.written += written
            if written < len(data):
                self._out.appendleft((due, memoryview(data)[written:]))
                return

    def _messages(self, buffer: bytearray, last: float) -> list[bytes]:
        out = []
        if self._terminator:
            while self._terminator in buffer:
                line, _, rest = bytes(buffer).partition(self._terminator)
                buffer[:] = rest
                out.append(line)
        elif buffer and time.monotonic() - last > _FRAME_GAP_S:
            out.append(bytes(buffer))
            buffer.clear()
        return out

    def _handle(self, message: bytes) -> None:
        before = len(self.unit.changes)
        replies = self.unit.receive_serial(message)
        self._report_changes(before)
        now = time.monotonic()
        for after, piece in self.unit.writes(replies, self._terminator):
            # In order: a reply never overtakes one still going out.
            due = max(now + after, self._out[-1][0]) if self._out else now + after
            self._out.append((due, piece))
        self._streaming = self._streaming or bool(replies)


class MidiEmulator(_Runner):
    """A MIDI unit on virtual ports named ``name``: it listens on an input port and answers
    on an output port of the same name, on the rtmidi API given (alsa, jack).

    A worker thread takes the incoming messages from rtmidi's queue (no Python callback runs
    on the MIDI driver's thread), keeps the unit's state and sends the replies, late if told
    to be.
    """

    def __init__(self, unit: EmulatedUnit, name: str, *, api: str | None = None,
                 on_change: Callable[[str, float], None] | None = None) -> None:
        super().__init__(unit, on_change)
        self.name = name
        self.api = api
        self._in: Any = None
        self._out: Any = None

    def start(self) -> None:
        try:
            self._out = rtmidi.MidiOut(rtapi=rt_api(self.api), name=self.name)
            self._out.open_virtual_port(self.name)
            self._in = rtmidi.MidiIn(rtapi=rt_api(self.api), name=self.name,
                                     queue_size_limit=QUEUE_LIMIT)
            self._in.ignore_types(sysex=False, timing=True, active_sense=True)
            self._in.open_virtual_port(self.name)
        except (rtmidi.RtMidiError, OSError, RuntimeError) as err:
            self.close()
            raise TransportError(f"midi:{self.name}: cannot open virtual ports ({err})") from err
        self._thread = threading.Thread(target=self._serve, name="midi-emulator", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        out: collections.deque[tuple[float, bytes]] = collections.deque()
        streaming = False
        try:
            while not self._stop.is_set():
                wait = _POLL_S
                if out:
                    wait = min(max(out[0][0] - time.monotonic(), 0.0), _POLL_S)
                message = poll(self._in, wait, self._stop)
                if message is not None:
                    before = len(self.unit.changes)
                    replies = self.unit.receive_midi(message)
                    self._report_changes(before)
                    now = time.monotonic()
                    for after, piece in self.unit.writes(replies, midi=True):
                        out.append((max(now + after, out[-1][0]) if out else now + after,
                                    piece))
                    streaming = streaming or bool(replies)
                endless = self.unit.misbehaviour.endless
                if streaming and endless and not out:
                    out.append((time.monotonic() + _ENDLESS_GAP_S, endless))
                while out and out[0][0] <= time.monotonic() and self._out is not None:
                    self._out.send_message(list(out.popleft()[1]))
        except BaseException as err:  # noqa: BLE001 - kept for the owner to re-raise
            self.error = err

    def close(self) -> None:
        super().close()
        for port in (self._in, self._out):
            if port is not None:
                try:
                    port.close_port()
                    port.delete()
                except (rtmidi.RtMidiError, OSError, RuntimeError):
                    pass
        self._in = self._out = None
