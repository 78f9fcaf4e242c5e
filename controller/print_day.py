"""Print day: every song of a session recalled and printed in order, picking up where the
last run stopped (a song with a complete print of its latest revision is done)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from recall.attempts import Attempt
from recall.library import Library
from recall.records import Song
from recall.studio import Studio
from recall.takes import Take

from .recall_engine.session import Checklist, finish, plan_for, send, start


@dataclass(frozen=True, slots=True)
class DayStep:
    """One song of the day and what is left to do for it."""

    song: Song
    revision: int
    printed: Take | None  # a complete print of this revision: nothing left
    recall: str  # "afresh", "resume" (the last attempt stopped part way) or "done" (the
    # gear still holds this revision: its recall was complete and nothing was recalled since)


def plan_day(library: Library, session: str | int) -> list[DayStep]:
    """The session's songs in track order, each with what remains."""
    songs = library.songs(session)
    latest: dict[int, Attempt | None] = {}
    newest_attempt = 0
    for song in songs:
        attempts = library.attempts(song.id)
        latest[song.id] = attempts[-1] if attempts else None
        newest_attempt = max([newest_attempt] + [a.id for a in attempts])
    steps = []
    for song in songs:
        revision = library.revision(song.id).number
        printed = next((t for t in reversed(library.takes(song.id, revision))
                        if t.state == "complete"), None)
        last = latest[song.id]
        recall = "afresh"
        if last is not None and last.revision_number == revision:
            if last.outcome == "complete" and last.id == newest_attempt:
                recall = "done"
            elif last.outcome in ("incomplete", "running"):
                recall = "resume"
        steps.append(DayStep(song, revision, printed, recall))
    return steps


def recall_step(library: Library, studio: Studio, step: DayStep, *,
                walk: Callable[[Checklist], None]) -> tuple[Attempt, tuple[str, ...]]:
    """Recall the step's revision (resuming when the last attempt stopped part way), with
    ``walk`` taking the engineer through the manual units; the attempt as it ended."""
    plan = plan_for(library, step.song.name, studio, step.revision)
    attempt = start(library, plan, resume=step.recall == "resume")
    try:
        faults = send(library, attempt, plan)
        walk(Checklist(library, attempt.id, plan))
    except KeyboardInterrupt:
        finish(library, attempt.id)  # kept as incomplete: the next run resumes it
        raise
    return finish(library, attempt.id, faults), faults
