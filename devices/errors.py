"""The errors of the gear layer: each with a title and the exit code a front end uses."""

from __future__ import annotations


class DeviceError(Exception):
    """Root of the gear layer's errors (registered with the front ends' error tree)."""

    title = "Device error"
    exit_code = 3

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ProfileError(DeviceError):
    """A device profile that cannot be used: names the file, the key and what was expected."""

    title = "Bad device profile"
    exit_code = 2


class ValueOutOfRange(DeviceError):
    """A parameter value outside what the unit accepts, or not one of its detents."""

    title = "Value out of range"
    exit_code = 2


class ReplyError(DeviceError):
    """A reply from a unit that does not match what its profile says it sends."""

    title = "Unexpected reply"


class TransportError(DeviceError):
    """A port that cannot be opened, or that went away."""

    title = "Port problem"


class DeviceTimeout(TransportError):
    """A unit that did not answer in time."""

    title = "No answer"
