"""Drivers and emulated units over real ports: a pseudo-terminal, and JACK MIDI."""

from __future__ import annotations

import time

import pytest

from devices.codec import Address
from devices.driver import Driver
from devices.emulator import EmulatedUnit, Misbehaviour
from devices.emulator.runners import MidiEmulator, PtyEmulator
from devices.errors import DeviceTimeout, ReplyError, TransportError
from devices.transport import MemoryTransport, SpyTransport, open_transport, parse_address
from devices.transport.midi_port import MidiTransport
from devices.transport.serial_port import SerialTransport
from tests.devices.helpers import SYSEX_MIX, midi_unit, serial_unit
from tests.devices.test_codec import SERIAL

ADDRESS = Address(channel=3, device_id=5)

MIDI_PARAMETERS = SYSEX_MIX + """
[[parameter]]
id = "drive"
name = "Drive"
kind = "continuous"
min = 0.0
max = 10.0
resolution = 0.1
[parameter.midi]
type = "nrpn"
msb = 0
lsb = 12
bits = 14
"""


def test_driver_over_memory_sets_and_reads_back() -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    unit = EmulatedUnit(profile, address=ADDRESS)
    with SpyTransport(MemoryTransport(unit)) as spy:
        driver = Driver(profile, spy, ADDRESS)
        sent = driver.set("mix", 42.4)
        assert sent.value == 42.0  # snapped to the 1 % resolution
        assert driver.read("mix") == 42.0
        driver.set("drive", 7.3)
        assert unit.value("drive") == pytest.approx(7.3, abs=0.001)
    assert [direction for direction, _ in spy.traffic] == ["out", "out", "in"] + ["out"] * 4


def test_a_silent_unit_times_out_and_a_garbled_reply_is_refused() -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    silent = EmulatedUnit(profile, address=ADDRESS, misbehaviour=Misbehaviour(silent=True))
    with MemoryTransport(silent) as transport:
        with pytest.raises(DeviceTimeout, match="no reply to the mix query"):
            Driver(profile, transport, ADDRESS).read("mix", timeout=0.05)
    garbled = EmulatedUnit(profile, address=ADDRESS, misbehaviour=Misbehaviour(garble=1.0))
    with MemoryTransport(garbled) as transport:
        with pytest.raises(ReplyError):
            Driver(profile, transport, ADDRESS).read("mix", timeout=0.05)


def test_an_unplugged_unit_is_a_transport_error() -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    transport = MemoryTransport(EmulatedUnit(profile, address=ADDRESS))
    with transport:
        transport.disconnect()
        with pytest.raises(TransportError, match="went away"):
            Driver(profile, transport, ADDRESS).set("mix", 10)


def test_serial_over_a_pseudo_terminal() -> None:
    profile = serial_unit(SERIAL)
    unit = EmulatedUnit(profile, address=ADDRESS)
    changes: list[tuple[str, float]] = []
    with PtyEmulator(unit, on_change=lambda *c: changes.append(c)) as emulator:
        with SerialTransport(emulator.port, profile.serial) as transport:
            driver = Driver(profile, transport, ADDRESS)
            driver.set("gain", -2.5)
            driver.set("freq", 1000.0)
            assert driver.read("gain") == -2.5
            assert driver.read("freq") == 1000.0
    assert changes == [("gain", -2.5), ("freq", 1000.0)]
    assert unit.value("gain") == -2.5


def test_serial_unit_that_never_acknowledges() -> None:
    profile = serial_unit(SERIAL, 'ack = "OK"\ntimeout_ms = 50\nretries = 1\n')
    unit = EmulatedUnit(profile, address=ADDRESS, misbehaviour=Misbehaviour(silent=True))
    with PtyEmulator(unit) as emulator, SerialTransport(emulator.port, profile.serial) as port:
        with pytest.raises(DeviceTimeout, match="no answer within 50 ms"):
            Driver(profile, port, ADDRESS).set("gain", 1.0)
    assert unit.received == 2  # the first try and one retry


def test_serial_port_that_does_not_exist() -> None:
    profile = serial_unit(SERIAL)
    with pytest.raises(TransportError, match="cannot open"):
        SerialTransport("/dev/no-such-tty", profile.serial).open()


def wait_until(condition, timeout: float = 2.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return condition()


@pytest.mark.jack
def test_midi_over_jack_with_read_back(jack_server: str) -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    unit = EmulatedUnit(profile, address=ADDRESS)
    with MidiEmulator(unit, "Outboard Emu Test", api="jack") as emulator:
        with MidiTransport("Outboard Emu Test", api="jack") as transport:
            driver = Driver(profile, transport, ADDRESS)
            driver.set("drive", 3.3)
            assert wait_until(lambda: unit.value("drive") == pytest.approx(3.3, abs=0.001))
            driver.set("mix", 64)
            assert driver.read("mix", timeout=2.0) == 64.0
        assert emulator.error is None


@pytest.mark.jack
def test_midi_port_that_does_not_exist(jack_server: str) -> None:
    with pytest.raises(TransportError, match="no MIDI output port by that name"):
        MidiTransport("Nothing Here", api="jack").open()


def test_addresses() -> None:
    a = parse_address("midi:TC Finalizer?channel=3&api=jack")
    assert (a.scheme, a.target, a.option("channel"), a.option("api")) == (
        "midi", "TC Finalizer", "3", "jack")
    s = parse_address("serial:socket://localhost:7000?baudrate=19200")
    assert s.target == "socket://localhost:7000" and s.option("baudrate") == "19200"
    assert parse_address("manual:").scheme == "manual"
    for bad, message in (("usb:thing", "starts with one of"), ("midi:X?chanel=2", "'chanel'"),
                         ("midi:X?channel=17", "1 to 16"), ("serial:", "name the device"),
                         ("midi:X?device_id=300", "0 to 127"),
                         ("midi:X?api=beos", "api=beos must be one of")):
        with pytest.raises(Exception, match=message):
            parse_address(bad)


def test_emulated_address_opens_a_memory_transport() -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    transport = open_transport(parse_address("emulated:?channel=3&device_id=5"), profile)
    with transport:
        driver = Driver(profile, transport, ADDRESS)
        driver.set("mix", 12)
        assert driver.read("mix") == 12.0


DUMP_UNIT = """
[dump]
request = "F0 32 {device_id} 40 F7"
reply = "F0 32 {device_id} 40 {param=threshold} {param=ratio} {param=link} F7"

[[parameter]]
id = "threshold"
name = "Threshold"
kind = "continuous"
unit = "dB"
min = -60.0
max = 0.0
resolution = 0.5
[parameter.midi]
type = "cc"
number = 20
wire_max = 120

[[parameter]]
id = "ratio"
name = "Ratio"
kind = "stepped"
detents = [1.5, 2, 4, 10]
[parameter.midi]
type = "cc"
number = 21
wire_max = 3

[[parameter]]
id = "link"
name = "Stereo link"
kind = "switch"
[parameter.midi]
type = "cc"
number = 22
"""


def test_whole_state_dump() -> None:
    profile = midi_unit(DUMP_UNIT)
    unit = EmulatedUnit(profile, address=ADDRESS)
    with SpyTransport(MemoryTransport(unit)) as spy:
        driver = Driver(profile, spy, ADDRESS)
        driver.set("threshold", -12.5)
        driver.set("ratio", 4)
        driver.set("link", 1)
        state = driver.read_dump()
    assert state == {"threshold": -12.5, "ratio": 4.0, "link": 1.0}
    assert [m.hex(" ").upper() for _, m in spy.traffic[-2:]] == [
        "F0 32 05 40 F7", "F0 32 05 40 5F 02 7F F7"]
