"""Measuring an insert loop's round trip from a known stimulus: latency to a hundredth of a
sample, polarity, gain, and whether the loop smears the stimulus (a unit not bypassed).

Pure array functions (numpy only); the audio engine plays the stimulus and records the
return, these read the recording.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The stimulus: a logarithmic sweep, faded in and out, across the band every converter
# passes cleanly.
SWEEP_LOW_HZ, SWEEP_HIGH_HZ = 100.0, 12_000.0
SWEEP_SECONDS = 0.5
# A loop of converters and cables is a pure delay and gain: over the sweep's band its
# response is flat with a straight phase. A response is "smeared" when less of it than this
# is explained by that pure delay: EQ, compression or a reverb left in circuit.
PURITY = 0.95


@dataclass(frozen=True, slots=True)
class PingResult:
    latency_samples: float  # from the first stimulus sample out to its return
    latency_ms: float
    inverted: bool  # the loop flips polarity
    gain_db: float  # the loop's gain over the stimulus band
    purity: float  # how much of the response a pure delay and gain explain (0..1)
    smeared: bool  # purity below PURITY: something in the loop is not bypassed


def sweep(*, sample_rate: int, seconds: float = SWEEP_SECONDS, level_dbfs: float = -12.0
          ) -> np.ndarray:
    """The ping stimulus: a log sweep at ``level_dbfs`` peak, shape=(frames,), float64."""
    frames = int(round(seconds * sample_rate))
    t = np.arange(frames) / sample_rate
    ratio = np.log(SWEEP_HIGH_HZ / SWEEP_LOW_HZ)
    phase = 2 * np.pi * SWEEP_LOW_HZ * seconds / ratio * (np.exp(t / seconds * ratio) - 1)
    fade = min(frames // 10, int(0.01 * sample_rate))
    envelope = np.ones(frames)
    ramp = 0.5 - 0.5 * np.cos(np.linspace(0, np.pi, fade))
    envelope[:fade], envelope[frames - fade:] = ramp, ramp[::-1]
    return 10 ** (level_dbfs / 20) * np.sin(phase) * envelope


def measure(stimulus: np.ndarray, response: np.ndarray, *, sample_rate: int) -> PingResult:
    """Latency, polarity, gain and purity of ``response`` (shape=(frames,), recorded from the
    moment the stimulus started playing, long enough to hold it all back) against
    ``stimulus`` (shape=(frames,)).

    The integer delay is the peak of the impulse response (the response divided by the
    stimulus over the sweep's band); the fraction is the slope of the phase of that band
    once the integer delay is taken out, weighted by the stimulus's energy.
    Works for any stimulus with energy across the band: the sweep, or music.
    """
    x = np.asarray(stimulus, dtype=np.float64)
    y = np.asarray(response, dtype=np.float64)
    if x.ndim != 1 or y.ndim != 1 or y.size < x.size:
        raise ValueError("stimulus and response must be mono, the response at least as long")
    n = 1 << int(np.ceil(np.log2(y.size + x.size)))
    X, Y = np.fft.rfft(x, n), np.fft.rfft(y, n)
    freqs = np.fft.rfftfreq(n, 1 / sample_rate)
    band = (freqs >= SWEEP_LOW_HZ * 1.5) & (freqs <= SWEEP_HIGH_HZ / 1.5)
    power = np.abs(X) ** 2
    weight = np.where(band, power, 0.0)
    H = np.where(band, Y * np.conj(X) / np.maximum(power, 1e-30), 0.0)
    h = np.fft.irfft(H, n)
    peak = int(np.argmax(np.abs(h)))
    if peak > n // 2:
        raise ValueError("the response holds no return of the stimulus")
    # Fractional part: the residual phase after taking out the integer delay (and the sign)
    # is linear in frequency, with slope -2π·fraction/fs.
    inverted = bool(h[peak] < 0)
    residual = H * np.exp(2j * np.pi * freqs * peak / sample_rate) * (-1.0 if inverted else 1.0)
    # The slope comes from the phase step between neighbouring bins (weighted by their
    # energy), not from an unwrapped phase: one badly unwrapped quiet bin would tilt it all.
    f, w, r = freqs[band], weight[band], residual[band]
    steps = np.sum(np.sqrt(w[1:] * w[:-1]) * r[1:] * np.conj(r[:-1]))
    slope = np.angle(steps) / (freqs[1] - freqs[0])
    fraction = -slope * sample_rate / (2 * np.pi)
    latency = peak + fraction
    gain = np.sqrt(np.sum(w * np.abs(H[band]) ** 2) / np.sum(w))
    model = (-gain if inverted else gain) * np.exp(-2j * np.pi * f * latency / sample_rate)
    error = np.sum(w * np.abs(H[band] - model) ** 2) / max(np.sum(w * np.abs(model) ** 2), 1e-30)
    purity = float(min(max(1.0 - error, 0.0), 1.0))
    return PingResult(latency_samples=float(latency), latency_ms=1000.0 * latency / sample_rate,
                      inverted=inverted, gain_db=float(20 * np.log10(max(gain, 1e-12))),
                      purity=purity, smeared=purity < PURITY)
