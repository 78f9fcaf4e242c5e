"""The ping: latency to a hundredth of a sample, polarity, gain and smear, on loops whose
delay, gain and polarity are known."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from controller.audio.ping import measure, sweep

RATE = 48_000


def loop(stimulus: np.ndarray, *, delay: float, gain_db: float = 0.0, invert: bool = False,
         noise_dbfs: float = -90.0, length: int = 48_000, seed: int = 0) -> np.ndarray:
    """The stimulus through an ideal loop: a delay of any fraction of a sample (applied as a
    linear phase), a gain, a polarity and the noise floor of a converter."""
    n = 1 << 17
    spectrum = np.fft.rfft(stimulus, n)
    freqs = np.fft.rfftfreq(n, 1 / RATE)
    delayed = np.fft.irfft(spectrum * np.exp(-2j * np.pi * freqs * delay / RATE), n)[:length]
    out = delayed * 10 ** (gain_db / 20) * (-1 if invert else 1)
    rng = np.random.default_rng(seed)
    return out + rng.standard_normal(length) * 10 ** (noise_dbfs / 20)


@pytest.mark.parametrize("delay", [0.0, 37.0, 123.37, 511.5, 2048.91, 4097.03])
def test_latency_to_a_hundredth_of_a_sample(delay: float) -> None:
    stimulus = sweep(sample_rate=RATE)
    result = measure(stimulus, loop(stimulus, delay=delay), sample_rate=RATE)
    assert result.latency_samples == pytest.approx(delay, abs=0.01)
    assert result.latency_ms == pytest.approx(1000 * delay / RATE, abs=0.01 / 48)
    assert not result.inverted and not result.smeared
    assert result.gain_db == pytest.approx(0.0, abs=0.05)


def test_polarity_and_gain() -> None:
    stimulus = sweep(sample_rate=RATE)
    result = measure(stimulus, loop(stimulus, delay=250.25, gain_db=-6.0, invert=True,
                                    noise_dbfs=-80), sample_rate=RATE)
    assert result.inverted
    assert result.latency_samples == pytest.approx(250.25, abs=0.01)
    assert result.gain_db == pytest.approx(-6.0, abs=0.05)


def test_a_unit_left_in_circuit_smears_the_ping() -> None:
    stimulus = sweep(sample_rate=RATE)
    clean = loop(stimulus, delay=300.0)
    # A gentle EQ: a peaking filter of +6 dB at 1 kHz spreads the impulse over many samples.
    b, a = signal.iirpeak(1000.0, 2.0, fs=RATE)
    coloured = clean + 1.0 * signal.lfilter(b, a, clean)
    assert measure(stimulus, clean, sample_rate=RATE).purity > 0.999
    assert measure(stimulus, coloured, sample_rate=RATE).smeared


def test_bad_input_is_refused() -> None:
    stimulus = sweep(sample_rate=RATE)
    with pytest.raises(ValueError, match="at least as long"):
        measure(stimulus, stimulus[:100], sample_rate=RATE)
    with pytest.raises(ValueError, match="mono"):
        measure(stimulus, np.zeros((RATE, 2)), sample_rate=RATE)
