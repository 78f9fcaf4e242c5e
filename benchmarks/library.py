"""Time the library at the size of a long career: open a song, list a session, diff, sheet.

Fills a library with 1,000 sessions, 10,000 songs and 100,000 revisions of 60 parameters
each (a stepped mastering equaliser, a program equaliser, a compressor and a fader unit: the
chain is built through the library once, then copied in bulk with SQL), and times each
operation the app and the commands do when an engineer opens a song. The goal is each under
20 ms; the reference is that goal (no other tool keeps this record), reported as a ratio.
"""

from __future__ import annotations

import os
import sys

if sys.path and os.path.realpath(sys.path[0]) == os.path.dirname(os.path.realpath(__file__)):
    sys.path.pop(0)

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from controller.chain import definitions
from devices.loader import find_profile
from recall.diff import diff_lines, diff_revisions
from recall.library import Library

GOAL_MS = 20.0
# The chain of every revision: 24 + 9 + 15 + ... controls, trimmed to PARAMETERS in total.
CHAIN = (("Stepped EQ", "stepped-mastering-eq"), ("Pultec", "pultec-eqp-1a"),
         ("Shadow Hills", "shadow-hills-mastering-compressor"),
         ("System 6000", "tc-system-6000-faders"))
PARAMETERS = 60


def fill(path: Path, *, sessions: int, songs: int, revisions: int) -> dict[str, Any]:
    """A library of ``sessions`` × ``songs`` × ``revisions``; returns what was made."""
    started = time.perf_counter()
    with Library(path) as library:
        library.new_session("Template")
        library.add_song("Template", "Song")
        library.new_revision("Template/Song")
        left = PARAMETERS
        for name, key in CHAIN:
            profile = find_profile(key)
            defined = definitions(profile)
            kept = dict(list(defined.items())[:left])
            left -= len(kept)
            library.add_unit("Template/Song", 1, name, profile=profile.key, definitions=kept)
        db = library.store.db
        with library.store.write():
            _bulk(db, sessions, songs, revisions)
        count = db.execute("SELECT COUNT(*) FROM setting").fetchone()[0]
    return {"seconds": time.perf_counter() - started, "settings": count,
            "bytes": path.stat().st_size}


def prepared(path: Path, *, sessions: int, songs: int, revisions: int) -> dict[str, Any]:
    """The library at ``path``: filled there, unless a library of this shape was filled
    there before (its figures are kept beside it, in ``<path>.fill.json``), so that the
    benchmarks can share one full-size library instead of filling it for each run."""
    shape = {"sessions": sessions, "songs": songs, "revisions": revisions}
    record = path.with_name(path.name + ".fill.json")
    if path.exists() and record.exists():
        kept = json.loads(record.read_text())
        if kept.get("shape") == shape:
            return dict(kept["fill"])
    for stale in (record, path, path.with_name(path.name + "-wal"),
                  path.with_name(path.name + "-shm")):
        stale.unlink(missing_ok=True)
    made = fill(path, sessions=sessions, songs=songs, revisions=revisions)
    record.write_text(json.dumps({"shape": shape, "fill": made}))
    return made


def _bulk(db: Any, sessions: int, songs: int, revisions: int) -> None:
    now = "2026-01-01T00:00:00+00:00"
    db.execute("CREATE TEMP TABLE n(i INTEGER PRIMARY KEY)")
    db.execute("WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?)"
               " INSERT INTO n SELECT i FROM c", (max(sessions, songs, revisions),))
    db.execute("INSERT INTO session (title, artist, notes, created)"
               " SELECT printf('Album %04d', i), printf('Artist %d', i % 97), '', ? FROM n"
               " WHERE i <= ?", (now, sessions))
    db.execute("INSERT INTO song (session_id, title, position, targets, created)"
               " SELECT s.id, printf('Song %02d', n.i), n.i, '[\"spotify\"]', ? FROM session s,"
               " n WHERE n.i <= ? AND s.title != 'Template'", (now, songs))
    template = db.execute("SELECT r.id FROM revision r JOIN song ON song.id = r.song_id"
                          " JOIN session ON session.id = song.session_id"
                          " WHERE session.title = 'Template'").fetchone()[0]
    db.execute("INSERT INTO revision (song_id, number, status, routing, calibration, created)"
               " SELECT song.id, n.i, CASE WHEN n.i < ? THEN 'printed' ELSE 'draft' END,"
               " '{}', '[]', ? FROM song, n JOIN session ON session.id = song.session_id"
               " WHERE n.i <= ? AND session.title != 'Template'",
               (revisions, now, revisions))
    db.execute("UPDATE revision SET parent_id = (SELECT p.id FROM revision p WHERE"
               " p.song_id = revision.song_id AND p.number = revision.number - 1)"
               " WHERE number > 1")
    db.execute("INSERT INTO chain_unit (revision_id, position, unit, profile, bypassed,"
               " definition_set_id) SELECT r.id, c.position, c.unit, c.profile, 0,"
               " c.definition_set_id"
               " FROM revision r, chain_unit c WHERE c.revision_id = ? AND r.id != ?",
               (template, template))
    # Each revision's values differ a little from its parent's: the boost moves with the
    # revision number, the rest stay at the template's.
    db.execute("INSERT INTO setting (chain_unit_id, parameter, value)"
               " SELECT cu.id, s.parameter, CASE WHEN s.parameter = 'low_boost'"
               " THEN (r.number % 10) ELSE s.value END"
               " FROM chain_unit cu JOIN revision r ON r.id = cu.revision_id"
               " JOIN chain_unit t ON t.revision_id = ? AND t.unit = cu.unit"
               " JOIN setting s ON s.chain_unit_id = t.id WHERE cu.revision_id != ?",
               (template, template))
    db.execute("INSERT INTO note (song_id, revision_id, at_seconds, kind, author, body,"
               " status, created) SELECT r.song_id, r.id, 30.0 + r.number, 'reaction', 'artist',"
               " 'More weight in the low end', 'open', ? FROM revision r WHERE r.number % 3 = 0",
               (now,))
    db.execute("DROP TABLE n")


def timed(action: Callable[[], object], *, runs: int) -> dict[str, float]:
    """Milliseconds: median and worst of ``runs`` after one warm-up."""
    action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000.0)
    return {"median_ms": statistics.median(times), "worst_ms": max(times)}


def measure(path: Path, *, sessions: int, songs: int, revisions: int,
            runs: int) -> dict[str, Any]:
    # The middle of the library: neither the first rows nor the last.
    session = f"Album {sessions // 2:04d}"
    song = f"{session}/Song {max(songs // 2, 1):02d}"
    latest = revisions
    with Library(path) as library:
        def open_song() -> object:
            return library.revision(song), library.notes(song)

        def list_session() -> object:
            return library.session_overview(session)

        def diff() -> object:
            owner = library.song(song)
            a = library.revision(owner.id, max(latest - 1, 1))
            b = library.revision(owner.id, latest)
            return diff_lines(diff_revisions(owner.name, a, b, library.notes(owner.id)))

        results = {"open song": timed(open_song, runs=runs),
                   "list session": timed(list_session, runs=runs),
                   "diff": timed(diff, runs=runs)}
        sheet = _sheet(library, song)
        if sheet is not None:
            for fmt in ("md", "html"):
                results[f"sheet ({fmt})"] = timed(lambda f=fmt: sheet(f), runs=runs)
    return results


def _sheet(library: Library, song: str) -> Callable[[str], object] | None:
    try:
        from recall.sheet import song_sheet
        from recall.sheet_render import render
    except ImportError:
        return None
    return lambda fmt: render(song_sheet(library, song), fmt)


def shape_options(parser: argparse.ArgumentParser) -> None:
    """The library's size and where to keep it: options the app and command benchmarks
    share with this one, so each fills (or reuses) the same library."""
    parser.add_argument("--sessions", type=int, default=1_000)
    parser.add_argument("--songs", type=int, default=10, help="songs per session")
    parser.add_argument("--revisions", type=int, default=10, help="revisions per song")
    parser.add_argument("--library", metavar="PATH", type=Path,
                        help="fill the library here and keep it, or reuse the one of the "
                        "same shape filled here before (default: a temporary file)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    shape_options(parser)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.library or Path(folder) / "library.sqlite"
        made = prepared(path, sessions=args.sessions, songs=args.songs,
                        revisions=args.revisions)
        results = measure(path, sessions=args.sessions, songs=args.songs,
                          revisions=args.revisions, runs=args.runs)
    report = {"sessions": args.sessions, "songs": args.sessions * args.songs,
              "revisions": args.sessions * args.songs * args.revisions,
              "parameters_per_revision": PARAMETERS, "fill": made, "goal_ms": GOAL_MS,
              "operations": {name: {**r, "goal_ratio": GOAL_MS / r["median_ms"]}
                             for name, r in results.items()}}
    if args.json:
        print(json.dumps(report))
        return 0
    print(f"library: {report['sessions']:,} sessions, {report['songs']:,} songs, "
          f"{report['revisions']:,} revisions × {PARAMETERS} parameters "
          f"({made['settings']:,} settings, {made['bytes'] / 2**20:.0f} MiB, "
          f"filled in {made['seconds']:.0f} s)")
    for name, r in report["operations"].items():
        print(f"  {name:<14} median {r['median_ms']:6.2f} ms  worst {r['worst_ms']:6.2f} ms  "
              f"goal {GOAL_MS:.0f} ms: {r['goal_ratio']:.1f}x inside")
    return 0


if __name__ == "__main__":
    sys.exit(main())
