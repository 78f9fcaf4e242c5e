"""True peak per ITU-R BS.1770-5 Annex 2: 4x oversampling at every rate, block by block."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided

OVERSAMPLING = 4
TAPS_PER_PHASE = 32
KAISER_BETA = 7.0
# Output frames computed per row of one matrix product; the interpolation is done as a
# product of overlapping input rows with a banded (Toeplitz) matrix, which keeps the
# memory traffic close to one pass over the input.
_ROW_FRAMES = 64


@lru_cache(maxsize=4)
def interpolation_phases(
    factor: int = OVERSAMPLING, taps_per_phase: int = TAPS_PER_PHASE
) -> np.ndarray:
    """The fractional phases of an odd-length (type I) Kaiser-windowed sinc interpolator.

    Returns shape (factor - 1, taps_per_phase). Row p - 1 weights a window of
    ``taps_per_phase`` input samples to give the value p/factor of the way from window
    sample ``taps_per_phase // 2 - 1`` to the next. Phase 0 of a type-I design is the input
    sample itself, so the grid lands exactly on the samples and on 1/4, 2/4 and 3/4 of the
    way between them (metering.md §2.5: an even-length filter shifts the grid by half a
    step and under-reads).
    """
    half = factor * taps_per_phase // 2
    k = np.arange(-half, half + 1)
    window = np.kaiser(k.size, KAISER_BETA)
    kernel = np.sinc(k / factor) * window
    centre = taps_per_phase // 2 - 1
    phases = np.empty((factor - 1, taps_per_phase))
    for p in range(1, factor):
        # Window element i holds input sample (centre - d) with d = centre - i; the tap that
        # weights it sits at upsampled offset factor * d + p from the interpolated point.
        d = centre - np.arange(taps_per_phase)
        phases[p - 1] = kernel[factor * d + p + half]
    phases.setflags(write=False)
    return phases


@lru_cache(maxsize=4)
def _banded_matrix(row_frames: int, factor: int, taps: int) -> np.ndarray:
    """Shape (row_frames + taps - 1, (factor - 1) * row_frames): column (p - 1) * row_frames
    + j gives fractional phase p of output frame j. Phase 0, the samples themselves, is the
    caller's to include (it has them already)."""
    phases = interpolation_phases(factor, taps)
    matrix = np.zeros((row_frames + taps - 1, (factor - 1) * row_frames), dtype=np.float32)
    for j in range(row_frames):
        for p in range(1, factor):
            matrix[j : j + taps, (p - 1) * row_frames + j] = phases[p - 1]
    matrix.setflags(write=False)
    return matrix


class TruePeakTracker:
    """Oversampled absolute peak of a multichannel stream, fed in blocks of any size.

    It keeps the last ``taps - 1`` input samples of each channel, so a stream fed in pieces
    gives exactly the values of one long block. Output frame j holds the sample and the
    interpolated values that follow it ``taps // 2`` frames before j; :meth:`flush` runs
    the last ones out at the end of a stream. Peaks are reported per segment of whole
    rows of ``ROW_FRAMES`` output frames, which is as fine as the 10 ms meters need.
    """

    ROW_FRAMES = _ROW_FRAMES

    def __init__(self, channels: int, *, taps_per_phase: int = TAPS_PER_PHASE) -> None:
        self._taps = taps_per_phase
        self._history = np.zeros((channels, taps_per_phase - 1), dtype=np.float32)
        self._matrix = _banded_matrix(_ROW_FRAMES, OVERSAMPLING, taps_per_phase)
        # Reused between calls: fresh multi-megabyte buffers cost more than the product.
        self._padded = np.zeros((channels, 0), dtype=np.float32)
        self._product = np.zeros((channels, 0, self._matrix.shape[1]), dtype=np.float32)

    def process(self, block: np.ndarray, cuts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Peak interpolated magnitudes of ``block`` (shape=(channels, frames)) between ``cuts``.

        Only the values between samples: the samples' own magnitudes are the caller's to
        fold in.

        ``cuts`` are strictly increasing frame indices in (0, frames], at least
        ``ROW_FRAMES`` apart. Returns the peak of each closed segment, shape=(channels,
        len(cuts)), and of the open tail after the last cut, shape=(channels,). Output
        frames are counted in whole rows: a row belongs to the segment where it starts.
        """
        channels, frames = block.shape
        m = cuts.size
        closed = np.zeros((channels, m), dtype=np.float32)
        tail_peak = np.zeros(channels, dtype=np.float32)
        if frames == 0:
            return closed, tail_peak
        taps = self._taps
        width = self._matrix.shape[1]
        rows = -(-frames // _ROW_FRAMES)
        size = rows * _ROW_FRAMES + taps - 1
        if self._padded.shape[1] < size:
            self._padded = np.zeros((channels, size), dtype=np.float32)
            self._product = np.zeros((channels, rows, width), dtype=np.float32)
        padded = self._padded
        product = self._product[:, :rows]
        padded[:, : taps - 1] = self._history
        padded[:, taps - 1 : taps - 1 + frames] = block
        padded[:, taps - 1 + frames : size] = 0.0
        # Row r of channel c holds padded[c, r * ROW_FRAMES : r * ROW_FRAMES + ROW + taps - 1].
        view = as_strided(
            padded,
            shape=(channels, rows, _ROW_FRAMES + taps - 1),
            strides=(padded.strides[0], _ROW_FRAMES * padded.itemsize, padded.itemsize),
            writeable=False,
        )
        np.matmul(view, self._matrix, out=product)
        np.abs(product, out=product)
        partial = frames - (rows - 1) * _ROW_FRAMES
        if partial < _ROW_FRAMES:
            # Frames past the block's end were computed from padding, not signal.
            last = product[:, rows - 1].reshape(channels, OVERSAMPLING - 1, _ROW_FRAMES)
            last[:, :, partial:] = 0.0
        row_cuts = -(-cuts // _ROW_FRAMES)
        is_closed = m > 0 and row_cuts[-1] == rows
        starts = np.concatenate(([0], row_cuts[:-1] if is_closed else row_cuts)) * width
        peaks = np.maximum.reduceat(product.reshape(channels, rows * width), starts, axis=1)
        if is_closed:
            closed[:] = peaks
        else:
            closed[:] = peaks[:, :-1]
            tail_peak[:] = peaks[:, -1]
        self._history[:] = padded[:, frames : frames + taps - 1]
        return closed, tail_peak
        taps = self._taps
        width = self._matrix.shape[1]
        rows = -(-frames // _ROW_FRAMES)
        size = rows * _ROW_FRAMES + taps - 1
        if self._padded.size < size:
            self._padded = np.zeros(size, dtype=np.float32)
            self._product = np.zeros((rows, width), dtype=np.float32)
        padded = self._padded[:size]
        product = self._product[:rows]
        partial = frames - (rows - 1) * _ROW_FRAMES
        row_cuts = -(-cuts // _ROW_FRAMES)
        is_closed = m > 0 and row_cuts[-1] == rows
        starts = np.concatenate(([0], row_cuts[:-1] if is_closed else row_cuts)) * width
        for c in range(channels):
            padded[: taps - 1] = self._history[c]
            padded[taps - 1 : taps - 1 + frames] = block[c]
            padded[taps - 1 + frames :] = 0.0
            view = as_strided(
                padded,
                shape=(rows, _ROW_FRAMES + taps - 1),
                strides=(_ROW_FRAMES * padded.itemsize, padded.itemsize),
                writeable=False,
            )
            np.matmul(view, self._matrix, out=product)
            np.abs(product, out=product)
            if partial < _ROW_FRAMES:
                # Frames past the block's end were computed from padding, not signal.
                last = product[rows - 1].reshape(OVERSAMPLING, _ROW_FRAMES)
                last[:, partial:] = 0.0
            peaks = np.maximum.reduceat(product.reshape(-1), starts)
            if is_closed:
                closed[c] = peaks
            else:
                closed[c] = peaks[:-1]
                tail_peak[c] = peaks[-1]
            self._history[c] = padded[frames : frames + taps - 1]
        return closed, tail_peak

    def flush(self) -> np.ndarray:
        """Peak of the last interpolated values, run out by feeding silence; shape (channels,)."""
        channels = self._history.shape[0]
        _, tail = self.process(
            np.zeros((channels, self._taps), dtype=np.float32), np.zeros(0, dtype=np.int64)
        )
        return tail
