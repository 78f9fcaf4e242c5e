"""Which control moved? Each control of a chain nudged, one at a time, through its unit's model,
and the change it makes to the fingerprint compared with the change that was measured: the
controls whose nudge has the measured shape (at the measured levels) come first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from devices.errors import DeviceError
from devices.loader import find_profile
from devices.profile import Parameter, Profile

from .fingerprint import band_magnitudes, sweep
from .models import unit_model

PROBE_SECONDS = 0.35  # short sweeps: the models are linear in time, only the level matters
EXPLAINED = 0.5  # a control explaining less of the shift than this is not named


@dataclass(frozen=True, slots=True)
class Suspect:
    """A control whose nudge looks like the measured shift."""

    unit: str
    parameter: str
    name: str
    explained: float  # the share of the shift (0..1) this control alone accounts for
    estimate: float | None  # the value it would have had to be at, in the control's units
    setting: float  # the revision's value
    unit_label: str


@dataclass(frozen=True, slots=True)
class ChainEntry:
    unit: str
    profile: str
    settings: Mapping[str, float]


def rank(shift: np.ndarray, chain: Sequence[ChainEntry], *, sample_rate: int,
         levels: Sequence[float], centres: np.ndarray, limit: int = 3) -> tuple[Suspect, ...]:
    """The controls most like ``shift`` (shape=(levels, bands), dB, now minus then)."""
    probes = [sweep(sample_rate=sample_rate, level_dbfs=level, seconds=PROBE_SECONDS)
              for level in levels]
    observed = np.asarray(shift, dtype=np.float64)
    energy = float(np.sum(observed ** 2))
    if energy <= 0:
        return ()
    found = []
    for entry in chain:
        try:
            profile = find_profile(entry.profile)
        except DeviceError:
            continue  # a profile this Outboard does not ship: no model to ask
        base = dict(entry.settings)
        before = _response(profile, base, probes, sample_rate, centres)
        for parameter in profile.parameters:
            if parameter.kind not in ("continuous", "stepped", "switch"):
                continue
            setting = float(base.get(parameter.id, parameter.default))
            best = None
            for value in _nudges(parameter, setting):
                predicted = _response(profile, {**base, parameter.id: value}, probes,
                                      sample_rate, centres) - before
                size = float(np.sum(predicted ** 2))
                if size < 1e-6:
                    continue
                scale = float(np.sum(observed * predicted)) / size
                if scale <= 0:
                    continue
                explained = 1.0 - float(np.sum((observed - scale * predicted) ** 2)) / energy
                if best is None or explained > best[0]:
                    best = (explained, setting + scale * (value - setting))
            if best is not None and best[0] >= EXPLAINED:
                estimate = best[1] if parameter.kind != "switch" else None
                found.append(Suspect(entry.unit, parameter.id, parameter.name,
                                     round(best[0], 3), estimate, setting, parameter.unit))
    found.sort(key=lambda s: -s.explained)
    return tuple(found[:limit])


def _nudges(parameter: Parameter, setting: float) -> list[float]:
    """Values one and a few steps either side of ``setting`` that the control can take."""
    if parameter.kind == "switch":
        return [1.0 - round(setting)]
    if parameter.kind == "stepped":
        values = [d.value for d in parameter.detents]
        here = int(np.argmin([abs(v - setting) for v in values]))
        return [values[i] for i in (here - 2, here - 1, here + 1, here + 2)
                if 0 <= i < len(values)]
    span = parameter.maximum - parameter.minimum
    step = max(parameter.resolution, span / 20)
    if parameter.taper == "log" and parameter.minimum > 0:
        ratios = (2 ** -1, 2 ** -0.25, 2 ** 0.25, 2 ** 1)
        return [v for v in (setting * r for r in ratios)
                if parameter.minimum <= v <= parameter.maximum]
    return [v for v in (setting - 2 * step, setting - step / 2, setting + step / 2,
                        setting + 2 * step) if parameter.minimum <= v <= parameter.maximum]


def _response(profile: Profile, values: Mapping[str, float], probes: Sequence[np.ndarray],
              sample_rate: int, centres: np.ndarray) -> np.ndarray:
    """The unit's model's magnitude per band at each probe level, shape=(levels, bands)."""
    rows = []
    for probe in probes:
        model = unit_model(profile, values, sample_rate=sample_rate, channels=2)
        tail = int(0.1 * sample_rate)
        block = np.zeros((probe.size + tail, 2))
        block[:probe.size] = probe[:, None]
        out = model.process(block).mean(axis=1)
        rows.append(band_magnitudes(probe, out, sample_rate, centres))
    return np.array(rows)

