"""A recall from start to end: the attempt in the library, the remote units sent and
verified, the manual checklist, the verdict; and capturing what the gear is set to now."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from devices.driver import Driver
from devices.errors import DeviceError
from devices.transport import parse_address
from devices.transport.address import unit_address
from recall.attempts import Attempt, Outcome
from recall.library import Library
from recall.records import Revision, check_value, parse_value
from recall.studio import Studio

from ..errors import EXIT_CHECK_FAILED, EXIT_DEVICE_FAULT, EXIT_OK
from .engine import Opener, RecallRun, open_port
from .plan import MANUAL, REMOTE, UNAVAILABLE, RecallError, RecallPlan, Step, UnitPlan, plan_recall

EXIT_CODES = {"complete": EXIT_OK, "incomplete": EXIT_CHECK_FAILED, "fault": EXIT_DEVICE_FAULT}


def plan_for(library: Library, song: str, studio: Studio, number: int | None = None) -> RecallPlan:
    """The plan of a song's revision (default: the latest) in ``studio``."""
    revision = library.revision(song, number)
    previous = (library.revision(revision.song_id, revision.parent_number)
                if revision.parent_number else None)
    return plan_recall(library.song(revision.song_id).name, revision, studio, previous=previous)


def start(library: Library, plan: RecallPlan, *, resume: bool = False) -> Attempt:
    """A new attempt in the library; with ``resume``, what the last attempt at this revision
    got done is carried over and only the rest is done again."""
    carried: dict[tuple[str, str], Outcome] = {}
    resumed_from = None
    if resume:
        earlier = library.attempts(plan.song, plan.revision)
        if not earlier:
            raise RecallError(f"{plan.song} revision {plan.revision} has no recall to resume")
        last = earlier[-1]
        if last.studio_name and last.studio_name != plan.studio_name:
            raise RecallError(f"the last recall of {plan.song} revision {plan.revision} was in "
                              f"'{last.studio_name}', not '{plan.studio_name}': resume it there, "
                              "or recall afresh (without --resume)")
        resumed_from = last.id
        # A unit that failed may have been switched off and on: what it was only sent (it
        # cannot report) is sent again; what it confirmed by read-back stands.
        faulty = {o.unit for o in last.outcomes if o.state == "failed"}
        carried = {(o.unit, o.parameter): o for o in last.outcomes if o.done
                   and not (o.state == "sent" and o.unit in faulty)}
    outcomes = []
    for unit in plan.units:
        for step in unit.steps:
            before = carried.get((unit.unit, step.parameter))
            # A value only sent to a unit that can report it is sent again and read back.
            if before is not None and before.state == "sent" and step.readable:
                before = None
            if before is not None and before.target == step.target:
                outcomes.append(replace(before, position=unit.position))
                continue
            state = {REMOTE: "pending", MANUAL: "manual_pending"}.get(unit.kind, "failed")
            outcomes.append(Outcome(unit.position, unit.unit, step.parameter, step.target,
                                    state, detail=unit.reason if unit.kind == UNAVAILABLE
                                    else ""))
    return library.start_attempt(plan.song, plan.revision, outcomes, studio=plan.studio,
                                 studio_name=plan.studio_name, resumed_from=resumed_from)


def send(library: Library, attempt: Attempt, plan: RecallPlan, *,
         on_outcomes: Callable[[list[Outcome]], None] | None = None,
         opener: Opener | None = None) -> tuple[str, ...]:
    """Recall the remote units; every change lands in the library as it happens. Returns the
    device faults, one line each."""
    def record(changed: list[Outcome]) -> None:
        library.record_outcomes(attempt.id, changed)
        if on_outcomes is not None:
            on_outcomes(changed)

    start_states = {(o.unit, o.parameter): o for o in attempt.outcomes}
    result = RecallRun(plan.of_kind(REMOTE), start_states, on_outcomes=record,
                       opener=opener or open_port).run()
    return result.faults


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    unit: UnitPlan
    step: Step
    outcome: Outcome


class Checklist:
    """The manual units, one control at a time in chain order. Each answer is stored at once,
    so a checklist can be left and taken up again (``outboard recall --resume``)."""

    def __init__(self, library: Library, attempt_id: int, plan: RecallPlan) -> None:
        self.library = library
        self.attempt_id = attempt_id
        self.plan = plan

    def items(self) -> list[ChecklistItem]:
        """The controls still to set by hand."""
        states = {(o.unit, o.parameter): o
                  for o in self.library.attempt(self.attempt_id).outcomes}
        return [ChecklistItem(unit, step, states[(unit.unit, step.parameter)])
                for unit in self.plan.of_kind(MANUAL) for step in unit.steps
                if states[(unit.unit, step.parameter)].state == "manual_pending"]

    def confirm(self, item: ChecklistItem, actual: float | str | None = None) -> Outcome:
        """The control is set: to its target, or to ``actual`` (a number in the control's
        units, or one of its labels), which is what gets recorded."""
        if actual is None:
            value = item.step.target
        else:
            value = parse_value(item.step.definition, actual) if isinstance(actual, str) \
                else float(actual)
            value = check_value(item.unit.unit, item.step.parameter, item.step.definition,
                                value)
        same = abs(value - item.step.target) <= 1e-9 * max(1.0, abs(value))
        outcome = replace(item.outcome, state="manual_confirmed", actual=value,
                          tries=item.outcome.tries + 1,
                          detail="" if same else "set by hand to another value")
        self.library.record_outcomes(self.attempt_id, [outcome])
        return outcome


def finish(library: Library, attempt_id: int, faults: tuple[str, ...] = ()) -> Attempt:
    """Close the attempt: complete when every parameter is verified, sent to a unit that
    cannot report, or confirmed by hand; a fault when a unit failed as a device."""
    attempt = library.attempt(attempt_id)
    if all(o.done for o in attempt.outcomes):
        verdict = "complete"
    else:
        verdict = "fault" if faults else "incomplete"
    return library.finish_attempt(attempt_id, verdict)


@dataclass(frozen=True, slots=True)
class Captured:
    unit: str
    values: dict[str, float]
    unreadable: tuple[str, ...]
    problem: str = ""


def capture(library: Library, song: str, studio: Studio, *, number: int | None = None,
            opener: Opener | None = None) -> tuple[Revision, list[Captured]]:
    """Read every unit that can report into a new draft revision started from revision
    ``number`` (default: the latest); the other values stay as they were."""
    plan = plan_for(library, song, studio, number)
    captured = []
    for unit in plan.of_kind(REMOTE):
        captured.append(_capture_unit(unit, opener or open_port))
    revision = library.new_revision(plan.song, parent=plan.revision)
    for found in captured:
        if not found.values:
            continue
        chain_unit = revision.unit(found.unit)
        checked = {p: v for p, v in found.values.items() if p in chain_unit.definitions}
        revision = library.set_values(plan.song, revision.number, found.unit, checked)
    return revision, captured


def _capture_unit(unit: UnitPlan, opener: Opener) -> Captured:
    readable = [s.parameter for s in unit.steps if s.readable]
    unreadable = tuple(s.parameter for s in unit.steps if not s.readable)
    if not readable:
        return Captured(unit.unit, {}, unreadable)
    assert unit.loaded is not None and unit.address is not None
    try:
        transport = opener(unit)
    except DeviceError as err:
        return Captured(unit.unit, {}, unreadable, err.message)
    try:
        driver = Driver(unit.loaded, transport,
                        unit_address(parse_address(unit.address), unit.loaded))
        found: dict[str, float] = {}
        if unit.loaded.dump is not None:
            dump = driver.read_dump()
            found = {p: dump[p] for p in readable if p in dump}
        for parameter in readable:
            if parameter not in found:
                found[parameter] = driver.read(parameter)
        return Captured(unit.unit, found, unreadable)
    except DeviceError as err:
        return Captured(unit.unit, {}, unreadable, err.message)
    finally:
        transport.close()
