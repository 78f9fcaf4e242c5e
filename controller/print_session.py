"""Printing a revision: choose its loop, ping the loop when its last ping is stale, enter the
take in the ledger, print, measure the print and close the take with its figures, then
fingerprint the chain for later verification."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from recall.files import NAME_BYTES, files_folder, portable_name
from recall.library import Library
from recall.records import Revision, Song
from recall.studio import Studio, Unit
from recall.takes import PingRecord, Take

from .audio.fingerprint import Fingerprint, take_fingerprint
from .audio.loops import LoopSetup, loop_setup, stale_because
from .audio.metadata import print_bext, print_ixml
from .audio.pinger import REPEATS, LoopPing, ping_loop
from .audio.printing import (
    DEFAULT_OPTIONS,
    PrintOptions,
    PrintProgress,
    PrintResult,
    check_source,
    outcome,
    run_print,
)
from .errors import AudioError, InputError
from .measure import measure_file, measurement_json
from .sources import sha256_file


@dataclass(frozen=True, slots=True)
class PrintOutcome:
    take: Take
    result: PrintResult
    ping: PingRecord
    pinged: bool  # pinged for this print (the stored ping was missing or stale)
    stale: tuple[str, ...]  # why the stored ping no longer held
    fingerprint: Fingerprint | None = None  # the chain's, taken after the print


def choose_loop(studio: Studio, revision: Revision, loop: str | None) -> str:
    """The loop a revision prints through: the one named, or the one its chain sits in."""
    if loop is not None:
        if loop not in {lp.name for lp in studio.loops}:
            _no_loop(studio, loop)
        return loop
    used = []
    for chain_unit in revision.chain:
        unit = next((u for u in studio.units if u.name == chain_unit.unit), None)
        if unit is not None and unit.loop is not None and unit.loop not in used:
            used.append(unit.loop)
    if len(used) == 1:
        return used[0]
    if not used:
        if len(studio.loops) == 1:
            return studio.loops[0].name
        raise InputError(f"revision {revision.number}'s chain sits in none of studio "
                         f"'{studio.name}''s loops; name one with --loop")
    raise InputError(f"revision {revision.number}'s chain uses loops {', '.join(used)}; print "
                     "one loop at a time with --loop, or patch them as one loop in the studio "
                     "file")


def _no_loop(studio: Studio, loop: str) -> None:
    names = ", ".join(lp.name for lp in studio.loops) or "none"
    raise InputError(f"studio '{studio.name}' has no loop '{loop}' (loops: {names})")


def revision_values(revision: Revision) -> Callable[[Unit], Mapping[str, float] | None]:
    """The gear set as the revision says: what the simulated loop models when no emulated
    unit reports its own state. A unit the chain bypasses, or does not hold, is out."""

    def values(unit: Unit) -> Mapping[str, float] | None:
        for chain_unit in revision.chain:
            if chain_unit.unit == unit.name:
                return None if chain_unit.bypassed else chain_unit.settings
        return None

    return values


def recalled_values(library: Library, song: int, revision: Revision
                    ) -> Callable[[Unit], Mapping[str, float] | None]:
    """The gear as the last recall of the revision left it, where it says (a value set by
    hand other than the revision's, a unit that read back something else); elsewhere as the
    revision says. What a simulated loop models when nothing keeps the units' state."""
    attempts = library.attempts(song, revision.number)
    actual: dict[str, dict[str, float]] = {}
    if attempts:
        for outcome in attempts[-1].outcomes:
            if outcome.actual is not None:
                actual.setdefault(outcome.unit, {})[outcome.parameter] = outcome.actual
    planned = revision_values(revision)

    def values(unit: Unit) -> Mapping[str, float] | None:
        settings = planned(unit)
        if settings is None:
            return None
        return {**settings, **actual.get(unit.name, {})}

    return values


def current_ping(library: Library, setup: LoopSetup) -> tuple[PingRecord | None, list[str]]:
    """The loop's stored ping and why it is stale (empty: it holds; None: never pinged)."""
    stored = library.latest_ping(setup.studio.name, setup.loop.name)
    if stored is None:
        return None, ["never pinged"]
    return stored, stale_because(stored.depends, setup.depends)


def ensure_ping(library: Library, setup: LoopSetup, *, realtime: bool = False,
                force: bool = False, repeats: int = REPEATS,
                abort: threading.Event | None = None,
                on_running: Callable[[], None] | None = None,
                on_ping: Callable[[list[str]], None] | None = None
                ) -> tuple[PingRecord, bool, list[str]]:
    """The loop's ping: the stored one while it holds, else a new one, stored. Returns it,
    whether it was pinged now, and why the stored one did not hold."""
    stored, stale = current_ping(library, setup)
    if not (stale or force):
        assert stored is not None
        return stored, False, stale
    if on_ping is not None:
        on_ping(stale if stale else ["asked to ping again"])
    # Pinged with the gear bypassed, as a ping should be: a simulated loop bypasses it
    # itself; real gear is the engineer's to bypass (a smeared ping says it was not).
    bypassed = loop_setup(setup.studio, setup.loop.name, realtime=realtime)
    ping = store_ping(library, setup, ping_loop(bypassed, repeats=repeats, abort=abort,
                                                on_running=on_running))
    return ping, True, stale


def store_ping(library: Library, setup: LoopSetup, ping: LoopPing) -> PingRecord:
    return library.record_ping(
        setup.studio.name, setup.loop.name, depends=ping.depends,
        latency_samples=ping.latency_samples, jitter_samples=ping.jitter_samples,
        inverted=ping.inverted, gain_db=ping.gain_db, purity=ping.purity,
        report=ping.as_dict())


def prints_folder(library_path: Path, song: Song) -> Path:
    """The folder of a session's prints, named after the session (see
    :func:`recall.files.portable_name`)."""
    return files_folder(library_path) / "prints" / portable_name(song.session_title)


def take_file(song: Song, revision: int, take: int) -> str:
    """A print's file name: track, title, revision and take, so it sorts and says what it is;
    the title is cut to fit the file system's 255 bytes (see
    :func:`recall.files.portable_name`)."""
    head, tail = f"{song.position:02d} ", f" r{revision} t{take}.wav"
    room = NAME_BYTES - len(head.encode()) - len(tail.encode())
    return head + portable_name(song.title, limit=room, whole=False) + tail


def _check_unchanged(source: Path, song: Song) -> None:
    """InputError if the mix is no longer the file that was set for ``song``: a print must be
    of the mix its metadata names (a new mix saved over the old one is set again first)."""
    if song.source_sha256 and sha256_file(source) != song.source_sha256:
        raise InputError(f"{source}: the mix has changed since it was set for '{song.name}'; "
                         f"if it is the one to print, set it again: outboard song set "
                         f"\"{song.name}\" --source FILE")


def print_revision(library: Library, library_path: Path, studio: Studio, song: str,
                   number: int | None = None, *, loop: str | None = None,
                   options: PrintOptions = DEFAULT_OPTIONS,
                   unit_values: Callable[[Unit], Mapping[str, float] | None] | None = None,
                   realtime: bool = False, ping_again: bool = False,
                   repeats: int = REPEATS, abort: threading.Event | None = None,
                   on_progress: Callable[[PrintProgress], None] | None = None,
                   on_running: Callable[[], None] | None = None,
                   on_ping: Callable[[list[str]], None] | None = None,
                   fingerprint_after: bool = True) -> PrintOutcome:
    """Print a revision of ``song`` (its latest without ``number``) and log the take; then
    (``fingerprint_after``) sweep the chain and keep its fingerprint with the revision."""
    owner = library.song(song)
    revision = library.revision(owner.id, number)
    if not owner.source_path:
        raise InputError(f"song '{owner.name}' has no source mix; give one with "
                         "outboard song set SONG --source FILE")
    source = Path(owner.source_path)
    loop_name = choose_loop(studio, revision, loop)
    setup = loop_setup(studio, loop_name, realtime=realtime,
                       unit_values=unit_values or recalled_values(library, owner.id, revision))
    check_source(source, sample_rate=setup.sample_rate, channels=setup.channels,
                 resample=options.resample, loop=loop_name).close()  # before any ping or take
    _check_unchanged(source, owner)
    ping, pinged, stale = ensure_ping(library, setup, realtime=realtime, force=ping_again,
                                      repeats=repeats, abort=abort, on_running=on_running,
                                      on_ping=on_ping)
    take_number = library.next_take(owner.id, revision.number)
    folder = prints_folder(library_path, owner)
    folder.mkdir(parents=True, exist_ok=True)
    name = take_file(owner, revision.number, take_number)
    destination = folder / name
    if destination.exists():
        raise InputError(f"{destination}: a file of that name is already there; move it away")
    relative = destination.relative_to(files_folder(library_path)).as_posix()
    source_info = {"path": str(source), "sha256": owner.source_sha256}
    ping_info = {"id": ping.id, "latency_samples": ping.latency_samples,
                 "jitter_samples": ping.jitter_samples, "inverted": ping.inverted,
                 "gain_db": ping.gain_db, "smeared": ping.report.get("smeared", False),
                 "created": ping.created}
    base = {"loop": loop_name, "studio": studio.name, "ping": ping_info, "source": source_info,
            "options": asdict(options)}
    take = library.begin_take(owner.id, revision.number, path=relative,
                              latency_samples=ping.latency_samples, metadata=base)
    bext = print_bext(song=owner.name, revision=revision.number, take=take.take,
                      loop=loop_name, sample_rate=setup.sample_rate, channels=setup.channels,
                      subtype=options.subtype, reference=f"OUTBOARD-{take.id}",
                      when=datetime.now())

    def ixml(figures: dict[str, Any]) -> str:
        return print_ixml(session=owner.session_title, song=owner.title,
                          revision=revision.number, take=take.take, studio=studio,
                          loop=setup.loop, ping=ping_info, outcome=figures, source=source_info)

    try:
        result = run_print(setup, source=source, destination=destination,
                           latency_samples=ping.latency_samples, bext=bext, ixml=ixml,
                           options=options, abort=abort, on_progress=on_progress,
                           on_running=on_running)
    except (AudioError, InputError) as err:
        closed = _close_take(library, take, destination, base, {"state": "incomplete",
                                                                "problems": [str(err)]}, 0)
        raise type(err)(f"{err.message} (take {closed.take} kept as incomplete: "
                        f"{destination})") from err
    except KeyboardInterrupt:  # before the stream started: the take is still closed
        _close_take(library, take, destination, base, {"state": "incomplete",
                                                       "problems": ["stopped by hand"]}, 0)
        raise
    figures = outcome(result)
    offset = None if result.alignment is None else result.alignment.offset_samples
    closed = _close_take(library, take, destination, base, figures, len(result.xruns),
                         state=result.state, offset=offset, measure=result.frames > 0)
    fingerprint = None
    if fingerprint_after and result.complete and not (abort and abort.is_set()):
        fingerprint = take_fingerprint(setup, abort=abort, on_running=on_running)
        library.record_fingerprint(owner.id, revision.number, loop=loop_name,
                                   document=fingerprint.as_dict())
    return PrintOutcome(closed, result, ping, pinged, tuple(stale), fingerprint)


def _close_take(library: Library, take: Take, destination: Path, base: dict[str, Any],
                figures: dict[str, Any], xruns: int, *, state: str = "incomplete",
                offset: float | None = None, measure: bool = False) -> Take:
    metadata = dict(base, outcome=figures)
    sha = None
    if destination.is_file():
        sha = sha256_file(destination)
        if measure:
            try:
                metadata["measurement"] = measurement_json(destination,
                                                           measure_file(destination))
            except InputError as err:  # a partial file cut short by a failing disk
                metadata["measurement_error"] = err.message
    return library.finish_take(take.id, state=state, sha256=sha, offset_samples=offset,
                               xruns=xruns, metadata=metadata)
