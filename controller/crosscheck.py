"""An independent second opinion on loudness from pyloudnorm (De Man filters)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from .meter import Measurement


@dataclass(frozen=True, slots=True)
class CrossCheck:
    """pyloudnorm's figures beside ours; differences are ours minus theirs (LU)."""

    integrated_lufs: float | None
    loudness_range_lu: float | None
    integrated_difference: float | None
    range_difference: float | None
    detail: str


def cross_check(path: Path, ours: Measurement) -> CrossCheck:
    """Measure ``path`` with pyloudnorm and compare. pyloudnorm needs the whole file in
    memory and 400 ms of audio at least; a file it cannot measure is said so, not raised."""
    import pyloudnorm

    data, rate = sf.read(str(path), dtype="float64", always_2d=True)
    if data.shape[0] < int(0.4 * rate) + 1:
        return CrossCheck(None, None, None, None, "pyloudnorm needs at least 400 ms")
    if data.shape[1] > 5:
        return CrossCheck(None, None, None, None, "pyloudnorm measures at most 5 channels")
    if data.shape[1] == 4:
        # pyloudnorm weights channels by position as L R C Ls Rs; a 4-channel file is L R Ls Rs.
        return CrossCheck(None, None, None, None,
                          "pyloudnorm weights 4 channels as L R C Ls, not L R Ls Rs")
    meter = pyloudnorm.Meter(rate, filter_class="DeMan")
    samples = data[:, 0] if data.shape[1] == 1 else data
    with np.errstate(divide="ignore", invalid="ignore"):
        integrated = float(meter.integrated_loudness(samples))
        try:
            lra = float(meter.loudness_range(samples))
        except (ValueError, IndexError):
            lra = math.nan
    theirs_i = integrated if math.isfinite(integrated) else None
    theirs_r = lra if math.isfinite(lra) else None
    ours_i = ours.integrated_lufs if math.isfinite(ours.integrated_lufs) else None
    diff_i = ours_i - theirs_i if ours_i is not None and theirs_i is not None else None
    ours_r = ours.loudness_range_lu
    diff_r = ours_r - theirs_r if ours_r is not None and theirs_r is not None else None
    return CrossCheck(theirs_i, theirs_r, diff_i, diff_r, "pyloudnorm, De Man filters")
