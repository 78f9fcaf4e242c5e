"""Every shipped profile loads, and every parameter round-trips between units and wire values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices import codec, values
from devices.codec import Address
from devices.emulator import EmulatedUnit
from devices.loader import load_profile, shipped_profiles
from devices.profile import Parameter, Profile

PROFILES = {key: load_profile(path) for key, path in shipped_profiles().items()}
WIRED = [(key, p) for key, profile in PROFILES.items() for p in profile.parameters
         if p.midi is not None or p.serial is not None]


def test_enough_profiles_ship_remote_and_manual() -> None:
    controls = [p.control for p in PROFILES.values()]
    assert len(PROFILES) >= 12
    assert controls.count("manual") >= 5
    assert controls.count("midi") >= 6 and controls.count("serial") >= 1
    for profile in PROFILES.values():
        assert profile.provenance.strip(), profile.key
        if not profile.verified:
            assert profile.notes.strip(), f"{profile.key}: unverified without a note saying what"


def binding_range(parameter: Parameter) -> tuple[int, int]:
    binding = parameter.midi or parameter.serial
    assert binding is not None
    if binding.wire_values:
        return min(binding.wire_values), max(binding.wire_values)
    return binding.wire_min, binding.wire_max


@pytest.mark.parametrize(("key", "parameter"), WIRED, ids=[f"{k}.{p.id}" for k, p in WIRED])
def test_every_wire_value_round_trips(key: str, parameter: Parameter) -> None:
    """wire -> units -> wire lands on the same wire value (or the same position)."""
    low, high = binding_range(parameter)
    step = max(1, (high - low) // 512)
    for wire in list(range(low, high + 1, step)) + [high]:
        units = codec.from_wire(parameter, wire)
        again = codec.to_wire(parameter, units)
        if values.positions(parameter):
            assert codec.from_wire(parameter, again) == units
        elif parameter.resolution > 0:
            assert abs(codec.from_wire(parameter, again) - units) <= parameter.resolution / 2 + 1e-9
        else:
            assert again == wire, (wire, units, again)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_units_round_trip_within_one_wire_step(data: st.DataObject) -> None:
    key, parameter = data.draw(st.sampled_from(WIRED))
    if values.positions(parameter):
        index = data.draw(st.integers(0, values.positions(parameter) - 1))
        value = parameter.detents[index].value if parameter.kind == "stepped" else float(index)
        assert codec.from_wire(parameter, codec.to_wire(parameter, value)) == value
        return
    value = data.draw(st.floats(parameter.minimum, parameter.maximum, allow_nan=False))
    snapped = values.validate(parameter, value)
    back = codec.from_wire(parameter, codec.to_wire(parameter, snapped))
    low, high = binding_range(parameter)
    tolerance = values.wire_step(parameter, wire_min=low, wire_max=high) + parameter.resolution
    assert math.isclose(back, snapped, abs_tol=tolerance + 1e-9), (key, parameter.id, value)


def messages_for(profile: Profile, parameter: Parameter, value: float) -> list[bytes]:
    address = Address(profile.midi.channel, profile.midi.device_id)  # type: ignore[union-attr]
    return codec.midi_messages(parameter, value, address)


@pytest.mark.parametrize("key", [k for k, p in PROFILES.items() if p.control == "midi"])
def test_each_midi_profile_drives_its_emulator(key: str) -> None:
    profile = PROFILES[key]
    now = [0.0]
    unit = EmulatedUnit(profile, clock=lambda: now[0])
    for parameter in profile.parameters:
        if parameter.midi is None:
            continue
        target = parameter.maximum if not values.positions(parameter) else (
            parameter.detents[-1].value if parameter.kind == "stepped" else parameter.maximum)
        for message in messages_for(profile, parameter, target):
            unit.receive_midi(message)
        now[0] += 60.0  # long past any motor's settle time
        landed = unit.value(parameter.id)
        if profile.motor is not None and not values.positions(parameter):
            span = parameter.maximum - parameter.minimum
            assert abs(landed - target) <= profile.motor.tolerance_percent / 100 * span + 1e-6
        else:
            assert landed == pytest.approx(values.validate(parameter, target)), parameter.id


def test_a_motorised_unit_lands_near_but_not_on_target() -> None:
    motorised = [p for p in PROFILES.values() if p.motor is not None]
    assert motorised, "a motorised profile ships"
    profile = motorised[0]
    fader = next(p for p in profile.parameters if p.midi and not values.positions(p))
    now = [0.0]
    unit = EmulatedUnit(profile, seed=7, clock=lambda: now[0])
    settle = profile.motor.settle_ms / 1000.0  # type: ignore[union-attr]
    misses = []
    for i in range(20):
        target = fader.minimum + (fader.maximum - fader.minimum) * (i + 0.5) / 20
        before = unit.value(fader.id)
        for message in messages_for(profile, fader, target):
            unit.receive_midi(message)
        now[0] += settle / 2
        halfway = unit.value(fader.id)
        assert min(before, target) - 1 <= halfway <= max(before, target) + 1  # on its way
        now[0] += settle
        misses.append(unit.value(fader.id) - values.validate(fader, target))
    span = fader.maximum - fader.minimum
    assert max(abs(m) for m in misses) <= profile.motor.tolerance_percent / 100 * span  # type: ignore[union-attr]
    assert any(abs(m) > 0 for m in misses)
