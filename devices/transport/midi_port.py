"""MIDI units through python-rtmidi, on any rtmidi API (ALSA, JACK, CoreMIDI, WinMM).

Replies are taken from rtmidi's own queue by polling: no Python callback ever runs on the
MIDI driver's thread. (On JACK that thread is the audio process thread; a Python callback
there needs the interpreter lock, and a thread holding the lock inside a JACK call, such as
opening a port, then waits for the process cycle: both stall until JACK's client timeout.)
"""

from __future__ import annotations

import time
from typing import Any

import mido
import rtmidi

from ..errors import TransportError
from .base import BaseTransport

APIS = {"alsa": "LINUX_ALSA", "jack": "UNIX_JACK", "coremidi": "MACOSX_CORE",
        "winmm": "WINDOWS_MM"}
_RT_APIS = {"alsa": rtmidi.API_LINUX_ALSA, "jack": rtmidi.API_UNIX_JACK,
            "coremidi": rtmidi.API_MACOSX_CORE, "winmm": rtmidi.API_WINDOWS_MM}
# How often a waiting receive looks at rtmidi's queue (one MIDI byte takes 0.32 ms).
POLL_S = 0.0005
# Messages rtmidi keeps for us between polls.
QUEUE_LIMIT = 4096
CLIENT_NAME = "Outboard"
_RT_ERRORS = (rtmidi.RtMidiError, OSError, RuntimeError, ValueError)


def backend(api: str | None) -> mido.Backend:
    """The mido backend for an rtmidi API name (alsa, jack, coremidi, winmm), or the default."""
    if api is None:
        return mido.Backend("mido.backends.rtmidi")
    if api not in APIS:
        raise TransportError(f"api={api}: not one of {', '.join(APIS)}")
    return mido.Backend(f"mido.backends.rtmidi/{APIS[api]}")


def rt_api(api: str | None) -> int:
    """rtmidi's number for an API name; the platform's default when None."""
    if api is None:
        return rtmidi.API_UNSPECIFIED
    if api not in _RT_APIS:
        raise TransportError(f"api={api}: not one of {', '.join(_RT_APIS)}")
    return _RT_APIS[api]


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


def poll(port: Any, timeout: float, stop: Any = None) -> bytes | None:
    """The next message in an rtmidi input's queue, waiting up to ``timeout`` seconds."""
    deadline = time.monotonic() + max(timeout, 0.0)
    while True:
        found = port.get_message()
        if found is not None:
            return bytes(found[0])
        if time.monotonic() >= deadline or (stop is not None and stop.is_set()):
            return None
        time.sleep(POLL_S)


class MidiTransport(BaseTransport):
    """Sends to the output port named ``port`` and listens on the input port of the same
    name, when the unit has one, for its replies."""

    def __init__(self, port: str, *, api: str | None = None) -> None:
        super().__init__(f"midi:{port}")
        self.port = port
        self.api = api
        self._out: Any = None
        self._in: Any = None

    def _open_port(self) -> None:
        try:
            # One client each way; each lists the ports it can reach, so no extra clients
            # are made just to list them.
            self._out = rtmidi.MidiOut(rtapi=rt_api(self.api), name=CLIENT_NAME)
            outputs = self._out.get_ports()
            self._out.open_port(outputs.index(find_port(outputs, self.port,
                                                        direction="output")),
                                name="out")
            self._in = rtmidi.MidiIn(rtapi=rt_api(self.api), name=CLIENT_NAME,
                                     queue_size_limit=QUEUE_LIMIT)
            inputs = self._in.get_ports()
            matching = [n for n in inputs if self.port in n]
            if matching:
                # SysEx replies are what read-backs and dumps are made of: keep them.
                self._in.ignore_types(sysex=False, timing=True, active_sense=True)
                self._in.open_port(inputs.index(find_port(matching, self.port,
                                                          direction="input")),
                                   name="in")
            else:
                self._in.delete()
                self._in = None
        except TransportError:
            self._close_port()
            raise
        except _RT_ERRORS as err:
            self._close_port()
            raise TransportError(f"{self.address}: cannot open ({err})") from err

    def _close_port(self) -> None:
        for port in (self._in, self._out):
            if port is not None:
                try:
                    port.close_port()
                    port.delete()
                except _RT_ERRORS:
                    pass  # closing what is already gone
        self._in = self._out = None

    def _send(self, message: bytes) -> None:
        try:
            self._out.send_message(list(message))
        except _RT_ERRORS as err:
            raise TransportError(f"{self.address}: send failed ({err})") from err

    def _receive(self, timeout: float) -> bytes | None:
        if self._in is None:
            time.sleep(max(timeout, 0.0))
            return None
        return poll(self._in, timeout)
