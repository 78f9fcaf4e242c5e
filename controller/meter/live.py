"""The live meter: fed blocks of any size while printing, read at display rate."""

from __future__ import annotations

import numpy as np

from .engine import MeterEngine
from .layout import channel_weights
from .results import NEG_INF, LiveReading, db

# Frames gathered before the meters advance. Small audio blocks are copied into a staging
# buffer and metered together, which keeps the per-block cost near a memory copy; a
# reading always includes every frame fed so far.
STAGING_FRAMES = 2048


class LiveMeter:
    """Streaming loudness, true peak and correlation in constant memory.

    Feed it from one thread (the metering thread that drains the audio callback's queue,
    never the callback itself). It gives the same momentary, short-term, integrated,
    true-peak and sample-peak figures as the file analysis of the same frames; integrated
    loudness and loudness range use 0.01 LU histograms, so memory does not grow.
    """

    def __init__(self, *, sample_rate: int, channels: int, clip_level: float = 1.0) -> None:
        self._engine = MeterEngine(
            sample_rate=sample_rate, weights=channel_weights(channels), clip_level=clip_level
        )
        self._staging = np.zeros((channels, STAGING_FRAMES), dtype=np.float32)
        self._staged = 0
        self.channels = channels
        self.sample_rate = sample_rate

    def process(self, block: np.ndarray) -> None:
        """Add ``block`` (shape=(frames, channels)) to the meters."""
        frames = block.shape[0]
        if block.ndim != 2 or block.shape[1] != self.channels:
            raise ValueError(f"expected shape (frames, {self.channels}), got {block.shape}")
        if self._staged + frames > STAGING_FRAMES:
            self._flush()
            if frames > STAGING_FRAMES:
                self._engine.process(block.T)
                return
        self._staging[:, self._staged : self._staged + frames] = block.T
        self._staged += frames

    def reading(self) -> LiveReading:
        """The meters after every frame fed so far."""
        self._flush()
        e = self._engine
        has_m = e.subblocks >= 40
        has_s = e.subblocks >= 300
        return LiveReading(
            frames=e.frames,
            momentary_lufs=e.momentary if has_m else None,
            short_term_lufs=e.short_term if has_s else None,
            integrated_lufs=e.integrated(),
            loudness_range_lu=e.loudness_range(),
            momentary_max_lufs=e.momentary_max if has_m else None,
            short_term_max_lufs=e.short_term_max if has_s else None,
            true_peak_dbtp=db(e.true_peak.max()) if e.frames else NEG_INF,
            sample_peak_dbfs=db(e.sample_peak.max()) if e.frames else NEG_INF,
            channel_true_peak_dbtp=tuple(db(v) for v in e.true_peak),
            channel_sample_peak_dbfs=tuple(db(v) for v in e.sample_peak),
            correlation=e.correlation_now,
            psr_db=e.psr_now,
            clipped_samples=int(e.clipped_samples.sum()),
        )

    def _flush(self) -> None:
        if self._staged:
            self._engine.process(self._staging[:, : self._staged])
            self._staged = 0
