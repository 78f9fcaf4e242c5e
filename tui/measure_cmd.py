"""`outboard measure` and `outboard demo`: measure files and print reports."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from controller.errors import (
    EXIT_BAD_INPUT,
    EXIT_CHECK_FAILED,
    EXIT_OK,
    InputError,
    error_line,
)
from controller.targets import DEFAULT_TARGETS, Target, TargetResult, check, load_targets

if TYPE_CHECKING:
    from controller.crosscheck import CrossCheck
    from controller.meter import Measurement

DEMO_SECONDS = 30.0
DEMO_RATE = 48_000


def register(commands: Any) -> None:
    measure = commands.add_parser(
        "measure",
        help="measure loudness, loudness range, true peak and more of audio files",
        description="Measure WAV, AIFF or FLAC files per ITU-R BS.1770-5 / EBU R 128.",
    )
    measure.add_argument("files", nargs="+", metavar="FILE", help="audio files to measure")
    measure.add_argument("--json", action="store_true",
                         help="print one JSON object per file, one per line")
    measure.add_argument("--target", metavar="NAME", action="append", default=[],
                         help="check against a delivery target (repeatable; "
                              "'outboard targets' lists them)")
    measure.add_argument("--targets-file", metavar="FILE", type=Path, default=DEFAULT_TARGETS,
                         help="the delivery targets file (default: the shipped one)")
    measure.add_argument("--cross-check", action="store_true",
                         help="also measure integrated loudness and range with pyloudnorm")
    measure.add_argument("--curves", action="store_true",
                         help="with --json: include momentary and short-term loudness at 10 Hz")
    measure.set_defaults(handler=run_measure)
    targets = commands.add_parser("targets", help="list the delivery targets")
    targets.add_argument("--json", action="store_true", help="print the targets as JSON")
    targets.add_argument("--targets-file", metavar="FILE", type=Path, default=DEFAULT_TARGETS)
    targets.set_defaults(handler=run_targets)


def _selected_targets(args: argparse.Namespace) -> list[Target]:
    if not args.target:
        return []
    available = load_targets(args.targets_file)
    chosen = []
    for name in args.target:
        if name not in available:
            known = ", ".join(sorted(available))
            raise InputError(f"--target {name}: no such target in {args.targets_file} ({known})")
        chosen.append(available[name])
    return chosen


def run_measure(args: argparse.Namespace) -> int:
    from controller.crosscheck import cross_check
    from controller.measure import measure_file, measurement_json

    if args.curves and not args.json:
        raise InputError("--curves needs --json: the curves are data for plots, not a report")
    targets = _selected_targets(args)
    worst = EXIT_OK
    for name in args.files:
        path = Path(name)
        try:
            result = measure_file(path, curves=args.curves and args.json)
        except InputError as err:
            print(error_line(err.message), file=sys.stderr)
            if args.json:
                _emit({"file": name, "status": "error", "error": err.message})
            worst = EXIT_BAD_INPUT
            continue
        checks = [check(result, target) for target in targets]
        extra = cross_check(path, result) if args.cross_check else None
        if args.json:
            document = measurement_json(name, result)
            if targets:
                document["targets"] = [_target_json(c) for c in checks]
            if extra is not None:
                document["cross_check"] = _cross_check_json(extra)
            _emit(document)
        else:
            print(render_measurement(name, result, checks, extra))
        if any(not c.passed for c in checks) and worst == EXIT_OK:
            worst = EXIT_CHECK_FAILED
    return worst


def run_targets(args: argparse.Namespace) -> int:
    available = load_targets(args.targets_file)
    if args.json:
        for target in available.values():
            _emit({"key": target.key, "name": target.name,
                   "integrated_lufs": target.integrated_lufs,
                   "integrated_min_lufs": target.integrated_min_lufs,
                   "integrated_max_lufs": target.integrated_max_lufs,
                   "true_peak_max_dbtp": target.true_peak_max_dbtp,
                   "sample_peak_max_dbfs": target.sample_peak_max_dbfs,
                   "source": target.source, "note": target.note})
        return EXIT_OK
    for target in available.values():
        print(f"{target.key:<15} {target.name}")
    return EXIT_OK


def run_demo(args: argparse.Namespace) -> int:
    import soundfile as sf

    from controller.measure import measure_file, measurement_json
    from controller.signals import music_like

    """Write a short synthetic mix and measure it: what the meter core shows on a master."""
    mix = music_like(duration_s=DEMO_SECONDS, sample_rate=DEMO_RATE)
    if args.output:
        path = Path(args.output)
    else:
        path = Path(tempfile.gettempdir()) / "outboard-demo-mix.wav"
    try:
        sf.write(str(path), mix, DEMO_RATE, subtype="PCM_24")
    except (sf.LibsndfileError, TypeError, ValueError, OSError) as err:
        raise InputError(f"--output {path}: cannot write the demo mix there ({err})") from err
    result = measure_file(path)
    shown = ("spotify", "apple-music")
    checks = [check(result, t) for key, t in load_targets().items() if key in shown]
    if args.json:
        document = measurement_json(str(path), result)
        document["targets"] = [_target_json(c) for c in checks]
        _emit(document)
        return EXIT_OK
    print(f"Demo mix: {path} ({DEMO_SECONDS:.0f} s, {DEMO_RATE} Hz, 24-bit stereo)\n")
    print(render_measurement(str(path), result, checks, None))
    return EXIT_OK


def _emit(document: dict[str, Any]) -> None:
    print(json.dumps(document, allow_nan=False), flush=True)


def _target_json(result: TargetResult) -> dict[str, Any]:
    return {
        "target": result.target.key,
        "name": result.target.name,
        "passed": result.passed,
        "gain_db": None if result.gain_db is None else round(result.gain_db, 2),
        "detail": result.detail,
        "criteria": [
            {"criterion": c.criterion, "required": c.required,
             "measured": None if c.measured is None else round(c.measured, 2),
             "passed": c.passed,
             "gain_db": None if c.gain_db is None else round(c.gain_db, 2)}
            for c in result.criteria
        ],
    }


def _cross_check_json(extra: CrossCheck) -> dict[str, Any]:
    def r(value: float | None) -> float | None:
        return None if value is None else round(value, 4)
    return {
        "reference": extra.detail,
        "integrated_lufs": r(extra.integrated_lufs),
        "loudness_range_lu": r(extra.loudness_range_lu),
        "integrated_difference_lu": r(extra.integrated_difference),
        "range_difference_lu": r(extra.range_difference),
    }


def _fmt(value: float | None, unit: str, digits: int = 1) -> str:
    if value is None:
        return "—"
    text = "-inf" if value == float("-inf") else f"{value:.{digits}f}"
    return f"{text} {unit}" if unit else text


def render_measurement(
    name: str, m: Measurement, checks: list[TargetResult], extra: CrossCheck | None
) -> str:
    """The human report of one file: a compact table, then targets and cross-check."""
    lines = [f"{name}  ({m.channels} ch, {m.sample_rate} Hz, {m.duration_s:.2f} s)"]
    if m.status_detail:
        lines.append(f"  note: {m.status_detail}")
    rows = [
        ("Integrated", _fmt(m.integrated_lufs, "LUFS")),
        ("Loudness range", _fmt(m.loudness_range_lu, "LU")),
        ("Momentary max", _fmt(m.momentary_max_lufs, "LUFS")),
        ("Short-term max", _fmt(m.short_term_max_lufs, "LUFS")),
        ("True peak", _fmt(m.true_peak_dbtp, "dBTP")),
        ("Sample peak", _fmt(m.sample_peak_dbfs, "dBFS")),
        ("RMS", _fmt(m.rms_dbfs, "dBFS")),
        ("PLR", _fmt(m.plr_db, "LU")),
        ("PSR max / min", f"{_fmt(m.psr_max_db, 'LU')} / {_fmt(m.psr_min_db, 'LU')}"),
        ("Correlation", f"{_fmt(m.correlation, '', 2)} (min {_fmt(m.correlation_min, '', 2)})"
         if m.correlation is not None else "—"),
        ("Mono loss", _fmt(m.mono_loss_db, "dB")),
        ("Clipped", f"{m.clipped_samples} samples in {m.clipped_runs} runs"),
    ]
    lines += [f"  {label:<16}{value}" for label, value in rows]
    header = (f"  {'channel':<9}{'true pk':>10}{'peak':>10}{'RMS':>10}{'crest':>8}{'DC':>11}"
              f"{'clips':>7}")
    lines += ["", header]
    for ch in m.per_channel:
        lines.append(
            f"  {ch.name:<9}{_fmt(ch.true_peak_dbtp, ''):>10}{_fmt(ch.sample_peak_dbfs, ''):>10}"
            f"{_fmt(ch.rms_dbfs, ''):>10}{_fmt(ch.crest_factor_db, ''):>8}{ch.dc_offset:>11.2e}"
            f"{ch.clipped_runs:>7}"
        )
    for result in checks:
        verdict = "PASS" if result.passed else "FAIL"
        lines += ["", f"  {result.target.name}: {verdict} — {result.detail}"]
        if result.target.note:
            lines.append(f"    ({result.target.note})")
        for c in result.criteria:
            mark = "ok " if c.passed else "off"
            gain = "" if c.passed or c.gain_db is None else f"  (gain {c.gain_db:+.2f} dB)"
            lines.append(f"    {mark} {c.criterion:<12}{_fmt(c.measured, ''):>8}  "
                         f"wants {c.required}{gain}")
    if extra is not None:
        lines += ["", f"  Cross-check ({extra.detail}):"]
        lines.append(f"    integrated {_fmt(extra.integrated_lufs, 'LUFS', 2)}, "
                     f"ours minus theirs {_fmt(extra.integrated_difference, 'LU', 3)}")
        lines.append(f"    range      {_fmt(extra.loudness_range_lu, 'LU', 2)}, "
                     f"ours minus theirs {_fmt(extra.range_difference, 'LU', 3)}")
    return "\n".join(lines)
