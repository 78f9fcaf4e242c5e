"""K-weighting (ITU-R BS.1770-5 §2.1) at any sample rate, matched to the 48 kHz response."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

# BS.1770-5 Tables 1 and 2: the two biquads as published for 48 kHz (a0 = 1).
REFERENCE_RATE = 48_000
REFERENCE_SOS = np.array(
    [
        [1.53512485958697, -2.69169618940638, 1.19839281085285,
         1.0, -1.69065929318241, 0.73248077421585],
        [1.0, -2.0, 1.0,
         1.0, -1.99004745483398, 0.99007225036621],
    ]
)

# Analogue prototype recovered from the 48 kHz table (B. De Man); it reproduces the
# table to about 1e-15 at 48 kHz through the bilinear transform with K = tan(pi f0 / fs).
_SHELF = (1681.974450955533, 3.999843853973347, 0.7071752369554196, 0.4996667741545416)
_HIGHPASS = (38.13547087602444, 0.5003270373238773)

# Pass-band (Nyquist) gain of the published stage 2, whose numerator [1, -2, 1] is not
# normalised: the -0.691 dB constant of BS.1770 absorbs exactly this gain at 48 kHz.
_STAGE2_GAIN_48K = 4.0 / (1.0 + 1.99004745483398 + 0.99007225036621)

# Frequencies on which the response at another rate is matched to the 48 kHz one.
_FIT_LOW_HZ = 10.0
_FIT_HIGH_HZ = 20_000.0
_FIT_POINTS = 600


def _shelf_section(fs: float, f0: float, gain_db: float, q: float, vb_exp: float) -> np.ndarray:
    k = np.tan(np.pi * f0 / fs)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**vb_exp
    a0 = 1.0 + k / q + k * k
    b = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
    a = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array(b + a)


def _highpass_section(fs: float) -> np.ndarray:
    f0, q = _HIGHPASS
    k = np.tan(np.pi * f0 / fs)
    d = 1.0 + k / q + k * k
    a1 = 2.0 * (k * k - 1.0) / d
    a2 = (1.0 - k / q + k * k) / d
    # Rescale the numerator so the pass band keeps the 48 kHz gain (metering.md §2.3);
    # without it the meter reads 0.02-0.03 dB low at 96 and 192 kHz.
    scale = _STAGE2_GAIN_48K / (4.0 / (1.0 - a1 + a2))
    return np.array([scale, -2.0 * scale, scale, 1.0, a1, a2])


def _fit_frequencies(fs: float) -> np.ndarray:
    high = min(_FIT_HIGH_HZ, 0.45 * fs)
    return np.geomspace(_FIT_LOW_HZ, high, _FIT_POINTS)


def response_db(sos: np.ndarray, *, sample_rate: float, frequencies: np.ndarray) -> np.ndarray:
    """Magnitude response in dB of a cascade of biquads at ``frequencies`` (Hz)."""
    from scipy import signal  # here, not at import: scipy.signal takes most of a second

    _, h = signal.sosfreqz(sos, worN=frequencies, fs=sample_rate)
    return 20.0 * np.log10(np.abs(h))


@lru_cache(maxsize=16)
def _k_weighting_sos(fs: float) -> np.ndarray:
    if fs == REFERENCE_RATE:
        return REFERENCE_SOS.copy()
    highpass = _highpass_section(fs)
    freqs = _fit_frequencies(fs)
    target = response_db(REFERENCE_SOS, sample_rate=REFERENCE_RATE, frequencies=freqs)

    def error(params: np.ndarray) -> np.ndarray:
        sos = np.array([_shelf_section(fs, *params), highpass])
        return response_db(sos, sample_rate=fs, frequencies=freqs) - target

    # The bilinear transform warps the shelf differently at each rate; a small least-squares
    # adjustment of the prototype's four shelf parameters brings the cascade back onto the
    # 48 kHz response (residual about 1e-4 dB from 32 to 192 kHz).
    from scipy import optimize

    fit = optimize.least_squares(error, np.array(_SHELF), x_scale=[100.0, 0.1, 0.01, 0.01])
    return np.array([_shelf_section(fs, *fit.x), highpass])


def k_weighting_sos(sample_rate: float) -> np.ndarray:
    """Second-order sections of the K-weighting filter at ``sample_rate``.

    Returns an array of shape (2, 6): the shelf and the high-pass, each ``[b0 b1 b2 a0 a1 a2]``.
    At 48 kHz these are the published coefficients; at other rates the response matches the
    48 kHz one within 0.01 dB from 10 Hz to 20 kHz (or 0.45 * fs, whichever is lower).
    """
    if not np.isfinite(sample_rate) or sample_rate < 8_000:
        raise ValueError(f"sample rate {sample_rate!r} Hz is outside the supported range")
    sos = _k_weighting_sos(float(sample_rate))
    return sos.copy()


def _compiled_cascade() -> Any:
    """SciPy's compiled cascade, without sosfilt's per-call checks and copies (None if this
    SciPy moved it: the public path is used then). Looked up on first use: importing
    scipy.signal takes most of a second, which `outboard` should not pay at start."""
    try:
        from scipy.signal._sosfilt import _sosfilt
    except ImportError:  # pragma: no cover
        return None
    return _sosfilt


class KWeightingFilter:
    """K-weighting of a multichannel stream, carrying the filter state between blocks."""

    def __init__(self, *, sample_rate: float, channels: int) -> None:
        self._sos = k_weighting_sos(sample_rate)
        self._cascade = _compiled_cascade()
        # State laid out as the compiled cascade wants it: (channels, sections, 2).
        self._state = np.zeros((channels, self._sos.shape[0], 2))

    def process(self, x: np.ndarray) -> np.ndarray:
        """K-weighted copy of ``x`` (shape=(channels, frames), float64)."""
        y = np.array(x, dtype=np.float64, order="C")
        if self._cascade is not None:
            self._cascade(self._sos, y, self._state)
            return y
        zi = np.moveaxis(self._state, 0, 1)
        from scipy import signal

        y, zi = signal.sosfilt(self._sos, y, axis=1, zi=zi)
        self._state = np.ascontiguousarray(np.moveaxis(zi, 1, 0))
        return y
