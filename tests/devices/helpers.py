"""Building profiles from TOML text for tests."""

from __future__ import annotations

import tomllib
from pathlib import Path

from devices.loader import profile_from_document
from devices.profile import Profile


def profile(text: str, name: str = "test-unit") -> Profile:
    return profile_from_document(tomllib.loads(text), Path(f"{name}.toml"))


HEADER = """
spec = 1
[unit]
manufacturer = "Test"
model = "Unit"
kind = "eq"
layout = "stereo"
control = "{control}"
provenance = "tests"
verified = true
"""


def midi_unit(parameters: str, extra: str = "") -> Profile:
    return profile(HEADER.format(control="midi") + "[midi]\nchannel = 3\ndevice_id = 5\n"
                   + extra + parameters)


def serial_unit(parameters: str, serial: str = 'ack = "OK"\n') -> Profile:
    return profile(HEADER.format(control="serial") + "[serial]\n" + serial + parameters)


SYSEX_MIX = """
[[parameter]]
id = "mix"
name = "Mix"
kind = "continuous"
unit = "%"
min = 0.0
max = 100.0
resolution = 1.0
[parameter.midi]
type = "sysex"
number = 7
wire_max = 100
template = "F0 41 {device_id} 12 {param} {value} {checksum:roland@4} F7"
query = "F0 41 {device_id} 11 {param} F7"
reply = "F0 41 {device_id} 12 {param} {value} {checksum:roland@4} F7"
"""
