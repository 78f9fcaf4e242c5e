"""Serial units through pyserial: a device path or any pyserial URL (socket://, rfc2217://)."""

from __future__ import annotations

import time

import serial

from ..errors import TransportError
from ..profile import SerialSettings
from .base import BaseTransport

_PARITY = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD,
           "mark": serial.PARITY_MARK, "space": serial.PARITY_SPACE}
_STOPBITS = {1: serial.STOPBITS_ONE, 1.5: serial.STOPBITS_ONE_POINT_FIVE, 2: serial.STOPBITS_TWO}
# A binary frame is over when the line stays quiet this long after its last byte.
_FRAME_GAP_S = 0.02

try:  # pyserial's POSIX port lets termios.error (not an OSError) out of a vanished tty
    import termios

    _PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError,
                                                     termios.error)
except ImportError:  # Windows
    _PORT_ERRORS = (serial.SerialException, OSError)


class SerialTransport(BaseTransport):
    """Text lines split at the profile's terminator, or binary frames split by silence."""

    def __init__(self, url: str, settings: SerialSettings, *,
                 baudrate: int | None = None) -> None:
        super().__init__(f"serial:{url}")
        self.url = url
        self.settings = settings
        self.baudrate = baudrate or settings.baudrate
        self._port: serial.SerialBase | None = None
        self._buffer = bytearray()

    def _open_port(self) -> None:
        s = self.settings
        try:
            self._port = serial.serial_for_url(
                self.url, baudrate=self.baudrate, bytesize=s.bytesize,
                parity=_PARITY[s.parity], stopbits=_STOPBITS[s.stopbits],
                xonxoff=s.flow == "xonxoff", rtscts=s.flow == "rtscts", timeout=0.01,
            )
        except (serial.SerialException, ValueError, OSError) as err:
            raise TransportError(f"{self.address}: cannot open ({err})") from err

    def _close_port(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None

    def _send(self, message: bytes) -> None:
        try:
            self._port.write(message)  # type: ignore[union-attr]
            self._port.flush()  # type: ignore[union-attr]
        except _PORT_ERRORS as err:
            raise TransportError(f"{self.address}: write failed, unit gone? ({err})") from err

    def _receive(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + timeout
        terminator = self.settings.terminator
        last_byte = None
        while True:
            if terminator and terminator in self._buffer:
                line, _, rest = bytes(self._buffer).partition(terminator)
                self._buffer = bytearray(rest)
                return line
            if not terminator and self._buffer and last_byte is not None and (
                    time.monotonic() - last_byte > _FRAME_GAP_S):
                frame, self._buffer = bytes(self._buffer), bytearray()
                return frame
            if time.monotonic() > deadline:
                return None
            try:
                # What has arrived, or wait (up to the port's 10 ms timeout) for one byte.
                waiting = self._port.in_waiting  # type: ignore[union-attr]
                chunk = self._port.read(waiting or 1)  # type: ignore[union-attr]
            except _PORT_ERRORS as err:
                raise TransportError(f"{self.address}: read failed, unit gone? ({err})") from err
            if chunk:
                self._buffer += chunk
                last_byte = time.monotonic()
                if len(self._buffer) > 65536:
                    self._buffer.clear()
                    raise TransportError(f"{self.address}: 64 KiB without a terminator; "
                                         "is the baud rate right?")
