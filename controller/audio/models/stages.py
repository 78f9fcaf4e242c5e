"""What unit models are built from: settings read by id and side, and the simple stages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from devices.profile import Parameter, Profile

# Switches that take a whole unit (or one side of it) out of circuit, by id without side.
BYPASS_IDS = ("bypass", "eq_in", "compressor_in")
_OUT_LABELS = ("bypassed", "bypass", "out")
_IN_LABELS = ("active", "in")

Sides = tuple[str | None, ...]  # per channel: the side whose controls act on it


class UnitModel(Protocol):
    """A unit's audio path: stateful, so consecutive blocks are one continuous signal."""

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (shape=(frames, channels), float64) through the unit, same shape."""
        ...


def channel_sides(layout: str, channels: int) -> Sides:
    """Which side's controls act on each channel: L/R alternately on a dual-mono unit, M and
    S on a mid-side unit (after encoding), the shared controls (None) otherwise."""
    if layout == "dual-mono":
        return tuple("lr"[c % 2] for c in range(channels))
    if layout == "mid-side":
        return ("m", "s") if channels == 2 else ("m",) * channels
    return (None,) * channels


def _position(parameter: Parameter, value: float) -> int:
    last = max(len(parameter.labels) - 1, 1)
    return min(max(int(round(value)), 0), last)


def _switched_out(parameter: Parameter, value: float) -> bool:
    labels = parameter.labels or ("off", "on")
    label = labels[_position(parameter, value)].lower()
    if label in _OUT_LABELS:
        return True
    if label in _IN_LABELS:
        return False
    if "bypass" in parameter.id:  # "bypass: off / on"
        return label == "on"
    return label == "off"  # "eq in: off / on"


@dataclass(frozen=True, slots=True)
class Settings:
    """A unit's parameter values (engineering units) with the profile's defaults filled in."""

    profile: Profile
    values: Mapping[str, float]

    @classmethod
    def of(cls, profile: Profile, values: Mapping[str, float]) -> Settings:
        """``values`` by parameter id; missing ids take the default, unknown ids are ignored
        (a value stored for a control the profile no longer has)."""
        return cls(profile, {p.id: float(values.get(p.id, p.default))
                             for p in profile.parameters})

    def _id(self, base: str, side: str | None) -> str | None:
        for candidate in ((f"{base}_{side}", base) if side else (base,)):
            if candidate in self.values:
                return candidate
        return None

    def has(self, base: str, side: str | None = None) -> bool:
        return self._id(base, side) is not None

    def value(self, base: str, side: str | None = None, *, missing: float | None = None
              ) -> float:
        """The value of ``base`` (``base_l`` etc. on ``side``), or ``missing`` if the profile
        has no such control."""
        found = self._id(base, side)
        if found is not None:
            return self.values[found]
        if missing is None:
            raise KeyError(f"{self.profile.key} has no parameter '{base}'")
        return missing

    def parameter(self, base: str, side: str | None = None) -> Parameter:
        found = self._id(base, side)
        if found is None:
            raise KeyError(f"{self.profile.key} has no parameter '{base}'")
        return self.profile.parameter(found)

    def label(self, base: str, side: str | None = None) -> str:
        """The panel label of the current position of a stepped, switch or choice control."""
        parameter, value = self.parameter(base, side), self.value(base, side)
        if parameter.kind == "stepped":
            nearest = min(parameter.detents, key=lambda d: abs(d.value - value))
            return nearest.label
        return (parameter.labels or ("off", "on"))[_position(parameter, value)]

    def index(self, base: str, side: str | None = None) -> int:
        """The option index of a choice or switch control."""
        return _position(self.parameter(base, side), self.value(base, side))

    def switched_out(self, side: str | None = None) -> bool:
        """Whether a bypass or in/out switch takes the unit (on ``side``) out of circuit."""
        for parameter in self.profile.parameters:
            base = parameter.id
            if parameter.side:
                if side is None or parameter.side.lower() != side:
                    continue
                base = base.removesuffix(f"_{parameter.side.lower()}")
            if parameter.kind == "switch" and (base in BYPASS_IDS or "bypass" in base):
                if _switched_out(parameter, self.values[parameter.id]):
                    return True
        return False


class Passthrough:
    """A unit that leaves audio as it is (returns the very block it is given)."""

    def process(self, block: np.ndarray) -> np.ndarray:
        return block


class Gain:
    """A gain per channel, in dB (minus infinity for silence)."""

    def __init__(self, gains_db: Sequence[float]) -> None:
        self._gains = np.array([10.0 ** (g / 20.0) if g > -np.inf else 0.0 for g in gains_db])
        self._shared = float(self._gains[0]) if np.all(self._gains == self._gains[0]) else None

    def process(self, block: np.ndarray) -> np.ndarray:
        if self._shared is not None:
            return block * self._shared
        # Column by column: broadcasting along a short last axis is several times slower.
        out = np.empty(block.shape)
        for channel, factor in enumerate(self._gains):
            np.multiply(block[:, channel], factor, out=out[:, channel])
        return out


def gain(gains_db: Sequence[float]) -> UnitModel:
    """A ``Gain``, or a pass-through when every gain is 0 dB."""
    return Passthrough() if all(g == 0.0 for g in gains_db) else Gain(gains_db)


class Series:
    """Stages one after the other."""

    def __init__(self, stages: Sequence[UnitModel]) -> None:
        self.stages = tuple(stages)

    def process(self, block: np.ndarray) -> np.ndarray:
        for stage in self.stages:
            block = stage.process(block)
        return block


def series(*stages: UnitModel) -> UnitModel:
    """The stages in order, leaving out pass-throughs and filters that do nothing."""
    kept = [s for s in stages
            if not isinstance(s, Passthrough) and not getattr(s, "is_identity", False)]
    if not kept:
        return Passthrough()
    return kept[0] if len(kept) == 1 else Series(kept)


class MidSide:
    """Runs ``inner`` on mid and side (M = (L+R)/2, S = (L-R)/2) of a two-channel block."""

    def __init__(self, inner: UnitModel) -> None:
        self._inner = inner

    def process(self, block: np.ndarray) -> np.ndarray:
        left, right = block[:, 0], block[:, 1]
        encoded = np.column_stack([(left + right) / 2.0, (left - right) / 2.0])
        mid, side = self._inner.process(encoded).T
        return np.column_stack([mid + side, mid - side])


class Blend:
    """Dry and wet: ``(1 - wet) · block + wet · inner(block)``."""

    def __init__(self, inner: UnitModel, *, wet: float) -> None:
        self._inner, self._wet = inner, min(max(float(wet), 0.0), 1.0)

    def process(self, block: np.ndarray) -> np.ndarray:
        processed = self._inner.process(block)
        if self._wet == 1.0:
            return processed
        return (1.0 - self._wet) * block + self._wet * processed


class Switched:
    """``inner`` on the channels marked in circuit; the others pass untouched."""

    def __init__(self, inner: UnitModel, *, in_circuit: Sequence[bool]) -> None:
        self._inner = inner
        self._out = ~np.array(in_circuit, dtype=bool)

    def process(self, block: np.ndarray) -> np.ndarray:
        processed = self._inner.process(block)
        return np.where(self._out, block, processed)
