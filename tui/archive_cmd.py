"""`outboard library export|import|backup|check`: moving a session and keeping a library."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from controller.chain import library_path
from controller.errors import EXIT_CHECK_FAILED, EXIT_OK, InputError, error_line
from recall.archive import export_session, import_session
from recall.archive_check import backup_library, check_library
from recall.files import files_folder

from .library_access import emit as _emit
from .library_access import open_library as _open


def register(commands: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", metavar="PATH",
                        help="the library file (default: $OUTBOARD_LIBRARY, else your user "
                        "data folder)")
    common.add_argument("--json", action="store_true", help="print JSON")

    parser = commands.add_parser("library", help="export, import, back up and check")
    actions = parser.add_subparsers(dest="library_command", metavar="ACTION",
                                    parser_class=type(parser))
    actions.required = True
    export = actions.add_parser("export", parents=[common],
                                help="write a session, its files included, to hand on")
    export.add_argument("session", help="the session's title or id")
    export.add_argument("dest", type=Path,
                        help="a new or empty folder, or a new file ending in .zip")
    export.set_defaults(handler=run_export)
    load = actions.add_parser("import", parents=[common],
                              help="add a session from an export (folder or .zip)")
    load.add_argument("source", type=Path)
    load.add_argument("--as", dest="title", metavar="TITLE",
                      help="the session's title here, when the library already has one of "
                      "that title")
    load.set_defaults(handler=run_import)
    backup = actions.add_parser("backup", parents=[common],
                                help="a consistent copy of the library and its files")
    backup.add_argument("path", type=Path,
                        help="the backup file; its files go beside it in <name>-files")
    backup.set_defaults(handler=run_backup)
    check = actions.add_parser("check", parents=[common],
                               help="the library file, and every attachment and print "
                               "against its checksum")
    check.set_defaults(handler=run_check)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'s' * (count != 1)}"


def run_export(args: argparse.Namespace) -> int:
    with _open(args) as library:
        try:
            report = export_session(library, args.session, args.dest)
        except OSError as err:  # a full disk, a folder not writable, a name too long
            raise InputError(f"{args.dest}: cannot write the export "
                             f"({err.strerror or err})") from err
    for warning in report.warnings:
        print(f"outboard: warning: {warning}", file=sys.stderr)
    if args.json:
        _emit(asdict(report))
    else:
        print(f"exported '{report.session}' to {report.path}: {_plural(report.songs, 'song')}, "
              f"{_plural(report.revisions, 'revision')}, {_plural(report.prints, 'print')}, "
              f"{_plural(report.attachments, 'attachment')}")
    return EXIT_OK


def run_import(args: argparse.Namespace) -> int:
    path = library_path(args.library)
    fresh = not path.exists()
    try:
        with _open(args, create=True) as library:
            report = import_session(library, args.source, title=args.title)
    except OSError as err:  # the files folder not writable, a full disk
        if fresh:
            _remove_new_library(path)
        raise InputError(f"{args.source}: cannot import into {path} "
                         f"({err.strerror or err})") from err
    except BaseException:
        if fresh:
            _remove_new_library(path)
        raise
    if args.json:
        _emit(asdict(report))
    else:
        print(f"imported '{report.session}': {_plural(report.songs, 'song')}, "
              f"{_plural(report.revisions, 'revision')}, {_plural(report.prints, 'print')}, "
              f"{_plural(report.attachments, 'attachment')}, {_plural(report.notes, 'note')}")
    return EXIT_OK


def _remove_new_library(path: Path) -> None:
    """Take away the library an import refused before anything went into it: a refused
    import leaves no empty library behind."""
    for side in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + side).unlink(missing_ok=True)
    try:
        files_folder(path).rmdir()
    except OSError:  # not there, or not empty
        pass


def run_backup(args: argparse.Namespace) -> int:
    with _open(args) as library:
        report = backup_library(library, args.path)
    if args.json:
        _emit(asdict(report))
    else:
        print(f"backed up to {report.path} ({report.size / 2**20:.1f} MiB) and {report.files} "
              f"({_plural(report.file_count, 'file')})")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    with _open(args) as library:
        report = check_library(library)
    if args.json:
        _emit({"library": report.library, "ok": report.ok, "attachments": report.attachments,
               "prints": report.prints,
               "problems": [{**asdict(p), "message": p.line} for p in report.problems]})
    else:
        for problem in report.problems:
            print(error_line(problem.line), file=sys.stderr)
        print(report.summary)
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED
