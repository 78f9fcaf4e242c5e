"""Ports for emulated units: a pseudo-terminal for serial units, a virtual MIDI port for MIDI
ones. Each runs one daemon thread with a stop event, joined on close."""

from __future__ import annotations

import os
import queue
import select
import threading
import time
import tty
from collections.abc import Callable
from types import TracebackType

import mido

from ..errors import TransportError
from ..transport.midi_port import backend
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

    The port's callback (on JACK, the audio thread) only queues the bytes; a worker thread
    decodes them, keeps the unit's state and sends the replies, late if told to be.
    """

    def __init__(self, unit: EmulatedUnit, name: str, *, api: str | None = None,
                 on_change: Callable[[str, float], None] | None = None) -> None:
        super().__init__(unit, on_change)
        self.name = name
        self.api = api
        self._in: mido.ports.BaseInput | None = None
        self._out: mido.ports.BaseOutput | None = None
        self._inbox: queue.Queue[bytes] = queue.Queue(maxsize=65536)

    def start(self) -> None:
        midi = backend(self.api)
        try:
            self._out = midi.open_output(self.name, virtual=True, client_name=self.name)
            self._in = midi.open_input(self.name, virtual=True, client_name=self.name,
                                       callback=self._on_message)
        except (OSError, RuntimeError, ImportError) as err:
            self.close()
            raise TransportError(f"midi:{self.name}: cannot open virtual ports ({err})") from err
        self._thread = threading.Thread(target=self._serve, name="midi-emulator", daemon=True)
        self._thread.start()

    def _on_message(self, message: mido.Message) -> None:
        try:
            self._inbox.put_nowait(bytes(message.bytes()))
        except queue.Full:
            pass  # a flood beyond what a unit could take: dropped, as a real one would

    def _serve(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    message = self._inbox.get(timeout=_POLL_S)
                except queue.Empty:
                    continue
                before = len(self.unit.changes)
                replies = self.unit.receive_midi(message)
                self._report_changes(before)
                if replies and self.unit.misbehaviour.delay_s:
                    self._stop.wait(self.unit.misbehaviour.delay_s)
                for reply in replies:
                    if self._out is not None:
                        self._out.send(mido.Message.from_bytes(list(reply)))
        except BaseException as err:  # noqa: BLE001 - kept for the owner to re-raise
            self.error = err

    def close(self) -> None:
        super().close()
        for port in (self._in, self._out):
            if port is not None:
                port.close()
        self._in = self._out = None
