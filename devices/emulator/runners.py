"""Ports for emulated units: a pseudo-terminal for serial units, a virtual MIDI port for MIDI
ones. Each runs one daemon thread with a stop event, joined on close."""

from __future__ import annotations

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
    """A serial unit on the far end of a pseudo-terminal; ``port`` is the path to open."""

    def __init__(self, unit: EmulatedUnit, *,
                 on_change: Callable[[str, float], None] | None = None) -> None:
        super().__init__(unit, on_change)
        self._master, self._slave = os.openpty()
        tty.setraw(self._master)
        tty.setraw(self._slave)
        self.port = os.ttyname(self._slave)
        settings = unit.profile.serial
        self._terminator = settings.terminator if settings else b"\r"

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="pty-emulator", daemon=True)
        self._thread.start()

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
                ready, _, _ = select.select([self._master], [], [], _POLL_S)
                if ready:
                    chunk = os.read(self._master, 4096)
                    if not chunk:
                        return
                    buffer += chunk
                    last = time.monotonic()
                for message in self._messages(buffer, last):
                    self._handle(message)
        except OSError:
            return  # the port was closed under us: the unit is gone
        except BaseException as err:  # noqa: BLE001 - kept for the owner to re-raise
            self.error = err

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
        if replies and self.unit.misbehaviour.delay_s:
            time.sleep(self.unit.misbehaviour.delay_s)
        for reply in replies:
            os.write(self._master, reply + self._terminator)


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
        try:
            while not self._stop.is_set():
                message = poll(self._in, _POLL_S, self._stop)
                if message is None:
                    continue
                before = len(self.unit.changes)
                replies = self.unit.receive_midi(message)
                self._report_changes(before)
                if replies and self.unit.misbehaviour.delay_s:
                    self._stop.wait(self.unit.misbehaviour.delay_s)
                for reply in replies:
                    if self._out is not None:
                        self._out.send_message(list(reply))
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
