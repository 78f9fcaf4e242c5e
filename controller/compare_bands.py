"""Octave and third-octave bands (IEC 61260-1, base 10) and long-term Welch spectra summed
into them, in constant memory; pure array functions."""

from __future__ import annotations

import math

import numpy as np

# Nominal mid-band frequencies; the exact ones are 1000 · 10^(k/10) Hz.
OCTAVES = (31.5, 63.0, 125.0, 250.0, 500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0)
THIRDS = (20.0, 25.0, 31.5, 40.0, 50.0, 63.0, 80.0, 100.0, 125.0, 160.0, 200.0, 250.0,
          315.0, 400.0, 500.0, 630.0, 800.0, 1000.0, 1250.0, 1600.0, 2000.0, 2500.0, 3150.0,
          4000.0, 5000.0, 6300.0, 8000.0, 10000.0, 12500.0, 16000.0, 20000.0)
BATCH_SAMPLES = 1 << 21  # samples windowed and transformed at once
PIECE_FRAMES = 1 << 21  # frames per FFT when band energies are summed exactly


def bands(nominal: tuple[float, ...], *, fraction: int, sample_rate: int
          ) -> list[tuple[float, float, float]]:
    """(low Hz, high Hz, nominal centre Hz) of each band of 1/``fraction`` octave whose
    centre lies below Nyquist; the top edge is cut at Nyquist."""
    nyquist = sample_rate / 2.0
    out = []
    for centre in nominal:
        k = round(10.0 * math.log10(centre / 1000.0))
        exact = 1000.0 * 10.0 ** (k / 10.0)
        half = 10.0 ** (3.0 / fraction / 20.0)
        if exact < nyquist:
            out.append((exact / half, min(exact * half, nyquist), centre))
    return out


def segment_frames(sample_rate: int) -> int:
    """Welch segment length: the power of two nearest half a second (about 1.5 Hz bins at
    48 kHz, fine enough for the 20 Hz third-octave band)."""
    return 1 << round(math.log2(sample_rate / 2.0))


def long_term_power(x: np.ndarray, *, sample_rate: int, start: int = 0,
                    stop: int | None = None) -> np.ndarray:
    """Welch's long-term power spectrum of ``x`` (shape=(frames, channels)) over frames
    [start, stop): Hann segments, 50 % overlap, float64, the mean of |FFT|² over segments,
    summed over channels; shape=(segment // 2 + 1,) on ``np.fft.rfftfreq(segment, 1/fs)``.

    The same scale for any two signals at one rate, so band ratios are exact. Stretches
    shorter than a segment are zero-padded to one.
    """
    stop = x.shape[0] if stop is None else stop
    segment = segment_frames(sample_rate)
    hop = segment // 2
    window = np.hanning(segment + 1)[:-1]
    total = np.zeros(segment // 2 + 1)
    count = 0
    batch = max(1, BATCH_SAMPLES // segment)
    for channel in range(x.shape[1]):
        data = x[start:stop, channel]
        if data.shape[0] < segment:
            padded = np.zeros(segment)
            padded[: data.shape[0]] = data
            total += np.abs(np.fft.rfft(padded * window)) ** 2
            count += 1
            continue
        view = np.lib.stride_tricks.sliding_window_view(data, segment)[::hop]
        for lo in range(0, view.shape[0], batch):
            frames = view[lo : lo + batch] * window  # float64 copy of the batch
            spectra = np.fft.rfft(frames, axis=1)
            total += np.sum(spectra.real ** 2 + spectra.imag ** 2, axis=0)
            count += frames.shape[0]
    return total * (x.shape[1] / max(count, 1))


def exact_band_energies(x: np.ndarray, edges: list[tuple[float, float, float]], *,
                        sample_rate: int, start: int = 0, stop: int | None = None
                        ) -> np.ndarray:
    """The energy of ``x`` (shape=(frames, channels)) over frames [start, stop) in each
    band, summed over channels, by Parseval on the FFT of each piece of a power-
    complementary split (:func:`pieces`): every frame counts fully, a click at the
    stretch's edge as much as one in the middle (Welch's windows would miss it), and
    memory stays flat. The crossfades smear the spectrum by about a hertz."""
    from scipy import fft

    stop = x.shape[0] if stop is None else stop
    total = np.zeros(len(edges))
    for lo, hi, weight in pieces(stop - start, sample_rate=sample_rate):
        size = fft.next_fast_len(hi - lo, real=True)
        cuts = [(math.ceil(low * size / sample_rate),
                 math.ceil(high * size / sample_rate) if high < sample_rate / 2.0
                 else size // 2 + 1) for low, high, _ in edges]
        for channel in range(x.shape[1]):
            spectrum = fft.rfft(x[start + lo : start + hi, channel] * weight, size)
            for i, (first, last) in enumerate(cuts):
                band = spectrum[first:last]
                energy = 2.0 * float(np.vdot(band, band).real)  # and the negative half
                if last == size // 2 + 1 and size % 2 == 0:
                    energy -= abs(spectrum[-1]) ** 2  # Nyquist has no mirror
                total[i] += energy / size
    return total


def pieces(frames: int, *, sample_rate: int) -> list[tuple[int, int, np.ndarray]]:
    """Overlapping pieces (first, end, weight) covering ``frames``, whose weights' squares
    sum to one at every frame: sine and cosine crossfades of up to a second (a quarter of a
    piece at most) between flat stretches of about :data:`PIECE_FRAMES`."""
    count = max(1, round(frames / PIECE_FRAMES))
    bounds = np.linspace(0, frames, count + 1).round().astype(int)
    fade = min(sample_rate, (frames // count) // 4) // 2 * 2
    out = []
    for k in range(count):
        lo = bounds[k] - (fade // 2 if k else 0)
        hi = bounds[k + 1] + (fade // 2 if k < count - 1 else 0)
        weight = np.ones(hi - lo)
        ramp = np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade) if fade else weight[:0]
        if k:
            weight[:fade] = ramp
        if k < count - 1:
            weight[hi - lo - fade :] = ramp[::-1]
        out.append((int(lo), int(hi), weight))
    return out


def band_energies(power: np.ndarray, edges: list[tuple[float, float, float]], *,
                  sample_rate: int) -> np.ndarray:
    """The power spectrum from :func:`long_term_power` summed over each band's bins."""
    segment = 2 * (power.size - 1)
    freqs = np.fft.rfftfreq(segment, 1.0 / sample_rate)
    cumulative = np.concatenate(([0.0], np.cumsum(power)))
    out = []
    for low, high, _ in edges:
        lo = int(np.searchsorted(freqs, low, side="left"))
        hi = int(np.searchsorted(freqs, high, side="left"))
        if high >= sample_rate / 2.0:
            hi = freqs.size
        out.append(cumulative[hi] - cumulative[lo])
    return np.array(out)


def ratio_db(numerator: float, denominator: float, *, both_empty: float) -> float:
    """10·log10(numerator / denominator) for energies, with ``both_empty`` when both are
    zero, minus infinity for an empty numerator and plus infinity for an empty
    denominator."""
    if numerator <= 0.0 and denominator <= 0.0:
        return both_empty
    if numerator <= 0.0:
        return -math.inf
    if denominator <= 0.0:
        return math.inf
    return 10.0 * math.log10(numerator / denominator)
