"""The live meter: fed blocks of any size while printing, read at display rate."""

from __future__ import annotations

import numpy as np

from .engine import MeterEngine, NonFiniteSampleError
from .layout import channel_weights
from .results import NEG_INF, LiveReading, db

# How often the meters advance. Audio blocks are copied into a staging buffer and metered
# together at this rate, which keeps the cost per audio block near a memory copy whatever
# the block size; the 10 ms resolution of momentary and short-term loudness (and so their
# maxima) is unaffected. 15 Hz is the low end of the 15-30 Hz a display redraws at.
UPDATE_HZ = 15


class LiveMeter:
    """Streaming loudness, true peak and correlation in constant memory.

    Feed it from one thread (the metering thread that drains the audio callback's queue,
    never the callback itself). It gives the same momentary, short-term, integrated,
    true-peak and sample-peak figures as the file analysis of the same frames; integrated
    loudness and loudness range use 0.01 LU histograms, so memory does not grow.
    """

    def __init__(
        self, *, sample_rate: int, channels: int, clip_level: float = 1.0,
        update_hz: float = UPDATE_HZ,
    ) -> None:
        self._engine = MeterEngine(
            sample_rate=sample_rate, weights=channel_weights(channels), clip_level=clip_level
        )
        if not update_hz > 0:
            raise ValueError(f"update_hz must be above 0, got {update_hz!r}")
        self._interval = max(1, int(round(sample_rate / update_hz)))
        self._staging = np.zeros((channels, self._interval), dtype=np.float32)
        self._staged = 0
        self.channels = channels
        self.sample_rate = sample_rate

    def process(self, block: np.ndarray) -> None:
        """Add ``block`` (shape=(frames, channels)) to the meters."""
        if block.ndim != 2 or block.shape[1] != self.channels:
            raise ValueError(f"expected shape (frames, {self.channels}), got {block.shape}")
        frames = block.shape[0]
        if not np.isfinite(block).all():
            # Refused here, whole, so the meters never see it and carry on with the next block.
            frame, channel = np.argwhere(~np.isfinite(block))[0]
            raise NonFiniteSampleError(
                self._engine.frames + self._staged + int(frame), int(channel), self.sample_rate
            )
        start = 0
        while start < frames:
            take = min(frames - start, self._interval - self._staged)
            self._staging[:, self._staged : self._staged + take] = block[start : start + take].T
            self._staged += take
            start += take
            if self._staged == self._interval:
                self.flush()

    def flush(self) -> None:
        """Advance the meters over the frames staged since the last update."""
        if self._staged:
            self._engine.process(self._staging[:, : self._staged])
            self._staged = 0

    def reading(self) -> LiveReading:
        """The meters as of the last update: at most 1 / update_hz behind the frames fed.

        Call :meth:`flush` first for a reading that includes every frame.
        """
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
