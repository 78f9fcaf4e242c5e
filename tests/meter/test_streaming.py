"""The live meter, fed blocks of any size, against the file analysis of the same frames."""

from __future__ import annotations

import numpy as np
import pytest

from controller.meter import LiveMeter, analyse
from controller.signals import music_like


def feed(meter: LiveMeter, x: np.ndarray, sizes: np.ndarray) -> None:
    start = 0
    for size in sizes:
        if start >= len(x):
            break
        meter.process(x[start : start + size])
        start += size
    if start < len(x):
        meter.process(x[start:])
    meter.flush()


@pytest.mark.parametrize("rate", [44_100, 48_000, 96_000])
@pytest.mark.parametrize("largest", [64, 1024, 20_000])
def test_live_matches_file_with_random_blocks(rate: int, largest: int) -> None:
    x = music_like(duration_s=12.0, sample_rate=rate, seed=3)
    rng = np.random.default_rng(largest)
    meter = LiveMeter(sample_rate=rate, channels=2)
    feed(meter, x, rng.integers(1, largest + 1, size=len(x)))
    live = meter.reading()
    whole = analyse(x, sample_rate=rate)
    assert live.frames == whole.frames
    assert live.integrated_lufs == pytest.approx(whole.integrated_lufs, abs=0.01)
    assert live.momentary_max_lufs == pytest.approx(whole.momentary_max_lufs, abs=0.01)
    assert live.short_term_max_lufs == pytest.approx(whole.short_term_max_lufs, abs=0.01)
    assert live.sample_peak_dbfs == pytest.approx(whole.sample_peak_dbfs, abs=0.01)
    # The file analysis also runs the interpolator past the last sample; the live meter
    # has not seen the end yet, so it may only read lower, never higher.
    assert whole.true_peak_dbtp - 0.01 <= live.true_peak_dbtp <= whole.true_peak_dbtp + 1e-9


def test_live_true_peak_matches_once_the_stream_has_moved_on() -> None:
    rate = 48_000
    x = music_like(duration_s=6.0, sample_rate=rate, seed=4)
    x = np.concatenate([x, np.zeros((rate, 2), dtype=np.float32)])
    meter = LiveMeter(sample_rate=rate, channels=2)
    feed(meter, x, np.full(len(x), 256))
    assert meter.reading().true_peak_dbtp == pytest.approx(
        analyse(x, sample_rate=rate).true_peak_dbtp, abs=0.01
    )


def test_readings_advance_at_the_update_rate() -> None:
    meter = LiveMeter(sample_rate=48_000, channels=2, update_hz=20)
    meter.process(np.full((2399, 2), 0.5, dtype=np.float32))
    assert meter.reading().frames == 0  # not yet a whole 50 ms
    meter.process(np.full((1, 2), 0.5, dtype=np.float32))
    assert meter.reading().frames == 2400
    meter.process(np.full((100, 2), 0.5, dtype=np.float32))
    meter.flush()
    assert meter.reading().frames == 2500


def test_reading_before_400_ms_has_no_momentary() -> None:
    meter = LiveMeter(sample_rate=48_000, channels=2)
    meter.process(np.full((4800, 2), 0.1, dtype=np.float32))
    reading = meter.reading()
    assert reading.momentary_lufs is None and reading.short_term_lufs is None
    assert reading.integrated_lufs == float("-inf")
    assert reading.sample_peak_dbfs == pytest.approx(-20.0, abs=1e-4)


def test_live_meter_refuses_the_wrong_channel_count() -> None:
    meter = LiveMeter(sample_rate=48_000, channels=2)
    with pytest.raises(ValueError, match="frames, 2"):
        meter.process(np.zeros((256, 3), dtype=np.float32))


def test_a_nan_block_is_refused_and_the_meter_carries_on() -> None:
    from controller.meter import NonFiniteSampleError

    meter = LiveMeter(sample_rate=48_000, channels=2)
    meter.process(np.full((1000, 2), 0.1, dtype=np.float32))
    bad = np.full((256, 2), 0.1, dtype=np.float32)
    bad[10, 1] = np.nan
    with pytest.raises(NonFiniteSampleError, match="channel 2 at frame 1010"):
        meter.process(bad)
    meter.process(np.full((48_000, 2), 0.1, dtype=np.float32))
    meter.flush()
    assert meter.reading().frames == 49_000
    assert meter.reading().sample_peak_dbfs == pytest.approx(-20.0, abs=1e-4)
