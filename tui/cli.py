"""The `outboard` command line: argument parsing, dispatch and the error contract."""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
from collections.abc import Sequence

from controller.chain import library_path
from controller.errors import EXIT_BAD_INPUT, error_line, reported_errors
from recall.store import damaged

# Every command's module is imported here to build the parser, so each keeps numpy,
# soundfile and the audio and meter machinery inside its handlers: a command that reads the
# library starts without them.
from . import (
    app_cmd,
    archive_cmd,
    audio_cmd,
    compare_cmd,
    devices_cmd,
    diff_cmd,
    library_cmd,
    measure_cmd,
    print_cmd,
    print_day_cmd,
    recall_cmd,
    report_cmd,
    sheet_cmd,
    studio_cmd,
    verify_cmd,
)


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line and the documented exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_BAD_INPUT, error_line(f"{message} (see 'outboard --help')") + "\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="outboard",
        description="Recall, print and measure for the analog mastering studio.",
        epilog="Exit codes: 0 success, 1 a check failed, 2 bad input or usage, "
        "3 a device or audio fault.",
    )
    # Kept apart from a command's own --library and --studio, which would otherwise overwrite
    # them with None; main() hands them on.
    parser.add_argument("--library", metavar="PATH", dest="top_library",
                        help="the library, for the app or the command that follows (default: "
                        "$OUTBOARD_LIBRARY, else your user data folder)")
    parser.add_argument("--studio", metavar="FILE", dest="top_studio",
                        help="the studio file, for the app or the command that follows "
                        "(default: $OUTBOARD_STUDIO)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    measure_cmd.register(commands)
    compare_cmd.register(commands)
    devices_cmd.register(commands)
    studio_cmd.register(commands)
    library_cmd.register(commands)
    diff_cmd.register(commands)
    sheet_cmd.register(commands)
    report_cmd.register(commands)
    archive_cmd.register(commands)
    recall_cmd.register(commands)
    audio_cmd.register(commands)
    print_cmd.register(commands)
    print_day_cmd.register(commands)
    verify_cmd.register(commands)
    demo = commands.add_parser(
        "demo", help="the app on a demo album and an emulated studio",
        description="Builds a demo library (an album of three songs with generated mixes, two "
        "revisions each, notes) and an emulated studio (two MIDI units, a serial unit and two "
        "set by hand) in a new folder, and opens the app on it. --measure only writes a demo "
        "mix and measures it.")
    demo.add_argument("--folder", metavar="DIR", help="where to build the demo (default: a "
                      "new temporary folder)")
    demo.add_argument("--measure", action="store_true",
                      help="write a demo mix and measure it, without the app")
    demo.add_argument("--output", metavar="FILE", help="with --measure: where to write the "
                      "demo mix (WAV)")
    demo.add_argument("--json", action="store_true", help="with --measure: print JSON")
    demo.set_defaults(handler=_demo)
    return parser


def _demo(args: argparse.Namespace) -> int:
    if args.measure or args.output or args.json:
        return measure_cmd.run_demo(args)
    return app_cmd.run_demo_app(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("library", "studio"):  # the command's own option, else the one before it
        if getattr(args, name, None) is None:
            setattr(args, name, getattr(args, f"top_{name}"))
    if getattr(args, "handler", None) is None:
        args.handler = app_cmd.run_app  # no command: the app
    try:
        return int(args.handler(args))
    except reported_errors() as err:
        print(error_line(err.message), file=sys.stderr)  # type: ignore[attr-defined]
        return int(err.exit_code)  # type: ignore[attr-defined]
    except sqlite3.IntegrityError as err:
        # The library's own rules (a frozen revision, a missing reference) caught a change.
        print(f"outboard: the library refused the change ({err})", file=sys.stderr)
        return EXIT_BAD_INPUT
    except sqlite3.DatabaseError as err:
        problem = damaged(library_path(getattr(args, "library", None)), err)
        print(error_line(problem.message), file=sys.stderr)
        return problem.exit_code
    except KeyboardInterrupt:
        print("outboard: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (`outboard measure ... | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
