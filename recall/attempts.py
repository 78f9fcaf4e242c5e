"""Recall attempts: each time a revision is put back on the gear, with every parameter's
outcome, kept so a recall can be followed, resumed and audited later."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .errors import LibraryError, NotFound
from .records import now

if TYPE_CHECKING:
    from .library import Library

# What happened to one parameter. "sent": the unit cannot report, so sending is all there
# is; "manual_confirmed": the engineer set it by hand (``actual`` is what they set).
OUTCOME_STATES = ("pending", "verified", "sent", "mismatch", "failed", "manual_pending",
                  "manual_confirmed")
DONE_STATES = ("verified", "sent", "manual_confirmed")
ATTEMPT_OUTCOMES = ("running", "complete", "incomplete", "fault")


@dataclass(frozen=True, slots=True)
class Outcome:
    """One parameter of one unit in a recall attempt."""

    position: int  # the unit's place in the chain
    unit: str
    parameter: str
    target: float
    state: str
    actual: float | None = None
    tries: int = 0
    detail: str = ""

    @property
    def done(self) -> bool:
        return self.state in DONE_STATES


@dataclass(frozen=True, slots=True)
class Attempt:
    id: int
    song_id: int
    revision_number: int
    studio: str | None
    studio_name: str
    resumed_from: int | None
    started: str
    finished: str | None
    outcome: str
    outcomes: tuple[Outcome, ...]

    def counts(self) -> dict[str, int]:
        counted = dict.fromkeys(OUTCOME_STATES, 0)
        for o in self.outcomes:
            counted[o.state] += 1
        return counted


class AttemptsMixin:
    """The library's recall attempts; mixed into :class:`recall.library.Library`."""

    def start_attempt(self: Library, song: str | int, number: int, outcomes: Iterable[Outcome],
                      *, studio: str | None = None, studio_name: str = "",
                      resumed_from: int | None = None) -> Attempt:
        """A new attempt at recalling revision ``number``, with every parameter's starting
        outcome (carried over from ``resumed_from`` where that one got it done)."""
        owner = self.song(song)
        rows = list(outcomes)
        with self.store.write() as db:
            revision = self._revision_row(db, owner.id, number)
            attempt_id = int(db.execute(  # type: ignore[arg-type]
                "INSERT INTO recall_attempt (revision_id, studio, studio_name, resumed_from,"
                " started) VALUES (?, ?, ?, ?, ?)",
                (revision["id"], studio, studio_name, resumed_from, now())).lastrowid)
            db.executemany(
                "INSERT INTO recall_outcome (attempt_id, position, unit, parameter, target,"
                " state, actual, tries, detail, updated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(attempt_id, o.position, o.unit, o.parameter, o.target, _state(o.state),
                  o.actual, o.tries, o.detail, now()) for o in rows])
        return self.attempt(attempt_id)

    def record_outcomes(self: Library, attempt_id: int, outcomes: Iterable[Outcome]) -> None:
        """Store the new state of some parameters, in one transaction."""
        rows = [(_state(o.state), o.actual, o.tries, o.detail, now(), attempt_id, o.unit,
                 o.parameter) for o in outcomes]
        with self.store.write() as db:
            for row in rows:
                changed = db.execute(
                    "UPDATE recall_outcome SET state = ?, actual = ?, tries = ?, detail = ?,"
                    " updated = ? WHERE attempt_id = ? AND unit = ? AND parameter = ?", row)
                if changed.rowcount != 1:
                    raise NotFound(f"recall attempt {attempt_id} has no {row[6]}.{row[7]}")

    def finish_attempt(self: Library, attempt_id: int, outcome: str) -> Attempt:
        if outcome not in ATTEMPT_OUTCOMES[1:]:
            raise LibraryError(f"attempt outcome '{outcome}' is not one of "
                               f"{', '.join(ATTEMPT_OUTCOMES[1:])}")
        with self.store.write() as db:
            db.execute("UPDATE recall_attempt SET finished = ?, outcome = ? WHERE id = ?",
                       (now(), outcome, attempt_id))
        return self.attempt(attempt_id)

    def attempt(self: Library, attempt_id: int) -> Attempt:
        with self.store.read() as db:
            row = db.execute(
                "SELECT a.*, r.song_id, r.number FROM recall_attempt a JOIN revision r"
                " ON r.id = a.revision_id WHERE a.id = ?", (attempt_id,)).fetchone()
            if row is None:
                raise NotFound(f"no recall attempt {attempt_id}")
            outcomes = tuple(
                Outcome(o["position"], o["unit"], o["parameter"], o["target"], o["state"],
                        o["actual"], o["tries"], o["detail"])
                for o in db.execute("SELECT * FROM recall_outcome WHERE attempt_id = ?"
                                    " ORDER BY position, rowid", (attempt_id,)))
        return Attempt(row["id"], row["song_id"], row["number"], row["studio"],
                       row["studio_name"], row["resumed_from"], row["started"],
                       row["finished"], row["outcome"], outcomes)

    def attempts(self: Library, song: str | int, number: int | None = None) -> list[Attempt]:
        """A song's recall attempts, oldest first (of one revision when ``number`` is given)."""
        owner = self.song(song)
        ids = [r[0] for r in self.store.db.execute(
            "SELECT a.id FROM recall_attempt a JOIN revision r ON r.id = a.revision_id"
            " WHERE r.song_id = ?" + (" AND r.number = ?" if number is not None else "")
            + " ORDER BY a.id", (owner.id, number) if number is not None else (owner.id,))]
        return [self.attempt(i) for i in ids]


def _state(state: str) -> str:
    if state not in OUTCOME_STATES:
        raise LibraryError(f"outcome state '{state}' is not one of {', '.join(OUTCOME_STATES)}")
    return state
