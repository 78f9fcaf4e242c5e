"""`outboard rev …` and `outboard note …`: a song's revisions, their chains and settings,
their studio and photos, and the notes thread."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from controller.chain import definitions
from controller.errors import EXIT_OK, InputError
from devices.loader import find_profile
from recall.errors import StudioError
from recall.library import Library
from recall.records import (
    NOTE_KINDS,
    STATUSES,
    Revision,
    display_value,
    format_time,
    parse_time,
    parse_value,
    shown,
)
from recall.studio import Studio, load_studio

from .library_access import emit as _emit
from .library_access import open_library as _open
from .studio_cmd import ENVIRONMENT as STUDIO_ENVIRONMENT
from .studio_cmd import studio_file


def register(group: Callable[[str, str], Any], common: argparse.ArgumentParser) -> None:
    rev = group("rev", "revisions: the chain and every setting")
    new = rev.add_parser("new", parents=[common], help="a new draft from the latest (or --from)")
    new.add_argument("song")
    new.add_argument("--from", dest="parent", type=int, metavar="N")
    new.add_argument("--studio", metavar="FILE", type=Path,
                     help=f"record the studio it is made in (default: ${STUDIO_ENVIRONMENT}, "
                     "else the parent's)")
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
    studio = rev.add_parser("studio", parents=[common],
                            help="record the studio (routing, calibration) of a draft")
    studio.add_argument("song")
    studio.add_argument("file", metavar="FILE", type=Path, nargs="?",
                        help=f"the studio file (default: ${STUDIO_ENVIRONMENT})")
    studio.add_argument("--rev", type=int, metavar="N")
    studio.set_defaults(handler=rev_studio)
    attach = rev.add_parser("attach", parents=[common],
                            help="keep a photo (panel, patch bay) with a revision or a unit")
    attach.add_argument("song")
    attach.add_argument("file", metavar="FILE", type=Path)
    attach.add_argument("--rev", type=int, metavar="N")
    attach.add_argument("--unit", help="the unit the photo shows")
    attach.add_argument("--caption", default="")
    attach.set_defaults(handler=rev_attach)
    attached = rev.add_parser("attachments", parents=[common], help="a revision's photos")
    attached.add_argument("song")
    attached.add_argument("--rev", type=int, metavar="N")
    attached.set_defaults(handler=rev_attachments)

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


def revision_json(revision: Revision) -> dict[str, Any]:
    return {"number": revision.number, "parent": revision.parent_number,
            "status": revision.status, "frozen": revision.frozen,
            "studio": revision.studio_fingerprint, "created": revision.created,
            "routing": revision.routing, "calibration": revision.calibration,
            "chain": [{"unit": u.unit, "profile": u.profile, "bypassed": u.bypassed,
                       "settings": u.settings} for u in revision.chain]}


def _studio(given: Path | None, *, required: bool) -> Studio | None:
    """The studio file named, else $OUTBOARD_STUDIO; None when neither and not required."""
    if given is None and not os.environ.get(STUDIO_ENVIRONMENT, "").strip() and not required:
        return None
    try:
        return load_studio(studio_file(given, "show", option=True))
    except StudioError as err:
        raise InputError(err.message, title=err.title) from err


def rev_new(args: argparse.Namespace) -> int:
    studio = _studio(args.studio, required=False)
    with _open(args) as library:
        revision = library.new_revision(args.song, parent=args.parent, studio=studio)
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


def rev_show(args: argparse.Namespace) -> int:
    with _open(args) as library:
        revision = library.revision(args.song, args.rev)
        studio = (library.studio_document(revision.studio_fingerprint)
                  if revision.studio_fingerprint else None)
        attachments = library.attachments(revision.song_id, revision.number)
    if args.json:
        _emit({**revision_json(revision),
               "attachments": [asdict(a) for a in attachments]})
        return EXIT_OK
    print(f"rev {revision.number}: {revision.status}{', frozen' if revision.frozen else ''}")
    if studio is not None:
        print(f"  made in '{studio['name']}' ({(revision.studio_fingerprint or '')[:12]})")
    for position, unit in enumerate(revision.chain, start=1):
        print(f"  {position}. {unit.unit} [{unit.profile}]"
              + ("  BYPASSED" if unit.bypassed else ""))
        for parameter, value in unit.settings.items():
            print(f"       {parameter:<22} {display_value(unit.definitions[parameter], value)}")
    for a in attachments:
        print(f"  photo #{a.id} [{a.unit or 'revision'}] {a.name}"
              + (f" — {a.caption}" if a.caption else ""))
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


def rev_set(args: argparse.Namespace) -> int:
    with _open(args) as library:
        revision = library.revision(args.song, args.rev)
        changes: dict[str, dict[str, float]] = {}
        for assignment in args.assignments:
            target, equals, text = assignment.partition("=")
            unit, dot, parameter = target.rpartition(".")
            if not equals or not dot:
                raise InputError(f"{shown(assignment)}: write UNIT.PARAM=VALUE")
            chain_unit = revision.unit(unit)
            if parameter not in chain_unit.definitions:
                known = ", ".join(chain_unit.definitions)
                raise InputError(f"{unit} has no parameter {shown(parameter)} (it has: "
                                 f"{known})")
            changes.setdefault(unit, {})[parameter] = parse_value(
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


def rev_studio(args: argparse.Namespace) -> int:
    studio = _studio(args.file, required=True)
    assert studio is not None
    with _open(args) as library:
        number = _rev_number(library, args.song, args.rev)
        revision = library.record_studio(args.song, number, studio)
    if args.json:
        _emit(revision_json(revision))
    else:
        print(f"rev {revision.number}: made in '{studio.name}' "
              f"({(revision.studio_fingerprint or '')[:12]})")
    return EXIT_OK


def rev_attach(args: argparse.Namespace) -> int:
    with _open(args) as library:
        number = _rev_number(library, args.song, args.rev)
        attachment = library.attach(args.song, number, args.file, unit=args.unit,
                                    caption=args.caption)
    if args.json:
        _emit(asdict(attachment))
    else:
        owner = f" ({attachment.unit})" if attachment.unit else ""
        print(f"attachment {attachment.id} on rev {number}{owner}: {attachment.name}, "
              f"sha256 {attachment.sha256[:12]}")
    return EXIT_OK


def rev_attachments(args: argparse.Namespace) -> int:
    with _open(args) as library:
        number = _rev_number(library, args.song, args.rev)
        attachments = library.attachments(args.song, number)
        files = {a.id: library.attachment_file(a) for a in attachments}
    for a in attachments:
        if args.json:
            _emit({**asdict(a), "file": str(files[a.id])})
        else:
            owner = a.unit or "revision"
            caption = f" — {a.caption}" if a.caption else ""
            print(f"#{a.id} [{owner}] {a.name}{caption}  {files[a.id]}")
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
