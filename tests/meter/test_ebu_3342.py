"""EBU Tech 3342 loudness range cases 1-4, at 44.1, 48, 96 and 192 kHz."""

from __future__ import annotations

import pytest

from controller.meter import analyse
from tests.conftest import RATES
from tests.signals import sequence


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize(
    ("levels", "expected"),
    [([-20.0, -30.0], 10.0), ([-20.0, -15.0], 5.0), ([-40.0, -20.0], 20.0),
     ([-50.0, -35.0, -20.0, -35.0, -50.0], 15.0)],
    ids=["case1", "case2", "case3", "case4"],
)
def test_loudness_range(rate: int, levels: list[float], expected: float) -> None:
    x = sequence([(level, 20.0) for level in levels], rate)
    m = analyse(x, sample_rate=rate)
    assert m.loudness_range_lu == pytest.approx(expected, abs=1.0)
    # Our meter is far inside the standard's +/-1 LU on these tones.
    assert m.loudness_range_lu == pytest.approx(expected, abs=0.05)


@pytest.mark.parametrize("rate", [48_000])
def test_repeating_the_signal_does_not_change_the_range(rate: int) -> None:
    once = sequence([(-20.0, 20.0), (-30.0, 20.0)], rate)
    twice = sequence([(-20.0, 20.0), (-30.0, 20.0)] * 2, rate)
    a = analyse(once, sample_rate=rate).loudness_range_lu
    b = analyse(twice, sample_rate=rate).loudness_range_lu
    assert a == pytest.approx(b, abs=0.1)
