"""The one-pass block engine behind file analysis and the live meter, in constant memory.

Everything is kept in 10 ms sub-blocks (metering.md §6): per-channel K-weighted energy,
the oversampled peak, and for stereo the raw and K-weighted cross terms. Momentary
loudness (40 sub-blocks), short-term loudness (300), the 400 ms gating blocks (every 10th
sub-block) and the correlation windows are sums over the last sub-blocks, so momentary
and short-term are read every 10 ms, and a stream fed in blocks of any size gives the same
figures as one long block.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from .gating import ABSOLUTE_GATE_LUFS, LoudnessHistogram, lufs
from .kweighting import KWeightingFilter
from .truepeak import TruePeakTracker

SUBBLOCKS_PER_SECOND = 100
MOMENTARY_SUBBLOCKS = 40  # 400 ms, Tech 3341 §2.2
SHORT_TERM_SUBBLOCKS = 300  # 3 s
GATE_STEP_SUBBLOCKS = 10  # gating blocks overlap by 75 %: one every 100 ms (BS.1770-5 §5.1)
CORRELATION_SUBBLOCKS = 40  # 400 ms correlation windows
LRA_PADDING_SUBBLOCKS = 150  # Tech 3342 §3.3: file meters append 1.5 s of silence
_HISTORY = SHORT_TERM_SUBBLOCKS - 1
_PEAK_ROW = 6


class NonFiniteSampleError(ValueError):
    """A NaN or infinite sample: it would silently truncate every measurement after it."""

    def __init__(self, frame: int, channel: int, sample_rate: int) -> None:
        self.frame = frame
        self.channel = channel
        seconds = frame / sample_rate
        super().__init__(
            f"non-finite sample (NaN or infinity) in channel {channel + 1} "
            f"at frame {frame} ({seconds:.3f} s)"
        )


def _split(ufunc: np.ufunc, values: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reduce ``values`` (shape=(..., frames)) over the segments that end at ``cuts``.

    ``cuts`` are strictly increasing frame indices in (0, frames]. Returns the reductions
    of the complete segments, shape=(..., len(cuts)), and of the open tail after the last
    cut, shape=(...); an empty tail reduces to 0.
    """
    frames = values.shape[-1]
    if cuts.size == 0:
        return np.zeros(values.shape[:-1] + (0,)), ufunc.reduce(values, axis=-1)
    closed = bool(cuts[-1] == frames)
    starts = np.concatenate(([0], cuts[:-1] if closed else cuts))
    reduced = ufunc.reduceat(values, starts, axis=-1)
    if closed:
        return reduced, np.zeros(values.shape[:-1])
    return reduced[..., :-1], reduced[..., -1]


def _windows(series: np.ndarray, length: int) -> np.ndarray:
    """Read-only view of every run of ``length`` consecutive values along the last axis.

    shape=(..., n - length + 1, length); as sliding_window_view, without its per-call cost.
    """
    n = series.shape[-1]
    shape = series.shape[:-1] + (n - length + 1, length)
    strides = series.strides + (series.strides[-1],)
    return as_strided(series, shape=shape, strides=strides, writeable=False)


class MeterEngine:
    """Accumulates every meter of a stream of blocks (shape=(channels, frames)).

    Not thread-safe: one thread feeds it. Results are read through the attributes and
    :meth:`integrated` / :meth:`loudness_range`; :mod:`.analysis` and :mod:`.live` turn
    them into frozen result objects.
    """

    def __init__(
        self,
        *,
        sample_rate: int,
        weights: np.ndarray,
        clip_level: float = 1.0,
        keep_curves: bool = False,
    ) -> None:
        if sample_rate < SUBBLOCKS_PER_SECOND:
            raise ValueError(f"sample rate {sample_rate} Hz is too low to meter")
        self.sample_rate = int(sample_rate)
        self.weights = np.asarray(weights, dtype=np.float64)
        channels = self.weights.size
        self.channels = channels
        self.clip_level = float(clip_level)
        self._stereo = channels == 2
        self._k_filter = KWeightingFilter(sample_rate=self.sample_rate, channels=channels)
        self._true_peak = TruePeakTracker(channels)

        self.frames = 0
        self.subblocks = 0
        # Partial sums of the open sub-block.
        self._open_energy = np.zeros(channels)
        self._open_cross = 0.0
        self._open_raw = np.zeros(3)
        self._open_peak = 0.0
        # The last 299 closed sub-blocks, one row per series: K-weighted energy (weighted
        # sum over channels), frames, dual-mono mid energy, raw L*L, R*R and L*R, and peak.
        self._history = np.zeros((_PEAK_ROW + 1, _HISTORY))

        self.sample_peak = np.zeros(channels)
        self.true_peak = np.zeros(channels)
        self.sum = np.zeros(channels)
        self.sum_squares = np.zeros(channels)
        self.cross_sum = 0.0
        self.clipped_samples = np.zeros(channels, dtype=np.int64)
        self.clipped_runs = np.zeros(channels, dtype=np.int64)
        self._clip_carry = np.zeros(channels, dtype=np.int64)

        self.momentary = float("-inf")  # latest momentary mean square as LUFS
        self.short_term = float("-inf")
        self.momentary_max = float("-inf")
        self.short_term_max = float("-inf")
        self.correlation_now: float | None = None
        self.correlation_min: float | None = None
        self.psr_now: float | None = None
        self.psr_max: float | None = None
        self.psr_min: float | None = None
        self._blocks = LoudnessHistogram()
        self._mid_blocks = LoudnessHistogram()
        self._short_terms = LoudnessHistogram(inclusive_absolute_gate=True)
        self._finished = False
        self._programme_subblocks = 0

        self._keep_curves = keep_curves
        self._curve_m: list[np.ndarray] = []
        self._curve_s: list[np.ndarray] = []

    # ----------------------------------------------------------------- feeding
    def process(self, block: np.ndarray) -> None:
        """Add ``block`` (shape=(channels, frames), float) to every meter."""
        if self._finished:
            raise RuntimeError("the engine was finished; start a new one")
        if block.ndim != 2 or block.shape[0] != self.channels:
            raise ValueError(f"expected shape ({self.channels}, frames), got {block.shape}")
        x = np.ascontiguousarray(block, dtype=np.float64)
        n = x.shape[1]
        if n == 0:
            return
        cuts = self._cuts(n)
        squares = x * x
        square_closed, square_tail = _split(np.add, squares, cuts)
        chunk_squares = square_closed.sum(axis=1) + square_tail
        if not np.isfinite(chunk_squares).all():
            self._reject_non_finite(x)
        self.sum_squares += chunk_squares
        self.sum += x.sum(axis=1)
        # Sample peaks per sub-block, from the squares already at hand.
        square_peak_closed, square_peak_tail = _split(np.maximum, squares, cuts)
        sample_closed = np.sqrt(square_peak_closed)
        sample_tail = np.sqrt(square_peak_tail)
        peak = np.maximum(sample_tail, sample_closed.max(axis=1, initial=0.0))
        np.maximum(self.sample_peak, peak, out=self.sample_peak)
        # The true peak is never below the sample peak (phase 0 of the interpolator).
        np.maximum(self.true_peak, peak, out=self.true_peak)
        self._count_clips(x, peak)

        filtered = self._k_filter.process(x)
        m = cuts.size
        if self._stereo:
            np.multiply(x[0], x[1], out=squares[0])
            product_closed, product_tail = _split(np.add, squares[0], cuts)
            self.cross_sum += float(product_closed.sum() + product_tail)
            raw_closed = np.vstack((square_closed, product_closed))
            raw_tail = np.append(square_tail, product_tail)
            np.multiply(filtered[0], filtered[1], out=squares[0])
            cross_closed, cross_tail = _split(np.add, squares[0], cuts)
        else:
            raw_closed, raw_tail = np.zeros((3, m)), np.zeros(3)
            cross_closed, cross_tail = np.zeros(m), 0.0
        np.multiply(filtered, filtered, out=filtered)
        energy, energy_tail = _split(np.add, filtered, cuts)

        peak_closed, peak_tail = self._true_peak.process(block, cuts)
        np.maximum(peak_closed, sample_closed, out=peak_closed)
        np.maximum(peak_tail, sample_tail, out=peak_tail)
        np.maximum(self.true_peak, peak_tail, out=self.true_peak)
        if m:
            np.maximum(self.true_peak, peak_closed.max(axis=1), out=self.true_peak)

        if m:
            energy[:, 0] += self._open_energy
            raw_closed[:, 0] += self._open_raw
            cross_closed[0] += self._open_cross
            peak_sub = peak_closed.max(axis=0)
            peak_sub[0] = max(peak_sub[0], self._open_peak)
            self._open_energy = energy_tail
            self._open_raw = raw_tail
            self._open_cross = float(cross_tail)
            self._open_peak = float(peak_tail.max())
            self._close_subblocks(energy, cross_closed, raw_closed, peak_sub)
        else:
            self._open_energy = self._open_energy + energy_tail
            self._open_raw = self._open_raw + raw_tail
            self._open_cross += float(cross_tail)
            self._open_peak = max(self._open_peak, float(peak_tail.max()))
        self.frames += n

    def finish(self) -> None:
        """End a file's stream: flush the true-peak interpolator and pad for loudness range.

        Tech 3342 asks file-based meters to append at least 1.5 s of silence before the
        last short-term value; the padding feeds only the loudness range, never the
        momentary, short-term or integrated figures.
        """
        if self._finished:
            return
        np.maximum(self.true_peak, self._true_peak.flush(), out=self.true_peak)
        self._finished = True
        self._programme_subblocks = self.subblocks
        self._close_clip_runs()
        # The open sub-block is completed with silence, then 1.5 s more follows.
        count = LRA_PADDING_SUBBLOCKS + 1
        ks = np.arange(self.subblocks + 1, self.subblocks + count + 1)
        energy = np.zeros((self.channels, count))
        energy[:, 0] = self._open_energy
        self._close_subblocks(
            energy, np.zeros(count), np.zeros((3, count)), np.zeros(count),
            padding=True, frames=self._subblock_frames(ks),
        )

    # ----------------------------------------------------------------- readings
    @property
    def programme_subblocks(self) -> int:
        """Closed 10 ms sub-blocks of the programme itself, not counting the padding."""
        return self._programme_subblocks if self._finished else self.subblocks

    def integrated(self) -> float:
        """Integrated loudness so far (LUFS); -inf before the first block passes the gates."""
        return self._blocks.integrated()

    def mid_integrated(self) -> float:
        """Integrated loudness of (L+R)/2 played dual-mono; -inf for other layouts."""
        return self._mid_blocks.integrated() if self._stereo else float("-inf")

    def loudness_range(self) -> float | None:
        """Loudness range so far (LU); None while no short-term value passes the gates."""
        return self._short_terms.loudness_range()

    def curves(self) -> tuple[np.ndarray, np.ndarray]:
        """Momentary and short-term loudness at 10 Hz, each shape=(points, 2): time s, LUFS."""
        def joined(parts: list[np.ndarray]) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros((0, 2))
        return joined(self._curve_m), joined(self._curve_s)

    # ----------------------------------------------------------------- internals
    def _cuts(self, n: int) -> np.ndarray:
        """Chunk-local frame indices where sub-blocks close within the next ``n`` frames."""
        fs = self.sample_rate
        start = self.frames
        last = ((start + n + 1) * SUBBLOCKS_PER_SECOND - 1) // fs
        ks = np.arange(self.subblocks + 1, last + 1, dtype=np.int64)
        return ks * fs // SUBBLOCKS_PER_SECOND - start

    def _subblock_frames(self, ks: np.ndarray) -> np.ndarray:
        fs = self.sample_rate
        return (ks * fs // SUBBLOCKS_PER_SECOND - (ks - 1) * fs // SUBBLOCKS_PER_SECOND).astype(
            np.float64
        )

    def _close_subblocks(
        self,
        energy: np.ndarray,
        cross: np.ndarray,
        raw: np.ndarray,
        peak: np.ndarray,
        *,
        padding: bool = False,
        frames: np.ndarray | None = None,
    ) -> None:
        """Advance every windowed meter by the closed sub-blocks (shape=(..., m))."""
        m = energy.shape[1]
        ks = np.arange(self.subblocks + 1, self.subblocks + m + 1)
        if frames is None:
            frames = self._subblock_frames(ks)
        weighted = self.weights @ energy
        if self._stereo:
            # (L+R)/2 played dual-mono; rounding can push an exact null a hair below zero.
            mid = np.maximum(0.5 * (energy[0] + energy[1] + 2.0 * cross), 0.0)
        else:
            mid = np.zeros(m)

        # One row per series; sums over the windows that end at each new sub-block.
        joined = np.concatenate((self._history, np.vstack((weighted, frames, mid, raw, peak))),
                                axis=1)
        recent = joined[:_PEAK_ROW, joined.shape[1] - (m + MOMENTARY_SUBBLOCKS - 1) :]
        sums_m = _windows(recent, MOMENTARY_SUBBLOCKS).sum(axis=-1)
        sums_s = _windows(joined[:2], SHORT_TERM_SUBBLOCKS).sum(axis=-1)
        ms_m = sums_m[0] / sums_m[1]
        ms_s = sums_s[0] / sums_s[1]
        has_m = ks >= MOMENTARY_SUBBLOCKS
        has_s = ks >= SHORT_TERM_SUBBLOCKS
        on_step = ks % GATE_STEP_SUBBLOCKS == 0
        short_points = has_s & on_step

        if padding:
            self._short_terms.add(ms_s[short_points])
        else:
            gate_points = has_m & on_step
            self._blocks.add(ms_m[gate_points])
            self._short_terms.add(ms_s[short_points])
            level_m = lufs(ms_m)
            level_s = lufs(ms_s)
            if has_m.any():
                self.momentary_max = max(self.momentary_max, float(level_m[has_m].max()))
                self.momentary = float(level_m[-1]) if has_m[-1] else self.momentary
            if has_s.any():
                self.short_term_max = max(self.short_term_max, float(level_s[has_s].max()))
                self.short_term = float(level_s[-1]) if has_s[-1] else self.short_term
            if self._stereo:
                self._mid_blocks.add((sums_m[2] / sums_m[1])[gate_points])
                self._track_correlation(sums_m[3:6], level_m, has_m)
            self._track_psr(joined[_PEAK_ROW], level_s, short_points)
            if self._keep_curves:
                times = ks / SUBBLOCKS_PER_SECOND
                self._curve_m.append(np.column_stack((times, level_m))[gate_points])
                self._curve_s.append(np.column_stack((times, level_s))[short_points])

        self._history = np.ascontiguousarray(joined[:, -_HISTORY:])
        self.subblocks += m

    def _track_correlation(self, sums: np.ndarray, level_m: np.ndarray, has_m: np.ndarray) -> None:
        """Stereo correlation over 400 ms windows where the programme is above -70 LUFS.

        ``sums`` holds the windows' sums of L*L, R*R and L*R (raw samples), shape=(3, m).
        """
        left, right, product = sums
        denominator = np.sqrt(left * right)
        valid = has_m & (denominator > 0) & (level_m > ABSOLUTE_GATE_LUFS)
        if not valid.any():
            return
        values = np.clip(product[valid] / denominator[valid], -1.0, 1.0)
        low = float(values.min())
        previous = self.correlation_min
        self.correlation_min = low if previous is None else min(previous, low)
        if valid[-1]:
            self.correlation_now = float(values[-1])

    def _track_psr(self, peaks: np.ndarray, level_s: np.ndarray, points: np.ndarray) -> None:
        """PSR: the true peak held over each 3 s window minus its short-term loudness.

        ``peaks`` is the sub-block peak series, the history followed by the m new ones.
        """
        valid = points & (level_s >= ABSOLUTE_GATE_LUFS)
        if not valid.any():
            return
        held = _windows(peaks, SHORT_TERM_SUBBLOCKS)[valid].max(axis=1)
        with np.errstate(divide="ignore"):
            psr = 20.0 * np.log10(held) - level_s[valid]
        high, low = float(psr.max()), float(psr.min())
        self.psr_max = high if self.psr_max is None else max(self.psr_max, high)
        self.psr_min = low if self.psr_min is None else min(self.psr_min, low)
        self.psr_now = float(psr[-1]) if valid[-1] else self.psr_now

    def _count_clips(self, x: np.ndarray, peak: np.ndarray) -> None:
        """Runs of 3 or more consecutive samples at or beyond full scale, per channel."""
        for c in range(self.channels):
            if peak[c] < self.clip_level and not self._clip_carry[c]:
                continue
            hot = np.abs(x[c]) >= self.clip_level
            edges = np.diff(np.concatenate(([0], hot.view(np.int8), [0])))
            starts = np.flatnonzero(edges == 1)
            ends = np.flatnonzero(edges == -1)
            lengths = ends - starts
            if self._clip_carry[c]:
                if starts.size and starts[0] == 0:
                    lengths[0] += self._clip_carry[c]
                else:
                    self._count_runs(c, self._clip_carry[c : c + 1])
                self._clip_carry[c] = 0
            if lengths.size and ends[-1] == x.shape[1]:
                self._clip_carry[c] = lengths[-1]
                lengths = lengths[:-1]
            self._count_runs(c, lengths)

    def _count_runs(self, channel: int, lengths: np.ndarray) -> None:
        clipped = lengths[lengths >= 3]
        self.clipped_runs[channel] += clipped.size
        self.clipped_samples[channel] += int(clipped.sum())

    def _close_clip_runs(self) -> None:
        """Count the runs still open at the end of the stream."""
        for c in range(self.channels):
            self._count_runs(c, self._clip_carry[c : c + 1])
        self._clip_carry[:] = 0

    def _reject_non_finite(self, x: np.ndarray) -> None:
        bad = ~np.isfinite(x)
        if bad.any():
            channel, frame = np.argwhere(bad)[np.argmin(np.argwhere(bad)[:, 1])]
            raise NonFiniteSampleError(self.frames + int(frame), int(channel), self.sample_rate)
