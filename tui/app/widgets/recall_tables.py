"""The Recall screen's tables: the plan's units with their progress, and every control with
its target and what the recall made of it; plus the texts both share."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import DataTable

from controller.recall_engine.plan import MANUAL, REMOTE, RecallPlan, Step, UnitPlan
from recall.attempts import Attempt, Outcome
from recall.records import display_value

# How each state reads in the tables.
STYLES = {"pending": "dim", "verified": "green", "sent": "cyan", "mismatch": "bold red",
          "failed": "bold red", "manual_pending": "yellow", "manual_confirmed": "green"}


def state_label(state: str) -> str:
    return state.replace("_", " ")


def where(unit: UnitPlan) -> str:
    """How the unit is reached in this studio, or why it cannot be."""
    if unit.kind == REMOTE:
        text = unit.address or ""
    elif unit.kind == MANUAL:
        text = "by hand"
    else:
        return unit.reason
    if unit.reason:
        text += f" ({unit.reason})"
    return text + (" · bypassed" if unit.bypassed else "")


def controls(unit: UnitPlan) -> str:
    if unit.kind == REMOTE:
        return f"{len(unit.steps)} ({sum(s.readable for s in unit.steps)} read back)"
    return str(len(unit.steps))


def counted(outcomes: Iterable[Outcome]) -> str:
    """"23 sent, 2 failed": the states of some outcomes, in the order they come."""
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.state] = counts.get(outcome.state, 0) + 1
    return ", ".join(f"{n} {state_label(state)}" for state, n in counts.items())


def verdict_text(attempt: Attempt, faults: Iterable[str]) -> Text:
    """The end of a recall: its outcome with the counts, the device faults, what is next."""
    summary = ", ".join(f"{n} {state_label(s)}" for s, n in attempt.counts().items() if n)
    style = {"complete": "bold green", "incomplete": "bold yellow"}.get(attempt.outcome,
                                                                        "bold red")
    text = Text.assemble((f"Recall {attempt.outcome}", style), f" (attempt #{attempt.id}): ",
                         summary)
    for fault in faults:
        text.append(f"\nfault: {fault}", style="red")
    if attempt.outcome != "complete":
        text.append("\nR resumes: only what is not done is sent or asked again; "
                    "g recalls everything anew")
    return text


class UnitTable(DataTable[str | Text]):
    """One row per chain unit: how it is recalled here, its controls, its progress."""

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for label, key in (("#", "position"), ("Unit", "unit"), ("Kind", "kind"),
                           ("Where", "where"), ("Controls", "controls"),
                           ("Progress", "progress")):
            self.add_column(label, key=key)

    def show_plan(self, plan: RecallPlan) -> None:
        self.clear()
        for unit in plan.units:
            kind = Text(unit.kind, style="red" if unit.kind not in (REMOTE, MANUAL) else "")
            self.add_row(str(unit.position), unit.unit, kind, where(unit), controls(unit),
                         "", key=unit.unit)

    def show_progress(self, unit: str, outcomes: Iterable[Outcome]) -> None:
        self.update_cell(unit, "progress", counted(outcomes), update_width=True)


class OutcomeTable(DataTable[str | Text]):
    """One row per control: unit, control, target as the panel shows it, and the state,
    read-back value, tries and detail of the running attempt."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.steps: dict[tuple[str, str], Step] = {}

    def on_mount(self) -> None:
        self.cursor_type = "row"
        for label, key in (("Unit", "unit"), ("Control", "control"), ("Target", "target"),
                           ("State", "state"), ("Actual", "actual"), ("Tries", "tries"),
                           ("Detail", "detail")):
            self.add_column(label, key=key)

    @staticmethod
    def row_key(unit: str, parameter: str) -> str:
        return f"{unit}\t{parameter}"

    def show_plan(self, plan: RecallPlan) -> None:
        self.clear()
        self.steps = {(u.unit, s.parameter): s for u in plan.units for s in u.steps}
        for unit in plan.units:
            for step in unit.steps:
                detail = step.problem or (unit.reason if unit.kind not in (REMOTE, MANUAL)
                                          else "")
                if step.previous is not None and not detail:
                    detail = f"was {step.previous}"
                self.add_row(unit.unit, step.name, step.text, "", "", "", detail,
                             key=self.row_key(unit.unit, step.parameter))

    def point_at(self, unit: str, parameter: str) -> None:
        """Put the cursor on a control's row (the checklist's current one), in view."""
        key = self.row_key(unit, parameter)
        if key in self.rows:
            self.move_cursor(row=self.get_row_index(key))

    def show_outcomes(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            step = self.steps.get((outcome.unit, outcome.parameter))
            key = self.row_key(outcome.unit, outcome.parameter)
            if step is None or key not in self.rows:
                continue
            actual = display_value(step.definition, outcome.actual) \
                if outcome.actual is not None else ""
            self.update_cell(key, "state", Text(state_label(outcome.state),
                                                style=STYLES.get(outcome.state, "")),
                             update_width=True)
            self.update_cell(key, "actual", actual, update_width=True)
            self.update_cell(key, "tries", str(outcome.tries) if outcome.tries else "")
            detail = outcome.detail or (f"was {step.previous}" if step.previous else "")
            self.update_cell(key, "detail", detail, update_width=True)
