"""MIDI units through mido and python-rtmidi, on any rtmidi API (ALSA, JACK, CoreMIDI, WinMM)."""

from __future__ import annotations

import queue

import mido

from ..errors import TransportError
from .base import BaseTransport

APIS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE",
        "winmm": "WINDOWS_MM"}


def backend(api: str | None) -> mido.Backend:
    """The mido backend for an rtmidi API name (alsa, jack, coremidi, winmm), or the default."""
    if api is None:
        return mido.Backend("mido.backends.rtmidi")
    if api not in APIS:
        raise TransportError(f"api={api}: not one of {', '.join(APIS)}")
    return mido.Backend(f"mido.backends.rtmidi/{APIS[api]}")


def find_port(names: list[str], wanted: str, *, direction: str) -> str:
    """The port called ``wanted``, exactly or as the one port whose name contains it."""
    if wanted in names:
        return wanted
    close = [n for n in names if wanted in n]
    if len(close) == 1:
        return close[0]
    listed = ", ".join(names) or "none"
    if not close:
        raise TransportError(f"midi:{wanted}: no MIDI {direction} port by that name "
                             f"(present: {listed})")
    raise TransportError(f"midi:{wanted}: several {direction} ports match ({', '.join(close)})")


class MidiTransport(BaseTransport):
    """Sends to the output port named ``port`` and listens on the input port of the same
    name, when the unit has one, for its replies."""

    def __init__(self, port: str, *, api: str | None = None) -> None:
        super().__init__(f"midi:{port}")
        self.port = port
        self.api = api
        self._out: mido.ports.BaseOutput | None = None
        self._in: mido.ports.BaseInput | None = None
        self._replies: queue.Queue[bytes] = queue.Queue(maxsize=4096)

    def _open_port(self) -> None:
        midi = backend(self.api)
        try:
            out_name = find_port(midi.get_output_names(), self.port, direction="output")
            # No client name: mido takes one as a request for a virtual port of our own.
            self._out = midi.open_output(out_name)
            inputs = [n for n in midi.get_input_names() if self.port in n]
            if inputs:
                self._in = midi.open_input(find_port(inputs, self.port, direction="input"),
                                           callback=self._on_message)
        except TransportError:
            raise
        except (OSError, RuntimeError, ImportError) as err:
            raise TransportError(f"{self.address}: cannot open ({err})") from err

    def _on_message(self, message: mido.Message) -> None:
        try:
            self._replies.put_nowait(bytes(message.bytes()))
        except queue.Full:
            pass  # a flood nobody reads: the oldest replies are what matter

    def _close_port(self) -> None:
        for port in (self._in, self._out):
            if port is not None:
                port.close()
        self._in = self._out = None

    def _send(self, message: bytes) -> None:
        try:
            self._out.send(mido.Message.from_bytes(list(message)))  # type: ignore[union-attr]
        except (ValueError, OSError, RuntimeError) as err:
            raise TransportError(f"{self.address}: send failed ({err})") from err

    def _receive(self, timeout: float) -> bytes | None:
        try:
            return self._replies.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            return None
