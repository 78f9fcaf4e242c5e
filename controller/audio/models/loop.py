"""A simulated insert loop: the units' chain, then the converters' delay, gain and noise."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .stages import UnitModel

FIR_TAPS = 64  # the windowed sinc: the FIR's own delay is its centre, FIR_TAPS/2 - 1 + fraction
KAISER_BETA = 8.0
SHORT_ORDER = 4  # below one sample: a Lagrange interpolator of this order


class ChainModel:
    """The units of one loop, in signal order."""

    def __init__(self, units: Sequence[UnitModel]) -> None:
        self.units = tuple(units)

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (shape=(frames, channels)) through every unit in turn."""
        for unit in self.units:
            block = unit.process(block)
        return block


@dataclass(frozen=True, slots=True)
class LoopCharacter:
    """The converters and cables of an insert loop."""

    latency_samples: float = 61.37  # round trip D/A + A/D, may be fractional, >= 0
    gain_db: float = 0.0  # send/return path gain
    inverted: bool = False  # polarity flip (a miswired XLR)
    noise_floor_dbfs: float | None = -110.0  # RMS of white noise at the return; None, -inf: none
    seed: int = 0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.latency_samples) and self.latency_samples >= 0.0):
            raise ValueError(f"latency must be a finite number of samples >= 0, "
                             f"not {self.latency_samples}")
        if not math.isfinite(self.gain_db):
            raise ValueError(f"loop gain must be finite, not {self.gain_db} dB")
        floor = self.noise_floor_dbfs
        if floor is not None and (math.isnan(floor) or floor == math.inf):
            raise ValueError(f"noise floor must be a level in dBFS, -inf or None, not {floor}")


def _lagrange(delay: float, order: int) -> np.ndarray:
    """Lagrange interpolation taps for ``delay`` samples on the nodes 0..order."""
    nodes = np.arange(order + 1, dtype=np.float64)
    taps = np.ones(order + 1)
    for m in range(order + 1):
        others = nodes[nodes != m]
        taps[m] = np.prod((delay - others) / (m - others))
    return taps


def delay_design(samples: float) -> tuple[int, np.ndarray]:
    """A delay of ``samples`` (>= 0) as whole samples of delay line and FIR taps: together
    ``samples`` to well under a hundredth of a sample, flat and linear in phase in the band.

    Whole numbers are a bare delay line. From FIR_TAPS/2 - 1 samples on, the fraction is a
    Kaiser-windowed sinc of FIR_TAPS taps centred on FIR_TAPS/2 - 1 + fraction, and the
    line holds the rest. Shorter delays leave too few taps before the centre for that sinc,
    so they use the centred Lagrange interpolator of order 2·floor(samples) + 1 (the
    maximally flat FIR with as many taps on each side); below one sample, an order-4
    Lagrange interpolator (it rises by up to 4 dB near Nyquist, where no causal filter can
    follow a delay that short).
    """
    if samples == math.floor(samples):
        return int(samples), np.ones(1)
    centre = FIR_TAPS // 2 - 1
    whole, fraction = math.floor(samples), samples - math.floor(samples)
    if whole >= centre:
        offset = np.arange(FIR_TAPS) - (centre + fraction)
        half = FIR_TAPS / 2
        window = np.i0(KAISER_BETA * np.sqrt(np.clip(1.0 - (offset / half) ** 2, 0.0, None)))
        taps = np.sinc(offset) * window
        return whole - centre, taps / np.sum(taps)
    if whole >= 1:
        return 0, _lagrange(samples, 2 * whole + 1)
    return 0, _lagrange(samples, SHORT_ORDER)


class FractionalDelay:
    """A delay of any non-negative number of samples on every channel, state carried."""

    def __init__(self, *, samples: float, channels: int) -> None:
        self._whole, self._taps = delay_design(samples)
        self._history = np.zeros((self._whole + len(self._taps) - 1, channels))

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (shape=(frames, channels)) delayed."""
        kept = len(self._history)
        if not kept or not len(block):
            return block
        extended = np.concatenate([self._history, block])
        self._history = extended[len(extended) - kept:].copy()
        frames = len(block)
        if len(self._taps) == 1:  # a whole number of samples: the line alone
            return extended[:frames]
        reach = frames + len(self._taps) - 1  # the samples the FIR reads for this block
        out = np.empty(block.shape)
        for channel in range(block.shape[1]):
            out[:, channel] = np.convolve(extended[:reach, channel], self._taps, "valid")
        return out


class AnalogLoop:
    """The return of an insert loop: ``chain`` on the send, delayed by the converters'
    latency, scaled by the loop gain and polarity, with their noise floor added."""

    def __init__(self, chain: ChainModel, character: LoopCharacter, *, sample_rate: int,
                 channels: int) -> None:
        if sample_rate <= 0 or channels < 1:
            raise ValueError(f"need a positive sample rate and at least one channel, not "
                             f"{sample_rate} Hz and {channels} channels")
        self.chain, self.character = chain, character
        self.sample_rate, self.channels = sample_rate, channels
        self._delay = FractionalDelay(samples=character.latency_samples, channels=channels)
        self._gain = 10.0 ** (character.gain_db / 20.0) * (-1.0 if character.inverted else 1.0)
        floor = character.noise_floor_dbfs
        rms = 10.0 ** (floor / 20.0) if floor is not None and floor > -math.inf else 0.0
        self._noise = math.sqrt(3.0) * rms  # the peak of uniform noise of that RMS
        self._rng = np.random.default_rng(character.seed)

    def process(self, block: np.ndarray) -> np.ndarray:
        """The return for ``block`` (the send, shape=(frames, channels)), same shape."""
        send = np.asarray(block, dtype=np.float64)
        if send.ndim != 2 or send.shape[1] != self.channels:
            raise ValueError(f"a block must have shape (frames, {self.channels}), "
                             f"not {send.shape}")
        returned = self._delay.process(self.chain.process(send))
        if self._gain != 1.0:
            returned = returned * self._gain
        if self._noise:
            # Uniform white noise (as flat as Gaussian, four times cheaper to draw), drawn
            # frame by frame from one stream: the same noise whatever the block size.
            noise = self._rng.random(send.shape)
            returned = returned + (2.0 * self._noise) * noise - self._noise
        # A loop that changed nothing hands back a copy, never the caller's own block.
        return send.copy() if returned is send else returned
