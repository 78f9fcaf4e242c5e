"""`outboard compare`: the null test between two prints, headless and through the command."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from scipy import signal

from controller.compare import (
    Comparison,
    compare_arrays,
    compare_files,
    comparison_json,
    differing_bands,
)
from controller.compare_bands import OCTAVES
from controller.errors import InputError
from controller.signals import music_like
from tui.cli import main

RATE = 48_000
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def mix() -> np.ndarray:
    """A 10 s print as a converter delivers it: band-limited to 20 kHz, faded in and out,
    with 0.2 s of silence either side; float64, shape=(frames, 2)."""
    x = music_like(duration_s=10.0, sample_rate=RATE, seed=4).astype(np.float64)
    x = signal.sosfiltfilt(signal.butter(10, 20_000, fs=RATE, output="sos"), x, axis=0)
    fade = round(0.05 * RATE)
    ramp = 0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)
    x[:fade] *= ramp[:, None]
    x[-fade:] *= ramp[::-1, None]
    pad = np.zeros((round(0.2 * RATE), 2))
    return np.concatenate([pad, x, pad])


def delayed(x: np.ndarray, frames: float) -> np.ndarray:
    """``x`` later by ``frames`` (a fraction allowed): a linear-phase shift, same length."""
    size = 1 << math.ceil(math.log2(x.shape[0] + 4096))
    spectrum = np.fft.rfft(x, size, axis=0)
    spectrum *= np.exp(-2j * np.pi * np.fft.rfftfreq(size) * frames)[:, None]
    return np.fft.irfft(spectrum, size, axis=0)[: x.shape[0]]


def bell(x: np.ndarray, *, hz: float, gain_db: float, q: float) -> np.ndarray:
    """A peaking equaliser (RBJ cookbook) on every channel."""
    amp = 10.0 ** (gain_db / 40.0)
    w0 = 2.0 * np.pi * hz / RATE
    alpha = np.sin(w0) / (2.0 * q)
    b = [1 + alpha * amp, -2 * np.cos(w0), 1 - alpha * amp]
    a = [1 + alpha / amp, -2 * np.cos(w0), 1 - alpha / amp]
    return signal.lfilter(b, a, x, axis=0)


def octave(c: Comparison, centre: float) -> float:
    return next(b.level_db for b in c.residual_octaves if b.centre_hz == centre)


def third(c: Comparison, centre: float) -> float:
    return next(b.level_db for b in c.spectrum_difference if b.centre_hz == centre)


def test_a_fractional_delay_is_found_to_a_hundredth_of_a_sample(mix: np.ndarray) -> None:
    c = compare_arrays(mix, delayed(mix, 37.3), sample_rate=RATE)
    assert c.offset_samples == pytest.approx(37.3, abs=0.01)
    assert c.offset_ms == pytest.approx(37.3 / 48, abs=0.001)
    assert not c.inverted and c.drift_ppm == 0.0
    assert c.gain_db == pytest.approx(0.0, abs=0.001)
    assert c.null_depth_db < -100.0
    assert c.channels == 2 and c.sample_rate == RATE
    # The overlap less 0.1 s at each end.
    assert c.frames == pytest.approx(mix.shape[0] - 38 - 2 * 4800, abs=2)


def test_b_earlier_than_a(mix: np.ndarray) -> None:
    c = compare_arrays(mix, delayed(mix, -250.25)[:-1000], sample_rate=RATE)
    assert c.offset_samples == pytest.approx(-250.25, abs=0.01)
    assert c.null_depth_db < -100.0


def test_polarity_and_gain(mix: np.ndarray) -> None:
    quieter = -(10.0 ** (-1.25 / 20.0)) * delayed(mix, 5.5)  # 1.25 dB down, inverted
    c = compare_arrays(mix, quieter, sample_rate=RATE)
    assert c.inverted
    assert c.gain_db == pytest.approx(1.25, abs=0.01)  # the gain B needs to match A
    assert c.offset_samples == pytest.approx(5.5, abs=0.01)
    assert c.null_depth_db < -100.0
    # As given, B is 1.25 dB down: the loudness and true-peak deltas say so.
    assert c.loudness_delta_lu == pytest.approx(-1.25, abs=0.02)
    assert c.true_peak_delta_db == pytest.approx(-1.25, abs=0.05)
    assert c.range_delta_lu == pytest.approx(0.0, abs=0.1)
    assert all(abs(b.level_db + 1.25) < 0.01 for b in c.spectrum_difference)


def test_clock_drift_is_measured_and_corrected(mix: np.ndarray) -> None:
    frames = round(mix.shape[0] * (1 + 50e-6))  # B's clock 50 ppm fast: more frames
    drifting = signal.resample(mix, frames, axis=0)
    c = compare_arrays(mix, drifting, sample_rate=RATE)
    true_ppm = (frames / mix.shape[0] - 1) * 1e6
    assert c.drift_ppm == pytest.approx(true_ppm, abs=2.0)
    assert c.drift_ppm == pytest.approx(true_ppm, abs=0.01)  # in fact much closer
    assert c.offset_samples == pytest.approx(0.0, abs=0.01)
    assert c.null_depth_db < -50.0


def test_an_identical_pair_nulls_to_the_float_floor(mix: np.ndarray) -> None:
    c = compare_arrays(mix, mix.copy(), sample_rate=RATE)
    assert c.null_depth_db < -100.0
    assert c.offset_samples == pytest.approx(0.0, abs=1e-6)
    assert c.drift_ppm == 0.0 and not c.inverted
    assert c.residual_lufs is None  # below the absolute gate
    assert c.loudness_delta_lu == 0.0 and c.true_peak_delta_db == 0.0
    assert all(b.level_db < -100.0 for b in c.residual_octaves)
    json.dumps(comparison_json(c), allow_nan=False)


def test_an_equaliser_change_shows_in_its_octave(mix: np.ndarray) -> None:
    c = compare_arrays(mix, bell(mix, hz=1000.0, gain_db=3.0, q=1.0), sample_rate=RATE)
    worst = max(c.residual_octaves, key=lambda b: b.level_db)
    assert worst.centre_hz == 1000.0
    assert octave(c, 1000.0) > -15.0
    assert octave(c, 63.0) < -25.0 and octave(c, 8000.0) < -25.0
    named = [b.centre_hz for b in differing_bands(c, threshold_db=-20.0)]
    assert 1000.0 in named and 63.0 not in named and 8000.0 not in named
    assert third(c, 1000.0) == pytest.approx(3.0, abs=0.3)
    assert abs(third(c, 63.0)) < 0.2 and abs(third(c, 8000.0)) < 0.2
    assert -30.0 < c.null_depth_db < -15.0


def test_a_click_shows_where_it_happened(mix: np.ndarray) -> None:
    b = mix.copy()
    at = round(5.0 * RATE)
    b[at : at + 48] += 0.25 * np.hanning(48)[:, None]
    c = compare_arrays(mix, b, sample_rate=RATE)
    blocks = np.array(c.residual_over_time)
    worst = int(np.argmax(blocks))
    start_s = (c.start_frame + worst * 0.4 * RATE) / RATE
    assert start_s <= 5.0 < start_s + 0.4
    assert blocks[worst] > np.median(blocks) + 40.0
    assert c.residual_true_peak_dbtp == pytest.approx(20 * math.log10(0.25), abs=0.5)
    assert len(blocks) == c.frames // round(0.4 * RATE)


def test_bands_and_json(mix: np.ndarray) -> None:
    c = compare_arrays(mix, 0.5 * mix, sample_rate=RATE)
    assert tuple(b.centre_hz for b in c.residual_octaves) == OCTAVES
    assert len(c.spectrum_difference) == 31  # 20 Hz to 20 kHz
    for b in c.residual_octaves:
        assert b.low_hz < b.centre_hz * 1.01 and b.high_hz > b.centre_hz * 0.99
    document = comparison_json(c)
    assert document["gain_db"] == pytest.approx(6.0206, abs=1e-3)
    for key in ("offset_samples", "offset_ms", "inverted", "drift_ppm", "null_depth_db",
                "residual_rms_dbfs", "residual_lufs", "residual_true_peak_dbtp",
                "residual_octaves", "residual_over_time", "loudness_delta_lu",
                "true_peak_delta_db", "range_delta_lu", "spectrum_difference", "frames"):
        assert key in document, key
    json.dumps(document, allow_nan=False)


@pytest.mark.parametrize(("b", "message"), [
    (lambda m: m[:, :1], "channels"),
    (lambda m: m[: RATE // 2], "too short"),
    (lambda m: np.zeros_like(m), "silent"),
    (lambda m: np.where(np.arange(m.shape[0])[:, None] == 1000, np.nan, m), "non-finite"),
    (lambda m: np.random.default_rng(1).standard_normal(m.shape) * 0.1, "does not line up"),
])
def test_refusals(mix: np.ndarray, b, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        compare_arrays(mix, b(mix), sample_rate=RATE)


def test_a_search_too_narrow_finds_nothing(mix: np.ndarray) -> None:
    with pytest.raises(ValueError, match="does not line up"):
        compare_arrays(mix, delayed(mix, 0.3 * RATE), sample_rate=RATE, max_offset_s=0.1)


# The command ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def prints(mix: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("prints")
    a, b = folder / "a.wav", folder / "b.wav"
    sf.write(str(a), mix, RATE, subtype="PCM_24")
    sf.write(str(b), -0.8 * delayed(mix, 120.6), RATE, subtype="PCM_24")
    return a, b


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_prints_one_json_object(capsys, prints: tuple[Path, Path]) -> None:
    a, b = prints
    code, out, err = run(capsys, "compare", str(a), str(b), "--json")
    assert code == 0 and err == ""
    [line] = out.splitlines()
    document = json.loads(line)
    assert document["a"] == str(a) and document["b"] == str(b)
    assert document["offset_samples"] == pytest.approx(120.6, abs=0.01)
    assert document["inverted"] is True
    assert document["gain_db"] == pytest.approx(1.9382, abs=0.01)
    assert document["null_depth_db"] < -80.0  # 24-bit files: quantisation sets the floor
    assert document["differing_bands"] == []


def test_the_report(capsys, prints: tuple[Path, Path]) -> None:
    a, b = prints
    code, out, _ = run(capsys, "compare", str(a), str(b), "--max-offset", "0.5")
    assert code == 0
    assert "+120.60 samples (+2.51" in out and "ms) B later" in out
    assert "inverted" in out and "Null depth" in out and "Worst 400 ms" in out
    assert "1 kHz" in out and "No octave band's residual stands above -30 dB" in out


def test_files_in_memory_and_on_disk_agree(prints: tuple[Path, Path]) -> None:
    c = compare_files(*prints)
    assert c.offset_samples == pytest.approx(120.6, abs=0.01)


@pytest.mark.parametrize("argv", [
    ("missing.wav", "{b}"),
    ("{a}", "missing.wav"),
    ("{a}", "{rate}"),
    ("{a}", "{mono}"),
    ("{a}", "{b}", "--max-offset", "-1"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path: Path, prints: tuple[Path, Path],
                                          argv: tuple[str, ...]) -> None:
    a, b = prints
    other_rate, mono = tmp_path / "rate.wav", tmp_path / "mono.wav"
    sf.write(str(other_rate), np.zeros((44_100 * 2, 2)), 44_100)
    sf.write(str(mono), np.zeros((RATE * 2, 1)), RATE)
    names = {"a": a, "b": b, "rate": other_rate, "mono": mono}
    args = [part.format(**names) for part in argv]
    args = [str(tmp_path / part) if part == "missing.wav" else part for part in args]
    code, out, err = run(capsys, "compare", *args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and err.startswith("outboard: ")
    if "missing.wav" in argv:
        assert "missing.wav: no such file" in err
    if "{rate}" in argv:
        assert "44100 Hz" in err and "48000 Hz" in err
    if "{mono}" in argv:
        assert "channels" in err


def test_a_corrupt_file_is_named(capsys, tmp_path: Path, prints: tuple[Path, Path]) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    with pytest.raises(InputError, match="broken.wav"):
        compare_files(prints[0], broken)


def test_the_benchmark_runs_short() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compare.py"), "--seconds", "4",
         "--json"], capture_output=True, text=True, check=False, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["offset_samples"] == pytest.approx(report["true_offset_samples"], abs=0.01)
    assert report["drift_ppm"] == pytest.approx(20.0, abs=0.5)
    assert report["compare_s"] > 0 and report["correlate_s"] > 0
    assert report["peak_memory_mb"] > 0 and report["x_real_time"] > 0
