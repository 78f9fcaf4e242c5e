"""Gated loudness in constant memory: integrated loudness (BS.1770-5) and range (Tech 3342)."""

from __future__ import annotations

import numpy as np

LOUDNESS_OFFSET = -0.691  # BS.1770-5 eq. 2: cancels the K-weighting gain at 997 Hz
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0  # BS.1770-5 eq. 6
LRA_RELATIVE_GATE_LU = -20.0  # Tech 3342 §3
LRA_LOW_PERCENTILE = 0.10
LRA_HIGH_PERCENTILE = 0.95

BIN_LU = 0.01
_TOP_LUFS = 50.0
_BINS = int(round((_TOP_LUFS - ABSOLUTE_GATE_LUFS) / BIN_LU))
_SMALL_BATCH = 256
_LOWER_EDGES = ABSOLUTE_GATE_LUFS + BIN_LU * np.arange(_BINS)


def lufs(mean_square: np.ndarray | float) -> np.ndarray | float:
    """Loudness of a weighted mean square (BS.1770-5 eq. 2); zero gives minus infinity."""
    with np.errstate(divide="ignore"):
        return LOUDNESS_OFFSET + 10.0 * np.log10(mean_square)


def mean_square_of(loudness: float) -> float:
    """The weighted mean square that reads ``loudness`` LUFS."""
    return 10.0 ** ((loudness - LOUDNESS_OFFSET) / 10.0)


class LoudnessHistogram:
    """Block loudness values above the absolute gate, binned at 0.01 LU.

    Each bin keeps the count and the exact sum of the blocks' mean squares, so energy
    averages are exact and only the gate decision for a bin that straddles a threshold is
    made on the bin's mean. Memory is constant whatever the length of the programme
    (BS.1770-5 allows a histogram for live integrated loudness; Tech 3341 asks for both
    gates to be recomputed at each update, which this does on demand).
    """

    def __init__(self, *, inclusive_absolute_gate: bool = False) -> None:
        self._counts = np.zeros(_BINS, dtype=np.int64)
        self._energy = np.zeros(_BINS, dtype=np.float64)
        # BS.1770 gates with ">", Tech 3342 (loudness range) with ">=".
        self._inclusive = inclusive_absolute_gate
        # Readings are cached until the next block arrives: a display may read at 30 Hz
        # while blocks come at 10 Hz.
        self._cache: dict[str, float | None] = {}
        self._pending: list[np.ndarray] = []
        self._pending_count = 0

    def add(self, mean_squares: np.ndarray) -> None:
        """Add blocks by their weighted mean squares (shape=(blocks,)).

        Blocks are binned in batches, when read or when enough have gathered: a live meter
        adds one block every 100 ms and binning each alone would cost more than the block.
        """
        if mean_squares.size == 0:
            return
        self._pending.append(np.array(mean_squares, dtype=np.float64))
        self._pending_count += mean_squares.size
        if self._pending_count >= _SMALL_BATCH:
            self._settle()

    def _settle(self) -> None:
        if not self._pending:
            return
        mean_squares = np.concatenate(self._pending)
        self._pending.clear()
        self._pending_count = 0
        self._cache.clear()
        levels = lufs(mean_squares)
        if self._inclusive:
            keep = levels >= ABSOLUTE_GATE_LUFS
        else:
            keep = levels > ABSOLUTE_GATE_LUFS
        if not keep.any():
            return
        levels = levels[keep]
        index = np.floor((levels - ABSOLUTE_GATE_LUFS) / BIN_LU).astype(np.int64)
        np.clip(index, 0, _BINS - 1, out=index)
        self._counts += np.bincount(index, minlength=_BINS)
        self._energy += np.bincount(index, weights=mean_squares[keep], minlength=_BINS)

    @property
    def count(self) -> int:
        self._settle()
        return int(self._counts.sum())

    def integrated(self) -> float:
        """Gated loudness of the blocks so far (BS.1770-5 eq. 6-7); -inf if none pass."""
        self._settle()
        if "integrated" not in self._cache:
            self._cache["integrated"] = self._integrated()
        return self._cache["integrated"]  # type: ignore[return-value]

    def loudness_range(self) -> float | None:
        """Loudness range of short-term values (Tech 3342); None if no value passes the gates."""
        self._settle()
        if "range" not in self._cache:
            self._cache["range"] = self._loudness_range()
        return self._cache["range"]

    def _passing(self, threshold: float, *, inclusive: bool) -> tuple[int, float, int]:
        """Count and energy of the blocks above ``threshold`` (LUFS), and the first bin
        that passes whole."""
        straddle = int(np.floor((threshold - ABSOLUTE_GATE_LUFS) / BIN_LU))
        first = min(max(straddle + 1, 0), _BINS)
        count = int(self._counts[first:].sum())
        energy = float(self._energy[first:].sum())
        if 0 <= straddle < _BINS and self._counts[straddle]:
            level = lufs(self._energy[straddle] / self._counts[straddle])
            if level > threshold or (inclusive and level == threshold):
                count += int(self._counts[straddle])
                energy += float(self._energy[straddle])
                first = straddle
        return count, energy, first

    def _integrated(self) -> float:
        total = int(self._counts.sum())
        if total == 0:
            return float("-inf")
        relative_gate = float(lufs(self._energy.sum() / total)) + RELATIVE_GATE_LU
        count, energy, _ = self._passing(relative_gate, inclusive=False)
        if count == 0:
            return float("-inf")
        return float(lufs(energy / count))

    def _loudness_range(self) -> float | None:
        total = int(self._counts.sum())
        if total == 0:
            return None
        relative_gate = float(lufs(self._energy.sum() / total)) + LRA_RELATIVE_GATE_LU
        n, _, first = self._passing(relative_gate, inclusive=True)
        if n == 0:
            return None
        cumulative = np.cumsum(self._counts[first:])
        low = self._value_at_rank(cumulative, _nearest_rank(n, LRA_LOW_PERCENTILE), first)
        high = self._value_at_rank(cumulative, _nearest_rank(n, LRA_HIGH_PERCENTILE), first)
        return high - low

    def _value_at_rank(self, cumulative: np.ndarray, rank: int, first: int) -> float:
        b = first + int(np.searchsorted(cumulative, rank))
        return float(lufs(self._energy[b] / self._counts[b]))


def _nearest_rank(n: int, fraction: float) -> int:
    """1-based rank of a percentile by the rule of the Tech 3342 reference code.

    MATLAB's ``round((n - 1) * p + 1)`` rounds halves away from zero, unlike Python's
    ``round``.
    """
    return int(np.floor((n - 1) * fraction + 1 + 0.5))


def integrated_loudness_of_blocks(mean_squares: np.ndarray) -> float:
    """Gated integrated loudness (LUFS) of 400 ms blocks given as weighted mean squares."""
    histogram = LoudnessHistogram()
    histogram.add(np.asarray(mean_squares, dtype=np.float64))
    return histogram.integrated()


def loudness_range_of(short_term_lufs: np.ndarray) -> float | None:
    """Loudness range (LU) of short-term loudness values sampled at 10 Hz or faster."""
    histogram = LoudnessHistogram(inclusive_absolute_gate=True)
    histogram.add(mean_square_of_array(np.asarray(short_term_lufs, dtype=np.float64)))
    return histogram.loudness_range()


def mean_square_of_array(loudness: np.ndarray) -> np.ndarray:
    """The weighted mean squares that read ``loudness`` (LUFS), element-wise."""
    return 10.0 ** ((loudness - LOUDNESS_OFFSET) / 10.0)
