"""Reply parsers fuzzed: garbage in gives a clean error out, and every read ends in time."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import codec
from devices.codec import Address
from devices.driver import Driver
from devices.emulator import EmulatedUnit, Misbehaviour
from devices.errors import DeviceTimeout, ReplyError
from devices.loader import find_profile
from devices.template import TemplateError, parse
from devices.transport import MemoryTransport
from tests.devices.helpers import midi_unit, serial_unit
from tests.devices.test_codec import SERIAL
from tests.devices.test_transports import MIDI_PARAMETERS

ADDRESS = Address(channel=3, device_id=5)
TEMPLATES = [
    parse("F0 41 {device_id} 12 {param} {value} {checksum:roland@4} F7", binary=True),
    parse("F0 1C 70 {device_id} 3C 32 35 20 {value:ascii} F7", binary=True),
    parse("F0 00 20 {value:nib4} {value:14le} {any:2} {checksum:xor@1} F7", binary=True),
    parse("02 {value:u16be} {checksum:sum7@0} 03", binary=True),
    parse("GAIN {value:.1f} dB", binary=False),
]


@settings(max_examples=500, deadline=None)
@given(template=st.sampled_from(TEMPLATES), data=st.binary(max_size=64))
def test_matching_random_bytes_only_ever_raises_template_error(template, data: bytes) -> None:
    try:
        template.match(data, device_id=5, param=7)
    except TemplateError:
        pass


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=40))
def test_read_back_of_garbage_is_a_reply_error(data: bytes) -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    try:
        codec.read_midi_reply(profile.parameter("mix"), data, ADDRESS)
    except ReplyError:
        pass
    serial = serial_unit(SERIAL)
    try:
        codec.read_serial_reply(serial.parameter("gain"), data, ADDRESS)
    except ReplyError:
        pass


@settings(max_examples=200, deadline=None)
@given(data=st.binary(min_size=1, max_size=40))
def test_emulated_units_survive_any_message(data: bytes) -> None:
    for key in ("tc-finalizer-96k", "elektron-analog-heat-mkii", "drawmer-m500"):
        EmulatedUnit(find_profile(key)).receive_midi(data)
    EmulatedUnit(find_profile("generic-serial-ascii")).receive_serial(data)


def test_a_slow_unit_within_the_timeout_answers_and_beyond_it_times_out() -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    slow = EmulatedUnit(profile, address=ADDRESS, misbehaviour=Misbehaviour(delay_s=0.05))
    with MemoryTransport(slow) as transport:
        driver = Driver(profile, transport, ADDRESS)
        driver.set("mix", 30)
        assert driver.read("mix", timeout=0.5) == 30.0
        with pytest.raises(DeviceTimeout):
            driver.read("mix", timeout=0.01)


def test_a_unit_that_drops_messages_misses_some_sets() -> None:
    profile = midi_unit(MIDI_PARAMETERS)
    lossy = EmulatedUnit(profile, address=ADDRESS, misbehaviour=Misbehaviour(drop=0.5), seed=3)
    with MemoryTransport(lossy) as transport:
        driver = Driver(profile, transport, ADDRESS)
        outcomes = []
        for value in range(20):
            driver.set("mix", value)
            outcomes.append(lossy.value("mix") == value)
    assert 0 < sum(outcomes) < 20
