"""Test signals of EBU Tech 3341 and 3342: stereo 1 kHz tones in phase, levels in dBFS peak."""

from __future__ import annotations

import numpy as np
from scipy import signal

TONE_HZ = 1000.0


def tone(level_dbfs: float, seconds: float, rate: int, *, channels: int = 2,
         freq: float = TONE_HZ) -> np.ndarray:
    """A sine of peak level ``level_dbfs`` on every channel, shape=(frames, channels)."""
    n = np.arange(int(round(seconds * rate)))
    wave = 10.0 ** (level_dbfs / 20.0) * np.sin(2.0 * np.pi * freq * n / rate)
    return np.repeat(wave[:, None], channels, axis=1)


def silence(seconds: float, rate: int, *, channels: int = 2) -> np.ndarray:
    return np.zeros((int(round(seconds * rate)), channels))


def sequence(parts: list[tuple[float | None, float]], rate: int) -> np.ndarray:
    """Segments of (level dBFS or None for silence, seconds), back to back."""
    return np.concatenate(
        [silence(s, rate) if level is None else tone(level, s, rate) for level, s in parts]
    )


def faded_sine(rate: int, *, freq: float, amplitude: float, phase_deg: float,
               seconds: float = 3.0, fade_s: float = 0.1) -> np.ndarray:
    """Tech 3341 cases 15-19: a sine at a fraction of fs with linear fades, stereo."""
    n = np.arange(int(seconds * rate))
    wave = amplitude * np.sin(2.0 * np.pi * freq * n / rate + np.deg2rad(phase_deg))
    ramp = np.minimum(1.0, np.minimum(n, n[::-1]) / (fade_s * rate))
    return np.repeat((wave * ramp)[:, None], 2, axis=1)


def burst(rate: int, *, offset: int, seconds: float = 3.0) -> np.ndarray:
    """Tech 3341 cases 20-23: an fs/6 sine at 0.5 with one period of fs/4 at 1.0,
    phase-continuous, made at 4 fs, low-passed and decimated with ``offset`` (0-3)."""
    high = 4 * rate
    t = np.arange(int(seconds * high)) / high
    period_low = 6.0 / rate
    start = round(1.5 / period_low) * period_low  # a rising zero crossing near 1.5 s
    length = 4.0 / rate  # one period of fs/4
    wave = np.where(
        t < start,
        0.5 * np.sin(2 * np.pi * (rate / 6) * t),
        np.where(
            t < start + length,
            np.sin(2 * np.pi * (rate / 4) * (t - start)),
            0.5 * np.sin(2 * np.pi * (rate / 6) * (t - start - length)),
        ),
    )
    ramp = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.1)
    lowpass = signal.firwin(511, 0.45 * rate, fs=high, window=("kaiser", 10.0))
    filtered = signal.fftconvolve(wave * ramp, lowpass, mode="same")
    decimated = filtered[offset::4]
    return np.repeat(decimated[:, None], 2, axis=1)
