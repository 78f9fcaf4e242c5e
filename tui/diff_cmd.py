"""`outboard diff SONG A B`: what changed between two revisions."""

from __future__ import annotations

import argparse
from typing import Any

from controller.errors import EXIT_OK
from recall.diff import diff_dict, diff_lines, diff_revisions

from .library_access import emit, open_library


def register(commands: Any) -> None:
    diff = commands.add_parser(
        "diff", help="what changed between two revisions of a song",
        description="The chain (units added, removed, moved, bypassed), each control's old "
        "and new value with the change, routing and calibration, and the notes opened and "
        "addressed in between. B defaults to the revision after A; with neither, the latest "
        "revision against its parent.")
    diff.add_argument("song", help='"Session/Song", or the song id')
    diff.add_argument("a", type=int, nargs="?", metavar="A", help="the earlier revision")
    diff.add_argument("b", type=int, nargs="?", metavar="B", help="the later revision")
    diff.add_argument("--library", metavar="PATH", help="the library file")
    diff.add_argument("--json", action="store_true", help="print JSON")
    diff.set_defaults(handler=run_diff)


def run_diff(args: argparse.Namespace) -> int:
    with open_library(args) as library:
        song = library.song(args.song)
        if args.a is None:
            b = library.revision(song.id)
            a = library.revision(song.id, b.parent_number or b.number)
        else:
            a = library.revision(song.id, args.a)
            b = library.revision(song.id, args.b if args.b is not None else args.a + 1)
        diff = diff_revisions(song.name, a, b, library.notes(song.id))
    if args.json:
        emit(diff_dict(diff))
    else:
        print("\n".join(diff_lines(diff)))
    return EXIT_OK
