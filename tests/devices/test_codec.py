"""Every MIDI and serial message type as expected exchanges with an emulated unit."""

from __future__ import annotations

import pytest

from devices import codec
from devices.codec import Address
from devices.emulator import EmulatedUnit
from devices.errors import ReplyError
from tests.devices.helpers import SYSEX_MIX, midi_unit, serial_unit

ADDRESS = Address(channel=3, device_id=5)


def exchange(unit: EmulatedUnit, messages: list[bytes]) -> list[bytes]:
    replies = []
    for message in messages:
        replies += unit.receive_midi(message)
    return replies


def hexes(messages: list[bytes]) -> list[str]:
    return [m.hex(" ").upper() for m in messages]


GAIN = """
[[parameter]]
id = "gain"
name = "Gain"
kind = "continuous"
unit = "dB"
min = -12.0
max = 12.0
centre = 0.0
resolution = 0.5
[parameter.midi]
type = "cc"
number = 34
wire_centre = 64
"""


def test_cc_centred() -> None:
    profile = midi_unit(GAIN)
    gain = profile.parameter("gain")
    assert hexes(codec.midi_messages(gain, 0.0, ADDRESS)) == ["B2 22 40"]
    assert hexes(codec.midi_messages(gain, 12.0, ADDRESS)) == ["B2 22 7F"]
    assert hexes(codec.midi_messages(gain, -12.0, ADDRESS)) == ["B2 22 00"]
    unit = EmulatedUnit(profile, address=ADDRESS)
    exchange(unit, codec.midi_messages(gain, -6.0, ADDRESS))
    assert unit.value("gain") == -6.0


def test_cc14_lsb_first_commits_on_msb() -> None:
    profile = midi_unit("""
[[parameter]]
id = "fader"
name = "Fader 1"
kind = "continuous"
min = 0.0
max = 16383.0
[parameter.midi]
type = "cc14"
msb = 16
lsb = 48
order = "lsb-first"
""")
    fader = profile.parameter("fader")
    messages = codec.midi_messages(fader, 1000.0, ADDRESS)
    assert hexes(messages) == ["B2 30 68", "B2 10 07"]
    unit = EmulatedUnit(profile, address=ADDRESS)
    unit.receive_midi(messages[0])
    assert unit.value("fader") == 0.0  # the LSB alone does not move it
    unit.receive_midi(messages[1])
    assert unit.value("fader") == 1000.0


@pytest.mark.parametrize(("bits", "expected"), [
    (7, ["B2 63 00", "B2 62 0C", "B2 06 64"]),
    (14, ["B2 63 00", "B2 62 0C", "B2 06 0C", "B2 26 64"]),
])
def test_nrpn(bits: int, expected: list[str]) -> None:
    top = 127 if bits == 7 else 16383
    profile = midi_unit(f"""
[[parameter]]
id = "drive"
name = "Drive"
kind = "continuous"
min = 0.0
max = {top}.0
[parameter.midi]
type = "nrpn"
msb = 0
lsb = 12
bits = {bits}
""")
    drive = profile.parameter("drive")
    value = 100.0 if bits == 7 else 1636.0
    messages = codec.midi_messages(drive, value, ADDRESS)
    assert hexes(messages) == expected
    unit = EmulatedUnit(profile, address=ADDRESS)
    exchange(unit, messages)
    assert unit.value("drive") == value


def test_program_change_and_pitch_bend() -> None:
    profile = midi_unit("""
[[parameter]]
id = "preset"
name = "Preset"
kind = "choice"
labels = ["A", "B", "C"]
[parameter.midi]
type = "program"
wire_values = [10, 11, 12]

[[parameter]]
id = "fader2"
name = "Fader 2"
kind = "continuous"
min = 0.0
max = 100.0
[parameter.midi]
type = "pitchbend"
number = 1
""")
    unit = EmulatedUnit(profile, address=ADDRESS)
    preset = codec.midi_messages(profile.parameter("preset"), 2, ADDRESS)
    assert hexes(preset) == ["C2 0C"]
    bend = codec.midi_messages(profile.parameter("fader2"), 50.0, ADDRESS)
    assert hexes(bend) == ["E3 00 40"]  # channel 3 + track 1, LSB then MSB of 8192
    exchange(unit, preset + bend)
    assert unit.value("preset") == 2.0
    assert unit.value("fader2") == pytest.approx(50.0, abs=0.01)


def test_sysex_with_query_reply_and_checksum() -> None:
    profile = midi_unit(SYSEX_MIX)
    mix = profile.parameter("mix")
    messages = codec.midi_messages(mix, 42.0, ADDRESS)
    assert hexes(messages) == ["F0 41 05 12 07 2A 4F F7"]
    unit = EmulatedUnit(profile, address=ADDRESS)
    exchange(unit, messages)
    query = codec.midi_query(mix, ADDRESS)
    assert query is not None and query.hex(" ").upper() == "F0 41 05 11 07 F7"
    [reply] = unit.receive_midi(query)
    assert reply.hex(" ").upper() == "F0 41 05 12 07 2A 4F F7"
    assert codec.read_midi_reply(mix, reply, ADDRESS) == 42.0
    with pytest.raises(ReplyError, match="checksum"):
        codec.read_midi_reply(mix, reply[:-2] + b"\x00\xf7", ADDRESS)
    with pytest.raises(ReplyError, match="device id"):
        codec.read_midi_reply(mix, reply, Address(channel=3, device_id=6))


def test_relative_control_homes_then_steps() -> None:
    profile = midi_unit("""
[[parameter]]
id = "threshold"
name = "Threshold"
kind = "continuous"
unit = "dB"
min = -40.0
max = 0.0
resolution = 1.0
[parameter.midi]
type = "relative"
wire_max = 40
select = ["Bn 47 7F"]
increment = "Bn 60 7F"
decrement = "Bn 61 7F"
home_steps = 45
""")
    threshold = profile.parameter("threshold")
    messages = codec.midi_messages(threshold, -37.0, ADDRESS)
    assert hexes(messages[:2]) == ["B2 47 7F", "B2 61 7F"]
    assert len(messages) == 1 + 45 + 3
    unit = EmulatedUnit(profile, address=ADDRESS)
    exchange(unit, messages)
    assert unit.value("threshold") == -37.0
    # Knowing where it is, only the difference is sent.
    again = codec.midi_messages(threshold, -35.0, ADDRESS, current=unit.wire["threshold"])
    assert hexes(again) == ["B2 47 7F", "B2 60 7F", "B2 60 7F"]


def test_other_channels_are_ignored() -> None:
    profile = midi_unit(GAIN)
    unit = EmulatedUnit(profile, address=ADDRESS)
    unit.receive_midi(bytes([0xB0, 34, 0]))
    assert unit.value("gain") == 0.0


SERIAL = """
[[parameter]]
id = "gain"
name = "Gain"
kind = "continuous"
unit = "dB"
min = -10.0
max = 10.0
resolution = 0.1
[parameter.serial]
set = "SET GAIN {value:.1f}"
query = "GET GAIN"
reply = "GAIN {value:.1f}"

[[parameter]]
id = "freq"
name = "Frequency"
kind = "stepped"
unit = "Hz"
detents = [{label = "100", value = 100}, {label = "1k", value = 1000},
           {label = "10k", value = 10000}]
[parameter.serial]
set = "FREQ {value}"
query = "FREQ?"
reply = "FREQ={value}"
wire_max = 2
"""


def test_serial_text_commands_ack_and_read_back() -> None:
    profile = serial_unit(SERIAL)
    gain, freq = profile.parameter("gain"), profile.parameter("freq")
    terminator = profile.serial.terminator
    assert codec.serial_command(gain, -2.5, ADDRESS, terminator) == b"SET GAIN -2.5\r"
    assert codec.serial_command(freq, 1000.0, ADDRESS, terminator) == b"FREQ 1\r"
    unit = EmulatedUnit(profile, address=ADDRESS)
    assert unit.receive_serial(b"SET GAIN -2.5") == [b"OK"]
    assert unit.receive_serial(b"FREQ 2") == [b"OK"]
    [reply] = unit.receive_serial(b"GET GAIN")
    assert reply == b"GAIN -2.5"
    assert codec.read_serial_reply(gain, reply, ADDRESS) == -2.5
    [reply] = unit.receive_serial(b"FREQ?")
    assert codec.read_serial_reply(freq, reply, ADDRESS) == 10000.0
    with pytest.raises(ReplyError):
        codec.read_serial_reply(gain, b"ERR 12", ADDRESS)


def test_binary_serial_frames() -> None:
    profile = serial_unit("""
[[parameter]]
id = "level"
name = "Level"
kind = "continuous"
min = 0.0
max = 1000.0
[parameter.serial]
set = "02 01 {value:u16be} {checksum:xor@1} 03"
wire_max = 1000
""", serial='binary = true\nack = "06"\n')
    level = profile.parameter("level")
    frame = codec.serial_command(level, 300.0, ADDRESS, profile.serial.terminator)
    assert frame.hex(" ").upper() == "02 01 01 2C 2C 03"
    unit = EmulatedUnit(profile, address=ADDRESS)
    assert unit.receive_serial(frame) == [b"\x06"]
    assert unit.value("level") == 300.0
