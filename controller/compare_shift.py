"""Moving a print in time: resampling onto another clock, and a fractional-sample shift by a
long windowed-sinc filter in overlapping FFT blocks, in constant memory."""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

HALF_TAPS = 4096  # the shift filter has 2 · HALF_TAPS + 1 taps...
KAISER_BETA = 14.0  # ...and a Kaiser window: about -135 dB of error, except within
# HALF_TAPS-th of Nyquist (under 30 Hz at 48 kHz), where no finite filter can follow
BLOCK = 1 << 18  # FFT length of the overlap-save blocks


def resample(b: np.ndarray, *, ratio: float, sample_rate: int) -> np.ndarray:
    """B (shape=(frames, channels)) on A's clock: frame u of the result is B at frame
    u·``ratio``. soxr's very-high-quality resampler with its delay compensated; the
    ratio is any real number, so drift needs no rational approximation. Its passband
    ends at about 91 % of Nyquist."""
    import soxr

    data = b if b.dtype in (np.float32, np.float64) else b.astype(np.float64)
    out = soxr.resample(np.ascontiguousarray(data), sample_rate * ratio, sample_rate,
                        quality="VHQ")
    return out if out.ndim == 2 else out[:, None]


def fractional_taps(fraction: float) -> np.ndarray:
    """h, shape=(2 · HALF_TAPS + 1,), with Σₙ x[p + n - HALF_TAPS]·h[n] ≈ x(p + fraction):
    a sinc centred on the fraction under a Kaiser window centred there too, so its phase is
    exactly linear; normalised to unit gain at DC."""
    n = np.arange(-HALF_TAPS, HALF_TAPS + 1) - fraction
    shape = np.sqrt(np.clip(1.0 - (n / (HALF_TAPS + 1.0)) ** 2, 0.0, 1.0))
    taps = np.sinc(n) * np.i0(KAISER_BETA * shape) / np.i0(KAISER_BETA)
    return taps / taps.sum()


def shifted_blocks(channel: np.ndarray, *, advance: float, start: int, count: int
                   ) -> Iterator[tuple[int, np.ndarray]]:
    """``channel`` (shape=(frames,)) read at frames start + i + ``advance`` for i in
    [0, count), in float64 pieces: yields (i of the piece's first frame, piece). Whole
    frames by indexing; the fraction by :func:`fractional_taps` applied by overlap-save
    FFT convolution, with zeros beyond the channel's ends."""
    from scipy import fft

    whole = math.floor(advance)
    fraction = advance - whole
    first = start + whole
    if fraction == 0.0:
        for lo in range(0, count, BLOCK):
            hi = min(lo + BLOCK, count)
            yield lo, np.asarray(channel[first + lo : first + hi], dtype=np.float64)
        return
    taps = fractional_taps(fraction)
    response = np.conj(fft.rfft(taps, BLOCK))  # correlation with the taps
    step = BLOCK - (taps.size - 1)
    segment = np.empty(BLOCK)
    for lo in range(0, count, step):
        begin = first + lo - HALF_TAPS
        _window(channel, begin, segment)
        out = fft.irfft(fft.rfft(segment) * response, BLOCK)
        yield lo, out[: min(step, count - lo)]


def _window(channel: np.ndarray, begin: int, into: np.ndarray) -> None:
    """``into`` ← channel[begin : begin + len(into)], zeros where that runs off an end."""
    lo, hi = max(begin, 0), min(begin + into.size, channel.shape[0])
    into[:] = 0.0
    if hi > lo:
        into[lo - begin : hi - begin] = channel[lo:hi]
