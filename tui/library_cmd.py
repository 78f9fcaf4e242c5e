"""`outboard session|song|rev|note …`: the library from the command line."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from pathlib import Path
from typing import Any

from controller.errors import EXIT_OK, InputError

from . import revision_cmd
from .library_access import emit as _emit
from .library_access import open_library as _open


def register(commands: Any) -> None:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", metavar="PATH",
                        help="the library file (default: $OUTBOARD_LIBRARY, else your user "
                        "data folder)")
    common.add_argument("--json", action="store_true", help="print JSON")

    def group(name: str, text: str) -> Any:
        parser = commands.add_parser(name, help=text)
        sub = parser.add_subparsers(dest=f"{name}_command", metavar="ACTION",
                                    parser_class=type(parser))
        sub.required = True
        return sub

    session = group("session", "albums and EPs")
    new = session.add_parser("new", parents=[common], help="start a session")
    new.add_argument("title")
    new.add_argument("--artist", default="")
    new.add_argument("--notes", default="")
    new.set_defaults(handler=session_new)
    session.add_parser("list", parents=[common], help="every session").set_defaults(
        handler=session_list)
    show = session.add_parser("show", parents=[common], help="a session and its songs")
    show.add_argument("session")
    show.set_defaults(handler=session_show)

    song = group("song", "songs of a session")
    add = song.add_parser("add", parents=[common], help="add a song to a session")
    add.add_argument("session")
    add.add_argument("title")
    add.add_argument("--position", type=int)
    add.add_argument("--source", metavar="FILE", type=Path, help="the mix to master")
    add.add_argument("--target", dest="targets", action="append", default=[], metavar="NAME",
                     help="a delivery target (outboard targets lists them); repeat for more")
    add.set_defaults(handler=song_add)
    change = song.add_parser("set", parents=[common],
                             help="change a song's source mix or delivery targets")
    change.add_argument("song", help='"Session/Song", or the song id')
    change.add_argument("--source", metavar="FILE", type=Path, help="the mix to master")
    change.add_argument("--target", dest="targets", action="append", metavar="NAME",
                        help="a delivery target; repeat for more (replaces the list)")
    change.add_argument("--no-targets", action="store_true", help="clear the targets")
    change.set_defaults(handler=song_set)
    listing = song.add_parser("list", parents=[common], help="a session's songs")
    listing.add_argument("session")
    listing.set_defaults(handler=song_list)
    show = song.add_parser("show", parents=[common], help="a song, its revisions and notes")
    show.add_argument("song", help='"Session/Song", or the song id')
    show.set_defaults(handler=song_show)

    revision_cmd.register(group, common)




def session_new(args: argparse.Namespace) -> int:
    with _open(args, create=True) as library:
        session = library.new_session(args.title, artist=args.artist, notes=args.notes)
    _emit(asdict(session)) if args.json else print(f"session {session.id}: {session.title}")
    return EXIT_OK


def session_list(args: argparse.Namespace) -> int:
    with _open(args) as library:
        sessions = library.sessions()
        summaries, _ = library.session_summaries()  # the songs counted in the same query
    songs = {s.id: s.songs for s in summaries}
    for session in sessions:
        if args.json:
            _emit({**asdict(session), "songs": songs.get(session.id, 0)})
        else:
            artist = f" — {session.artist}" if session.artist else ""
            print(f"{session.id:>4}  {session.title}{artist}  ({songs.get(session.id, 0)} "
                  "songs)")
    return EXIT_OK


def session_show(args: argparse.Namespace) -> int:
    with _open(args) as library:
        session = library.session(args.session)
        songs = library.session_overview(session.id)
    if args.json:
        _emit({**asdict(session), "songs": [
            {**asdict(song), "latest_revision": latest, "status": status}
            for song, latest, status in songs]})
        return EXIT_OK
    print(f"{session.title}" + (f" — {session.artist}" if session.artist else ""))
    for song, latest, status in songs:
        print(f"  {song.position:>2}. {song.title}  " + (f"rev {latest} ({status})" if latest
                                                         else "no revision yet"))
    return EXIT_OK


def _targets(names: list[str]) -> tuple[str, ...]:
    from controller.targets import load_targets

    known = load_targets()
    for name in names:
        if name not in known:
            raise InputError(f"no delivery target '{name}' (targets: {', '.join(known)})")
    return tuple(names)


def _source(path: str) -> dict[str, Any]:
    """The mix's record (path, checksum, rate, channels), its file checked."""
    from controller.sources import source_record

    return source_record(path)


def song_add(args: argparse.Namespace) -> int:
    source = _source(args.source) if args.source else None
    targets = _targets(args.targets)
    with _open(args) as library:
        song = library.add_song(args.session, args.title, position=args.position,
                                source=source, targets=targets)
    _emit(asdict(song)) if args.json else print(f"song {song.id}: {song.name}")
    return EXIT_OK


def song_set(args: argparse.Namespace) -> int:
    if args.no_targets and args.targets:
        raise InputError("--target and --no-targets contradict each other")
    source = _source(args.source) if args.source else None
    targets = () if args.no_targets else (_targets(args.targets) if args.targets else None)
    with _open(args) as library:
        song = library.set_song(args.song, source=source, targets=targets)
    if args.json:
        _emit(asdict(song))
    else:
        print(f"song {song.id}: {song.name}; targets: {', '.join(song.targets) or 'none'}")
    return EXIT_OK


def song_list(args: argparse.Namespace) -> int:
    with _open(args) as library:
        for song in library.songs(args.session):
            _emit(asdict(song)) if args.json else print(f"{song.position:>2}. {song.title}")
    return EXIT_OK


def song_show(args: argparse.Namespace) -> int:
    with _open(args) as library:
        song = library.song(args.song)
        revisions = library.revision_summaries(song.id)
        notes = library.notes(song.id)
    if args.json:
        _emit({**asdict(song), "revisions": [{"number": r.number, "status": r.status,
                                              "frozen": r.frozen} for r in revisions],
               "notes": [asdict(n) for n in notes]})
        return EXIT_OK
    print(song.name)
    if song.source_path:
        print(f"  source: {song.source_path} ({song.source_rate} Hz, {song.source_channels} ch, "
              f"sha256 {(song.source_sha256 or '')[:12]})")
    print(f"  targets: {', '.join(song.targets) or 'none'}")
    for r in revisions:
        print(f"  rev {r.number}: {r.status}{', frozen' if r.frozen else ''}, "
              f"{r.units} units")
    open_notes = [n for n in notes if n.status == "open"]
    print(f"  {len(open_notes)} open notes of {len(notes)}")
    return EXIT_OK
