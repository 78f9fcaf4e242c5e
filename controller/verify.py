"""Verifying a recall by ear, measured: the chain's fingerprint taken again and compared band by
band with the one kept at print time (with the controls that most plausibly moved), or an
excerpt printed again and nulled against the revision's stored print."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from recall.files import files_folder
from recall.library import Library
from recall.records import Revision
from recall.studio import Studio, Unit

from .audio.fingerprint import BandShift, Fingerprint, fingerprint_shifts, take_fingerprint
from .audio.loops import loop_setup
from .audio.printing import DEFAULT_OPTIONS, run_print
from .audio.suspects import ChainEntry, Suspect, rank
from .audio.wavfile import Bext
from .errors import InputError
from .print_session import choose_loop, ensure_ping, recalled_values
from .thresholds import EXCERPT_SECONDS, FINGERPRINT_THRESHOLD_DB, NULL_THRESHOLD_DB

UnitValues = Callable[[Unit], Mapping[str, float] | None]


@dataclass(frozen=True, slots=True)
class FingerprintCheck:
    shifts: tuple[BandShift, ...]
    suspects: tuple[Suspect, ...]
    threshold_db: float
    fingerprint: Fingerprint

    @property
    def verified(self) -> bool:
        return not self.shifts


def explain(then: Fingerprint, now: Fingerprint, revision: Revision, *, limit: int = 3,
            recall_states: dict[tuple[str, str], str] | None = None) -> tuple[Suspect, ...]:
    """The controls of the revision's chain whose models, nudged, move the fingerprint the
    way it moved (the revision's settings as the starting point)."""
    shift = np.array(now.magnitude_db) - np.array(then.magnitude_db)
    chain = [ChainEntry(u.unit, u.profile, u.settings) for u in revision.chain
             if not u.bypassed]
    ranked = rank(shift, chain, sample_rate=now.sample_rate, levels=now.levels_dbfs,
                  centres=np.array(now.centres_hz), limit=len(chain) * 50)
    # Between controls that explain the shift as well, the likelier culprit is a knob set by
    # hand, then a control the recall could only send, last one it read back as right.
    trust = recall_states or {}
    order = {"manual_confirmed": 0, "manual_pending": 0, "sent": 1, "verified": 3}
    ranked = sorted(ranked, key=lambda s: (-round(s.explained, 2),
                                           order.get(trust.get((s.unit, s.parameter), ""), 2)))
    return tuple(ranked[:limit])


def check_fingerprint(library: Library, studio: Studio, song: str | int,
                      number: int | None = None, *, unit_values: UnitValues | None = None,
                      threshold_db: float = FINGERPRINT_THRESHOLD_DB,
                      abort: threading.Event | None = None,
                      on_running: Callable[[], None] | None = None) -> FingerprintCheck:
    """Sweep the chain as it stands and compare with the fingerprint kept for the revision."""
    owner = library.song(song)
    revision = library.revision(owner.id, number)
    stored = library.latest_fingerprint(owner.id, revision.number)
    if stored is None:
        raise InputError(f"{owner.name} revision {revision.number} has no fingerprint to "
                         "verify against: print it first (outboard print keeps one)")
    then = Fingerprint.from_dict(stored.document)
    setup = loop_setup(studio, stored.loop,
                       unit_values=unit_values or recalled_values(library, owner.id, revision))
    if setup.sample_rate != then.sample_rate:
        raise InputError(f"the fingerprint was taken at {then.sample_rate} Hz and the "
                         f"interface runs at {setup.sample_rate} Hz: verify at the same rate")
    now = take_fingerprint(setup, levels=then.levels_dbfs, abort=abort, on_running=on_running)
    shifts = fingerprint_shifts(then, now, threshold_db=threshold_db)
    suspects = explain(then, now, revision,
                       recall_states=_recall_states(library, owner.id, revision)
                       ) if shifts else ()
    return FingerprintCheck(shifts, suspects, threshold_db, now)


def _recall_states(library: Library, song: int, revision: Revision
                   ) -> dict[tuple[str, str], str]:
    """How the revision's last recall left each (unit, parameter): verified, sent, ..."""
    attempts = library.attempts(song, revision.number)
    if not attempts:
        return {}
    return {(o.unit, o.parameter): o.state for o in attempts[-1].outcomes}


@dataclass(frozen=True, slots=True)
class AudioCheck:
    """An excerpt printed again and nulled against the revision's stored print."""

    take: int  # the stored print it was nulled against
    start_seconds: float
    seconds: float
    threshold_db: float
    comparison: Any  # controller.compare.Comparison
    differing: tuple[Any, ...]  # the octave bands over the threshold

    @property
    def verified(self) -> bool:
        return self.comparison.null_depth_db <= self.threshold_db


def check_audio(library: Library, library_path: Path, studio: Studio, song: str | int,
                number: int | None = None, *, start_seconds: float | None = None,
                seconds: float | None = EXCERPT_SECONDS,
                threshold_db: float = NULL_THRESHOLD_DB,
                unit_values: UnitValues | None = None, abort: threading.Event | None = None,
                on_running: Callable[[], None] | None = None) -> AudioCheck:
    """Print ``seconds`` of the song from ``start_seconds`` (default: from the middle; None
    seconds: the whole song) through the chain as it stands, and null it against the same
    stretch of the revision's latest complete print."""
    from .compare import compare_arrays, differing_bands

    owner = library.song(song)
    revision = library.revision(owner.id, number)
    stored = next((t for t in reversed(library.takes(owner.id, revision.number))
                   if t.state == "complete"), None)
    if stored is None:
        raise InputError(f"{owner.name} revision {revision.number} has no complete print to "
                         "verify against: print it first")
    if not owner.source_path:
        raise InputError(f"song '{owner.name}' has no source mix")
    reference_path = files_folder(library_path) / stored.path
    if not reference_path.is_file():
        raise InputError(f"{reference_path}: the stored print is missing")
    loop_name = stored.metadata.get("loop") or choose_loop(studio, revision, None)
    setup = loop_setup(studio, loop_name,
                       unit_values=unit_values or recalled_values(library, owner.id, revision))
    ping, _, _ = ensure_ping(library, setup, repeats=2, abort=abort, on_running=on_running)
    info = sf.info(str(reference_path))
    length = info.frames / info.samplerate
    if seconds is None:
        start, span = 0.0, length
    else:
        span = min(seconds, length)
        start = (length - span) / 2 if start_seconds is None else start_seconds
    if start < 0 or start + span > length + 1e-6:
        raise InputError(f"the excerpt {start:g}-{start + span:g} s is outside the print "
                         f"({length:.1f} s)")
    options = replace(DEFAULT_OPTIONS, pre_roll_seconds=1.0, tail_seconds=0.0,
                      subtype="FLOAT", excerpt=(start, span))
    with tempfile.TemporaryDirectory(prefix="outboard-verify-") as folder:
        again = Path(folder) / "verify.wav"
        run_print(setup, source=Path(owner.source_path), destination=again,
                  latency_samples=ping.latency_samples, bext=Bext(description="verify"),
                  ixml=lambda d: "", options=options, abort=abort, on_running=on_running)
        new, _ = sf.read(str(again), dtype="float64", always_2d=True)
    first = int(round(start * info.samplerate))
    reference, _ = sf.read(str(reference_path), start=first, frames=new.shape[0],
                           dtype="float64", always_2d=True)
    comparison = compare_arrays(reference, new, sample_rate=info.samplerate,
                                max_offset_s=0.05, match_gain=False)
    return AudioCheck(stored.take, start, span, threshold_db, comparison,
                      differing_bands(comparison, threshold_db=threshold_db))

