"""Lining one print up with another: windowed GCC-PHAT lags, sub-sample phase-slope fits,
clock drift from their trend, resampling and the fractional shift; pure array functions."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .compare_shift import resample

WINDOWS = 8  # stretches of A, spread over the file, where the offset is estimated
WINDOW_S = 4.0  # longest stretch; shorter files use shorter ones
MIN_WINDOW_S = 0.25
LOW_HZ, HIGH_HZ = 30.0, 20_000.0  # the band the estimators listen to (capped at 0.45 fs)
MIN_STRENGTH = 10.0  # a correlation peak this many times the RMS of the other lags
PEAK_LOBE = 3  # lags either side of a peak left out of that RMS
COARSE_RATE = 4_000  # Hz, about: the whole-file search runs on the mono sums decimated to it
LOCAL_S = 0.005  # each stretch searches this far around the whole-file lag...
MAX_DRIFT = 100e-6  # ...plus the spread of offsets this much drift makes across the file
LOCAL_MIN_LAGS = 256
INLIER_SAMPLES = 0.5  # an estimate this far off the common line picked a wrong peak
MAX_PASSES = 4  # drift estimates, each on B resampled by the one before
DRIFT_SAMPLES = 0.005  # drift worth correcting: this much offset change across A
FINE_ITERATIONS = 6
FINE_TOLERANCE = 1e-6  # frames: a step this small ends the fit


@dataclass(frozen=True, slots=True)
class Estimate:
    """The offset in one stretch: ``B[t + offset] = A[t]`` near A frame ``centre``."""

    centre: float
    offset: float
    sign: int  # -1 when B's polarity is flipped there
    strength: float  # the whitened correlation peak over the RMS of the searched lags
    stretch: int = 0  # which of A's stretches


@dataclass(frozen=True, slots=True)
class Alignment:
    """Where B sits against A once B is resampled by ``ratio`` (see :func:`resample`).

    ``offset`` is in the resampled B's frames: ``B'[t + offset] = A[t]``. ``ratio`` is B's
    frames per A frame (1 + drift); 1.0 when no drift was found, and B is then as given.
    """

    offset: float
    ratio: float
    inverted: bool
    windows: int  # stretches that agreed on the offset
    passes: int  # drift estimates made


def align(a: np.ndarray, b: np.ndarray, *, sample_rate: int, max_lag: int,
          names: tuple[str, str] = ("A", "B")) -> tuple[Alignment, np.ndarray]:
    """Find B (shape=(frames, channels)) in A (same layout): offset, polarity and drift.

    The coarse lag, within ±``max_lag`` frames, comes from the whole files
    (:func:`coarse_offset`); then the offset is estimated in :data:`WINDOWS` stretches
    near it. A linear trend across them is clock drift: B is resampled from the original
    by the accumulated ratio and estimated again until no drift is left. Returns the
    alignment and B as resampled (``b`` itself when there was no drift). ValueError when
    B cannot be found in A.
    """
    lag, strength = coarse_offset(a, b, sample_rate=sample_rate, max_lag=max_lag)
    if strength < MIN_STRENGTH:
        raise ValueError(
            f"{names[1]} does not line up with {names[0]} within ±{max_lag / sample_rate:g}"
            " s (is it a print of the same mix? a wider --max-offset searches further)")
    search = min(max_lag, round(LOCAL_S * sample_rate + MAX_DRIFT * a.shape[0]))
    predicted = float(lag)
    stretches = Stretches(a, sample_rate=sample_rate)
    ratio, work, passes = 1.0, b, 0
    first: list[Estimate] = []
    while True:
        passes += 1
        if passes == 1:
            estimates = first = stretches.search(work, predicted=predicted, search=search)
        else:
            estimates = stretches.refine(work, predicted=predicted, found=first)
        if not estimates:
            raise ValueError(f"{names[1]} does not line up with {names[0]}: no stretch of "
                             "it matches clearly enough to align on")
        inliers, slope, stderr = fit_line(estimates)
        drifting = (abs(slope) * a.shape[0] > DRIFT_SAMPLES and abs(slope) > 5.0 * stderr
                    and len(inliers) >= 3)
        if not drifting or passes == MAX_PASSES:
            break
        start = float(np.mean([e.offset - slope * e.centre for e in inliers]))
        # A frame t sat at t + start + slope·t of this B; on the next, at t + start/(1+slope).
        predicted = start / (1.0 + slope)
        ratio *= 1.0 + slope
        work = b  # let the last resampled copy go before the next is made
        work = resample(b, ratio=ratio, sample_rate=sample_rate)
    residual_slope = slope if drifting else 0.0
    offset = float(np.mean([e.offset - residual_slope * e.centre for e in inliers]))
    weight = sum(e.sign * e.strength for e in inliers)
    return Alignment(offset=offset, ratio=ratio, inverted=weight < 0, windows=len(inliers),
                     passes=passes), work


def coarse_offset(a: np.ndarray, b: np.ndarray, *, sample_rate: int, max_lag: int
                  ) -> tuple[int, float]:
    """The whole-frame lag of B against A within ±``max_lag`` and the peak's strength.

    GCC-PHAT over the whole mono sums, band-limited to 20 Hz-1.6 kHz by decimating to
    about 4 kHz: the whole files keep a looped groove from matching itself a beat away,
    and the low band stays coherent across a file even when the clocks drift apart.
    """
    from scipy import fft, signal

    factor = max(1, sample_rate // COARSE_RATE)
    rate = sample_rate / factor
    a_low = signal.resample_poly(mono(a, 0, a.shape[0], dtype=np.float32), 1, factor)
    b_low = signal.resample_poly(mono(b, 0, b.shape[0], dtype=np.float32), 1, factor)
    size = fft.next_fast_len(a_low.size + b_low.size, real=True)
    cross = fft.rfft(b_low, size) * np.conj(fft.rfft(a_low, size))
    del a_low, b_low
    freqs = np.fft.rfftfreq(size, 1.0 / rate)
    xc = fft.irfft(_whitened(cross, (freqs >= 20.0) & (freqs <= 0.4 * rate)), size)
    reach = min(math.ceil(max_lag / factor) + 1, size // 2 - 1)
    lags = np.arange(-reach, reach + 1)
    values = xc[lags]  # negative lags wrap to the end
    peak, strength = _peak(values)
    return round(int(lags[peak]) * factor), strength


def _whitened(cross: np.ndarray, band: np.ndarray) -> np.ndarray:
    """The phase transform: every bin of ``band`` counts alike, whatever its level."""
    magnitude = np.abs(cross)
    floor = 1e-9 * float(magnitude.max()) if magnitude.size else 0.0
    if floor <= 0.0:
        return np.zeros_like(cross)
    return np.where(band, cross / np.maximum(magnitude, floor), 0.0)


def _peak(xc: np.ndarray) -> tuple[int, float]:
    """The largest magnitude of ``xc`` and its strength: the peak over the RMS of the
    values away from it (its main lobe left out)."""
    peak = int(np.argmax(np.abs(xc)))
    away = np.abs(np.arange(xc.size) - peak) > PEAK_LOBE
    rms = float(np.sqrt(np.mean(xc[away] ** 2))) if np.any(away) else 0.0
    if rms == 0.0:
        return peak, math.inf if xc[peak] != 0 else 0.0
    return peak, abs(float(xc[peak])) / rms


def window_starts(frames: int, *, sample_rate: int) -> tuple[int, list[int]]:
    """The stretches of A to estimate on: (length, starts), spread evenly over A."""
    length = int(min(WINDOW_S * sample_rate, frames / WINDOWS))
    length = max(length, min(int(MIN_WINDOW_S * sample_rate), frames))
    count = max(1, min(WINDOWS, frames // max(length, 1)))
    centres = (np.arange(count) + 0.5) * frames / count
    starts = np.clip(np.round(centres - length / 2), 0, frames - length).astype(int)
    return length, sorted(set(starts.tolist()))


class Stretches:
    """A's stretches (see :func:`window_starts`), summed to mono and cut into segments once,
    read by every estimate: the first searches for B in each (:meth:`search`), later ones,
    on B resampled, where the offset is known to a sample, only refine (:meth:`refine`)."""

    __slots__ = ("items", "length", "margin", "sample_rate")

    def __init__(self, a: np.ndarray, *, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.length, starts = window_starts(a.shape[0], sample_rate=sample_rate)
        self.margin = min(self.length // 4, 8192)
        items = []
        for start in starts:
            a_w = mono(a, start, start + self.length)
            if np.any(a_w):
                items.append((start, a_w, Segments(a_w, sample_rate=sample_rate)))
        self.items = tuple(items)

    def search(self, b: np.ndarray, *, predicted: float, search: int) -> list[Estimate]:
        """The offset of B in each stretch where B is clearly found within ±``search``
        frames of ``predicted``."""
        near = round(predicted)
        search = max(search, LOCAL_MIN_LAGS)
        out = []
        for index, (start, a_w, _) in enumerate(self.items):
            b_seg = mono(b, start + near - search, start + near + self.length + search)
            lag, sign, strength = coarse_lag(a_w, b_seg, sample_rate=self.sample_rate,
                                             max_lag=search)
            if strength >= MIN_STRENGTH:
                out += self._fine(b, index, near + lag, sign, strength)
        return out

    def refine(self, b: np.ndarray, *, predicted: float, found: list[Estimate]
               ) -> list[Estimate]:
        """The offset of B, within a sample of ``predicted``, in the stretches where the
        first estimate ``found`` it, with the polarity it found."""
        out = []
        for e in found:
            out += self._fine(b, e.stretch, round(predicted), e.sign, e.strength)
        return out

    def _fine(self, b: np.ndarray, index: int, lag: int, sign: int, strength: float
              ) -> list[Estimate]:
        start, _, segments = self.items[index]
        b_ext = mono(b, start + lag - self.margin, start + lag + self.length + self.margin)
        fraction, when = fine_offset(segments, sign * b_ext, margin=self.margin)
        if abs(fraction) > 2.0:  # the fit wandered off: no clear phase slope here
            return []
        return [Estimate(centre=start + when, offset=lag + fraction, sign=sign,
                         strength=strength, stretch=index)]


def mono(x: np.ndarray, start: int, stop: int, *, dtype: type = np.float64) -> np.ndarray:
    """The channel sum of ``x`` (shape=(frames, channels)) over [start, stop), with zeros
    where the range runs past either end; shape=(stop - start,)."""
    out = np.zeros(stop - start, dtype=dtype)
    lo, hi = max(start, 0), min(stop, x.shape[0])
    for first in range(lo, hi, 1 << 20):  # in pieces: no float64 copy of a whole file
        last = min(first + (1 << 20), hi)
        out[first - start : last - start] = x[first:last].sum(axis=1, dtype=np.float64)
    return out


def _band(size: int, sample_rate: int) -> np.ndarray:
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    return (freqs >= LOW_HZ) & (freqs <= min(HIGH_HZ, 0.45 * sample_rate))


def coarse_lag(a_w: np.ndarray, b_seg: np.ndarray, *, sample_rate: int, max_lag: int
               ) -> tuple[int, int, float]:
    """GCC-PHAT in one stretch: the whole-frame lag of ``a_w`` (shape=(n,)) within
    ``b_seg`` (shape=(n + 2 * max_lag,), starting ``max_lag`` frames before A's stretch).

    Returns (lag, sign of the peak, its strength). The cross spectrum is whitened over
    30 Hz-20 kHz, so music's bass, and the phase an equaliser gives it, do not decide.
    """
    from scipy import fft

    size = fft.next_fast_len(a_w.size + b_seg.size, real=True)
    cross = fft.rfft(b_seg, size) * np.conj(fft.rfft(a_w, size))
    xc = fft.irfft(_whitened(cross, _band(size, sample_rate)), size)[: 2 * max_lag + 1]
    peak, strength = _peak(xc)
    return peak - max_lag, 1 if xc[peak] >= 0 else -1, strength


def fine_offset(a_w: Segments, b_ext: np.ndarray, *, margin: int) -> tuple[float, float]:
    """The fraction τ such that ``b_ext[margin + t + τ] ≈ a[t]`` for A's stretch ``a_w``
    (``b_ext`` has shape (n + 2 * margin,)), and the frame of A's stretch it belongs to.
    B is advanced by a linear-phase shift and the remaining delay read from the
    cross-spectrum's phase slope, until the step is negligible."""
    from scipy import fft

    n = a_w.size
    size = fft.next_fast_len(b_ext.size, real=True)
    spectrum = fft.rfft(b_ext, size)
    omega = 2.0 * np.pi * np.fft.rfftfreq(size)
    tau, when = 0.0, n / 2.0
    for _ in range(FINE_ITERATIONS):
        advanced = fft.irfft(spectrum * np.exp(1j * omega * tau), size)[margin : margin + n]
        step, when = a_w.delay_of(advanced)
        tau += float(np.clip(step, -1.0, 1.0))
        if abs(step) < FINE_TOLERANCE:
            break
    return tau, when


def phase_slope(a: np.ndarray, b: np.ndarray, *, sample_rate: int) -> tuple[float, float]:
    """The delay δ of ``b`` against ``a`` (both shape=(n,)), b[t] ≈ a[t - δ], in frames,
    and the frame of ``a`` it is the delay at (see :class:`Segments`)."""
    return Segments(a, sample_rate=sample_rate).delay_of(b)


class Segments:
    """A stretch of A cut into Welch segments (Hann, 50 % overlap) and transformed once, to
    read the delay of any B stretch of the same length against it.

    The delay is a weighted least-squares fit of the cross spectrum's phase, φ(ω) = -ωδ,
    with the maximum-likelihood weights γ²/(1 - γ²) from the coherence (Carter's): bins
    the two share count, bins of noise do not. When the delay changes across the stretch
    (drift), the fit reads it where the stretch's energy, weighted as the fit weights the
    bins, lies: that frame is returned with it, not the middle.
    """

    __slots__ = ("band", "centres", "hop", "omega", "power", "segment", "size", "spectra",
                 "window")

    def __init__(self, a: np.ndarray, *, sample_rate: int) -> None:
        segment = 1 << max(8, int(round(math.log2(sample_rate / 12.0))))
        self.segment = min(segment, 1 << int(math.log2(a.size)))
        self.hop = self.segment // 2
        self.size = a.size
        self.window = np.hanning(self.segment + 1)[:-1]
        self.spectra = self._transform(a)
        self.power = np.mean(np.abs(self.spectra) ** 2, axis=0)
        self.band = _band(self.segment, sample_rate) & (self.power > 0)
        self.omega = 2.0 * np.pi * np.fft.rfftfreq(self.segment)
        self.centres = np.arange(self.spectra.shape[0]) * self.hop + self.segment / 2.0

    def _transform(self, x: np.ndarray) -> np.ndarray:
        frames = np.lib.stride_tricks.sliding_window_view(x, self.segment)[:: self.hop]
        return np.fft.rfft(frames * self.window, axis=1)

    def delay_of(self, b: np.ndarray) -> tuple[float, float]:
        fb = self._transform(b)
        cross = np.mean(np.conj(self.spectra) * fb, axis=0)
        power_b = np.mean(np.abs(fb) ** 2, axis=0)
        band = self.band & (power_b > 0)
        if not np.any(band):
            return 0.0, self.size / 2.0
        coherence = np.abs(cross[band]) ** 2 / (self.power[band] * power_b[band])
        weight = np.minimum(coherence / np.maximum(1.0 - coherence, 1e-12), 1e6)
        omega = self.omega[band]
        fit_weight = weight * omega * omega
        denominator = float(np.sum(fit_weight))
        if denominator <= 0:
            return 0.0, self.size / 2.0
        delay = -float(np.sum(weight * omega * np.angle(cross[band]))) / denominator
        # Each bin's phase averages the segments' delays, weighted by their energy there.
        each = np.abs(self.spectra[:, band]) ** 2 / (self.power[band] * self.spectra.shape[0])
        when = float(self.centres @ each @ fit_weight) / denominator
        return delay, when


def fit_line(estimates: list[Estimate]) -> tuple[list[Estimate], float, float]:
    """The stretches that agree, and the slope of offset against A frame with its standard
    error (0 and inf with fewer than three). A robust (Theil-Sen) line picks the stretches
    within :data:`INLIER_SAMPLES` of it; least squares on those gives the slope."""
    x = np.array([e.centre for e in estimates])
    y = np.array([e.offset for e in estimates])
    if len(estimates) < 3:
        middle = float(np.median(y))
        keep = [e for e in estimates if abs(e.offset - middle) <= INLIER_SAMPLES]
        return keep or estimates[:1], 0.0, math.inf
    i, j = np.triu_indices(len(x), k=1)
    theil_sen = float(np.median((y[j] - y[i]) / (x[j] - x[i])))
    intercept = float(np.median(y - theil_sen * x))
    chosen = np.abs(y - intercept - theil_sen * x) <= INLIER_SAMPLES
    keep = [e for e, ok in zip(estimates, chosen, strict=True) if ok]
    if len(keep) < 3:
        return keep or estimates[:1], 0.0, math.inf
    xs, ys = x[chosen], y[chosen]
    slope, intercept = np.polyfit(xs - xs.mean(), ys, 1)
    residual = ys - intercept - slope * (xs - xs.mean())
    spread = float(np.sum((xs - xs.mean()) ** 2))
    dof = max(len(xs) - 2, 1)
    stderr = math.sqrt(float(residual @ residual) / dof / spread) if spread > 0 else math.inf
    return keep, float(slope), stderr
