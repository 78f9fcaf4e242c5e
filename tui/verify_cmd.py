"""`outboard verify SONG`: is the gear where the revision says, by the sound? An excerpt
printed again and nulled against the revision's print, or (--fingerprint) the chain's
response measured again against the one kept at print time."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from controller.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError

from .library_access import emit, open_library
from .recall_cmd import studio_option
from .studio_cmd import ENVIRONMENT as STUDIO_ENVIRONMENT


def register(commands: Any) -> None:
    from controller.thresholds import (
        EXCERPT_SECONDS,
        FINGERPRINT_THRESHOLD_DB,
        NULL_THRESHOLD_DB,
    )

    verify = commands.add_parser(
        "verify", help="check by ear, measured, that a recall sounds like the revision",
        description="Plays an excerpt of the song (10 s from the middle by default) through "
        "the chain as it stands and nulls it against the same stretch of the revision's "
        "latest complete print: verified when the null is at least as deep as --threshold "
        f"(default {NULL_THRESHOLD_DB:g} dB), and the octave bands that differ are named. "
        "With --fingerprint it sweeps the chain instead (a few seconds) and compares its "
        "response per 1/6 octave at three levels with the fingerprint kept at print time, "
        f"naming the bands that moved by more than {FINGERPRINT_THRESHOLD_DB:g} dB and the "
        "controls that most plausibly explain them. Exit codes: 0 verified; 1 it differs; "
        "2 bad input; 3 an audio fault.")
    verify.add_argument("song", metavar="SONG", help='"Session/Song", or the song id')
    verify.add_argument("--rev", type=int, metavar="N", help="the revision (default: latest)")
    verify.add_argument("--fingerprint", action="store_true",
                        help="compare the chain's fingerprint instead of nulling an excerpt")
    verify.add_argument("--start", type=float, metavar="SECONDS",
                        help="where the excerpt starts (default: centred in the song)")
    verify.add_argument("--seconds", type=float, default=EXCERPT_SECONDS, metavar="SECONDS",
                        help=f"the excerpt's length (default {EXCERPT_SECONDS:g})")
    verify.add_argument("--whole", action="store_true", help="print and null the whole song")
    verify.add_argument("--threshold", type=float, metavar="DB",
                        help=f"null depth to pass (default {NULL_THRESHOLD_DB:g}), or with "
                        f"--fingerprint the band shift allowed (default "
                        f"{FINGERPRINT_THRESHOLD_DB:g})")
    verify.add_argument("--studio", metavar="FILE", type=Path,
                        help=f"the studio file (default: ${STUDIO_ENVIRONMENT})")
    verify.add_argument("--library", metavar="PATH", help="the library file")
    verify.add_argument("--json", action="store_true", help="print JSON")
    verify.set_defaults(handler=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from controller.chain import library_path
    from controller.thresholds import FINGERPRINT_THRESHOLD_DB, NULL_THRESHOLD_DB
    from controller.verify import check_audio, check_fingerprint

    if args.seconds is not None and args.seconds <= 0:
        raise InputError(f"--seconds {args.seconds:g}: give a length above 0")
    studio = studio_option(args)
    with open_library(args) as library:
        if args.fingerprint:
            threshold = FINGERPRINT_THRESHOLD_DB if args.threshold is None else args.threshold
            if threshold <= 0:
                raise InputError(f"--threshold {threshold:g}: a band shift above 0 dB")
            check = check_fingerprint(library, studio, args.song, args.rev,
                                      threshold_db=threshold)
            _fingerprint_report(args, check)
        else:
            threshold = NULL_THRESHOLD_DB if args.threshold is None else args.threshold
            check = check_audio(library, library_path(args.library), studio, args.song,
                                args.rev, start_seconds=args.start,
                                seconds=None if args.whole else args.seconds,
                                threshold_db=threshold)
            _audio_report(args, check)
    return EXIT_OK if check.verified else EXIT_CHECK_FAILED


def _fingerprint_report(args: argparse.Namespace, check: Any) -> None:
    suspects = [{"unit": s.unit, "parameter": s.parameter, "name": s.name,
                 "explained": s.explained, "estimate": s.estimate, "setting": s.setting,
                 "unit_label": s.unit_label} for s in check.suspects]
    if args.json:
        emit({"verified": check.verified, "method": "fingerprint",
              "threshold_db": check.threshold_db,
              "shifts": [{"centre_hz": s.centre_hz, "level_dbfs": s.level_dbfs,
                          "delta_db": s.delta_db} for s in check.shifts],
              "suspects": suspects, "fingerprint": check.fingerprint.as_dict()})
        return
    if check.verified:
        print(f"verified: the chain's response is within {check.threshold_db:g} dB of the "
              "fingerprint in every band at every level")
        return
    print(f"DIFFERS: {len(check.shifts)} band readings moved by more than "
          f"{check.threshold_db:g} dB")
    for level in sorted({s.level_dbfs for s in check.shifts}):
        moved = [s for s in check.shifts if s.level_dbfs == level]
        worst = max(moved, key=lambda s: abs(s.delta_db))
        print(f"  at {level:g} dBFS: {_hz(moved[0].centre_hz)} to {_hz(moved[-1].centre_hz)}, "
              f"most at {_hz(worst.centre_hz)} ({worst.delta_db:+.1f} dB)")
    if suspects:
        print("  most likely (each alone would explain this share of the shift):")
        for s in check.suspects:
            where = "" if s.estimate is None else (
                f": sounds like {s.estimate:.3g} {s.unit_label}".rstrip()
                + f", the revision has {s.setting:g} {s.unit_label}".rstrip())
            print(f"    {s.unit}: {s.name} ({100 * s.explained:.0f} %){where}")


def _audio_report(args: argparse.Namespace, check: Any) -> None:
    from controller.compare import comparison_json

    c = check.comparison
    if args.json:
        emit({"verified": check.verified, "method": "null", "take": check.take,
              "start_seconds": round(check.start_seconds, 3),
              "seconds": round(check.seconds, 3), "threshold_db": check.threshold_db,
              "differing_bands": [b.centre_hz for b in check.differing],
              "comparison": comparison_json(c)})
        return
    verdict = "verified" if check.verified else "DIFFERS"
    print(f"{verdict}: null {c.null_depth_db:.1f} dB against take {check.take} over "
          f"{check.start_seconds:.1f}-{check.start_seconds + check.seconds:.1f} s "
          f"(threshold {check.threshold_db:g} dB)")
    print(f"  gain {c.gain_db:+.2f} dB, offset {c.offset_samples:+.2f} samples"
          + (", polarity inverted" if c.inverted else ""))
    if check.differing:
        print("  differs at " + ", ".join(_hz(b.centre_hz) for b in check.differing)
              + " (octave bands over the threshold)")


def _hz(value: float) -> str:
    return f"{value / 1000:.3g} kHz" if value >= 1000 else f"{value:.3g} Hz"
