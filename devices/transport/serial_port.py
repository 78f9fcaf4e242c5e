"""Serial units through pyserial: a device path or any pyserial URL (socket://, rfc2217://)."""

from __future__ import annotations

import time

import serial

from ..errors import ReplyError, TransportError
from ..profile import SerialSettings
from .base import BaseTransport

_PARITY = {"none": serial.PARITY_NONE, "even": serial.PARITY_EVEN, "odd": serial.PARITY_ODD,
           "mark": serial.PARITY_MARK, "space": serial.PARITY_SPACE}
_STOPBITS = {1: serial.STOPBITS_ONE, 1.5: serial.STOPBITS_ONE_POINT_FIVE, 2: serial.STOPBITS_TWO}
# A binary frame is over when the line stays quiet this long after its last byte.
_FRAME_GAP_S = 0.02
# The longest line or frame a unit may send; more, without its end, is not a reply.
MAX_MESSAGE = 65536
# The most taken from the port in one read.
_READ_SIZE = 16384

try:  # pyserial's POSIX port lets termios.error (not an OSError) out of a vanished tty
    import termios

    _PORT_ERRORS: tuple[type[BaseException], ...] = (serial.SerialException, OSError,
                                                     termios.error)
except ImportError:  # Windows
    _PORT_ERRORS = (serial.SerialException, OSError)


class SerialTransport(BaseTransport):
    """Text lines split at the profile's terminator, or binary frames split by silence.

    Nothing that came before a command is taken as its answer: what has arrived is dropped
    when the command goes out, and when that ends in part of a line (an answer cut short,
    or line noise), the rest of that line is dropped too as it comes. A line or frame longer
    than MAX_MESSAGE is a ReplyError, and its bytes are dropped up to the next terminator.
    So a read ends within its timeout and holds at most MAX_MESSAGE bytes, whatever the unit
    sends.
    """

    def __init__(self, url: str, settings: SerialSettings, *,
                 baudrate: int | None = None) -> None:
        super().__init__(f"serial:{url}")
        self.url = url
        self.settings = settings
        self.baudrate = baudrate or settings.baudrate
        self._port: serial.SerialBase | None = None
        self._buffer = bytearray()
        self._last_byte = 0.0
        self._skipping = False  # the next line completed is the rest of a stale one

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
        self._buffer.clear()
        self._skipping = False

    def _send(self, message: bytes) -> None:
        try:
            self._discard_input()
            self._port.write(message)  # type: ignore[union-attr]
            self._port.flush()  # type: ignore[union-attr]
        except _PORT_ERRORS as err:
            raise TransportError(f"{self.address}: write failed, unit gone? ({err})") from err

    def _discard_input(self) -> None:
        """Drop what came before a command, noting a line left half-received."""
        for _ in range(MAX_MESSAGE // _READ_SIZE):  # what has arrived, up to a bound
            chunk = self._read(wait=False)
            if not chunk:
                break
            self._buffer += chunk
        if isinstance(self._port, serial.Serial):
            # A local port also drops what the kernel still holds on its way to us. (Not
            # a URL's: over a socket that reads until the line is quiet, maybe never.)
            self._port.reset_input_buffer()
        terminator = self.settings.terminator
        if not terminator:
            self._buffer.clear()
            return
        if terminator in self._buffer:
            self._skipping = False
            del self._buffer[: self._buffer.rindex(terminator) + len(terminator)]
        if self._buffer:
            self._skipping = True
            self._keep_terminator_start()

    def _keep_terminator_start(self) -> None:
        """Empty the buffer but for what could be the start of a split terminator."""
        keep = len(self.settings.terminator) - 1
        del self._buffer[: len(self._buffer) - keep if keep else None]

    def _receive(self, timeout: float) -> bytes | None:
        deadline = time.monotonic() + max(timeout, 0.0)
        looked = False
        while True:
            message = self._take()
            if message is not None:
                return message
            left = deadline - time.monotonic()
            if looked and left <= 0:
                return None  # even while bytes keep coming: a read ends on time
            chunk = self._read(wait=left > 0)
            looked = True
            if chunk:
                self._buffer += chunk
                self._last_byte = time.monotonic()

    def _read(self, *, wait: bool) -> bytes:
        """What has arrived (a bounded amount); else, when ``wait``, up to one byte within
        the port's 10 ms timeout; else nothing."""
        try:
            waiting = self._port.in_waiting  # type: ignore[union-attr]
            if waiting:
                return self._port.read(min(waiting, _READ_SIZE))  # type: ignore[union-attr]
            return self._port.read(1) if wait else b""  # type: ignore[union-attr]
        except _PORT_ERRORS as err:
            raise TransportError(f"{self.address}: read failed, unit gone? ({err})") from err

    def _take(self) -> bytes | None:
        """The next whole line or frame in the buffer, if there is one."""
        terminator = self.settings.terminator
        if terminator:
            while terminator in self._buffer:
                line, _, rest = bytes(self._buffer).partition(terminator)
                self._buffer = bytearray(rest)
                if self._skipping:  # the rest of a line begun before the command
                    self._skipping = False
                    continue
                return line
        elif self._buffer and time.monotonic() - self._last_byte > _FRAME_GAP_S:
            frame, self._buffer = bytes(self._buffer), bytearray()
            return frame
        if len(self._buffer) > MAX_MESSAGE:
            self._skipping = bool(terminator)
            if terminator:
                self._keep_terminator_start()
            else:
                self._buffer.clear()
            what = "a line end" if terminator else "a pause"
            raise ReplyError(f"{self.address}: more than {MAX_MESSAGE // 1024} KiB without "
                             f"{what}; is the baud rate right?")
        return None
