"""Colour for the unit models: a tanh waveshaper and a cheap diffuse reverb tail."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

# Delays of the tail's feedback delay network at 48 kHz (mutually prime, 24-60 ms).
TAIL_DELAYS_48K = (1153, 1399, 1693, 1913, 2131, 2357, 2621, 2887)


class Saturator:
    """y = (tanh(g·x + b) − tanh b) / (g·(1 − tanh² b)) on each channel: unity gain and no
    offset for small signals, peaks rounded harder as the drive g rises (the output never
    exceeds about 1/g); a bias b adds even harmonics. A channel whose drive is None is clean.
    """

    def __init__(self, *, drive_db: Sequence[float | None], bias: float = 0.0) -> None:
        self._dirty = np.array([d is not None for d in drive_db])
        self._g = np.array([10.0 ** (d / 20.0) if d is not None else 1.0 for d in drive_db])
        self._bias = float(bias)
        t = math.tanh(self._bias)
        self._offset, self._scale = t, 1.0 / (self._g * (1.0 - t * t))

    @property
    def is_identity(self) -> bool:
        return not self._dirty.any()

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (shape=(frames, channels)) through the curve."""
        if not self._dirty.any():
            return block
        shaped = (np.tanh(block * self._g + self._bias) - self._offset) * self._scale
        if self._dirty.all():
            return shaped
        return np.where(self._dirty, shaped, block)


class Tail:
    """A decaying diffuse tail, ``level_db`` under the dry signal, mixed in on every channel.

    An 8-line feedback delay network (Householder feedback, per-line loss for a decay of
    ``t60_s``) fed with the channels' mean; even channels take one output mix, odd channels
    another. ``level_db`` is the tail's energy against its send's, for white noise.
    Every line is longer than a chunk, so each chunk of up to the shortest delay is computed
    at once, and the result does not depend on how blocks are cut.
    """

    def __init__(self, *, t60_s: float, level_db: float, sample_rate: int) -> None:
        if t60_s <= 0.0:
            raise ValueError(f"a tail's decay must be positive, not {t60_s} s")
        scale = sample_rate / 48_000
        self._delays = np.array([max(int(round(d * scale)), 16) for d in TAIL_DELAYS_48K])
        lines = len(self._delays)
        self._chunk = int(self._delays.min())
        self._size = int(self._delays.max()) + self._chunk
        loss = 10.0 ** (-3.0 * self._delays / (t60_s * sample_rate))
        householder = np.eye(lines) - 2.0 / lines
        self._feedback = householder * loss[None, :]
        self._input = np.array([1, -1, 1, 1, -1, 1, -1, -1], dtype=np.float64)[:lines]
        signs = np.array([[1, 1, -1, 1, -1, -1, 1, -1], [1, -1, 1, -1, 1, 1, -1, -1]],
                         dtype=np.float64)[:, :lines]
        self._output = signs / math.sqrt(lines)
        self._lines = np.zeros((lines, self._size))
        self._position = 0
        self._level = 1.0
        impulse = np.zeros(int(t60_s * sample_rate))
        impulse[0] = 1.0
        energy = float(np.sum(self._wet(impulse) ** 2)) / 2  # per output, to -60 dB
        self._lines[:], self._position = 0.0, 0
        self._level = 10.0 ** (level_db / 20.0) / math.sqrt(max(energy, 1e-30))

    def _wet(self, send: np.ndarray) -> np.ndarray:
        """The network's two outputs for ``send`` (shape=(frames,)), shape=(2, frames)."""
        wet = np.empty((2, len(send)))
        rows = np.arange(len(self._delays))[:, None]
        for start in range(0, len(send), self._chunk):
            piece = send[start:start + self._chunk]
            now = self._position + np.arange(len(piece))
            taps = self._lines[rows, (now[None, :] - self._delays[:, None]) % self._size]
            self._lines[:, now % self._size] = (self._input[:, None] * piece[None, :]
                                                + self._feedback @ taps)
            wet[:, start:start + len(piece)] = self._output @ taps
            self._position = (self._position + len(piece)) % self._size
        return wet * self._level

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (shape=(frames, channels)) with the tail added."""
        send = block[:, 0].copy()
        for channel in range(1, block.shape[1]):  # faster than a mean along a short axis
            send += block[:, channel]
        wet = self._wet(send / block.shape[1])
        return block + wet[np.arange(block.shape[1]) % 2].T
