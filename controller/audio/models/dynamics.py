"""Dynamics for the unit models: a feed-forward compressor and a peak limiter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .filters import Biquads, high_pass

# 0 dB on an analog unit's threshold scale: EBU R68 alignment, 0 dBu = -18 dBFS.
ALIGNMENT_DBFS = -18.0
# A compressor forgets gain reduction held below this (dB): silence goes back on the fast
# path, and the output changes by less than 1e-13 of its level.
FLOOR_DB = 1e-12
DETECTORS = ("peak", "rms")


def _log(values: np.ndarray) -> np.ndarray:
    """Natural log, minus infinity for zeros (by rule, not a hidden warning)."""
    out = np.full(values.shape, -np.inf)
    np.log(values, out=out, where=values > 0.0)
    return out


def _db(values: np.ndarray, *, power: bool = False) -> np.ndarray:
    """Level in dB of amplitudes (or powers), minus infinity for zeros."""
    return (10.0 if power else 20.0) / math.log(10.0) * _log(values)


def _frame_peak(values: np.ndarray) -> np.ndarray:
    """The largest of each frame's channels, shape=(frames, 1) (a loop over the few channels
    is many times faster than a reduction along a short last axis)."""
    peak = values[:, 0].copy()
    for channel in range(1, values.shape[1]):
        np.maximum(peak, values[:, channel], out=peak)
    return peak[:, None]


def scale_frames(block: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """Each frame of ``block`` (shape=(frames, channels)) times its gain (shape=(frames,)),
    channel by channel: broadcasting along a short last axis is several times slower."""
    out = np.empty(block.shape)
    for channel in range(block.shape[1]):
        np.multiply(block[:, channel], gains, out=out[:, channel])
    return out


def _one_pole(seconds: float, sample_rate: int) -> float:
    """The pole of a one-pole smoother of time constant ``seconds`` (0 = no smoothing)."""
    if seconds <= 0.0:
        return 0.0
    return math.exp(-1.0 / (seconds * sample_rate))


class PeakHold:
    """h[n] = max(t[n], β·h[n-1]) per channel: instant attack, exponential release of
    ``release_s`` (one value, or one per channel).

    In logs, log h[n] = max(log t[n], log h[n-1] + log β): a running maximum once the ramp
    n·log β is taken out, log h[n] = n·log β + max_k≤n (log t[k] − k·log β). So a block is
    one `np.maximum.accumulate` with log h carried between blocks, no loop over samples, and
    the result does not depend on where blocks are cut.
    """

    def __init__(self, *, release_s: float | Sequence[float], channels: int,
                 sample_rate: int) -> None:
        times = np.broadcast_to(np.asarray(release_s, dtype=np.float64), (channels,))
        if np.any(times <= 0.0):
            raise ValueError("release times must be positive")
        self._log_beta = -1.0 / (times * sample_rate)
        self._log_held = np.full(channels, -np.inf)
        self.idle = True  # nothing held: the envelope is zero until a target rises

    def process(self, target: np.ndarray) -> np.ndarray:
        """The held envelope of ``target`` (shape=(frames, channels), >= 0)."""
        if not len(target):
            return np.zeros(target.shape)
        ramp = np.arange(1, len(target) + 1)[:, None] * self._log_beta
        shifted = np.vstack([self._log_held, _log(target) - ramp])
        log_held = np.maximum.accumulate(shifted, axis=0)[1:] + ramp
        last = log_held[-1].copy()
        last[last < math.log(FLOOR_DB)] = -np.inf
        self._log_held = last
        self.idle = bool(np.all(last == -np.inf))
        return np.exp(log_held)


@dataclass(frozen=True, slots=True)
class CompressorSettings:
    """One channel of a feed-forward compressor. Levels are dBFS of the signal's peak (or its
    RMS with the rms detector); ``ratio`` 1000 stands for infinity."""

    threshold_dbfs: float
    ratio: float
    attack_s: float
    release_s: float
    knee_db: float = 0.0
    makeup_db: float = 0.0
    active: bool = True  # False: this channel's stage is switched out

    def __post_init__(self) -> None:
        if self.ratio < 1.0 or self.release_s <= 0.0 or self.attack_s < 0.0:
            raise ValueError(f"a compressor needs ratio >= 1, release > 0 and attack >= 0, "
                             f"not {self.ratio}, {self.release_s}, {self.attack_s}")
        if self.knee_db < 0.0:
            raise ValueError(f"knee width must be >= 0 dB, not {self.knee_db}")


class Compressor:
    """A feed-forward compressor on every channel of a block, one ``CompressorSettings`` per
    channel; ``link`` applies the largest channel's gain reduction to all of them.

    After Giannoulis, Massberg and Reiss, "Digital Dynamic Range Compressor Design: A
    Tutorial and Analysis" (JAES 60(6), 2012): a level detector, the static gain computer in
    dB (their eq. 4, quadratic knee), then the gain reduction smoothed in the log domain by
    their "decoupled" detector reordered to need no loop over samples: a `PeakHold` for the
    release, then a one-pole low-pass (`lfilter`, state carried) for the attack. A steady
    tone reads its peak: a sine peaking 12 dB over the threshold at 4:1 settles at 9 dB of
    gain reduction.

    ``detector`` is "peak" (the instantaneous level) or "rms" (mean square over
    ``rms_s``); ``sidechain_hpf_hz`` > 0 (one value, or one per channel) high-passes what
    the detector hears.
    """

    def __init__(self, settings: Sequence[CompressorSettings], *, link: bool,
                 sample_rate: int, detector: str = "peak", rms_s: float = 0.01,
                 sidechain_hpf_hz: float | Sequence[float] = 0.0) -> None:
        if detector not in DETECTORS:
            raise ValueError(f"detector must be one of {DETECTORS}, not {detector!r}")
        channels = len(settings)

        def column(name: str) -> np.ndarray:
            return np.array([getattr(s, name) for s in settings], dtype=np.float64)

        self._threshold, self._knee = column("threshold_dbfs"), column("knee_db")
        self._slope = 1.0 - 1.0 / column("ratio")
        self._active = column("active")
        self._makeup = column("makeup_db") * self._active
        self._link = link
        self._rms = detector == "rms"
        self._rms_pole = _one_pole(rms_s, sample_rate)
        self._rms_state = np.zeros((1, channels))
        # Below this level (dBFS) no channel is into its knee: the block needs no detector.
        quiet = np.min(np.where(self._active > 0, self._threshold - self._knee / 2, np.inf))
        self._quiet = 10.0 ** (quiet / (10.0 if self._rms else 20.0)) if quiet < np.inf else np.inf
        self._hold = PeakHold(release_s=column("release_s"), channels=channels,
                              sample_rate=sample_rate)
        self._attack = np.array([_one_pole(s.attack_s, sample_rate) for s in settings])
        self._attack_state = np.zeros((1, channels))
        corners = np.broadcast_to(np.asarray(sidechain_hpf_hz, dtype=np.float64), (channels,))
        self._sidechain = Biquads(
            [high_pass(frequency=corner, sample_rate=sample_rate)[None, :]
             if corner > 0.0 else np.empty((0, 6)) for corner in corners])
        self._makeup_gain = 10.0 ** (self._makeup / 20.0)

    @property
    def is_identity(self) -> bool:
        """Every channel's stage is switched out."""
        return not np.any(self._active)

    def _level(self, block: np.ndarray) -> np.ndarray:
        """What the detector reads, as amplitude (peak) or power (rms)."""
        key = self._sidechain.process(block)
        if not self._rms:
            return np.abs(key)
        from scipy import signal

        a = self._rms_pole
        power, self._rms_state = signal.lfilter([1.0 - a], [1.0, -a], key * key, axis=0,
                                                zi=self._rms_state)
        return power

    def gain_reduction_db(self, block: np.ndarray) -> np.ndarray:
        """The smoothed gain reduction (dB, >= 0) for ``block``, shape=(frames, channels)."""
        level = self._level(block)
        settled = (self._hold.idle and np.all(np.abs(self._attack_state) < FLOOR_DB))
        if settled and not np.any(level > self._quiet):
            self._attack_state[:] = 0.0
            return np.zeros(block.shape)
        over = _db(level, power=self._rms) - self._threshold
        knee = np.maximum(self._knee, 1e-9)
        soft = (over + knee / 2) ** 2 / (2 * knee)
        target = self._slope * np.where(2 * over > knee, over, np.where(2 * over < -knee, 0.0,
                                                                        soft))
        target = np.maximum(target, 0.0) * self._active
        if self._link:
            target = _frame_peak(target) * self._active
        held = self._hold.process(target)
        return self._smooth(held)

    def _smooth(self, held: np.ndarray) -> np.ndarray:
        from scipy import signal

        out = np.empty(held.shape)
        poles = self._attack
        if np.all(poles == poles[0]):
            a = poles[0]
            out[:], self._attack_state = signal.lfilter([1.0 - a], [1.0, -a], held, axis=0,
                                                        zi=self._attack_state)
            return out
        for c, a in enumerate(poles):
            out[:, c], state = signal.lfilter([1.0 - a], [1.0, -a], held[:, c],
                                              zi=self._attack_state[:, c])
            self._attack_state[:, c] = state
        return out

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (shape=(frames, channels)) compressed, with make-up gain."""
        if not len(block):
            return block
        reduction = self.gain_reduction_db(block)
        if not np.any(reduction):
            return block * self._makeup_gain if np.any(self._makeup) else block
        return block * 10.0 ** ((self._makeup - reduction) / 20.0)


class Limiter:
    """A peak limiter, linked across channels. Its envelope is the frames' peak with instant
    attack and an exponential release, e[n] = max(|x[n]|, β·e[n-1]), found with the same
    running maximum in logs as `PeakHold`; the gain is min(1, ceiling / e[n]). Since
    e[n] >= |x[n]|, no output sample exceeds ``ceiling_dbfs`` (to a few parts in 1e16); the
    gain recovers at a steady 8.7 dB per ``release_s``.
    """

    def __init__(self, *, ceiling_dbfs: float, release_s: float, channels: int,
                 sample_rate: int) -> None:
        if release_s <= 0.0:
            raise ValueError(f"release must be positive, not {release_s} s")
        self._ceiling = 10.0 ** (float(ceiling_dbfs) / 20.0)
        self._log_ceiling = math.log(self._ceiling)
        self._log_beta = -1.0 / (release_s * sample_rate)
        # An envelope under the ceiling changes no gain, now or later: it is dropped (-inf),
        # exactly, and a block that stays under the ceiling passes untouched.
        self._log_envelope = -np.inf

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (shape=(frames, channels)) held under the ceiling."""
        if not block.size:
            return block
        if self._log_envelope == -np.inf and max(block.max(), -block.min()) <= self._ceiling:
            return block
        ramp = np.arange(1, len(block) + 1) * self._log_beta
        shifted = np.empty(len(block) + 1)
        shifted[0] = self._log_envelope
        shifted[1:] = _log(_frame_peak(np.abs(block))[:, 0]) - ramp
        log_envelope = np.maximum.accumulate(shifted)[1:] + ramp
        last = float(log_envelope[-1])
        self._log_envelope = last if last > self._log_ceiling else -np.inf
        return scale_frames(block, np.exp(np.minimum(self._log_ceiling - log_envelope, 0.0)))
