"""Frozen results of the meter core: a file's measurement and a live meter's reading."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

NEG_INF = float("-inf")

STATUS_OK = "ok"
STATUS_TOO_SHORT = "too_short"  # under 400 ms: no gating block, no momentary loudness
STATUS_SILENT = "silent"  # no 400 ms block above -70 LUFS


def db(linear: float | np.ndarray) -> float:
    """20 log10 of a magnitude; zero gives minus infinity."""
    value = float(np.max(linear)) if np.ndim(linear) else float(linear)
    return 20.0 * math.log10(value) if value > 0 else NEG_INF


def power_db(mean_square: float) -> float:
    """10 log10 of a mean square; zero gives minus infinity."""
    return 10.0 * math.log10(mean_square) if mean_square > 0 else NEG_INF


@dataclass(frozen=True, slots=True)
class ChannelMeasurement:
    """One channel's levels. RMS is the plain root mean square (a full-scale sine reads
    -3.01 dBFS); crest factor is sample peak minus RMS (a sine reads 3.01 dB)."""

    name: str
    true_peak_dbtp: float
    sample_peak_dbfs: float
    rms_dbfs: float
    crest_factor_db: float | None
    dc_offset: float  # mean sample value, as a fraction of full scale
    clipped_samples: int
    clipped_runs: int


@dataclass(frozen=True, slots=True)
class LoudnessCurve:
    """Loudness over time at 10 Hz: ``times_s`` and ``lufs``, each shape=(points,)."""

    times_s: np.ndarray
    lufs: np.ndarray


@dataclass(frozen=True, slots=True)
class Measurement:
    """Everything the meter core reports for one programme.

    Levels are floats in dB, LUFS or LU; minus infinity means silence. ``None`` means
    the figure is undefined for this programme (correlation of a mono file, short-term
    loudness of a file shorter than 3 s); ``status`` and ``status_detail`` say why.
    """

    sample_rate: int
    channels: int
    frames: int
    integrated_lufs: float
    loudness_range_lu: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    true_peak_dbtp: float
    sample_peak_dbfs: float
    rms_dbfs: float
    crest_factor_db: float | None
    plr_db: float | None  # true peak minus integrated loudness
    psr_max_db: float | None  # true peak held over 3 s minus short-term loudness
    psr_min_db: float | None
    correlation: float | None  # whole programme, raw samples
    correlation_min: float | None  # lowest over 400 ms windows above -70 LUFS
    mono_loss_db: float | None  # loudness of (L+R)/2 dual-mono minus stereo loudness
    clipped_samples: int
    clipped_runs: int
    per_channel: tuple[ChannelMeasurement, ...]
    status: str
    status_detail: str
    momentary_curve: LoudnessCurve | None = field(default=None, repr=False)
    short_term_curve: LoudnessCurve | None = field(default=None, repr=False)

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate


@dataclass(frozen=True, slots=True)
class LiveReading:
    """What a live meter shows after the frames fed so far (levels as in Measurement)."""

    frames: int
    momentary_lufs: float | None
    short_term_lufs: float | None
    integrated_lufs: float
    loudness_range_lu: float | None
    momentary_max_lufs: float | None
    short_term_max_lufs: float | None
    true_peak_dbtp: float
    sample_peak_dbfs: float
    channel_true_peak_dbtp: tuple[float, ...]
    channel_sample_peak_dbfs: tuple[float, ...]
    correlation: float | None
    psr_db: float | None
    clipped_samples: int
