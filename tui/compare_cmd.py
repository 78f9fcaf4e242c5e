"""`outboard compare A B`: null-test two prints and report what differs between them."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from controller.errors import EXIT_OK, InputError

from .library_access import emit

if TYPE_CHECKING:
    from controller.compare import Band, Comparison

DEFAULT_THRESHOLD_DB = -30.0


def register(commands: Any) -> None:
    compare = commands.add_parser(
        "compare", help="null-test two prints: offset, drift, gain and what is left",
        description="Aligns print B to print A (offset to a fraction of a sample, polarity, "
        "clock drift, which is corrected by resampling B), matches B's level with one "
        "least-squares gain, subtracts it from A and measures what is left: null depth, "
        "residual level, loudness and true peak, per octave band and in 400 ms blocks. Also "
        "B minus A as given: loudness, true peak, loudness range and the third-octave "
        "spectrum. Both files need the same rate and channel count.")
    compare.add_argument("a", metavar="A", help="the reference print (WAV, AIFF or FLAC)")
    compare.add_argument("b", metavar="B", help="the print to compare with it")
    compare.add_argument("--json", action="store_true", help="print one JSON object")
    compare.add_argument("--max-offset", type=float, default=1.0, metavar="SECONDS",
                         help="how far B may sit before or after A (default 1 s)")
    compare.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD_DB,
                         metavar="DB", help="an octave band differs when its residual stands "
                         f"above this, relative to A's level there (default "
                         f"{DEFAULT_THRESHOLD_DB:g} dB)")
    compare.set_defaults(handler=run_compare)


def run_compare(args: argparse.Namespace) -> int:
    from controller.compare import compare_files, comparison_json, differing_bands

    if not math.isfinite(args.max_offset) or args.max_offset <= 0:
        raise InputError(f"--max-offset {args.max_offset:g}: needs a positive number of "
                         "seconds")
    if not math.isfinite(args.threshold):
        raise InputError(f"--threshold {args.threshold}: needs a number of dB")
    result = compare_files(Path(args.a), Path(args.b), max_offset_s=args.max_offset)
    differing = differing_bands(result, threshold_db=args.threshold)
    if args.json:
        document = {"a": args.a, "b": args.b, **comparison_json(result),
                    "threshold_db": args.threshold,
                    "differing_bands": [band.centre_hz for band in differing]}
        emit(document)
    else:
        print(render_comparison(args.a, args.b, result, differing, args.threshold))
    return EXIT_OK


def _db(value: float | None, unit: str, digits: int = 1, *, sign: bool = False) -> str:
    if value is None or math.isnan(value):
        return "—"
    if math.isinf(value):
        return f"{'-' if value < 0 else '+'}inf {unit}".rstrip()
    if round(value, digits) == 0:
        value = 0.0  # no "-0.0"
    text = f"{value:+.{digits}f}" if sign else f"{value:.{digits}f}"
    return f"{text} {unit}".rstrip()


def _hz(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g} kHz"
    return f"{value:g} Hz"


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60.0)
    return f"{int(minutes)}:{rest:05.2f}"


def _listed(values: tuple[Band, ...]) -> str:
    names = [_hz(band.centre_hz) for band in values]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def render_comparison(a: str, b: str, c: Comparison, differing: tuple[Band, ...],
                      threshold_db: float) -> str:
    """The human report: alignment, the null, the octave table and B-minus-A deltas."""
    from controller.compare import BLOCK_S

    start_s = c.start_frame / c.sample_rate
    shown = round(c.offset_samples, 2)
    later = "B later" if shown > 0 else "B earlier" if shown < 0 else ""
    drift = ("none found" if c.drift_ppm == 0 else
             f"{c.drift_ppm:+.3f} ppm (B's clock {'fast' if c.drift_ppm > 0 else 'slow'}; "
             "corrected before the null)")
    residual = (f"{_db(c.residual_rms_dbfs, 'dBFS RMS')}, {_db(c.residual_lufs, 'LUFS')}, "
                f"{_db(c.residual_true_peak_dbtp, 'dBTP')} true peak")
    rows = [
        ("Offset", f"{c.offset_samples:+.2f} samples ({c.offset_ms:+.3f} ms) {later}".rstrip()),
        ("Polarity", "inverted" if c.inverted else "same"),
        ("Gain", f"{_db(c.gain_db, 'dB', 2, sign=True)} applied to B"),
        ("Drift", drift),
        ("Null depth", _db(c.null_depth_db, "dB")),
        ("Residual", residual),
    ]
    if c.residual_over_time:
        worst = max(range(len(c.residual_over_time)), key=c.residual_over_time.__getitem__)
        at = start_s + worst * BLOCK_S
        level = _db(c.residual_over_time[worst], "dBFS RMS")
        rows.append((f"Worst {BLOCK_S * 1000:.0f} ms", f"{level} at {_clock(at)}"))
    rows.append(("B minus A", f"{_db(c.loudness_delta_lu, 'LU', 2, sign=True)} integrated, "
                              f"{_db(c.true_peak_delta_db, 'dB', 2, sign=True)} true peak, "
                              f"{_db(c.range_delta_lu, 'LU', 1, sign=True)} range"))
    audible = [band for band in c.spectrum_difference if math.isfinite(band.level_db)]
    if audible:
        widest = max(audible, key=lambda band: abs(band.level_db))
        rows.append(("Spectrum", f"largest third-octave difference "
                                 f"{_db(widest.level_db, 'dB', 2, sign=True)} at "
                                 f"{_hz(widest.centre_hz)} (B minus A, before the gain)"))
    lines = [f"A  {a}", f"B  {b}",
             f"   {c.channels} ch, {c.sample_rate} Hz, {c.duration_s:.2f} s compared from "
             f"{_clock(start_s)}"]
    lines += [f"  {label:<14}{value}" for label, value in rows]
    lines += ["", "  Octave band   residual against A"]
    for band in c.residual_octaves:
        mark = "  differs" if band in differing else ""
        lines.append(f"  {_hz(band.centre_hz):>9}     {_db(band.level_db, 'dB'):>10}{mark}")
    lines.append("")
    if differing:
        lines.append(f"  Differs at {_listed(differing)} (residual above "
                     f"{threshold_db:g} dB of A there)")
    else:
        lines.append(f"  No octave band's residual stands above {threshold_db:g} dB of A")
    return "\n".join(lines)
