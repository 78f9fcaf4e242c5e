"""Reading many values at once: pipelined MIDI queries matched to their replies, and the
one-at-a-time fallback when replies cannot be told apart."""

from __future__ import annotations

import pytest

from devices.codec import Address
from devices.driver import Driver
from devices.emulator import EmulatedUnit, Misbehaviour
from devices.errors import DeviceTimeout
from devices.transport import MemoryTransport, SpyTransport
from tests.devices.helpers import midi_unit

ADDRESS = Address(channel=3, device_id=5)  # as midi_unit's profiles say


def sysex_faders(count: int) -> str:
    text = ""
    for i in range(1, count + 1):
        text += f"""
[[parameter]]
id = "fader_{i}"
name = "Fader {i}"
kind = "continuous"
unit = "dB"
min = -30.0
max = 10.0
resolution = 0.1
[parameter.midi]
type = "sysex"
number = {i}
wire_max = 400
template = "F0 7D {{device_id}} 12 {{param}} {{value:14be}} F7"
query = "F0 7D {{device_id}} 11 {{param}} F7"
reply = "F0 7D {{device_id}} 12 {{param}} {{value:14be}} F7"
"""
    return text


# Two CCs whose read-back replies look the same: a reply cannot say which it answers.
AMBIGUOUS = """
[[parameter]]
id = "a"
name = "A"
kind = "continuous"
min = 0.0
max = 1.0
[parameter.midi]
type = "cc"
number = 20
query = "F0 7D {device_id} 11 14 F7"
reply = "F0 7D {device_id} 12 {value} F7"

[[parameter]]
id = "b"
name = "B"
kind = "continuous"
min = 0.0
max = 1.0
[parameter.midi]
type = "cc"
number = 21
query = "F0 7D {device_id} 11 15 F7"
reply = "F0 7D {device_id} 12 {value} F7"
"""


def test_queries_go_out_together_and_replies_are_matched() -> None:
    profile = midi_unit(sysex_faders(20))
    unit = EmulatedUnit(profile, address=ADDRESS)
    with SpyTransport(MemoryTransport(unit)) as spy:
        driver = Driver(profile, spy, ADDRESS)
        for i in range(1, 21):
            driver.set(f"fader_{i}", -20.0 + i)
        spy.traffic.clear()
        found = driver.read_many([f"fader_{i}" for i in range(1, 21)], window=8)
    assert found == {f"fader_{i}": pytest.approx(-20.0 + i) for i in range(1, 21)}
    directions = "".join("o" if d == "out" else "i" for d, _ in spy.traffic)
    # Eight queries out before the first reply is taken, then one out for each one in.
    assert directions.startswith("o" * 8 + "i")
    assert directions.count("o") == directions.count("i") == 20


def test_a_silent_unit_times_out_each_value_once() -> None:
    profile = midi_unit(sysex_faders(3))
    unit = EmulatedUnit(profile, address=ADDRESS, misbehaviour=Misbehaviour(silent=True))
    with MemoryTransport(unit) as transport:
        found = Driver(profile, transport, ADDRESS).read_many(["fader_1", "fader_2"],
                                                              timeout=0.05)
    assert all(isinstance(v, DeviceTimeout) for v in found.values())


def test_replies_that_cannot_be_told_apart_are_read_one_at_a_time() -> None:
    profile = midi_unit(AMBIGUOUS)
    unit = EmulatedUnit(profile, address=ADDRESS)
    with SpyTransport(MemoryTransport(unit)) as spy:
        driver = Driver(profile, spy, ADDRESS)
        driver.set("a", 0.25)
        driver.set("b", 0.75)
        spy.traffic.clear()
        found = driver.read_many(["a", "b"])
    assert found["a"] == pytest.approx(0.25, abs=0.01)
    assert found["b"] == pytest.approx(0.75, abs=0.01)
    assert [d for d, _ in spy.traffic] == ["out", "in", "out", "in"]
