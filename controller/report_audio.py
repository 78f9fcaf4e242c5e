"""What the report reads from prints: short-term loudness curves and 1/3-octave spectra."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .errors import InputError
from .measure import inspect, measure_file

# 1/3-octave bands (IEC 61260-1, base 10, as `outboard compare` uses), 20 Hz to 20 kHz:
# exact centres 1000 * 10**(k/10), edges a twentieth of a decade either side.
BAND_CENTRES_HZ = tuple(1000.0 * 10.0 ** (k / 10) for k in range(-17, 14))
_HALF_BAND = 10.0 ** 0.05
# Segments of about a second give 1 Hz resolution, enough to resolve the 25 Hz band.
_SEGMENT_S = 0.68
# Segments read per block: memory stays at a few segments whatever the programme's length.
_SEGMENTS_PER_BLOCK = 32
# Below this band power (about -120 dB re full scale) a band holds nothing to compare.
_FLOOR = 1e-12


@dataclass(frozen=True, slots=True)
class Curve:
    """Short-term loudness (3 s window) over time at 10 Hz: ``times_s`` and ``lufs``, each
    shape=(points,); minus infinity where the programme is silent."""

    times_s: np.ndarray
    lufs: np.ndarray


@dataclass(frozen=True, slots=True)
class Spectrum:
    """A programme's long-term power in 1/3-octave bands: ``power`` shape=(bands,), mean of
    the channels, as a fraction of full-scale power; NaN for a band above Nyquist."""

    centres_hz: tuple[float, ...]
    power: np.ndarray


@dataclass(frozen=True, slots=True)
class SpectrumDifference:
    """After minus before, in dB per 1/3-octave band (NaN where either holds nothing), and
    the integrated loudness change for reference (None when either is unmeasured)."""

    centres_hz: tuple[float, ...]
    difference_db: np.ndarray
    loudness_change_lu: float | None


def loudness_curve(path: Path) -> Curve:
    """The short-term loudness curve of the file at ``path``; InputError naming the file."""
    measured = measure_file(path, curves=True)
    curve = measured.short_term_curve
    if curve is None:
        return Curve(np.zeros(0), np.zeros(0))
    return Curve(np.asarray(curve.times_s, dtype=float), np.asarray(curve.lufs, dtype=float))


def band_spectrum(path: Path) -> Spectrum:
    """The long-term spectrum of ``path`` in 1/3-octave bands.

    Welch's method (Hann window, half overlap, one-sided density) over blocks of whole
    segments that continue the same segment grid, averaged with each block weighted by its
    segment count; the channels' densities are averaged (power, so no channel cancels
    another). Each band sums the density over its bins, edges at centre * 10**(±1/20); a
    band whose centre is below Nyquist is cut there, one above is NaN."""
    from scipy.signal import welch

    info = inspect(path)
    rate = info.sample_rate
    nperseg = 1 << max(8, round(math.log2(rate * _SEGMENT_S)))
    hop = nperseg // 2
    total = np.zeros(nperseg // 2 + 1)
    segments = 0
    try:
        with sf.SoundFile(str(path)) as handle:
            for block in handle.blocks(blocksize=_SEGMENTS_PER_BLOCK * hop + hop,
                                       overlap=nperseg - hop, dtype="float32", always_2d=True):
                count = (len(block) - (nperseg - hop)) // hop
                if count < 1:
                    continue
                used = block[: count * hop + nperseg - hop]
                _, density = welch(used, fs=rate, window="hann", nperseg=nperseg,
                                   noverlap=nperseg - hop, detrend=False, axis=0)
                total += density.mean(axis=1) * count
                segments += count
    except (sf.LibsndfileError, RuntimeError, OSError) as err:
        raise InputError(f"{path}: the audio data cannot be read ({err})") from err
    frequencies = np.fft.rfftfreq(nperseg, 1.0 / rate)
    density = total / max(segments, 1)
    step = rate / nperseg
    power = np.full(len(BAND_CENTRES_HZ), np.nan)
    for index, centre in enumerate(BAND_CENTRES_HZ):  # 30 bands: a loop over bands, not samples
        if centre >= rate / 2:
            continue
        low, high = centre / _HALF_BAND, min(centre * _HALF_BAND, rate / 2)
        inside = (frequencies >= low) & (frequencies < high)
        power[index] = float(density[inside].sum() * step) if segments else 0.0
    return Spectrum(BAND_CENTRES_HZ, power)


def spectrum_difference(before: Spectrum, after: Spectrum,
                        loudness_change_lu: float | None = None) -> SpectrumDifference:
    """``after`` minus ``before`` in dB per band; NaN where either is below the floor or
    above its Nyquist frequency."""
    with np.errstate(divide="ignore", invalid="ignore"):
        usable = (before.power > _FLOOR) & (after.power > _FLOOR)
        ratio = np.where(usable, after.power / np.where(usable, before.power, 1.0), np.nan)
        difference = 10.0 * np.log10(ratio)
    return SpectrumDifference(before.centres_hz, difference, loudness_change_lu)


def band_label(centre: float) -> str:
    """A band's centre as its nominal name: "20", "31.5", "1k", "12.5k"."""
    nominal = _NOMINAL[min(range(len(_NOMINAL)), key=lambda i: abs(math.log(_NOMINAL[i] / centre)))]
    if nominal >= 1000:
        return f"{nominal / 1000:g}k"
    return f"{nominal:g}"


_NOMINAL = (20, 25, 31.5, 40, 50, 63, 80, 100, 125, 160, 200, 250, 315, 400, 500, 630, 800, 1000,
            1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300, 8000, 10000, 12500, 16000, 20000)
