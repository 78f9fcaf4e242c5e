"""Time Outboard's meter against libebur128 and pyloudnorm on one core, plus the live meter."""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one core: set before numpy loads its BLAS
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import argparse
import json
import math
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import numpy as np
import pyebur128 as eb
import pyloudnorm

from controller.meter import LiveMeter, Measurement, analyse
from controller.signals import music_like

SAMPLE_RATE = 48_000
CHANNELS = 2
DURATION_S = 300.0
RUNS = 3
EBU_BLOCK_FRAMES = 65_536
LIVE_SECONDS = 60
LIVE_BLOCK_FRAMES = 256
READ_EVERY_BLOCKS = 8
GOAL_RATIO_VS_LIBEBUR128 = 2.0
GOAL_LIVE_SHARE_PERCENT = 1.0

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Figures:
    """Everything the benchmark reports; ``--json`` prints it as it stands."""

    generate_s: float
    duration_s: float
    runs: int
    outboard_s: float
    libebur128_s: float
    pyloudnorm_s: float
    outboard_x_realtime: float
    libebur128_x_realtime: float
    pyloudnorm_x_realtime: float
    ratio_vs_libebur128: float
    ratio_vs_pyloudnorm: float
    live_block_us: float
    live_share_percent: float
    outboard_integrated_lufs: float
    libebur128_integrated_lufs: float
    pyloudnorm_integrated_lufs: float
    outboard_lra_lu: float | None
    libebur128_lra_lu: float
    pyloudnorm_lra_lu: float
    outboard_true_peak_dbtp: float
    libebur128_true_peak_dbtp: float
    goal_ratio_met: bool
    goal_live_met: bool


@dataclass(frozen=True, slots=True)
class Ebur128Result:
    integrated_lufs: float
    lra_lu: float
    true_peak: tuple[float, ...]
    sample_peak: tuple[float, ...]


def best_of(run: Callable[[], T], runs: int = RUNS) -> tuple[float, T]:
    """The fastest of ``runs`` calls of ``run`` (s) and the last call's result."""
    best = math.inf
    result: T
    for _ in range(runs):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def outboard(x: np.ndarray) -> Measurement:
    return analyse(x, sample_rate=SAMPLE_RATE)


def libebur128(x64: np.ndarray) -> Ebur128Result:
    modes = (
        eb.MeasurementMode.MODE_I | eb.MeasurementMode.MODE_LRA
        | eb.MeasurementMode.MODE_TRUE_PEAK | eb.MeasurementMode.MODE_SAMPLE_PEAK
    )
    st = eb.R128State(CHANNELS, SAMPLE_RATE, modes)
    for i in range(0, x64.shape[0], EBU_BLOCK_FRAMES):
        blk = np.ascontiguousarray(x64[i : i + EBU_BLOCK_FRAMES]).ravel()
        st.add_frames(blk, blk.size // CHANNELS)
    return Ebur128Result(
        integrated_lufs=eb.get_loudness_global(st),
        lra_lu=eb.get_loudness_range(st),
        true_peak=tuple(eb.get_true_peak(st, c) for c in range(CHANNELS)),
        sample_peak=tuple(eb.get_sample_peak(st, c) for c in range(CHANNELS)),
    )


def pyloudnorm_i_lra(x64: np.ndarray) -> tuple[float, float]:
    meter = pyloudnorm.Meter(SAMPLE_RATE, filter_class="DeMan")
    return float(meter.integrated_loudness(x64)), float(meter.loudness_range(x64))


def live_blocks(x: np.ndarray) -> list[np.ndarray]:
    """The first ``LIVE_SECONDS`` of ``x`` as consecutive (256, 2) blocks, prepared untimed."""
    frames = LIVE_SECONDS * SAMPLE_RATE
    return [x[i : i + LIVE_BLOCK_FRAMES] for i in range(0, frames, LIVE_BLOCK_FRAMES)]


def live_run(blocks: list[np.ndarray]) -> float:
    """Seconds to feed ``blocks`` to a fresh LiveMeter, reading it every 8 blocks."""
    lm = LiveMeter(sample_rate=SAMPLE_RATE, channels=CHANNELS)
    start = time.perf_counter()
    for n, block in enumerate(blocks, start=1):
        lm.process(block)
        if n % READ_EVERY_BLOCKS == 0:
            lm.reading()
    return time.perf_counter() - start


def live_block_seconds(x: np.ndarray) -> float:
    """Best-of-``RUNS`` mean time per block (meter construction excluded)."""
    blocks = live_blocks(x)
    return min(live_run(blocks) for _ in range(RUNS)) / len(blocks)


def dbtp(linear_peaks: tuple[float, ...]) -> float:
    peak = max(linear_peaks)
    return 20.0 * math.log10(peak) if peak > 0 else -math.inf


def generate() -> tuple[float, np.ndarray]:
    start = time.perf_counter()
    x = music_like(duration_s=DURATION_S, sample_rate=SAMPLE_RATE)
    return time.perf_counter() - start, x


def measure(log: Callable[[str], None]) -> Figures:
    generate_s, x = generate()
    log(f"generated {DURATION_S:.0f} s stereo {SAMPLE_RATE} Hz in {generate_s:.1f} s "
        "(not timed)")
    x64 = x.astype(np.float64)
    log("timing Outboard ...")
    ob_s, ob = best_of(lambda: outboard(x))
    log("timing libebur128 ...")
    eb_s, ebr = best_of(lambda: libebur128(x64))
    log("timing pyloudnorm ...")
    pl_s, (pl_i, pl_lra) = best_of(lambda: pyloudnorm_i_lra(x64))
    log("timing the live meter ...")
    block_s = live_block_seconds(x)
    share = 100.0 * block_s / (LIVE_BLOCK_FRAMES / SAMPLE_RATE)
    return Figures(
        generate_s=generate_s, duration_s=DURATION_S, runs=RUNS,
        outboard_s=ob_s, libebur128_s=eb_s, pyloudnorm_s=pl_s,
        outboard_x_realtime=DURATION_S / ob_s, libebur128_x_realtime=DURATION_S / eb_s,
        pyloudnorm_x_realtime=DURATION_S / pl_s,
        ratio_vs_libebur128=eb_s / ob_s, ratio_vs_pyloudnorm=pl_s / ob_s,
        live_block_us=block_s * 1e6, live_share_percent=share,
        outboard_integrated_lufs=ob.integrated_lufs,
        libebur128_integrated_lufs=ebr.integrated_lufs, pyloudnorm_integrated_lufs=pl_i,
        outboard_lra_lu=ob.loudness_range_lu, libebur128_lra_lu=ebr.lra_lu,
        pyloudnorm_lra_lu=pl_lra,
        outboard_true_peak_dbtp=ob.true_peak_dbtp,
        libebur128_true_peak_dbtp=dbtp(ebr.true_peak),
        goal_ratio_met=eb_s / ob_s >= GOAL_RATIO_VS_LIBEBUR128,
        goal_live_met=share < GOAL_LIVE_SHARE_PERCENT,
    )


def fmt(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def speed_table(f: Figures) -> list[str]:
    rows = [
        ("Outboard analyse (all meters)", f.outboard_s, f.outboard_x_realtime),
        ("libebur128 I+LRA+TP+SP", f.libebur128_s, f.libebur128_x_realtime),
        ("pyloudnorm I+LRA (DeMan)", f.pyloudnorm_s, f.pyloudnorm_x_realtime),
    ]
    lines = [f"{'tool':<32}{'time (s)':>10}{'x real time':>14}", "-" * 56]
    lines += [f"{name:<32}{secs:>10.3f}{speed:>13.0f}x" for name, secs, speed in rows]
    return lines


def ratio_lines(f: Figures) -> list[str]:
    return [
        f"Outboard is {f.ratio_vs_libebur128:.2f}x libebur128 (I+LRA+TP+SP)",
        f"Outboard is {f.ratio_vs_pyloudnorm:.2f}x pyloudnorm (I+LRA)",
        f"live meter: {f.live_block_us:.1f} us per {LIVE_BLOCK_FRAMES}-frame block "
        f"(reading every {READ_EVERY_BLOCKS} blocks) = {f.live_share_percent:.3f}% of one core",
    ]


def sanity_lines(f: Figures) -> list[str]:
    return [
        f"{'':<22}{'Outboard':>10}{'libebur128':>12}{'pyloudnorm':>12}",
        f"{'integrated (LUFS)':<22}{f.outboard_integrated_lufs:>10.2f}"
        f"{f.libebur128_integrated_lufs:>12.2f}{f.pyloudnorm_integrated_lufs:>12.2f}",
        f"{'loudness range (LU)':<22}{fmt(f.outboard_lra_lu, '.2f'):>10}"
        f"{f.libebur128_lra_lu:>12.2f}{f.pyloudnorm_lra_lu:>12.2f}",
        f"{'true peak (dBTP)':<22}{f.outboard_true_peak_dbtp:>10.2f}"
        f"{f.libebur128_true_peak_dbtp:>12.2f}{'-':>12}",
    ]


def goal_lines(f: Figures) -> list[str]:
    def verdict(met: bool) -> str:
        return "MET" if met else "NOT MET"

    return [
        f"goal: Outboard full analysis >= {GOAL_RATIO_VS_LIBEBUR128:.0f}x faster than "
        f"libebur128 I+LRA+TP: {verdict(f.goal_ratio_met)} ({f.ratio_vs_libebur128:.2f}x)",
        f"goal: live meter < {GOAL_LIVE_SHARE_PERCENT:.0f}% of one core: "
        f"{verdict(f.goal_live_met)} ({f.live_share_percent:.3f}%)",
    ]


def report(f: Figures) -> str:
    header = (f"{DURATION_S:.0f} s stereo {SAMPLE_RATE} Hz, single thread, "
              f"best of {RUNS} runs each")
    sections = [
        [header], speed_table(f), ratio_lines(f), sanity_lines(f), goal_lines(f)
    ]
    return "\n\n".join("\n".join(lines) for lines in sections)


def to_json(f: Figures) -> str:
    def clean(value: Any) -> Any:
        return None if isinstance(value, float) and not math.isfinite(value) else value

    return json.dumps({key: clean(value) for key, value in asdict(f).items()}, indent=2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    def log(message: str) -> None:
        print(message, file=sys.stderr if args.json else sys.stdout, flush=True)

    figures = measure(log)
    print(to_json(figures) if args.json else "\n" + report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
