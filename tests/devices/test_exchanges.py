"""Driver conversations checked byte for byte against expected exchanges."""

from __future__ import annotations

import pytest

from devices.codec import Address
from devices.driver import Driver
from devices.errors import DeviceTimeout, ReplyError
from tests.devices.exchange import ExpectedExchange
from tests.devices.helpers import midi_unit, serial_unit
from tests.devices.test_codec import SERIAL
from tests.devices.test_transports import MIDI_PARAMETERS

ADDRESS = Address(channel=3, device_id=5)


def test_sysex_set_and_read_back() -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    with ExpectedExchange([
        (bytes.fromhex("F0 41 05 12 07 14 65 F7"), []),
        (bytes.fromhex("F0 41 05 11 07 F7"), [bytes.fromhex("F0 41 05 12 07 14 65 F7")]),
    ]) as wire:
        driver = Driver(profile, wire, ADDRESS)
        driver.set("mix", 20)
        assert driver.read("mix") == 20.0


def test_serial_retry_after_a_wrong_acknowledgement() -> None:
    profile = serial_unit(SERIAL, 'ack = "OK"\nretries = 1\n')
    with ExpectedExchange([
        (b"SET GAIN 1.5\r", [b"BUSY"]),
        (b"SET GAIN 1.5\r", [b"OK"]),
    ]) as wire:
        Driver(profile, wire, ADDRESS).set("gain", 1.5)


def test_serial_gives_up_after_its_retries() -> None:
    profile = serial_unit(SERIAL, 'ack = "OK"\nretries = 1\ntimeout_ms = 10\n')
    with ExpectedExchange([(b"SET GAIN 1.5\r", []), (b"SET GAIN 1.5\r", [])]) as wire:
        with pytest.raises(DeviceTimeout):
            Driver(profile, wire, ADDRESS).set("gain", 1.5)


def test_echoing_unit() -> None:
    profile = serial_unit(SERIAL, 'ack = "OK"\necho = true\n')
    with ExpectedExchange([
        (b"GET GAIN\r", [b"GET GAIN", b"GAIN -4.0"]),
        (b"FREQ 0\r", [b"FREQ 0", b"OK"]),
    ]) as wire:
        driver = Driver(profile, wire, ADDRESS)
        assert driver.read("gain") == -4.0
        driver.set("freq", 100)


def test_a_wrong_echo_is_refused() -> None:
    profile = serial_unit(SERIAL, 'ack = "OK"\necho = true\n')
    wire = ExpectedExchange([(b"FREQ 0\r", [b"FREQ 9", b"OK"])])
    wire.open()  # not as a context: the unread "OK" is left for the next command to drain
    with pytest.raises(ReplyError, match="echo"):
        Driver(profile, wire, ADDRESS).set("freq", 100)


def test_a_late_answer_to_an_earlier_query_is_passed_over() -> None:
    profile = serial_unit(SERIAL, 'ack = "OK"\ntimeout_ms = 20\n')
    with ExpectedExchange([
        (b"GET GAIN\r", []),  # the unit is busy: no answer in time
        (b"FREQ?\r", [b"GAIN 2.0", b"FREQ=1"]),  # the late gain answer arrives first
    ]) as wire:
        driver = Driver(profile, wire, ADDRESS)
        with pytest.raises(DeviceTimeout):
            driver.read("gain")
        assert driver.read("freq") == 1000.0
