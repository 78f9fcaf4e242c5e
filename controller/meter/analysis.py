"""Whole-programme analysis: every meter in one pass over blocks, in constant memory."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .engine import MOMENTARY_SUBBLOCKS, SHORT_TERM_SUBBLOCKS, MeterEngine
from .layout import channel_names, channel_weights
from .results import (
    NEG_INF,
    STATUS_OK,
    STATUS_SILENT,
    STATUS_TOO_SHORT,
    ChannelMeasurement,
    LoudnessCurve,
    Measurement,
    db,
    power_db,
)

# Frames per block when an in-memory array is analysed; files are read in blocks of this size.
BLOCK_FRAMES = 1 << 16


def analyse(
    samples: np.ndarray, *, sample_rate: int, clip_level: float = 1.0, curves: bool = False
) -> Measurement:
    """Measure a programme held in memory.

    ``samples`` has shape=(frames, channels), or (frames,) for mono; any float or integer
    dtype (integers are scaled to full scale = 1.0). See :func:`analyse_blocks`.
    """
    data = np.asarray(samples)
    if data.ndim == 1:
        data = data[:, None]
    if data.ndim != 2:
        raise ValueError(f"samples must have shape (frames, channels), got {data.shape}")
    if np.issubdtype(data.dtype, np.integer):
        data = data / float(-np.iinfo(data.dtype).min)
    blocks = (data[i : i + BLOCK_FRAMES] for i in range(0, data.shape[0], BLOCK_FRAMES))
    return analyse_blocks(
        blocks, sample_rate=sample_rate, channels=data.shape[1],
        clip_level=clip_level, curves=curves,
    )


def analyse_blocks(
    blocks: Iterable[np.ndarray],
    *,
    sample_rate: int,
    channels: int,
    clip_level: float = 1.0,
    curves: bool = False,
) -> Measurement:
    """Measure a programme delivered as consecutive blocks, each shape=(frames, channels).

    Memory does not grow with the programme's length (the optional loudness curves grow by
    20 numbers a second). ``clip_level`` is the magnitude that counts as full scale for
    clip detection: 1.0 for float data, the largest code for integer formats. Raises
    ValueError for an unsupported channel count or rate, and
    :class:`~.engine.NonFiniteSampleError` at the first NaN or infinite sample.
    """
    engine = MeterEngine(
        sample_rate=sample_rate, weights=channel_weights(channels),
        clip_level=clip_level, keep_curves=curves,
    )
    for block in blocks:
        engine.process(np.asarray(block).T)
    engine.finish()
    return _measurement(engine, curves=curves)


def _measurement(engine: MeterEngine, *, curves: bool) -> Measurement:
    frames = engine.frames
    names = channel_names(engine.channels)
    safe_frames = max(frames, 1)
    mean_squares = engine.sum_squares / safe_frames
    per_channel = tuple(
        _channel(
            names[c], engine.true_peak[c], engine.sample_peak[c], mean_squares[c],
            engine.sum[c] / safe_frames, engine.clipped_samples[c], engine.clipped_runs[c],
        )
        for c in range(engine.channels)
    )
    integrated = engine.integrated()
    true_peak = db(engine.true_peak.max())
    sample_peak = db(engine.sample_peak.max())
    rms = power_db(float(mean_squares.mean())) if frames else NEG_INF
    has_momentary = engine.programme_subblocks >= MOMENTARY_SUBBLOCKS
    has_short_term = engine.programme_subblocks >= SHORT_TERM_SUBBLOCKS

    if not has_momentary:
        status, detail = STATUS_TOO_SHORT, "shorter than 400 ms: no gating block to measure"
    elif integrated == NEG_INF:
        status, detail = STATUS_SILENT, "silent: no 400 ms block above -70 LUFS"
    elif not has_short_term:
        status, detail = STATUS_OK, "shorter than 3 s: no short-term loudness"
    else:
        status, detail = STATUS_OK, ""

    correlation = None
    mono_loss = None
    if engine.channels == 2:
        denominator = float(np.sqrt(engine.sum_squares[0] * engine.sum_squares[1]))
        if denominator > 0:
            correlation = float(np.clip(engine.cross_sum / denominator, -1.0, 1.0))
        if integrated > NEG_INF:
            mono_loss = engine.mid_integrated() - integrated

    momentary_curve = short_term_curve = None
    if curves:
        m, s = engine.curves()
        momentary_curve = LoudnessCurve(times_s=m[:, 0], lufs=m[:, 1])
        short_term_curve = LoudnessCurve(times_s=s[:, 0], lufs=s[:, 1])

    return Measurement(
        sample_rate=engine.sample_rate,
        channels=engine.channels,
        frames=frames,
        integrated_lufs=integrated,
        loudness_range_lu=engine.loudness_range(),
        momentary_max_lufs=engine.momentary_max if has_momentary else None,
        short_term_max_lufs=engine.short_term_max if has_short_term else None,
        true_peak_dbtp=true_peak,
        sample_peak_dbfs=sample_peak,
        rms_dbfs=rms,
        crest_factor_db=_difference(sample_peak, rms),
        plr_db=_difference(true_peak, integrated),
        psr_max_db=engine.psr_max,
        psr_min_db=engine.psr_min,
        correlation=correlation,
        correlation_min=engine.correlation_min,
        mono_loss_db=mono_loss,
        clipped_samples=int(engine.clipped_samples.sum()),
        clipped_runs=int(engine.clipped_runs.sum()),
        per_channel=per_channel,
        status=status,
        status_detail=detail,
        momentary_curve=momentary_curve,
        short_term_curve=short_term_curve,
    )


def _difference(a: float, b: float) -> float | None:
    """a - b for two dB levels, or None when either is minus infinity."""
    if a == NEG_INF or b == NEG_INF:
        return None
    return a - b


def _channel(
    name: str, true_peak: float, sample_peak: float, mean_square: float,
    dc: float, clipped_samples: int, clipped_runs: int,
) -> ChannelMeasurement:
    rms = power_db(float(mean_square))
    peak = db(sample_peak)
    return ChannelMeasurement(
        name=name,
        true_peak_dbtp=db(true_peak),
        sample_peak_dbfs=peak,
        rms_dbfs=rms,
        crest_factor_db=_difference(peak, rms),
        dc_offset=float(dc),
        clipped_samples=int(clipped_samples),
        clipped_runs=int(clipped_runs),
    )
