"""`outboard print-day SESSION`: recall and print every song of a session in order, pausing
for the manual checklists, and pick up where the last run stopped."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from controller.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError
from controller.recall_engine.session import EXIT_CODES

from .library_access import emit, open_library
from .print_cmd import LiveLine
from .recall_cmd import report_lines, studio_option, walk
from .studio_cmd import ENVIRONMENT as STUDIO_ENVIRONMENT


def register(commands: Any) -> None:
    day = commands.add_parser(
        "print-day", help="recall and print every song of a session, in order",
        description="For each song in track order: recall its latest revision (the manual "
        "units as a checklist at the terminal), then print it. A song whose latest revision "
        "already has a complete print is skipped, a recall left part way is resumed, and "
        "the run stops at the first song that does not end clean (a recall left undone, a "
        "print with xruns or out of alignment), so running it again picks up there. Exit "
        "codes: 0 every song printed; 1 stopped at a song; 2 bad input; 3 a device or audio "
        "fault.")
    day.add_argument("session", metavar="SESSION", help="the session's title or id")
    day.add_argument("--loop", metavar="NAME", help="print through this loop (default: the "
                     "one each revision's chain sits in)")
    day.add_argument("--float", action="store_true", help="write 32-bit float prints")
    day.add_argument("--resample", action="store_true",
                     help="convert sources at another rate to the interface's")
    day.add_argument("--studio", metavar="FILE", type=Path,
                     help=f"the studio file (default: ${STUDIO_ENVIRONMENT})")
    day.add_argument("--library", metavar="PATH", help="the library file")
    day.add_argument("--json", action="store_true",
                     help="print one JSON object per song (manual units are left undone)")
    day.set_defaults(handler=run_print_day)


def run_print_day(args: argparse.Namespace) -> int:
    from controller.audio.printing import PrintOptions
    from controller.chain import library_path
    from controller.print_day import plan_day, recall_step
    from controller.print_session import print_revision

    studio = studio_option(args)
    options = PrintOptions(subtype="FLOAT" if args.float else "PCM_24", resample=args.resample)
    with open_library(args) as library:
        steps = plan_day(library, args.session)
        if not steps:
            raise InputError(f"session '{args.session}' has no songs")
        for index, step in enumerate(steps, start=1):
            name = f"{index}/{len(steps)} {step.song.title} (rev {step.revision})"
            if step.printed is not None:
                _say(args, name, {"song": step.song.name, "revision": step.revision,
                                  "skipped": True, "take": step.printed.take},
                     f"already printed: take {step.printed.take}")
                continue
            if step.recall != "done":
                _say(args, name, None, ("resuming the recall" if step.recall == "resume"
                                        else "recalling"))
                attempt, faults = recall_step(library, studio, step,
                                              walk=(lambda _c: None) if args.json else walk)
                if attempt.outcome != "complete":
                    if not args.json:
                        print("\n".join(report_lines(
                            _plan(library, studio, step), attempt, faults)))
                    _say(args, name, {"song": step.song.name, "revision": step.revision,
                                      "recall": attempt.outcome, "stopped": True},
                         f"recall {attempt.outcome}: stopping here; run print-day again to "
                         "resume")
                    return EXIT_CODES[attempt.outcome]
            live = LiveLine(sys.stderr) if sys.stderr.isatty() and not args.json else None
            done = print_revision(
                library, library_path(args.library), studio, step.song.id, step.revision,
                loop=args.loop, options=options, on_progress=live.show if live else None,
                on_ping=lambda why, name=name: _say(
                    args, name, None, f"pinging the loop first ({'; '.join(why)})"))
            if live:
                live.end()
            take, alignment = done.take, done.result.alignment
            aligned = alignment is None or alignment.aligned
            offset = "" if alignment is None else f", offset {alignment.offset_samples:+.2f}"
            _say(args, name, {"song": step.song.name, "revision": step.revision,
                              "take": take.take, "state": take.state, "path": take.path,
                              "offset_samples": take.offset_samples, "xruns": take.xruns},
                 f"take {take.take} {take.state}{offset} -> {done.result.path}")
            if take.state != "complete" or not aligned:
                _say(args, name, None, "stopping here: print it again with print-day")
                return EXIT_CHECK_FAILED
    if not args.json:
        print(f"print day done: {len(steps)} songs")
    return EXIT_OK


def _plan(library: Any, studio: Any, step: Any) -> Any:
    from controller.recall_engine.session import plan_for

    return plan_for(library, step.song.name, studio, step.revision)


def _say(args: argparse.Namespace, name: str, document: dict[str, Any] | None,
         text: str) -> None:
    if args.json:
        if document is not None:
            emit(document)
        return
    print(f"{name}: {text}", flush=True)
