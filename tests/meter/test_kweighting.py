"""K-weighting at every rate from 32 to 192 kHz against the published 48 kHz response."""

from __future__ import annotations

import numpy as np
import pytest

from controller.meter import k_weighting_sos
from controller.meter.kweighting import REFERENCE_SOS, response_db


def test_48k_is_the_published_filter() -> None:
    np.testing.assert_array_equal(k_weighting_sos(48_000), REFERENCE_SOS)


def test_48k_response_matches_bs1770_table() -> None:
    freqs = np.array([20.0, 50.0, 100.0, 997.0, 2000.0, 10_000.0])
    gains = response_db(REFERENCE_SOS, sample_rate=48_000, frequencies=freqs)
    np.testing.assert_allclose(gains, [-13.28, -3.93, -1.13, 0.691, 3.07, 4.04], atol=0.02)


@pytest.mark.parametrize("rate", [32_000, 44_100, 88_200, 96_000, 176_400, 192_000])
def test_response_within_0_01_db_of_48k(rate: int) -> None:
    freqs = np.geomspace(10.0, min(20_000.0, 0.45 * rate), 2000)
    ours = response_db(k_weighting_sos(rate), sample_rate=rate, frequencies=freqs)
    reference = response_db(REFERENCE_SOS, sample_rate=48_000, frequencies=freqs)
    assert np.max(np.abs(ours - reference)) < 0.01


def test_a_rate_that_cannot_be_metered_is_refused() -> None:
    with pytest.raises(ValueError, match="sample rate"):
        k_weighting_sos(1000)
