"""Synthetic programme material: a music-like mix for demos, tests and benchmarks."""

from __future__ import annotations

import numpy as np

_TEMPO_BPM = 120.0
_PROGRESSION = ((45, 52, 57, 60), (41, 48, 53, 57), (43, 50, 55, 59), (40, 47, 52, 55))
_BARS_PER_SECTION = 8


def _midi_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def _place(shot: np.ndarray, times: np.ndarray, gains: np.ndarray, frames: int,
           rate: int) -> np.ndarray:
    """A track with ``shot`` played at ``times`` (s) with ``gains``."""
    track = np.zeros(frames + shot.size)
    for start, gain in zip(np.round(times * rate).astype(np.int64), gains, strict=True):
        if start < frames:
            track[start : start + shot.size] += gain * shot
    return track[:frames]


def _phase(freqs: np.ndarray, rate: int) -> np.ndarray:
    """Running phase of a varying frequency, wrapped to one turn (sin is slow on large
    arguments)."""
    cycles = np.cumsum(freqs / rate)
    cycles -= np.floor(cycles)
    return (2 * np.pi * cycles).astype(np.float32)


def _one_shot(kind: str, rate: int, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(0.4 * rate)) / rate
    if kind == "kick":
        pitch = 50.0 + 90.0 * np.exp(-t * 30.0)
        return np.sin(2 * np.pi * np.cumsum(pitch) / rate) * np.exp(-t * 9.0)
    noise = rng.standard_normal(t.size)
    from scipy import signal  # here, not at import: scipy.signal takes most of a second

    if kind == "snare":
        sos = signal.butter(2, [180.0, 6000.0], btype="band", fs=rate, output="sos")
        body = np.sin(2 * np.pi * 190.0 * t) * np.exp(-t * 25.0)
        return 0.6 * signal.sosfilt(sos, noise) * np.exp(-t * 18.0) + 0.5 * body
    sos = signal.butter(2, 7000.0, btype="high", fs=rate, output="sos")
    return 0.5 * signal.sosfilt(sos, noise) * np.exp(-t * 60.0)


def music_like(*, duration_s: float, sample_rate: int = 48_000, seed: int = 0) -> np.ndarray:
    """A deterministic stereo mix of drums, bass and pads in sections of changing level.

    Returns float32, shape=(frames, 2), peaking at -1.5 dBFS, with verse/chorus dynamics so
    loudness range, short-term maxima and correlation have something to show.
    """
    rng = np.random.default_rng(seed)
    frames = int(round(duration_s * sample_rate))
    beat = 60.0 / _TEMPO_BPM
    bar = 4 * beat
    beats = np.arange(0.0, duration_s, beat)
    section = (beats // (bar * _BARS_PER_SECTION)).astype(int)
    loud = np.where(section % 2 == 1, 1.0, 0.5)

    drums = _place(_one_shot("kick", sample_rate, rng), beats, loud, frames, sample_rate)
    snare = _place(_one_shot("snare", sample_rate, rng), beats[1::2], loud[1::2] * 0.8,
                   frames, sample_rate)
    eighths = np.arange(0.0, duration_s, beat / 2)
    hat_gain = 0.35 * rng.uniform(0.6, 1.0, eighths.size)
    hats = _place(_one_shot("hat", sample_rate, rng), eighths, hat_gain, frames, sample_rate)

    bar_frames = int(round(bar * sample_rate))
    bars = -(-frames // bar_frames)

    def per_bar(values: np.ndarray) -> np.ndarray:
        return np.repeat(values, bar_frames)[:frames]

    bar_chords = np.arange(bars) % len(_PROGRESSION)
    section_level = per_bar(np.where((np.arange(bars) // _BARS_PER_SECTION) % 2 == 1, 1.0, 0.5))
    roots = per_bar(np.array([_midi_hz(chord[0] - 12) for chord in _PROGRESSION])[bar_chords])
    bass_phase = _phase(roots, sample_rate)
    bass = np.sin(bass_phase) + 0.5 * np.sin(2 * bass_phase) + 0.33 * np.sin(3 * bass_phase)
    beat_frames = int(round(beat * sample_rate))
    pluck = np.exp(-np.arange(beat_frames) / sample_rate * 6.0)
    bass *= 0.5 * (0.6 + 0.4 * np.tile(pluck, -(-frames // beat_frames))[:frames])

    pad_left = np.zeros(frames, dtype=np.float32)
    pad_right = np.zeros(frames, dtype=np.float32)
    for voice in range(1, 4):
        freqs = per_bar(np.array([_midi_hz(chord[voice]) for chord in _PROGRESSION])[bar_chords])
        pad_left += np.sin(_phase(freqs, sample_rate))
        pad_right += np.sin(_phase(freqs * 1.003, sample_rate) + np.float32(voice))
    swell = 0.12 * section_level

    centre = 0.9 * drums + 0.5 * snare + 0.45 * bass * section_level
    left = centre + 0.8 * hats + swell * pad_left
    right = centre + 0.5 * hats + swell * pad_right
    mix = np.stack((left, right), axis=1)
    t = np.arange(frames) / sample_rate
    fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 2.0)[:, None]
    mix *= fade
    mix = np.tanh(1.4 * mix / np.max(np.abs(mix))) / np.tanh(1.4) * 10 ** (-1.5 / 20.0)
    return mix.astype(np.float32)
