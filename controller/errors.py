"""The error tree every front end understands: a message, a title and an exit code."""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_DEVICE_FAULT = 3


class OutboardError(Exception):
    """Base of every error Outboard reports to a person.

    ``message`` is one line that names the file, key or value at fault; ``title`` is a
    short heading for the app's error dialog. Lower layers that may not import this
    module (``devices``, ``recall``) keep their own roots with the same attributes; see
    :func:`reported_errors`.
    """

    title = "Error"
    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str, *, title: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if title is not None:
            self.title = title

    def __str__(self) -> str:
        return self.message


class InputError(OutboardError):
    """Bad input or usage: a missing file, an unreadable value, a wrong option."""

    title = "Bad input"
    exit_code = EXIT_BAD_INPUT


class CheckFailed(OutboardError):
    """A check ran and did not pass: a target missed, a recall incomplete."""

    title = "Check failed"
    exit_code = EXIT_CHECK_FAILED


class DeviceFault(OutboardError):
    """A device or the audio interface failed: a port vanished, a stream died."""

    title = "Device fault"
    exit_code = EXIT_DEVICE_FAULT


class AudioError(DeviceFault):
    """The audio interface or its stream failed."""

    title = "Audio fault"



def reported_errors() -> tuple[type[Exception], ...]:
    """Every error class a front end reports as a message and an exit code.

    The gear and library layers (``devices``, ``recall``) may not import this module, so
    their root errors are separate classes with the same ``message``, ``title`` and
    ``exit_code``. (An ``except``
    clause does not honour abstract-base-class registration, hence a tuple.)
    """
    from devices.errors import DeviceError
    from recall.errors import LibraryError

    return (OutboardError, DeviceError, LibraryError)


def error_line(message: str) -> str:
    """``message`` as the one line a command prints: "outboard: " and the message, with any
    line break or control character in it (a file name may hold one) escaped as repr does."""
    return "outboard: " + "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)
