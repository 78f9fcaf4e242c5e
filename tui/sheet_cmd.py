"""`outboard sheet SONG | --session SESSION`: printable recall sheets in Markdown, HTML, CSV or
JSON, to stdout or written whole to a file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from controller.errors import EXIT_OK, InputError
from recall.sheet import session_sheet, song_sheet
from recall.sheet_render import FORMATS, render

from .library_access import open_library
from .output_file import check_target, write_atomically


def register(commands: Any) -> None:
    sheet = commands.add_parser(
        "sheet", help="a printable recall sheet of a song's revision or of a whole session",
        description="Everything needed to put the gear back by hand: the chain in signal "
        "order, every control as its panel shows it (with the detent position of stepped "
        "controls), the changes since the parent revision marked, routing and calibration, "
        "photos and the notes. With --session, every song of the session in track order, "
        "each at its latest revision.")
    sheet.add_argument("song", nargs="?", help='"Session/Song", or the song id')
    sheet.add_argument("--session", metavar="SESSION",
                       help="every song of this session (title or id) instead of one song")
    sheet.add_argument("--rev", type=int, metavar="N", help="the revision (default: the latest)")
    sheet.add_argument("--format", choices=FORMATS, default="md",
                       help="md (default), html (one printable file), csv or json")
    sheet.add_argument("-o", "--output", metavar="FILE",
                       help="write the sheet to FILE instead of printing it")
    sheet.add_argument("--library", metavar="PATH", help="the library file")
    sheet.set_defaults(handler=run_sheet)


def run_sheet(args: argparse.Namespace) -> int:
    if (args.song is None) == (args.session is None):
        raise InputError("name either a song or --session SESSION")
    if args.session is not None and args.rev is not None:
        raise InputError("--rev is for one song; a session sheet shows each song's latest "
                         "revision")
    target = check_target(Path(args.output)) if args.output else None
    with open_library(args) as library:
        if args.session is not None:
            sheet = session_sheet(library, args.session)
            what = f"session '{sheet.session.title}' ({len(sheet.songs)} songs)"
        else:
            sheet = song_sheet(library, args.song, args.rev)
            what = f"{sheet.song.name} revision {sheet.revision.number}"
        text = render(sheet, args.format)
    if target is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return EXIT_OK
    write_atomically(target, text.encode("utf-8"), what="the sheet")
    print(f"wrote the {args.format} sheet of {what} to {target}")
    return EXIT_OK
