"""`outboard session|song|rev|note …`: the library from the command line."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from typing import Any

from controller.chain import definitions, library_path
from controller.errors import EXIT_OK, InputError
from devices.loader import find_profile
from recall.library import Library
from recall.records import NOTE_KINDS, STATUSES, Revision, format_time, parse_time


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
    add.set_defaults(handler=song_add)
    listing = song.add_parser("list", parents=[common], help="a session's songs")
    listing.add_argument("session")
    listing.set_defaults(handler=song_list)
    show = song.add_parser("show", parents=[common], help="a song, its revisions and notes")
    show.add_argument("song", help='"Session/Song", or the song id')
    show.set_defaults(handler=song_show)

    rev = group("rev", "revisions: the chain and every setting")
    new = rev.add_parser("new", parents=[common], help="a new draft from the latest (or --from)")
    new.add_argument("song")
    new.add_argument("--from", dest="parent", type=int, metavar="N")
    new.set_defaults(handler=rev_new)
    listing = rev.add_parser("list", parents=[common], help="a song's revisions")
    listing.add_argument("song")
    listing.set_defaults(handler=rev_list)
    show = rev.add_parser("show", parents=[common], help="a revision's chain and settings")
    show.add_argument("song")
    show.add_argument("--rev", type=int, metavar="N")
    show.set_defaults(handler=rev_show)
    unit = rev.add_parser("add-unit", parents=[common], help="put a unit in the chain")
    unit.add_argument("song")
    unit.add_argument("unit", help="the unit's name in this studio")
    unit.add_argument("--profile", required=True)
    unit.add_argument("--rev", type=int, metavar="N")
    unit.add_argument("--position", type=int)
    unit.set_defaults(handler=rev_add_unit)
    setting = rev.add_parser("set", parents=[common], help="set values: UNIT.PARAM=VALUE …")
    setting.add_argument("song")
    setting.add_argument("assignments", nargs="+", metavar="UNIT.PARAM=VALUE")
    setting.add_argument("--rev", type=int, metavar="N")
    setting.set_defaults(handler=rev_set)
    status = rev.add_parser("status", parents=[common], help="mark a revision's status")
    status.add_argument("song")
    status.add_argument("status", choices=STATUSES)
    status.add_argument("--rev", type=int, metavar="N")
    status.set_defaults(handler=rev_status)

    note = group("note", "the conversation: reactions, flags and requests")
    add = note.add_parser("add", parents=[common], help="add a note to a song")
    add.add_argument("song")
    add.add_argument("text")
    add.add_argument("--kind", choices=NOTE_KINDS, default="reaction")
    add.add_argument("--author", choices=("engineer", "artist", "other"), default="engineer")
    add.add_argument("--rev", type=int, metavar="N")
    add.add_argument("--at", metavar="MM:SS.S", help="the moment in the song")
    add.set_defaults(handler=note_add)
    listing = note.add_parser("list", parents=[common], help="a song's notes")
    listing.add_argument("song")
    listing.add_argument("--open", action="store_true", help="only those still open")
    listing.set_defaults(handler=note_list)
    resolve = note.add_parser("resolve", parents=[common], help="mark a note addressed")
    resolve.add_argument("note", type=int)
    how = resolve.add_mutually_exclusive_group(required=True)
    how.add_argument("--in", dest="addressed_in", type=int, metavar="N",
                     help="the revision that addressed it")
    how.add_argument("--declined", action="store_true")
    resolve.set_defaults(handler=note_resolve)


def _open(args: argparse.Namespace) -> Library:
    return Library(library_path(args.library))


def _emit(document: Any) -> None:
    print(json.dumps(document, allow_nan=False, ensure_ascii=False), flush=True)


def session_new(args: argparse.Namespace) -> int:
    with _open(args) as library:
        session = library.new_session(args.title, artist=args.artist, notes=args.notes)
    _emit(asdict(session)) if args.json else print(f"session {session.id}: {session.title}")
    return EXIT_OK


def session_list(args: argparse.Namespace) -> int:
    with _open(args) as library:
        for session in library.sessions():
            songs = len(library.songs(session.id))
            if args.json:
                _emit({**asdict(session), "songs": songs})
            else:
                artist = f" — {session.artist}" if session.artist else ""
                print(f"{session.id:>4}  {session.title}{artist}  ({songs} songs)")
    return EXIT_OK


def session_show(args: argparse.Namespace) -> int:
    with _open(args) as library:
        session = library.session(args.session)
        songs = library.songs(session.id)
        latest = {s.id: (library.revisions(s.id) or [None])[-1] for s in songs}
    if args.json:
        _emit({**asdict(session), "songs": [
            {**asdict(s), "latest_revision": r.number if r else None,
             "status": r.status if r else None} for s in songs for r in [latest[s.id]]]})
        return EXIT_OK
    print(f"{session.title}" + (f" — {session.artist}" if session.artist else ""))
    for s in songs:
        r = latest[s.id]
        print(f"  {s.position:>2}. {s.title}  " + (f"rev {r.number} ({r.status})" if r
                                                   else "no revision yet"))
    return EXIT_OK


def song_add(args: argparse.Namespace) -> int:
    with _open(args) as library:
        song = library.add_song(args.session, args.title, position=args.position)
    _emit(asdict(song)) if args.json else print(f"song {song.id}: {song.name}")
    return EXIT_OK


def song_list(args: argparse.Namespace) -> int:
    with _open(args) as library:
        for song in library.songs(args.session):
            _emit(asdict(song)) if args.json else print(f"{song.position:>2}. {song.title}")
    return EXIT_OK


def song_show(args: argparse.Namespace) -> int:
    with _open(args) as library:
        song = library.song(args.song)
        revisions = library.revisions(song.id)
        notes = library.notes(song.id)
    if args.json:
        _emit({**asdict(song), "revisions": [{"number": r.number, "status": r.status,
                                              "frozen": r.frozen} for r in revisions],
               "notes": [asdict(n) for n in notes]})
        return EXIT_OK
    print(song.name)
    for r in revisions:
        print(f"  rev {r.number}: {r.status}{', frozen' if r.frozen else ''}, "
              f"{len(r.chain)} units")
    open_notes = [n for n in notes if n.status == "open"]
    print(f"  {len(open_notes)} open notes of {len(notes)}")
    return EXIT_OK


def revision_json(revision: Revision) -> dict[str, Any]:
    return {"number": revision.number, "parent": revision.parent_number,
            "status": revision.status, "frozen": revision.frozen,
            "studio": revision.studio_fingerprint, "created": revision.created,
            "chain": [{"unit": u.unit, "profile": u.profile, "bypassed": u.bypassed,
                       "settings": u.settings} for u in revision.chain]}


def rev_new(args: argparse.Namespace) -> int:
    with _open(args) as library:
        revision = library.new_revision(args.song, parent=args.parent)
    if args.json:
        _emit(revision_json(revision))
    else:
        origin = f" from rev {revision.parent_number}" if revision.parent_number else ""
        print(f"rev {revision.number} (draft){origin}")
    return EXIT_OK


def rev_list(args: argparse.Namespace) -> int:
    with _open(args) as library:
        for r in library.revisions(args.song):
            if args.json:
                _emit(revision_json(r))
            else:
                print(f"rev {r.number}: {r.status}{', frozen' if r.frozen else ''}; "
                      + (" > ".join(u.unit for u in r.chain) or "empty chain"))
    return EXIT_OK


def _label(definition: dict[str, Any], value: float) -> str:
    if definition.get("kind") == "stepped":
        for detent in definition["detents"]:
            if detent["value"] == value:
                return str(detent["label"])
    if definition.get("kind") in ("switch", "choice"):
        return str(definition["labels"][int(value)])
    return f"{value:g} {definition.get('unit', '')}".strip()


def rev_show(args: argparse.Namespace) -> int:
    with _open(args) as library:
        revision = library.revision(args.song, args.rev)
    if args.json:
        _emit(revision_json(revision))
        return EXIT_OK
    print(f"rev {revision.number}: {revision.status}{', frozen' if revision.frozen else ''}")
    for position, unit in enumerate(revision.chain, start=1):
        print(f"  {position}. {unit.unit} [{unit.profile}]"
              + ("  BYPASSED" if unit.bypassed else ""))
        for parameter, value in unit.settings.items():
            print(f"       {parameter:<22} {_label(unit.definitions[parameter], value)}")
    return EXIT_OK


def _rev_number(library: Library, song: str, number: int | None) -> int:
    return library.revision(song, number).number


def rev_add_unit(args: argparse.Namespace) -> int:
    profile = find_profile(args.profile)
    with _open(args) as library:
        number = _rev_number(library, args.song, args.rev)
        revision = library.add_unit(args.song, number, args.unit, profile=profile.key,
                                    definitions=definitions(profile), position=args.position)
    if args.json:
        _emit(revision_json(revision))
    else:
        print(f"rev {revision.number}: " + " > ".join(u.unit for u in revision.chain))
    return EXIT_OK


def _value(definition: dict[str, Any], text: str) -> float:
    for detent in definition.get("detents", []):
        if text == detent["label"]:
            return float(detent["value"])
    labels = definition.get("labels", [])
    if text in labels:
        return float(labels.index(text))
    try:
        return float(text)
    except ValueError:
        raise InputError(f"'{text}' is neither a number nor one of the control's labels") from None


def rev_set(args: argparse.Namespace) -> int:
    with _open(args) as library:
        revision = library.revision(args.song, args.rev)
        changes: dict[str, dict[str, float]] = {}
        for assignment in args.assignments:
            target, equals, text = assignment.partition("=")
            unit, dot, parameter = target.rpartition(".")
            if not equals or not dot:
                raise InputError(f"'{assignment}': write UNIT.PARAM=VALUE")
            chain_unit = revision.unit(unit)
            if parameter not in chain_unit.definitions:
                known = ", ".join(chain_unit.definitions)
                raise InputError(f"{unit} has no parameter '{parameter}' (it has: {known})")
            changes.setdefault(unit, {})[parameter] = _value(
                chain_unit.definitions[parameter], text)
        for unit, values in changes.items():
            revision = library.set_values(args.song, revision.number, unit, values)
    if args.json:
        _emit(revision_json(revision))
    else:
        print(f"rev {revision.number}: {sum(len(v) for v in changes.values())} values set")
    return EXIT_OK


def rev_status(args: argparse.Namespace) -> int:
    with _open(args) as library:
        number = _rev_number(library, args.song, args.rev)
        revision = library.set_status(args.song, number, args.status)
    _emit(revision_json(revision)) if args.json else print(f"rev {revision.number}: "
                                                           f"{revision.status}")
    return EXIT_OK


def note_add(args: argparse.Namespace) -> int:
    at = parse_time(args.at) if args.at else None
    with _open(args) as library:
        note = library.add_note(args.song, args.text, kind=args.kind, author=args.author,
                                revision=args.rev, at_seconds=at)
    _emit(asdict(note)) if args.json else print(f"note {note.id} ({note.kind}, {note.author})")
    return EXIT_OK


def note_list(args: argparse.Namespace) -> int:
    with _open(args) as library:
        notes = library.notes(args.song, status="open" if args.open else None)
    for n in notes:
        if args.json:
            _emit(asdict(n))
            continue
        where = f" @{format_time(n.at_seconds)}" if n.at_seconds is not None else ""
        rev = f" rev {n.revision_number}" if n.revision_number else ""
        state = f"addressed in rev {n.addressed_in}" if n.status == "addressed" else n.status
        print(f"#{n.id}{where}{rev} [{n.kind}, {n.author}] {n.body}  — {state}")
    return EXIT_OK


def note_resolve(args: argparse.Namespace) -> int:
    with _open(args) as library:
        note = library.resolve_note(args.note, addressed_in=args.addressed_in,
                                    declined=args.declined)
    _emit(asdict(note)) if args.json else print(f"note {note.id}: {note.status}")
    return EXIT_OK
