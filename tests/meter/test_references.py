"""Integrated loudness beside pyloudnorm (De Man filters) and libebur128."""

from __future__ import annotations

import numpy as np
import pyebur128
import pyloudnorm
import pytest
from scipy import signal

from controller.meter import analyse
from controller.signals import music_like


def pink_noise(seconds: float, rate: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    white = rng.standard_normal((int(seconds * rate), 2))
    # Paul Kellet's economy pink filter, as a single IIR.
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    return 0.05 * signal.lfilter(b, a, white, axis=0)


def programmes(rate: int) -> dict[str, np.ndarray]:
    return {
        "pink": pink_noise(20.0, rate, 1),
        "white": 0.1 * np.random.default_rng(2).standard_normal((20 * rate, 2)),
        "music": music_like(duration_s=40.0, sample_rate=rate, seed=5).astype(np.float64),
    }


@pytest.mark.parametrize("rate", [44_100, 48_000, 96_000])
def test_integrated_within_0_05_lu_of_pyloudnorm(rate: int) -> None:
    meter = pyloudnorm.Meter(rate, filter_class="DeMan")
    for name, x in programmes(rate).items():
        ours = analyse(x, sample_rate=rate).integrated_lufs
        theirs = meter.integrated_loudness(x)
        assert ours == pytest.approx(theirs, abs=0.05), name


@pytest.mark.parametrize("rate", [44_100, 48_000])
def test_integrated_and_true_peak_beside_libebur128(rate: int) -> None:
    x = music_like(duration_s=30.0, sample_rate=rate, seed=6).astype(np.float64)
    mode = pyebur128.MeasurementMode
    state = pyebur128.R128State(2, rate, mode.MODE_I | mode.MODE_TRUE_PEAK)
    flat = np.ascontiguousarray(x).ravel()
    state.add_frames(flat, len(x))
    ours = analyse(x, sample_rate=rate)
    assert ours.integrated_lufs == pytest.approx(pyebur128.get_loudness_global(state), abs=0.02)
    theirs_tp = 20 * np.log10(max(pyebur128.get_true_peak(state, c) for c in range(2)))
    # libebur128's shorter interpolator droops at the top of the band: ours may read a
    # little higher, never lower by more than rounding.
    assert theirs_tp - 0.02 <= ours.true_peak_dbtp <= theirs_tp + 0.3
