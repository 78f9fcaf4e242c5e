"""Malformed profiles: each refused at load with the file, the key and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from devices.errors import ProfileError
from devices.loader import load_profile
from tests.devices.helpers import HEADER

GOOD_PARAMETER = """
[[parameter]]
id = "gain"
name = "Gain"
kind = "continuous"
min = -10.0
max = 10.0
[parameter.midi]
type = "cc"
number = 20
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "unit.toml"
    path.write_text(text)
    return path


def midi(extra: str) -> str:
    return HEADER.format(control="midi") + extra


@pytest.mark.parametrize(("text", "message"), [
    ("spec = 1\n[unit\n", "not valid TOML"),
    ("spec = 2\n", "key 'spec' is 2, newer than this Outboard reads"),
    ("spec = 0\n", "key 'spec' must be 1"),
    (midi(GOOD_PARAMETER.replace('number = 20', 'number = 200')),
     "parameter 'gain': midi key 'number' must be a whole number from 0 to 127, got 200"),
    (midi(GOOD_PARAMETER.replace('number = 20', 'numbr = 20')),
     "parameter 'gain': midi key 'numbr' is not a profile setting"),
    (midi(GOOD_PARAMETER + GOOD_PARAMETER), "parameter id 'gain' is used twice"),
    (midi(GOOD_PARAMETER.replace('max = 10.0', 'max = "ten"')),
     "parameter 'gain': key 'max' must be a number"),
    (midi(GOOD_PARAMETER.replace('max = 10.0', 'max = -20.0')),
     "key 'max' must be above min"),
    (midi(GOOD_PARAMETER.replace('kind = "continuous"', 'kind = "knob"')),
     "key 'kind' must be one of continuous, stepped, switch, choice"),
    (midi(GOOD_PARAMETER.replace('type = "cc"', 'type = "cc14"')),
     "midi key 'number' does not apply to a cc14 binding"),
    (midi(GOOD_PARAMETER.replace('type = "cc"\nnumber = 20', 'type = "sysex"\n'
                                 'template = "F0 {value:9} F7"')),
     "midi key 'template': {value:9}: format must be one of"),
    (midi(GOOD_PARAMETER.replace('id = "gain"', 'id = "Gain Knob"')),
     "key 'id' must be lower-case letters"),
    (midi(GOOD_PARAMETER).replace('verified = true', 'verified = "yes"'),
     "[unit] key 'verified' must be true or false"),
    (midi(GOOD_PARAMETER).replace('manufacturer = "Test"\n', ''),
     "[unit] key 'manufacturer' is missing"),
    (midi(GOOD_PARAMETER).replace('provenance = "tests"', 'provenance = "tests"\ncolour = 1'),
     "[unit] key 'colour' is not a profile setting"),
    (HEADER.format(control="manual") + GOOD_PARAMETER, "a manual unit sends nothing"),
    (midi("[[parameter]]\nid = 'x'\nname = 'X'\nkind = 'stepped'\ndetents = [1, 1]\n"),
     "detents with distinct values"),
    (midi("[[parameter]]\nid = 'x'\nname = 'X'\nkind = 'stepped'\ndetents = [1, 2]\n"
          "default = 3\n"), "key 'default' must be the value of one of its detents"),
    (midi("[[parameter]]\nid = 'x'\nname = 'X'\nkind = 'switch'\nlabels = ['a']\n"),
     "key 'labels' must be a list of distinct labels (off, on)"),
    (midi("[[parameter]]\nid = 'x'\nname = 'X'\nkind = 'continuous'\nmin = 0.0\nmax = 1.0\n"
          "taper = 'log'\n"), "key 'min' must be above 0 for a log taper"),
    (midi("[dump]\nrequest = 'F0 00 F7'\nreply = 'F0 {param=nothing} F7'\n" + GOOD_PARAMETER),
     "{param=nothing} names no parameter"),
    (midi("[[parameter]]\nid = 'x'\nname = 'X'\nkind = 'choice'\nlabels = ['a', 'b', 'c']\n"
          "[parameter.midi]\ntype = 'program'\nwire_values = [1, 2]\n"),
     "wire_values lists 2 values for 3 positions"),
    (midi(GOOD_PARAMETER.replace('number = 20', 'number = 20\nwire_min = 10\n'
                                 'wire_centre = 5')),
     "key 'wire_centre' must be between wire_min (10) and wire_max (127)"),
    (midi(GOOD_PARAMETER.replace('number = 20', 'number = 20\nwire_centre = 64')),
     "wire_centre needs the parameter's own 'centre'"),
    (midi(GOOD_PARAMETER.replace('type = "cc"\nnumber = 20', 'type = "sysex"\n'
                                 'template = "F0 {value} F7"\nwire_max = 1000')),
     "midi key 'wire_max' must be a whole number from 0 to 127"),
    (midi(GOOD_PARAMETER.replace('type = "cc"\nnumber = 20', 'type = "sysex"\n'
                                 'template = "F0 {value:14be} F7"\nwire_max = 16383\n'
                                 'query = "F0 01 F7"\nreply = "F0 {value} F7"')),
     "key 'reply': {value:7} carries at most 127, but the wire range goes to 16383"),
    (midi("[dump]\nrequest = 'F0 00 F7'\nreply = 'F0 {param=fader} F7'\n"
          "[[parameter]]\nid = 'fader'\nname = 'F'\nkind = 'continuous'\nmin = 0.0\n"
          "max = 1.0\n[parameter.midi]\ntype = 'cc14'\nmsb = 1\nlsb = 33\n"),
     "{param=fader:7} carries at most 127, but the wire range goes to 16383"),
    (midi(GOOD_PARAMETER.replace('[parameter.midi]\ntype = "cc"\nnumber = 20',
                                 'midi = {}')),
     "midi key 'type' is missing"),
    (HEADER.format(control="serial") + "[serial]\n" + GOOD_PARAMETER.replace(
        '[parameter.midi]\ntype = "cc"\nnumber = 20',
        '[parameter.serial]\nset = "G {value}"\nwire_min = 10\nwire_max = 5'),
     "serial key 'wire_max' must be above wire_min (10)"),
    (HEADER.format(control="serial") + "[serial]\n" + GOOD_PARAMETER.replace(
        '[parameter.midi]\ntype = "cc"\nnumber = 20',
        '[parameter.serial]\nset = "G {value} {checksum:xor@0}"'),
     "belongs in binary templates only"),
])
def test_malformed_profile(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert str(path) in str(err.value)
    assert message in str(err.value), str(err.value)


def test_missing_file() -> None:
    with pytest.raises(ProfileError, match="no such profile file"):
        load_profile("/nowhere/unit.toml")


def test_sides_expand_with_per_side_numbers(tmp_path: Path) -> None:
    text = HEADER.format(control="midi").replace('"stereo"', '"dual-mono"') + """
[[parameter]]
id = "gain"
name = "Gain"
kind = "continuous"
min = -10.0
max = 10.0
sides = ["L", "R"]
[parameter.midi]
type = "cc"
number = [20, 21]
"""
    profile = load_profile(write(tmp_path, text))
    assert [p.id for p in profile.parameters] == ["gain_l", "gain_r"]
    assert [p.midi.number for p in profile.parameters] == [20, 21]
    assert profile.parameters[1].name == "Gain (R)" and profile.parameters[1].side == "R"
