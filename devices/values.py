"""Engineering units to wire values and back: taper, centre, detents and resolution."""

from __future__ import annotations

import math

from .errors import ValueOutOfRange
from .profile import Parameter

_EPSILON = 1e-9


def validate(parameter: Parameter, value: float) -> float:
    """``value`` snapped to what the control can hold; ValueOutOfRange if it cannot."""
    if not math.isfinite(value):
        raise ValueOutOfRange(f"{parameter.id}: {value} is not a number")
    if parameter.kind == "stepped":
        return parameter.detents[detent_index(parameter, value)].value
    if parameter.kind in ("switch", "choice"):
        index = int(round(value))
        if abs(value - index) > _EPSILON or not 0 <= index < len(parameter.labels):
            options = ", ".join(f"{i}={label}" for i, label in enumerate(parameter.labels))
            raise ValueOutOfRange(f"{parameter.id}: {value} is not one of {options}")
        return float(index)
    low, high = parameter.minimum, parameter.maximum
    slack = _EPSILON * max(1.0, abs(high - low))
    if value < low - slack or value > high + slack:
        raise ValueOutOfRange(
            f"{parameter.id}: {value:g} {parameter.unit} is outside {low:g} to {high:g}".rstrip()
        )
    value = min(max(value, low), high)
    if parameter.resolution > 0:
        steps = round((value - low) / parameter.resolution)
        value = min(low + steps * parameter.resolution, high)
    return value


def detent_index(parameter: Parameter, value: float) -> int:
    """The detent whose value is ``value`` (within rounding); ValueOutOfRange otherwise."""
    for index, detent in enumerate(parameter.detents):
        if abs(detent.value - value) <= _EPSILON * max(1.0, abs(detent.value)):
            return index
    labels = ", ".join(d.label for d in parameter.detents)
    raise ValueOutOfRange(f"{parameter.id}: {value:g} is not a detent ({labels})")


def label(parameter: Parameter, value: float) -> str:
    """How the panel shows ``value``: the detent or option label, or number and unit."""
    if parameter.kind == "stepped":
        return parameter.detents[detent_index(parameter, value)].label
    if parameter.kind in ("switch", "choice"):
        return parameter.labels[int(round(value))]
    text = f"{value:.{_decimals(parameter)}f}"
    return f"{text} {parameter.unit}".strip()


def _decimals(parameter: Parameter) -> int:
    if parameter.resolution <= 0:
        return 2
    return max(0, -int(math.floor(math.log10(parameter.resolution) + 1e-9)))


def positions(parameter: Parameter) -> int:
    """How many positions a stepped, switch or choice control has (0 for continuous)."""
    if parameter.kind == "stepped":
        return len(parameter.detents)
    if parameter.kind in ("switch", "choice"):
        return len(parameter.labels)
    return 0


def to_fraction(parameter: Parameter, value: float) -> float:
    """Where ``value`` sits on a continuous control's travel, 0 to 1, through its taper."""
    low, high = parameter.minimum, parameter.maximum
    if parameter.taper == "log":
        return math.log(value / low) / math.log(high / low)
    share = (value - low) / (high - low)
    if parameter.taper == "audio":
        # An audio (A) taper: a tenth of the value range at half travel, as a log pot.
        return math.log10(1.0 + 99.0 * share) / 2.0
    return share


def from_fraction(parameter: Parameter, fraction: float) -> float:
    low, high = parameter.minimum, parameter.maximum
    fraction = min(max(fraction, 0.0), 1.0)
    if parameter.taper == "log":
        return low * (high / low) ** fraction
    if parameter.taper == "audio":
        return low + (high - low) * (10.0 ** (2.0 * fraction) - 1.0) / 99.0
    return low + (high - low) * fraction


def to_wire(parameter: Parameter, value: float, *, wire_min: int, wire_max: int,
            wire_values: tuple[int, ...] = (), wire_centre: int | None = None) -> int:
    """The wire value that sets ``value`` (engineering units)."""
    value = validate(parameter, value)
    count = positions(parameter)
    if count:
        index = detent_index(parameter, value) if parameter.kind == "stepped" else int(value)
        if wire_values:
            return wire_values[index]
        if count == 1:
            return wire_min
        return wire_min + round(index * (wire_max - wire_min) / (count - 1))
    if parameter.centre is not None and wire_centre is not None:
        # Bipolar: each half of the travel maps linearly onto its half of the wire range.
        if value >= parameter.centre:
            share = (value - parameter.centre) / (parameter.maximum - parameter.centre)
            return wire_centre + round(share * (wire_max - wire_centre))
        share = (parameter.centre - value) / (parameter.centre - parameter.minimum)
        return wire_centre - round(share * (wire_centre - wire_min))
    return wire_min + round(to_fraction(parameter, value) * (wire_max - wire_min))


def from_wire(parameter: Parameter, wire: int, *, wire_min: int, wire_max: int,
              wire_values: tuple[int, ...] = (), wire_centre: int | None = None) -> float:
    """The engineering value a unit is at when it reports ``wire``."""
    count = positions(parameter)
    if count:
        if wire_values:
            # The nearest listed wire value: units often report any value in a band.
            index = min(range(count), key=lambda i: abs(wire_values[i] - wire))
        elif count == 1:
            index = 0
        else:
            share = (wire - wire_min) / (wire_max - wire_min)
            index = min(max(round(share * (count - 1)), 0), count - 1)
        if parameter.kind == "stepped":
            return parameter.detents[index].value
        return float(index)
    wire = min(max(wire, wire_min), wire_max)
    if parameter.centre is not None and wire_centre is not None:
        if wire >= wire_centre:
            share = (wire - wire_centre) / max(wire_max - wire_centre, 1)
            raw = parameter.centre + share * (parameter.maximum - parameter.centre)
        else:
            share = (wire_centre - wire) / max(wire_centre - wire_min, 1)
            raw = parameter.centre - share * (parameter.centre - parameter.minimum)
    else:
        raw = from_fraction(parameter, (wire - wire_min) / (wire_max - wire_min))
    return _quantise(parameter, raw)


def _quantise(parameter: Parameter, raw: float) -> float:
    if parameter.resolution <= 0:
        return raw
    steps = round((raw - parameter.minimum) / parameter.resolution)
    return min(parameter.minimum + steps * parameter.resolution, parameter.maximum)


def wire_step(parameter: Parameter, *, wire_min: int, wire_max: int) -> float:
    """The largest change in engineering units one wire step can make (continuous)."""
    if positions(parameter):
        return 0.0
    span = wire_max - wire_min
    fractions = (0.0, 1.0 / span, 1.0 - 1.0 / span, 1.0)
    values = [from_fraction(parameter, f) for f in fractions]
    return max(abs(values[1] - values[0]), abs(values[3] - values[2]))
