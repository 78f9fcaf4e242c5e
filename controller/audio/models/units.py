"""A unit's model from its profile and settings: which model each shipped profile gets."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from devices.profile import Profile

from . import equalisers, processors
from .stages import (
    MidSide,
    Passthrough,
    Settings,
    Sides,
    Switched,
    UnitModel,
    channel_sides,
    series,
)

Builder = Callable[[Settings, Sides, int], UnitModel]  # settings, sides, sample rate

# Profile key -> model builder. The package docstring lists what each one reads.
BUILDERS: dict[str, Builder] = {
    "api-2500": processors.api_2500,
    "behringer-dsp1100": equalisers.behringer_dsp1100,
    "bricasti-m7": processors.bricasti_m7,
    "diy-motor-fader-mcu": processors.faders,
    "drawmer-m500": processors.drawmer_m500,
    "elektron-analog-heat-mkii": processors.elektron_analog_heat_mkii,
    "eventide-h9": processors.eventide_h9,
    "generic-midi-cc": processors.generic_midi_cc,
    "generic-serial-ascii": equalisers.generic_serial_ascii,
    "manley-massive-passive": equalisers.manley_massive_passive,
    "pultec-eqp-1a": equalisers.pultec_eqp_1a,
    "shadow-hills-mastering-compressor": processors.shadow_hills_mastering_compressor,
    "stepped-attenuator": processors.stepped_attenuator,
    "stepped-mastering-eq": equalisers.stepped_mastering_eq,
    "tc-finalizer-96k": processors.tc_finalizer_96k,
    "tc-system-6000-faders": processors.faders,
}


def unit_model(profile: Profile, values: Mapping[str, float], *, sample_rate: int,
               channels: int = 2) -> UnitModel:
    """The audio model of a unit of ``profile`` set to ``values`` (parameter id ->
    engineering value; missing ids take the profile's default), for blocks of
    shape=(frames, channels) at ``sample_rate``.

    A profile without a model passes audio through, as does a unit whose bypass or in/out
    switch takes it out of circuit (per side on a dual-mono or mid-side unit). A mono
    unit's controls act on every channel, as a matched pair would.
    """
    if sample_rate <= 0 or channels < 1:
        raise ValueError(f"need a positive sample rate and at least one channel, not "
                         f"{sample_rate} Hz and {channels} channels")
    builder = BUILDERS.get(profile.key)
    if builder is None:
        return Passthrough()
    settings = Settings.of(profile, values)
    sides = channel_sides(profile.layout, channels)
    in_circuit = [not settings.switched_out(side) for side in sides]
    if not any(in_circuit):
        return Passthrough()
    model = builder(settings, sides, sample_rate)
    if not all(in_circuit):
        model = Switched(model, in_circuit=in_circuit)
    if profile.layout == "mid-side" and channels == 2:
        model = MidSide(model)
    return series(model)
