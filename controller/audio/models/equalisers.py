"""Models of the equalisers: each unit's controls turned into RBJ biquads per channel."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .filters import (
    BUTTERWORTH_Q,
    CORNER_LIMIT,
    Biquads,
    high_pass,
    high_shelf,
    low_pass,
    low_shelf,
    peaking,
    q_from_octaves,
    q_from_slope,
)
from .stages import Passthrough, Settings, Sides, UnitModel, gain, series

# Pultec EQP-1A: dB per step of the 0-10 knobs (10 = +13.5, -17.5, +18 and -16 dB, the
# figures usually quoted for the original), and the bandwidth knob's range in octaves.
PULTEC_LOW_BOOST_DB, PULTEC_LOW_ATTEN_DB = 1.35, 1.75
PULTEC_HIGH_BOOST_DB, PULTEC_HIGH_ATTEN_DB = 1.8, 1.6
PULTEC_LOW_Q = 0.5
PULTEC_ATTEN_CORNER = 2.0  # the low cut turns over an octave above the boost (the "trick")
PULTEC_BANDWIDTH_OCTAVES = (0.25, 2.5)  # knob 0 (sharp) .. 10 (broad)
MANLEY_BELL_OCTAVES = (0.3, 3.0)  # bandwidth knob 0 .. 10
MANLEY_SHELF_Q = (1.2, 0.5)  # bandwidth knob 0 (a little overshoot) .. 10 (gentle)
SERIAL_EQ_OCTAVES = 1.0  # generic-serial-ascii: a bell one octave wide


def _span(knob: float, bounds: tuple[float, float]) -> float:
    """A 0-10 panel knob mapped linearly onto ``bounds``."""
    low, high = bounds
    return low + (high - low) * min(max(knob, 0.0), 10.0) / 10.0


def per_side(sides: Sides, design: Callable[[str | None], list[np.ndarray]]) -> Biquads:
    """Biquads for every channel, designed once per distinct side."""
    designed: dict[str | None, np.ndarray] = {}
    for side in sides:
        if side not in designed:
            rows = design(side)
            designed[side] = np.array(rows) if rows else np.empty((0, 6))
    return Biquads([designed[side] for side in sides])


def pultec_eqp_1a(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    def design(side: str | None) -> list[np.ndarray]:
        rows = []
        low = s.value("low_freq", side)
        if boost := s.value("low_boost", side):
            rows.append(low_shelf(frequency=low, gain_db=PULTEC_LOW_BOOST_DB * boost,
                                  q=PULTEC_LOW_Q, sample_rate=sample_rate))
        if atten := s.value("low_atten", side):
            rows.append(low_shelf(frequency=PULTEC_ATTEN_CORNER * low,
                                  gain_db=-PULTEC_LOW_ATTEN_DB * atten, q=PULTEC_LOW_Q,
                                  sample_rate=sample_rate))
        if boost := s.value("high_boost", side):
            octaves = _span(s.value("bandwidth", side), PULTEC_BANDWIDTH_OCTAVES)
            rows.append(peaking(frequency=s.value("high_freq", side),
                                gain_db=PULTEC_HIGH_BOOST_DB * boost,
                                q=q_from_octaves(octaves), sample_rate=sample_rate))
        if atten := s.value("high_atten", side):
            rows.append(high_shelf(frequency=s.value("atten_select", side),
                                   gain_db=-PULTEC_HIGH_ATTEN_DB * atten,
                                   sample_rate=sample_rate))
        return rows

    return per_side(sides, design)


def stepped_mastering_eq(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    def design(side: str | None) -> list[np.ndarray]:
        rows = []
        if (corner := s.value("high_pass", side)) > 0.0:
            rows.append(high_pass(frequency=corner, sample_rate=sample_rate))
        if g := s.value("low_gain", side):
            rows.append(low_shelf(frequency=s.value("low_freq", side), gain_db=g,
                                  sample_rate=sample_rate))
        for band in ("low_mid", "high_mid"):
            if g := s.value(f"{band}_gain", side):
                rows.append(peaking(frequency=s.value(f"{band}_freq", side), gain_db=g,
                                    q=s.value(f"{band}_q", side), sample_rate=sample_rate))
        if g := s.value("high_gain", side):
            rows.append(high_shelf(frequency=s.value("high_freq", side), gain_db=g,
                                   sample_rate=sample_rate))
        return rows

    return per_side(sides, design)


def manley_massive_passive(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    def design(side: str | None) -> list[np.ndarray]:
        rows = []
        if (corner := s.value("high_pass", side)) > 0.0:
            rows.append(high_pass(frequency=corner, sample_rate=sample_rate))
        for band in (1, 2, 3, 4):
            if not (g := s.value(f"band{band}_gain", side)):
                continue
            frequency = s.value(f"band{band}_freq", side)
            knob = s.value(f"band{band}_bandwidth", side)
            if s.index(f"band{band}_shape", side) == 1:  # shelf: bands 1-2 low, 3-4 high
                shelf = low_shelf if band <= 2 else high_shelf
                rows.append(shelf(frequency=frequency, gain_db=g,
                                  q=_span(knob, MANLEY_SHELF_Q), sample_rate=sample_rate))
            else:
                rows.append(peaking(frequency=frequency, gain_db=g,
                                    q=q_from_octaves(_span(knob, MANLEY_BELL_OCTAVES)),
                                    sample_rate=sample_rate))
        if 0.0 < (corner := s.value("low_pass", side)) < CORNER_LIMIT * sample_rate:
            rows.append(low_pass(frequency=corner, sample_rate=sample_rate))
        return rows

    return series(per_side(sides, design),
                  gain([s.value("output_gain", side) for side in sides]))


def behringer_dsp1100(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    if s.label("filter_mode") == "O":  # the stored filter is off
        return Passthrough()
    frequency = s.value("frequency") * 2.0 ** (s.value("fine") / 60.0)
    octaves = s.value("bandwidth") / 60.0
    row = peaking(frequency=frequency, gain_db=s.value("gain"), q=q_from_octaves(octaves),
                  sample_rate=sample_rate)
    return per_side(sides, lambda side: [row] if s.value("gain") else [])


def generic_serial_ascii(s: Settings, sides: Sides, sample_rate: int) -> UnitModel:
    def design(side: str | None) -> list[np.ndarray]:
        if not (g := s.value("gain", side)):
            return []
        return [peaking(frequency=s.value("frequency", side), gain_db=g,
                        q=q_from_octaves(SERIAL_EQ_OCTAVES), sample_rate=sample_rate)]

    return per_side(sides, design)


def finalizer_eq(s: Settings, sides: Sides, sample_rate: int) -> Biquads:
    """The TC Finalizer's EQ block: low cut, low shelf, three bells, high shelf."""

    def design(side: str | None) -> list[np.ndarray]:
        rows = []
        cut = s.parameter("low_cut", side)
        if (corner := s.value("low_cut", side)) > cut.minimum:  # the bottom of travel is off
            rows.append(high_pass(frequency=corner, q=BUTTERWORTH_Q, sample_rate=sample_rate))
        for shelf, name in ((low_shelf, "low_eq"), (high_shelf, "high_eq")):
            if g := s.value(f"{name}_gain", side):
                # Slope in dB/octave onto the RBJ shelf slope: 12 dB/octave is S = 1.
                slope = s.value(f"{name}_slope", side) / 12.0
                rows.append(shelf(frequency=s.value(f"{name}_freq", side), gain_db=g,
                                  q=q_from_slope(gain_db=g, slope=slope),
                                  sample_rate=sample_rate))
        for band in (1, 2, 3):
            if g := s.value(f"band{band}_gain", side):
                rows.append(peaking(frequency=s.value(f"band{band}_freq", side), gain_db=g,
                                    q=q_from_octaves(s.value(f"band{band}_bw", side)),
                                    sample_rate=sample_rate))
        return rows

    return per_side(sides, design)
