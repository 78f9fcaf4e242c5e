"""The other meters: RMS, crest, DC, correlation, clipping, mono loss, PLR/PSR, edge cases."""

from __future__ import annotations

import numpy as np
import pytest

from controller.meter import STATUS_OK, STATUS_SILENT, STATUS_TOO_SHORT, analyse
from tests.signals import sequence, tone

RATE = 48_000


def test_rms_and_crest_of_a_full_scale_sine() -> None:
    m = analyse(tone(0.0, 5.0, RATE), sample_rate=RATE)
    ch = m.per_channel[0]
    assert ch.rms_dbfs == pytest.approx(-3.0103, abs=1e-3)  # plain RMS, not AES17
    assert ch.crest_factor_db == pytest.approx(3.0103, abs=1e-3)
    assert m.sample_peak_dbfs == pytest.approx(0.0, abs=1e-6)


def test_dc_offset_is_the_mean_per_channel() -> None:
    x = tone(-20.0, 3.0, RATE)
    x[:, 0] += 0.01
    x[:, 1] -= 0.002
    m = analyse(x, sample_rate=RATE)
    assert m.per_channel[0].dc_offset == pytest.approx(0.01, abs=1e-6)
    assert m.per_channel[1].dc_offset == pytest.approx(-0.002, abs=1e-6)


@pytest.mark.parametrize(("right_sign", "expected"), [(1.0, 1.0), (-1.0, -1.0)])
def test_correlation_of_mono_and_inverted(right_sign: float, expected: float) -> None:
    x = tone(-20.0, 3.0, RATE)
    x[:, 1] *= right_sign
    m = analyse(x, sample_rate=RATE)
    assert m.correlation == pytest.approx(expected, abs=1e-9)
    assert m.correlation_min == pytest.approx(expected, abs=1e-9)


def test_correlation_min_finds_a_short_out_of_phase_passage() -> None:
    x = tone(-20.0, 10.0, RATE)
    x[4 * RATE : 5 * RATE, 1] *= -1.0  # one second with the right channel inverted
    m = analyse(x, sample_rate=RATE)
    assert m.correlation == pytest.approx(0.8, abs=0.01)
    assert m.correlation_min == pytest.approx(-1.0, abs=1e-6)


def test_mono_loss() -> None:
    same = analyse(tone(-20.0, 5.0, RATE), sample_rate=RATE)
    assert same.mono_loss_db == pytest.approx(0.0, abs=1e-6)
    noise = np.random.default_rng(0).standard_normal((5 * RATE, 2)) * 0.05
    assert analyse(noise, sample_rate=RATE).mono_loss_db == pytest.approx(-3.01, abs=0.1)
    opposed = tone(-20.0, 5.0, RATE)
    opposed[:, 1] *= -1.0
    assert analyse(opposed, sample_rate=RATE).mono_loss_db == float("-inf")  # the mid is silent


def test_clipped_runs_of_three_or_more_only() -> None:
    x = np.zeros((RATE, 2))
    x[1000:1002, 0] = 1.0  # two samples: not a clip
    x[2000:2003, 0] = 1.0  # three: a clip
    x[3000:3010, 1] = -1.0  # ten, negative
    m = analyse(x, sample_rate=RATE)
    assert [c.clipped_runs for c in m.per_channel] == [1, 1]
    assert [c.clipped_samples for c in m.per_channel] == [3, 10]
    assert (m.clipped_runs, m.clipped_samples) == (2, 13)


def test_clipped_run_across_block_boundaries_counts_once() -> None:
    from controller.meter import LiveMeter

    x = np.zeros((10_000, 2), dtype=np.float32)
    x[2398:2404, 0] = 1.0  # straddles the live meter's 50 ms update boundary
    meter = LiveMeter(sample_rate=RATE, channels=2)
    for start in range(0, len(x), 5):
        meter.process(x[start : start + 5])
    meter.flush()
    assert meter.reading().clipped_samples == 6
    assert analyse(x, sample_rate=RATE).clipped_samples == 6


def test_plr_and_psr_of_a_steady_sine() -> None:
    m = analyse(tone(-20.0, 10.0, RATE), sample_rate=RATE)
    # Stereo 1 kHz at -20 dBFS reads -20 LUFS (+0.007 at 1000 Hz) with a -20 dBTP peak.
    assert m.plr_db == pytest.approx(0.0, abs=0.02)
    assert m.psr_max_db == pytest.approx(0.0, abs=0.02)
    assert m.psr_min_db == pytest.approx(0.0, abs=0.02)


def test_psr_follows_the_quietest_and_loudest_windows() -> None:
    x = sequence([(-10.0, 6.0), (-30.0, 6.0)], RATE)
    x[int(8.0 * RATE), :] = 0.5  # a -6 dBFS spike in the quiet part
    m = analyse(x, sample_rate=RATE)
    assert m.psr_max_db == pytest.approx(-6.0 - -30.0, abs=0.3)
    assert m.psr_min_db == pytest.approx(0.0, abs=0.05)


def test_mono_file_is_one_channel() -> None:
    mono = tone(-20.0, 5.0, RATE, channels=1)
    m = analyse(mono[:, 0], sample_rate=RATE)
    assert m.channels == 1 and m.correlation is None and m.mono_loss_db is None
    assert m.integrated_lufs == pytest.approx(-23.0, abs=0.02)  # 3 dB under dual mono


def test_lfe_is_excluded_in_5_1() -> None:
    x = np.concatenate([tone(-30.0, 10.0, RATE, channels=1)] * 6, axis=1)
    without_lfe = x.copy()
    without_lfe[:, 3] = 0.0
    a = analyse(x, sample_rate=RATE).integrated_lufs
    assert a == pytest.approx(analyse(without_lfe, sample_rate=RATE).integrated_lufs, abs=1e-9)


def test_seven_channels_are_refused() -> None:
    with pytest.raises(ValueError, match="7 channels"):
        analyse(np.zeros((RATE, 7)), sample_rate=RATE)


def test_silence_is_minus_infinity_with_a_status() -> None:
    m = analyse(np.zeros((5 * RATE, 2)), sample_rate=RATE)
    assert m.status == STATUS_SILENT and "no 400 ms block" in m.status_detail
    assert m.integrated_lufs == float("-inf") and m.true_peak_dbtp == float("-inf")
    assert m.loudness_range_lu is None and m.plr_db is None and m.correlation is None


def test_shorter_than_400_ms_is_a_valid_report() -> None:
    m = analyse(tone(-20.0, 0.3, RATE), sample_rate=RATE)
    assert m.status == STATUS_TOO_SHORT
    assert m.integrated_lufs == float("-inf") and m.momentary_max_lufs is None
    assert m.sample_peak_dbfs == pytest.approx(-20.0, abs=0.01)


def test_between_400_ms_and_3_s_has_no_short_term() -> None:
    m = analyse(tone(-20.0, 1.0, RATE), sample_rate=RATE)
    assert m.status == STATUS_OK and "3 s" in m.status_detail
    assert m.short_term_max_lufs is None
    assert m.integrated_lufs == pytest.approx(-19.99, abs=0.02)


def test_integer_input_is_scaled_to_full_scale() -> None:
    x = (tone(-6.0, 2.0, RATE) * 32767).astype(np.int16)
    m = analyse(x, sample_rate=RATE)
    assert m.sample_peak_dbfs == pytest.approx(-6.0, abs=0.01)


def test_a_nan_sample_is_refused_with_its_place() -> None:
    from controller.meter import NonFiniteSampleError

    x = tone(-20.0, 3.0, RATE)
    x[RATE + 5, 1] = np.nan
    with pytest.raises(NonFiniteSampleError, match=r"channel 2 at frame 48005 \(1.000 s\)"):
        analyse(x, sample_rate=RATE)


def test_loudness_curves_at_10_hz() -> None:
    m = analyse(tone(-23.0, 10.0, RATE), sample_rate=RATE, curves=True)
    np.testing.assert_allclose(np.diff(m.momentary_curve.times_s), 0.1)
    assert m.momentary_curve.times_s[0] == pytest.approx(0.4)
    assert m.short_term_curve.times_s[0] == pytest.approx(3.0)
    assert m.short_term_curve.times_s[-1] == pytest.approx(10.0)
