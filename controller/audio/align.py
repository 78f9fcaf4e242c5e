"""Where a print sits against its source: the whole-sample lag from the whitened
cross-correlation, then the fraction by fitting the source, delayed, to the print
(Gauss-Newton on the delay and the gain), both over 1-16 kHz, where the gear's filters
shift the phase least. Works on music; pure array functions."""

from __future__ import annotations

import numpy as np

EDGE = 64  # frames at each end of the stretch left out of the fit (the delayed copy's wrap)
LOW_HZ, HIGH_HZ = 1_000.0, 16_000.0  # the band the check listens to


def offset(source: np.ndarray, response: np.ndarray, *, margin: int, sample_rate: int
           ) -> float | None:
    """How many samples later than expected ``source`` (shape=(frames,)) appears in
    ``response`` (shape=(frames + 2 * margin,), starting ``margin`` frames before where the
    source should be): 0.0 when aligned; None when the stretch has nothing to align on."""
    s = np.asarray(source, dtype=np.float64)
    r = np.asarray(response, dtype=np.float64)
    n = s.size
    if n < 4 * EDGE or r.size != n + 2 * margin or not np.any(s) or not np.any(r):
        return None
    size = 1 << int(np.ceil(np.log2(r.size + n)))
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    band = (freqs >= LOW_HZ) & (freqs <= HIGH_HZ)
    source_spectrum = np.fft.rfft(s, size)
    # Whitened (the phase transform): every frequency of the band counts alike, so the
    # bass that dominates music, and the phase an equaliser's shelves give it, do not
    # decide where the print sits.
    weight = np.where(band, 1.0 / np.maximum(np.abs(source_spectrum), 1e-12), 0.0)
    white = source_spectrum * weight
    xc = np.fft.irfft(np.fft.rfft(r, size) * np.conj(source_spectrum) * weight ** 2, size)
    lag = int(np.argmax(np.abs(xc[:2 * margin + 1])))
    target = np.fft.irfft(np.fft.rfft(r[lag:lag + n], size) * weight, size)[EDGE:n - EDGE]
    # Fit target ≈ g · (whitened source delayed by τ), for τ near 0 (Gauss-Newton).
    omega = 2j * np.pi * np.fft.rfftfreq(size)
    tau = 0.0
    for _ in range(8):
        shifted = white * np.exp(-omega * tau)
        model = np.fft.irfft(shifted, size)[EDGE:n - EDGE]
        slope = np.fft.irfft(-omega * shifted, size)[EDGE:n - EDGE]  # d model / d tau
        energy = float(model @ model)
        if energy <= 0.0:
            return None
        gain = float(target @ model) / energy
        residual = target - gain * model
        step = float(residual @ slope) / max(gain * float(slope @ slope), 1e-30)
        tau += float(np.clip(step, -0.5, 0.5))
        if abs(step) < 1e-5:
            break
    return lag - margin + tau
