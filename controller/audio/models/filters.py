"""Biquad filters for the unit models: RBJ cookbook designs and a stateful per-channel cascade."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence

import numpy as np

# Corners above this fraction of the sample rate are pulled down to it: a bilinear biquad
# cannot sit at or past Nyquist (a 27 kHz band at 48 kHz acts as one at 21.6 kHz).
CORNER_LIMIT = 0.45
BUTTERWORTH_Q = 1.0 / math.sqrt(2.0)
IDENTITY = np.array([1.0, 0.0, 0.0, 1.0, 0.0, 0.0])


def _omega(frequency: float, sample_rate: int) -> float:
    if sample_rate <= 0:
        raise ValueError(f"sample rate must be positive, not {sample_rate}")
    corner = min(max(float(frequency), 1.0), CORNER_LIMIT * sample_rate)
    return 2.0 * math.pi * corner / sample_rate


def _section(b0: float, b1: float, b2: float, a0: float, a1: float, a2: float) -> np.ndarray:
    return np.array([b0 / a0, b1 / a0, b2 / a0, 1.0, a1 / a0, a2 / a0])


def peaking(*, frequency: float, gain_db: float, q: float, sample_rate: int) -> np.ndarray:
    """A bell: ``gain_db`` at ``frequency``, width ``q`` (RBJ cookbook). Shape (6,), SOS row."""
    a = 10.0 ** (gain_db / 40.0)
    w0 = _omega(frequency, sample_rate)
    alpha = math.sin(w0) / (2.0 * max(q, 1e-3))
    cos = math.cos(w0)
    return _section(1 + alpha * a, -2 * cos, 1 - alpha * a, 1 + alpha / a, -2 * cos, 1 - alpha / a)


def _shelf(frequency: float, gain_db: float, q: float, sample_rate: int, sign: float
           ) -> np.ndarray:
    # RBJ shelves: the gain is gain_db far past the corner and exactly half of it (in dB)
    # at the corner, whatever q.
    a = 10.0 ** (gain_db / 40.0)
    w0 = _omega(frequency, sample_rate)
    alpha = math.sin(w0) / (2.0 * max(q, 1e-3))
    cos, root = math.cos(w0), 2.0 * math.sqrt(a) * alpha
    b0 = a * ((a + 1) - sign * (a - 1) * cos + root)
    b1 = sign * 2 * a * ((a - 1) - sign * (a + 1) * cos)
    b2 = a * ((a + 1) - sign * (a - 1) * cos - root)
    a0 = (a + 1) + sign * (a - 1) * cos + root
    a1 = -sign * 2 * ((a - 1) + sign * (a + 1) * cos)
    a2 = (a + 1) + sign * (a - 1) * cos - root
    return _section(b0, b1, b2, a0, a1, a2)


def low_shelf(*, frequency: float, gain_db: float, q: float = BUTTERWORTH_Q,
              sample_rate: int) -> np.ndarray:
    """A low shelf of ``gain_db`` below ``frequency`` (RBJ cookbook). Shape (6,), SOS row."""
    return _shelf(frequency, gain_db, q, sample_rate, 1.0)


def high_shelf(*, frequency: float, gain_db: float, q: float = BUTTERWORTH_Q,
               sample_rate: int) -> np.ndarray:
    """A high shelf of ``gain_db`` above ``frequency`` (RBJ cookbook). Shape (6,), SOS row."""
    return _shelf(frequency, gain_db, q, sample_rate, -1.0)


def high_pass(*, frequency: float, q: float = BUTTERWORTH_Q, sample_rate: int) -> np.ndarray:
    """A 12 dB/octave high-pass (RBJ cookbook). Shape (6,), SOS row."""
    w0 = _omega(frequency, sample_rate)
    alpha, cos = math.sin(w0) / (2.0 * q), math.cos(w0)
    return _section((1 + cos) / 2, -(1 + cos), (1 + cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)


def low_pass(*, frequency: float, q: float = BUTTERWORTH_Q, sample_rate: int) -> np.ndarray:
    """A 12 dB/octave low-pass (RBJ cookbook). Shape (6,), SOS row."""
    w0 = _omega(frequency, sample_rate)
    alpha, cos = math.sin(w0) / (2.0 * q), math.cos(w0)
    return _section((1 - cos) / 2, 1 - cos, (1 - cos) / 2, 1 + alpha, -2 * cos, 1 - alpha)


def q_from_octaves(octaves: float) -> float:
    """The Q of a bell ``octaves`` wide between its half-gain points."""
    octaves = max(float(octaves), 0.01)
    return 1.0 / (2.0 * math.sinh(math.log(2.0) / 2.0 * octaves))


def q_from_slope(*, gain_db: float, slope: float) -> float:
    """The Q of an RBJ shelf of shelf slope ``slope`` (1 = the steepest without overshoot)."""
    a = 10.0 ** (gain_db / 40.0)
    slope = min(max(float(slope), 0.05), 1.0)
    return 1.0 / math.sqrt((a + 1.0 / a) * (1.0 / slope - 1.0) + 2.0)


def response_db(sections: np.ndarray, *, frequency: float, sample_rate: int) -> float:
    """The gain in dB of a cascade ``sections`` (shape=(n, 6)) at ``frequency``."""
    z = np.exp(-1j * 2.0 * np.pi * frequency / sample_rate)
    gain = 1.0 + 0.0j
    for b0, b1, b2, a0, a1, a2 in np.reshape(sections, (-1, 6)):
        gain *= (b0 + b1 * z + b2 * z * z) / (a0 + a1 * z + a2 * z * z)
    return float(20.0 * np.log10(abs(gain)))


@functools.cache
def _compiled_sosfilt() -> Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None:
    """SciPy's compiled cascade, without the ~30 µs of argument checks `sosfilt` spends on
    every call (most of a 256-frame block's budget); None if this SciPy has no such kernel."""
    try:
        from scipy.signal._sosfilt import _sosfilt
    except ImportError:
        return None
    return _sosfilt


def sosfilt_inplace(sos: np.ndarray, x: np.ndarray, zi: np.ndarray, *,
                    compiled: bool = True) -> None:
    """Filter ``x`` (shape=(signals, frames), float64, C order) through ``sos`` (shape=(n, 6))
    in place, carrying the state ``zi`` (shape=(signals, n, 2)), also in place."""
    kernel = _compiled_sosfilt() if compiled else None
    if kernel is not None:
        kernel(sos, x, zi)
        return
    from scipy import signal

    y, state = signal.sosfilt(sos, x, axis=-1, zi=np.moveaxis(zi, 1, 0))
    x[...] = y
    zi[...] = np.moveaxis(state, 0, 1)


class Biquads:
    """A cascade of biquads on each channel, its state carried from block to block.

    ``sections`` holds one array per channel, shape=(n, 6) (n may be 0: that channel passes
    untouched). Channels with the same sections are filtered together.
    """

    def __init__(self, sections: Sequence[np.ndarray]) -> None:
        self._sections = tuple(np.array(np.reshape(s, (-1, 6)), dtype=np.float64)
                                for s in sections)
        groups: list[tuple[list[int], np.ndarray]] = []
        for channel, sos in enumerate(self._sections):
            if not len(sos):
                continue
            for members, shared in groups:
                if shared.shape == sos.shape and np.array_equal(shared, sos):
                    members.append(channel)
                    break
            else:
                groups.append(([channel], np.ascontiguousarray(sos)))
        self._groups = [(np.array(members), sos, np.zeros((len(members), len(sos), 2)))
                        for members, sos in groups]
        self._everywhere = (len(self._groups) == 1
                            and len(self._groups[0][0]) == len(self._sections))

    @property
    def sections(self) -> tuple[np.ndarray, ...]:
        """Each channel's cascade, shape=(n, 6)."""
        return tuple(s.copy() for s in self._sections)

    @property
    def is_identity(self) -> bool:
        return not self._groups

    def process(self, block: np.ndarray) -> np.ndarray:
        """``block`` (shape=(frames, channels)) through each channel's cascade."""
        if not self._groups:
            return block
        if self._everywhere:
            _, sos, zi = self._groups[0]
            x = np.array(block.T, dtype=np.float64, order="C")
            sosfilt_inplace(sos, x, zi)
            return x.T
        out = np.array(block, dtype=np.float64)
        for members, sos, zi in self._groups:
            x = np.array(block[:, members].T, dtype=np.float64, order="C")
            sosfilt_inplace(sos, x, zi)
            out[:, members] = x.T
        return out
