"""The chain's fingerprint: log sweeps at a few levels played through an insert loop with its
gear in circuit, and the loop's magnitude response per 1/6 octave at each level. Two
fingerprints of the same settings match; a knob moved shows as the bands it moved, at the
levels it moved them (a compressor's threshold only at the loud one)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .loops import LoopSetup, play_and_record

LEVELS_DBFS = (-30.0, -18.0, -6.0)  # quiet, at the studio's alignment level, and loud
LOW_HZ = 25.0
SWEEP_SECONDS = 1.0
GAP_SECONDS = 0.6  # for the loop's latency and the gear's tails before the next sweep
PRE_ROLL_SECONDS = 0.1
BANDS_PER_OCTAVE = 6


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """The loop's magnitude response, ``magnitude_db[level][band]``, mono sum of its
    channels, at each of ``levels_dbfs``; band centres in Hz."""

    sample_rate: int
    levels_dbfs: tuple[float, ...]
    centres_hz: tuple[float, ...]
    magnitude_db: tuple[tuple[float, ...], ...]

    def as_dict(self) -> dict[str, object]:
        return {"sample_rate": self.sample_rate, "levels_dbfs": list(self.levels_dbfs),
                "centres_hz": list(self.centres_hz),
                "magnitude_db": [list(row) for row in self.magnitude_db]}

    @staticmethod
    def from_dict(data: dict[str, object]) -> Fingerprint:
        return Fingerprint(int(data["sample_rate"]),  # type: ignore[call-overload]
                           tuple(data["levels_dbfs"]),  # type: ignore[arg-type]
                           tuple(data["centres_hz"]),  # type: ignore[arg-type]
                           tuple(tuple(r) for r in data["magnitude_db"]))  # type: ignore[attr-defined]


def band_centres(sample_rate: int) -> np.ndarray:
    """1/6-octave centres from 25 Hz to just under the sweep's top (0.42 fs, 20 kHz at
    most), on the base-2 series through 1 kHz."""
    top = min(20_000.0, 0.42 * sample_rate)
    first = int(np.ceil(BANDS_PER_OCTAVE * np.log2(LOW_HZ / 1000.0)))
    last = int(np.floor(BANDS_PER_OCTAVE * np.log2(top / 1000.0))) - 1
    return 1000.0 * 2.0 ** (np.arange(first, last + 1) / BANDS_PER_OCTAVE)


def sweep(*, sample_rate: int, level_dbfs: float, seconds: float = SWEEP_SECONDS
          ) -> np.ndarray:
    """An exponential sweep over the fingerprint's band at ``level_dbfs`` peak, faded in and
    out, shape=(frames,)."""
    low, high = LOW_HZ / 1.5, min(20_000.0, 0.42 * sample_rate) * 1.2
    high = min(high, 0.48 * sample_rate)
    frames = int(round(seconds * sample_rate))
    t = np.arange(frames) / sample_rate
    ratio = np.log(high / low)
    phase = 2 * np.pi * low * seconds / ratio * (np.exp(t / seconds * ratio) - 1)
    fade = int(0.02 * sample_rate)
    envelope = np.ones(frames)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
    envelope[:fade], envelope[frames - fade:] = ramp, ramp[::-1]
    return 10 ** (level_dbfs / 20) * np.sin(phase) * envelope


def take_fingerprint(setup: LoopSetup, *, levels: Sequence[float] = LEVELS_DBFS,
                     abort: threading.Event | None = None,
                     on_running: Callable[[], None] | None = None) -> Fingerprint:
    """Sweep the loop at each level, in one full-duplex stream, and measure its response."""
    rate, channels = setup.sample_rate, setup.channels
    pre, gap = int(PRE_ROLL_SECONDS * rate), int(GAP_SECONDS * rate)
    sweeps = [sweep(sample_rate=rate, level_dbfs=level) for level in levels]
    slot = sweeps[0].size + gap
    total = pre + slot * len(levels)
    program = np.zeros((total, channels), dtype=np.float32)
    for k, stimulus in enumerate(sweeps):
        program[pre + k * slot: pre + k * slot + stimulus.size] = stimulus[:, None]
    returned = play_and_record(setup, program, what="fingerprint", quiet_frames=pre, abort=abort,
                               on_running=on_running)
    mono = returned.astype(np.float64).mean(axis=1)
    centres = band_centres(rate)
    rows = []
    for k, stimulus in enumerate(sweeps):
        window = mono[pre + k * slot: pre + (k + 1) * slot]
        rows.append(tuple(round(float(v), 3) for v in
                          band_magnitudes(stimulus, window, rate, centres)))
    return Fingerprint(rate, tuple(float(v) for v in levels),
                       tuple(round(float(c), 2) for c in centres), tuple(rows))


def band_magnitudes(stimulus: np.ndarray, response: np.ndarray, rate: int,
                     centres: np.ndarray) -> np.ndarray:
    """|response / stimulus| in dB, power-averaged over each 1/6-octave band."""
    n = 1 << int(np.ceil(np.log2(response.size + stimulus.size)))
    x, y = np.fft.rfft(stimulus, n), np.fft.rfft(response, n)
    freqs = np.fft.rfftfreq(n, 1 / rate)
    power = np.abs(x) ** 2
    ratio = np.abs(y) ** 2 / np.maximum(power, 1e-30)
    half = 2.0 ** (1 / (2 * BANDS_PER_OCTAVE))
    out = np.empty(centres.size)
    for i, centre in enumerate(centres):
        band = (freqs >= centre / half) & (freqs < centre * half)
        weight = power[band]
        mean = np.sum(ratio[band] * weight) / max(np.sum(weight), 1e-30)
        out[i] = 10 * np.log10(max(mean, 1e-20))
    return out


@dataclass(frozen=True, slots=True)
class BandShift:
    centre_hz: float
    level_dbfs: float
    delta_db: float  # now minus then


def fingerprint_shifts(then: Fingerprint, now: Fingerprint, *, threshold_db: float = 0.5
                       ) -> tuple[BandShift, ...]:
    """Every band, at every level, that moved by more than ``threshold_db``."""
    if then.levels_dbfs != now.levels_dbfs or then.centres_hz != now.centres_hz:
        raise ValueError("the fingerprints were taken at different levels or rates")
    shifts = []
    for level, old, new in zip(then.levels_dbfs, then.magnitude_db, now.magnitude_db,
                               strict=True):
        for centre, a, b in zip(then.centres_hz, old, new, strict=True):
            if abs(b - a) > threshold_db:
                shifts.append(BandShift(centre, level, round(b - a, 2)))
    return tuple(shifts)
