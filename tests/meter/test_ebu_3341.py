"""EBU Tech 3341 minimum requirements, synthesised at 44.1, 48, 96 and 192 kHz."""

from __future__ import annotations

import numpy as np
import pytest

from controller.meter import LiveMeter, analyse
from tests.conftest import RATES
from tests.signals import burst, faded_sine, sequence, tone

TOLERANCE = 0.1


def near(value: float | None, expected: float, tolerance: float = TOLERANCE) -> bool:
    return value is not None and abs(value - expected) <= tolerance


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("level", [-23.0, -33.0])
def test_cases_1_and_2_steady_tone_reads_its_level(rate: int, level: float) -> None:
    m = analyse(tone(level, 20.0, rate), sample_rate=rate, curves=True)
    assert near(m.integrated_lufs, level)
    assert near(m.momentary_max_lufs, level) and near(m.short_term_max_lufs, level)
    # M and S read the level at every point, not only at their maxima.
    assert np.all(np.abs(m.momentary_curve.lufs - level) <= TOLERANCE)
    assert np.all(np.abs(m.short_term_curve.lufs - level) <= TOLERANCE)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(
    "parts",
    [
        [(-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0)],  # case 3: relative gate
        [(-72.0, 10.0), (-36.0, 10.0), (-23.0, 60.0), (-36.0, 10.0), (-72.0, 10.0)],  # case 4
        [(-26.0, 20.0), (-20.0, 20.1), (-26.0, 20.0)],  # case 5
    ],
    ids=["case3", "case4", "case5"],
)
def test_cases_3_to_5_gating(rate: int, parts: list[tuple[float, float]]) -> None:
    assert near(analyse(sequence(parts, rate), sample_rate=rate).integrated_lufs, -23.0)


@pytest.mark.parametrize("rate", RATES)
def test_case_6_five_channels_weight_the_surrounds(rate: int) -> None:
    levels = [-28.0, -28.0, -24.0, -30.0, -30.0]  # L R C Ls Rs
    x = np.concatenate([tone(level, 20.0, rate, channels=1) for level in levels], axis=1)
    assert near(analyse(x, sample_rate=rate).integrated_lufs, -23.0)


@pytest.mark.parametrize("rate", RATES)
def test_case_9_short_term_is_constant_after_3_s(rate: int) -> None:
    x = sequence([(-20.0, 1.34), (-30.0, 1.66)] * 5, rate)
    m = analyse(x, sample_rate=rate, curves=True)
    assert np.all(np.abs(m.short_term_curve.lufs - -23.0) <= TOLERANCE)
    assert m.short_term_curve.times_s[0] == pytest.approx(3.0)


@pytest.mark.parametrize("rate", RATES)
def test_case_10_max_short_term_whatever_the_offset(rate: int) -> None:
    for i in range(20):
        x = sequence([(None, i * 0.15), (-23.0, 3.0), (None, 1.0)], rate)
        assert near(analyse(x, sample_rate=rate).short_term_max_lufs, -23.0), i


@pytest.mark.parametrize("rate", RATES)
def test_case_11_live_short_term_maxima(rate: int) -> None:
    meter = LiveMeter(sample_rate=rate, channels=2)
    for i in range(20):
        meter.process(sequence([(None, i * 0.15), (-38.0 + i, 3.0), (None, 3.0 - i * 0.15)], rate))
        meter.flush()
        assert near(meter.reading().short_term_max_lufs, -38.0 + i), i


@pytest.mark.parametrize("rate", RATES)
def test_case_12_momentary_is_constant_after_1_s(rate: int) -> None:
    x = sequence([(-20.0, 0.18), (-30.0, 0.22)] * 25, rate)
    m = analyse(x, sample_rate=rate, curves=True)
    after = m.momentary_curve.times_s >= 1.0
    assert after.sum() > 50
    assert np.all(np.abs(m.momentary_curve.lufs[after] - -23.0) <= TOLERANCE)


@pytest.mark.parametrize("rate", RATES)
def test_case_13_max_momentary_whatever_the_offset(rate: int) -> None:
    for i in range(20):
        x = sequence([(None, i * 0.02), (-23.0, 0.4), (None, 1.0)], rate)
        assert near(analyse(x, sample_rate=rate).momentary_max_lufs, -23.0), i


@pytest.mark.parametrize("rate", RATES)
def test_case_14_live_momentary_maxima(rate: int) -> None:
    meter = LiveMeter(sample_rate=rate, channels=2)
    for i in range(20):
        meter.process(sequence([(None, i * 0.02), (-38.0 + i, 0.4), (None, 0.4 - i * 0.02)], rate))
        meter.flush()
        assert near(meter.reading().momentary_max_lufs, -38.0 + i), i


def true_peak_ok(value: float, expected: float) -> bool:
    return expected - 0.4 <= value <= expected + 0.2


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(
    ("divisor", "amplitude", "phase", "expected"),
    [(4, 0.5, 0.0, -6.0), (4, 0.5, 45.0, -6.0), (6, 0.5, 60.0, -6.0), (8, 0.5, 67.5, -6.0),
     (4, 1.41, 45.0, 3.0)],
    ids=["case15", "case16", "case17", "case18", "case19"],
)
def test_cases_15_to_19_true_peak_of_sines(
    rate: int, divisor: int, amplitude: float, phase: float, expected: float
) -> None:
    x = faded_sine(rate, freq=rate / divisor, amplitude=amplitude, phase_deg=phase)
    m = analyse(x, sample_rate=rate)
    assert true_peak_ok(m.true_peak_dbtp, expected), m.true_peak_dbtp
    # A type-I interpolator lands exactly on the sine's crest in these cases.
    assert m.true_peak_dbtp == pytest.approx(20 * np.log10(amplitude), abs=0.02)


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("offset", [0, 1, 2, 3], ids=["case20", "case21", "case22", "case23"])
def test_cases_20_to_23_true_peak_of_a_burst(rate: int, offset: int) -> None:
    m = analyse(burst(rate, offset=offset), sample_rate=rate)
    assert true_peak_ok(m.true_peak_dbtp, 0.0), m.true_peak_dbtp
    # Never below the sample peak, whatever the interpolator's rounding.
    assert m.true_peak_dbtp >= m.sample_peak_dbfs


@pytest.mark.parametrize("rate", RATES)
def test_calibration_tone_at_minus_18(rate: int) -> None:
    assert near(analyse(tone(-18.0, 10.0, rate), sample_rate=rate).integrated_lufs, -18.0)
