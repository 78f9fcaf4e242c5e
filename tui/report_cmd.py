"""`outboard report SONG|SESSION`: the artist's revision report, one HTML page or Markdown."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from controller.errors import EXIT_OK, InputError
from controller.report_words import FORMATS
from recall.errors import NotFound
from recall.files import portable_name

from .library_access import open_library
from .output_file import check_target, write_atomically

if TYPE_CHECKING:
    from controller.report import Report


def register(commands: Any) -> None:
    report = commands.add_parser(
        "report", help="the artist's revision report of a song or a whole session",
        description="A page the artist can read on a phone: what changed between two "
        "revisions in plain words, loudness, true peak and loudness range of their latest "
        "prints before and after, loudness over time and the spectral difference as plots, "
        "the delivery-target checks and the notes with their status. SONG|SESSION is tried "
        'as a song first ("Session/Song", or the song id), then as a session title: a session '
        "gives one page with every song in track order, each at its latest revision against "
        "its parent, under a short album summary.")
    report.add_argument("name", metavar="SONG|SESSION",
                        help='"Session/Song" or a song id; else a session title')
    report.add_argument("--rev", type=int, metavar="N",
                        help="the revision to report (default: the song's latest)")
    report.add_argument("--against", type=int, metavar="M",
                        help="the revision to compare with (default: the parent of --rev)")
    report.add_argument("--format", choices=FORMATS, default="html",
                        help="html (default: one self-contained page) or md (Markdown, with "
                        "the plots as PNG files beside it)")
    report.add_argument("-o", "--output", metavar="FILE",
                        help="where to write it (default: '<Song or Session>.html' or .md "
                        "in the current folder)")
    report.add_argument("--library", metavar="PATH", help="the library file")
    report.set_defaults(handler=run_report)


def run_report(args: argparse.Namespace) -> int:
    from controller.report import SessionReport
    from controller.report_render import render

    target = check_target(Path(args.output)) if args.output else None
    with open_library(args) as library:
        report = _gather(library, args)
    title = (report.session.title if isinstance(report, SessionReport)
             else report.song.title)
    if target is None:
        target = Path.cwd() / f"{_file_name(title)}.{args.format}"
    rendered = render(report, args.format, name=target.stem)
    for name, data in rendered.images:
        write_atomically(target.with_name(name), data, what="the report")
    write_atomically(target, rendered.text.encode("utf-8"), what="the report")
    print(target)
    return EXIT_OK


def _gather(library: Any, args: argparse.Namespace) -> Report:
    """A song's report if NAME is a song, else a session's; InputError naming NAME if
    neither (or if --rev / --against come with a session)."""
    from controller.report import session_report, song_report

    song, session, why = None, None, ""
    try:
        song = library.song(args.name)
    except NotFound as err:
        why = err.message
        try:
            session = library.session(args.name)
        except NotFound:
            pass
    if song is not None:
        try:
            return song_report(library, song.id, args.rev, against=args.against)
        except NotFound as err:
            raise InputError(err.message) from err
    if session is None:
        if "ambiguous" in why:
            raise InputError(why)
        titles = ", ".join(s.title for s in library.sessions()) or "none yet"
        raise InputError(f"'{args.name}' is neither a song (name it Session/Song, or by id) "
                         f"nor a session (sessions: {titles})")
    if args.rev is not None or args.against is not None:
        raise InputError(f"'{session.title}' is a session: --rev and --against are for one "
                         "song (a session's report compares each song's latest revision with "
                         "its parent)")
    return session_report(library, session.id)


# The longest default name without its suffix, in bytes: room is left for ".html" and for
# the Markdown plots named after it ("<name>-<track>-loudness.png").
NAME_BYTES = 200


def _file_name(title: str) -> str:
    """A song's or session's title fit for a file name (see
    :func:`recall.files.portable_name`); the suffix is added after."""
    return portable_name(title, limit=NAME_BYTES, fallback="report")
