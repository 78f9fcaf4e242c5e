"""Time `compare_files` on two 5-minute stereo 96 kHz prints, against the bare correlation.

Print A: the synthetic mix made at 48 kHz and resampled to 96 kHz (as band-limited as a
print of a 48 kHz mix). Print B: A later by 12.37 samples, 0.5 dB down, on a clock 20 ppm
fast (``scipy.signal.resample_poly`` by 50001/50000, not the resampler compare corrects
with), plus white noise at -100 dBFS RMS. Both are written as 24-bit WAVs to a temporary
folder. Each comparison runs in a child process of its own, which reports its time and its
peak resident memory (VmHWM, the interpreter and imports included); the best of the runs
counts. The reference, in the same run: what ``scipy.signal.correlate(method="fft")``
alone takes to cross-correlate the two files' full-rate mono sums (float64), the step a
plain null-test tool starts with; the ratio shows what the whole comparison costs over it.
"""

from __future__ import annotations

import os
import sys

# Run as `python benchmarks/compare.py`, this file's folder comes first on sys.path: take it
# off, so that no benchmark module stands in for a package.
if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse
import json
import math
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

RATE = 96_000
SOURCE_RATE = 48_000
DELAY_SAMPLES = 12.37
GAIN_DB = -0.5
DRIFT_UP, DRIFT_DOWN = 50_001, 50_000  # +20 ppm exactly
NOISE_DBFS = -100.0
RUNS = 2


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything the benchmark reports; ``--json`` prints it as it stands."""

    seconds: float
    sample_rate: int
    runs: int
    generate_s: float
    compare_s: float
    x_real_time: float
    peak_memory_mb: float
    correlate_s: float
    correlate_peak_memory_mb: float
    ratio_vs_correlate: float
    offset_samples: float
    true_offset_samples: float
    drift_ppm: float
    true_drift_ppm: float
    gain_db: float
    null_depth_db: float | None
    residual_rms_dbfs: float | None


def make_prints(folder: Path, seconds: float) -> tuple[Path, Path]:
    """Write print A and print B (see the module's docstring); returns their paths."""
    import soxr
    from scipy import signal

    from controller.signals import music_like

    a = soxr.resample(music_like(duration_s=seconds, sample_rate=SOURCE_RATE), SOURCE_RATE,
                      RATE, quality="VHQ")
    path_a, path_b = folder / "a.wav", folder / "b.wav"
    sf.write(str(path_a), a, RATE, subtype="PCM_24")
    size = 1 << math.ceil(math.log2(a.shape[0] + 4096))
    ramp = np.exp(-2j * np.pi * np.fft.rfftfreq(size) * DELAY_SAMPLES)
    b = np.empty(a.shape)
    for channel in range(a.shape[1]):
        spectrum = np.fft.rfft(a[:, channel].astype(np.float64), size) * ramp
        b[:, channel] = np.fft.irfft(spectrum, size)[: a.shape[0]]
        del spectrum
    del a, ramp
    b *= 10.0 ** (GAIN_DB / 20.0)
    b = signal.resample_poly(b, DRIFT_UP, DRIFT_DOWN, axis=0, window=("kaiser", 10.0))
    b += np.random.default_rng(7).standard_normal(b.shape) * 10.0 ** (NOISE_DBFS / 20.0)
    sf.write(str(path_b), b, RATE, subtype="PCM_24")
    return path_a, path_b


def peak_memory_mb() -> float:
    """This process's peak resident memory (VmHWM), in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return math.nan


def child_compare(a: str, b: str) -> dict[str, Any]:
    from controller.compare import compare_files

    started = time.perf_counter()
    c = compare_files(Path(a), Path(b))
    elapsed = time.perf_counter() - started

    def finite(value: float | None) -> float | None:
        return None if value is None or not math.isfinite(value) else value

    return {"seconds": elapsed, "peak_memory_mb": peak_memory_mb(),
            "offset_samples": c.offset_samples, "drift_ppm": c.drift_ppm,
            "gain_db": c.gain_db, "null_depth_db": finite(c.null_depth_db),
            "residual_rms_dbfs": finite(c.residual_rms_dbfs)}


def child_correlate(a: str, b: str, runs: int) -> dict[str, Any]:
    from scipy import signal

    mono_a = sf.read(a, dtype="float64", always_2d=True)[0].sum(axis=1)
    mono_b = sf.read(b, dtype="float64", always_2d=True)[0].sum(axis=1)
    best = math.inf
    for _ in range(runs):
        started = time.perf_counter()
        xc = signal.correlate(mono_b, mono_a, mode="full", method="fft")
        lags = signal.correlation_lags(mono_b.size, mono_a.size, mode="full")
        lag = int(lags[np.argmax(np.abs(xc))])
        best = min(best, time.perf_counter() - started)
        del xc, lags
    return {"seconds": best, "peak_memory_mb": peak_memory_mb(), "lag": lag}


def run_child(*argv: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"compare benchmark: the child {argv[0]} failed:\n{done.stderr}")
    return json.loads(done.stdout)


def measure(seconds: float, runs: int) -> Figures:
    with tempfile.TemporaryDirectory(prefix="outboard-compare-") as folder:
        started = time.perf_counter()
        a, b = make_prints(Path(folder), seconds)
        generate_s = time.perf_counter() - started
        results = [run_child("compare", str(a), str(b)) for _ in range(runs)]
        reference = run_child("correlate", str(a), str(b), str(runs))
    best = min(results, key=lambda r: r["seconds"])
    drift = DRIFT_UP / DRIFT_DOWN
    return Figures(
        seconds=seconds, sample_rate=RATE, runs=runs, generate_s=generate_s,
        compare_s=best["seconds"], x_real_time=seconds / best["seconds"],
        peak_memory_mb=max(r["peak_memory_mb"] for r in results),
        correlate_s=reference["seconds"],
        correlate_peak_memory_mb=reference["peak_memory_mb"],
        ratio_vs_correlate=best["seconds"] / reference["seconds"],
        offset_samples=best["offset_samples"], true_offset_samples=DELAY_SAMPLES * drift,
        drift_ppm=best["drift_ppm"], true_drift_ppm=(drift - 1.0) * 1e6,
        gain_db=best["gain_db"], null_depth_db=best["null_depth_db"],
        residual_rms_dbfs=best["residual_rms_dbfs"],
    )


def render(f: Figures) -> str:
    null = "-inf" if f.null_depth_db is None else f"{f.null_depth_db:.1f}"
    return "\n".join([
        f"Compare: two {f.seconds:g} s stereo {f.sample_rate} Hz prints (B: "
        f"{DELAY_SAMPLES:+g} samples, {GAIN_DB:+g} dB, +20 ppm, noise {NOISE_DBFS:g} dBFS); "
        f"made in {f.generate_s:.1f} s",
        f"  compare_files        {f.compare_s:7.2f} s  best of {f.runs}  "
        f"{f.x_real_time:6.1f}x real time   peak memory {f.peak_memory_mb:,.0f} MB",
        f"  bare correlation     {f.correlate_s:7.2f} s  best of {f.runs}  "
        f"(scipy.signal.correlate, method='fft', full-rate mono sums)   "
        f"peak memory {f.correlate_peak_memory_mb:,.0f} MB",
        f"  ratio                {f.ratio_vs_correlate:7.2f}x the bare correlation",
        f"  found: offset {f.offset_samples:.4f} samples (true {f.true_offset_samples:.4f}), "
        f"drift {f.drift_ppm:+.4f} ppm (true {f.true_drift_ppm:+.4f}), gain "
        f"{f.gain_db:+.4f} dB (true {-GAIN_DB:+.4f}), null {null} dB",
    ])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=300.0,
                        help="length of each print (default 300)")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed runs (best counts)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "compare":
            result = child_compare(*rest)
        else:
            result = child_correlate(rest[0], rest[1], int(rest[2]))
        print(json.dumps(result))
        return 0
    if args.seconds < 2.0 or args.runs < 1:
        parser.error("--seconds must be at least 2 and --runs at least 1")
    figures = measure(args.seconds, args.runs)
    fingerprint = fingerprint_timing()
    if args.json:
        print(json.dumps({**asdict(figures), "fingerprint": fingerprint}))
    else:
        print(render(figures))
        print(f"fingerprint: {fingerprint['sweeps']} sweeps, {fingerprint['audio_s']:.1f} s "
              f"of audio through a real interface; {fingerprint['simulated_s']:.2f} s through "
              f"the simulated demo chain; naming the control that moved: "
              f"{fingerprint['suspects_s']:.2f} s")
    return 0


def fingerprint_timing() -> dict[str, float]:
    """How long the chain's fingerprint takes: its audio (what a real interface needs, in
    real time), the simulated demo chain's wall time, and ranking the controls."""
    import tomllib

    import numpy as np

    from controller.audio.fingerprint import (
        GAP_SECONDS,
        LEVELS_DBFS,
        PRE_ROLL_SECONDS,
        SWEEP_SECONDS,
        take_fingerprint,
    )
    from controller.audio.loops import loop_setup
    from controller.demo import SONGS, studio_text
    from controller.verify import explain
    from recall.records import ChainUnit, Revision
    from recall.studio import studio_from_document

    studio = studio_from_document(tomllib.loads(studio_text()), "demo-studio.toml")
    first, second, _ = SONGS["Opener"]
    settings = {name: {**first.get(name, {}), **second.get(name, {})} for name in first}
    setup = loop_setup(studio, "A", unit_values=lambda unit: settings.get(unit.name, {}))
    started = time.perf_counter()
    then = take_fingerprint(setup)
    simulated = time.perf_counter() - started
    nudged = {**settings, "Pultec": {**settings["Pultec"], "low_boost": 3.0}}
    now = take_fingerprint(loop_setup(studio, "A",
                                      unit_values=lambda unit: nudged.get(unit.name, {})))
    revision = Revision(0, 0, 2, 1, "printed", tuple(
        ChainUnit(u.name, u.profile, False, settings.get(u.name, {})) for u in studio.units),
        None, {}, {}, True, "")
    started = time.perf_counter()
    explain(then, now, revision)
    ranking = time.perf_counter() - started
    audio = PRE_ROLL_SECONDS + len(LEVELS_DBFS) * (SWEEP_SECONDS + GAP_SECONDS)
    return {"sweeps": len(LEVELS_DBFS), "audio_s": audio, "simulated_s": round(simulated, 3),
            "suspects_s": round(ranking, 3), "bands": int(np.size(then.centres_hz))}


if __name__ == "__main__":
    sys.exit(main())
