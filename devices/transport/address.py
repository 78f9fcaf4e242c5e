"""Unit addresses: `midi:PORT?channel=N&api=jack`, `serial:PATH-OR-URL?baudrate=N`,
`manual:`, `emulated:`; parsed into a value and opened through a small registry."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl

from ..codec import Address
from ..emulator.unit import EmulatedUnit
from ..errors import DeviceError
from ..profile import Profile
from ..toml_table import clipped, printable, shown
from .base import Transport
from .memory import MemoryTransport

SCHEMES = ("midi", "serial", "manual", "emulated")
MIDI_APIS = ("alsa", "jack", "coremidi", "winmm")
_KNOWN_OPTIONS = {"midi": {"channel", "device_id", "api"},
                  "serial": {"baudrate", "device_id"},
                  "manual": set(), "emulated": {"channel", "device_id"}}


class AddressError(DeviceError):
    title = "Bad unit address"
    exit_code = 2


@dataclass(frozen=True, slots=True)
class UnitAddress:
    scheme: str
    target: str
    options: tuple[tuple[str, str], ...] = ()

    def option(self, key: str, default: str | None = None) -> str | None:
        return dict(self.options).get(key, default)

    def __str__(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.options)
        return f"{self.scheme}:{self.target}" + (f"?{query}" if query else "")


def parse_address(text: str) -> UnitAddress:
    """Parse a unit address; AddressError naming what is wrong."""
    where = shown(text)
    scheme, colon, rest = text.partition(":")
    if not colon or scheme not in SCHEMES:
        raise AddressError(f"{where}: an address starts with one of "
                           + ", ".join(f"{s}:" for s in SCHEMES))
    if scheme == "serial" and "://" in rest and "?" in rest.split("://", 1)[1]:
        target, _, query = rest.rpartition("?")
    else:
        target, _, query = rest.partition("?")
    options = tuple(parse_qsl(query, keep_blank_values=True)) if query else ()
    for key, value in options:
        if key not in _KNOWN_OPTIONS[scheme]:
            raise AddressError(f"{where}: {shown(key)} is not an option of {scheme}: addresses "
                               f"({', '.join(sorted(_KNOWN_OPTIONS[scheme])) or 'none'})")
        if key in ("channel", "device_id", "baudrate") and not _whole_number(value):
            raise AddressError(f"{where}: {key}={_plain(value)} must be a whole number")
    if scheme in ("midi", "serial") and not target:
        raise AddressError(f"{where}: name the {'port' if scheme == 'midi' else 'device'}")
    address = UnitAddress(scheme, target, options)
    channel = int(address.option("channel", "1") or 1)
    if not 1 <= channel <= 16:
        raise AddressError(f"{where}: channel={channel} must be 1 to 16")
    device_id = int(address.option("device_id", "0") or 0)
    if not 0 <= device_id <= 127:
        raise AddressError(f"{where}: device_id={device_id} must be 0 to 127")
    api = address.option("api")
    if api is not None and api not in MIDI_APIS:
        raise AddressError(f"{where}: api={_plain(api)} must be one of {', '.join(MIDI_APIS)}")
    return address


def _plain(text: str) -> str:
    """An option's value in a message: on one line, cut to a readable length."""
    return clipped(printable(text))


def _whole_number(text: str) -> bool:
    """Plain decimal digits of a size a baud rate could have ("²" is a digit to Python)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def unit_address(address: UnitAddress, profile: Profile) -> Address:
    """The channel and device id a unit listens on: the address's, else its profile's."""
    midi = profile.midi
    channel = int(address.option("channel") or (midi.channel if midi else 1))
    device_id = int(address.option("device_id") or (midi.device_id if midi else 0))
    return Address(channel=channel, device_id=device_id)


def open_transport(address: UnitAddress, profile: Profile) -> Transport:
    """A transport for ``address`` (not yet open)."""
    if address.scheme == "manual" or profile.control == "manual":
        raise AddressError(f"{address}: {profile.title} is set by hand; nothing is sent to it")
    if address.scheme == "emulated":
        unit = EmulatedUnit(profile, address=unit_address(address, profile))
        return MemoryTransport(unit, kind=profile.control)
    if address.scheme == "midi":
        if profile.control != "midi":
            raise AddressError(f"{address}: {profile.title} is a {profile.control} unit")
        from .midi_port import MidiTransport

        return MidiTransport(address.target, api=address.option("api"))
    if profile.control != "serial" or profile.serial is None:
        raise AddressError(f"{address}: {profile.title} is a {profile.control} unit")
    from .serial_port import SerialTransport

    baud = address.option("baudrate")
    return SerialTransport(address.target, profile.serial,
                           baudrate=int(baud) if baud else None)
