"""The Recall screen: the plan of the chosen revision in this studio; g sends and verifies the
remote units with live progress, then walks the manual checklist; R resumes what the last
attempt left undone; the verdict at the end."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from controller.recall_engine.plan import REMOTE, RecallPlan
from controller.recall_engine.session import (
    Checklist,
    ChecklistItem,
    finish,
    plan_for,
    send,
    start,
)
from recall.attempts import Attempt, Outcome
from recall.errors import LibraryError
from tui.studio_cmd import ENVIRONMENT as STUDIO_ENVIRONMENT

from ..widgets.keybar import KeyBar
from ..widgets.recall_checklist import ChecklistPanel
from ..widgets.recall_tables import OutcomeTable, UnitTable, verdict_text
from .base import OutboardScreen

# What the screen is doing: saying why there is no plan, showing a plan, sending, walking the
# checklist, closing the attempt, showing the verdict. The screen has the phase as a class
# ("-checklist"), which shows and hides its parts.
PHASES = MESSAGE, PLAN, SENDING, CHECKLIST, FINISHING, VERDICT = (
    "message", "plan", "sending", "checklist", "finishing", "verdict")

NO_STUDIO = (f"No studio is configured, so there is no gear to recall onto. Set "
             f"${STUDIO_ENVIRONMENT} to a studio file, or start the app with "
             "`outboard --studio FILE` (config/studio.example.toml is an example to copy).")


@dataclass(frozen=True)
class RemoteDone:
    """What sending left: the device faults and the checklist (or, with nothing to set by
    hand, the closed attempt)."""

    faults: tuple[str, ...]
    items: list[ChecklistItem]
    closed: Attempt | None


class RecallScreen(OutboardScreen):
    """Recall the chosen revision (``app.song``, ``app.revision``) onto the studio."""

    BINDINGS = [Binding("g", "go", "Go (recall)"), Binding("R", "resume", "Resume")]
    # On a short terminal the checklist takes the units table's place.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]

    DEFAULT_CSS = """
    RecallScreen #recall-units { height: auto; max-height: 8; }
    RecallScreen.-short.-checklist #recall-units { display: none; }
    RecallScreen #recall-outcomes { height: 1fr; }
    RecallScreen #recall-verdict { height: auto; padding: 0 1; border: round $primary; }
    RecallScreen #recall-checklist, RecallScreen #recall-verdict { display: none; }
    RecallScreen.-checklist #recall-checklist { display: block; }
    RecallScreen.-verdict #recall-verdict { display: block; }
    RecallScreen.-message #recall-units, RecallScreen.-message #recall-outcomes {
        display: none;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._phase = MESSAGE
        self.plan: RecallPlan | None = None
        self.shown: tuple[str, int | None] | None = None  # the song and revision shown
        self.attempt_id: int | None = None
        self.faults: tuple[str, ...] = ()
        self.states: dict[tuple[str, str], Outcome] = {}
        self.items: list[ChecklistItem] = []
        self.index = 0

    @property
    def phase(self) -> str:
        return self._phase

    @phase.setter
    def phase(self, phase: str) -> None:
        self._phase = phase
        for name in PHASES:
            self.set_class(name == phase, f"-{name}")
        self.refresh_bindings()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Recall", classes="screen-title")
        yield Static("", id="recall-status", classes="hint")
        yield UnitTable(id="recall-units")
        yield OutcomeTable(id="recall-outcomes")
        yield ChecklistPanel(id="recall-checklist")
        yield Static("", id="recall-verdict")
        yield KeyBar()

    # ------------------------------------------------------------------ the plan
    def refresh_view(self) -> None:
        if self.context.studio is None:
            self.show_message(NO_STUDIO)
            return
        song = self.outboard.song
        if song is None:
            self.show_message("No song chosen: pick one on the Library (l), then come back "
                              "here (c).")
            return
        wanted = (song, self.outboard.revision)
        if self.phase in (SENDING, FINISHING):
            return  # the recall under way keeps the screen
        if wanted == self.shown and self.phase in (CHECKLIST, VERDICT):
            return
        if self.phase == CHECKLIST and self.attempt_id is not None:
            self.close_attempt(self.attempt_id, self.faults)  # another song: this one stops
            self.phase, self.attempt_id = PLAN, None
        self.shown = wanted
        self.load_plan(*wanted)

    def show_message(self, message: str) -> None:
        self.plan = None
        self.phase = MESSAGE
        self.status(message)

    def status(self, message: str | Text) -> None:
        self.query_one("#recall-status", Static).update(
            Text(message) if isinstance(message, str) else message)

    @work(thread=True, exit_on_error=False, exclusive=True, group="recall-plan")
    def load_plan(self, song: str, revision: int | None) -> None:
        assert self.context.studio is not None
        with self.context.library() as library:
            plan = plan_for(library, song, self.context.studio, revision)
        if not get_current_worker().is_cancelled:  # a newer choice replaced this one
            self.app.call_from_thread(self.show_plan, plan)

    def show_plan(self, plan: RecallPlan) -> None:
        assert self.context.studio is not None
        self.plan, self.phase, self.attempt_id, self.states = plan, PLAN, None, {}
        self.query_one(UnitTable).show_plan(plan)
        outcomes = self.query_one(OutcomeTable)
        outcomes.show_plan(plan)
        outcomes.focus()
        where = "the studio it was made in" if plan.same_studio else "made in another studio"
        remote = sum(len(u.steps) for u in plan.of_kind(REMOTE))
        total = sum(len(u.steps) for u in plan.units)
        self.status(f"{plan.song} rev {plan.revision} in '{self.context.studio.name}' "
                    f"({where}): {remote} of {total} controls sent remotely, the rest by hand. "
                    "g recalls; R resumes the last attempt.")

    # ------------------------------------------------------------------ sending
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("go", "resume"):
            return self.plan is not None and self.phase in (PLAN, VERDICT)
        return True

    def action_go(self) -> None:
        self.begin(resume=False)

    def action_resume(self) -> None:
        self.begin(resume=True)

    def begin(self, *, resume: bool) -> None:
        if self.plan is None or self.phase not in (PLAN, VERDICT):
            return
        self.phase = SENDING
        self.status("Resuming…" if resume else "Starting…")
        self.run_recall(self.plan, resume)

    @work(thread=True, exit_on_error=False, group="recall-run")
    def run_recall(self, plan: RecallPlan, resume: bool) -> None:
        """Start the attempt and send; every batch of changes goes to the screen as the
        engine hands it over (it collapses what arrived meanwhile into one batch)."""
        call = self.app.call_from_thread
        with self.context.library() as library:
            attempt = start(library, plan, resume=resume)
            call(self.attempt_started, attempt)
            faults = send(library, attempt, plan, opener=self.context.opener,
                          on_outcomes=lambda batch: call(self.show_outcomes, batch))
            items = Checklist(library, attempt.id, plan).items()
            closed = finish(library, attempt.id, faults) if not items else None
        call(self.remote_done, RemoteDone(faults, items, closed))

    def attempt_started(self, attempt: Attempt) -> None:
        self.attempt_id, self.faults, self.states = attempt.id, (), {}
        self.show_outcomes(list(attempt.outcomes))
        resumed = f" (resuming #{attempt.resumed_from})" if attempt.resumed_from else ""
        self.status(f"Attempt #{attempt.id}{resumed}: sending to the remote units…")

    def show_outcomes(self, outcomes: list[Outcome]) -> None:
        for outcome in outcomes:
            self.states[(outcome.unit, outcome.parameter)] = outcome
        self.query_one(OutcomeTable).show_outcomes(outcomes)
        units = self.query_one(UnitTable)
        for unit in {o.unit for o in outcomes}:
            units.show_progress(unit, [o for (u, _), o in self.states.items() if u == unit])
        if self.phase == SENDING and self.plan is not None:
            remote = {u.unit for u in self.plan.of_kind(REMOTE)}
            mine = [o for (u, _), o in self.states.items() if u in remote]
            moved = sum(o.state != "pending" for o in mine)
            self.status(f"Attempt #{self.attempt_id}: {moved} of {len(mine)} remote controls "
                        "sent…")

    def remote_done(self, done: RemoteDone) -> None:
        self.faults = done.faults
        if done.closed is not None:
            self.show_verdict(done.closed)
            return
        self.phase, self.items, self.index = CHECKLIST, done.items, 0
        faults = f"; {len(done.faults)} unit(s) failed as devices" if done.faults else ""
        self.status(f"Attempt #{self.attempt_id}: remote units done{faults}. "
                    f"{len(done.items)} controls to set by hand.")
        self.show_item()

    # ------------------------------------------------------------------ the checklist
    def show_item(self) -> None:
        if self.index >= len(self.items):
            self.leave()
            return
        item = self.items[self.index]
        self.query_one(ChecklistPanel).show_item(item, self.index + 1, len(self.items))
        self.query_one(OutcomeTable).point_at(item.unit.unit, item.step.parameter)

    @on(ChecklistPanel.Answered)
    def answered(self, event: ChecklistPanel.Answered) -> None:
        if self.phase != CHECKLIST or self.plan is None or self.attempt_id is None:
            return
        self.confirm_item(self.attempt_id, self.plan, self.items[self.index],
                          event.value or None)

    @work(thread=True, exit_on_error=False, group="recall-confirm")
    def confirm_item(self, attempt_id: int, plan: RecallPlan, item: ChecklistItem,
                     value: str | None) -> None:
        """Store one answer at once; a value the control cannot take is said inline and
        nothing is recorded."""
        try:
            with self.context.library() as library:
                outcome = Checklist(library, attempt_id, plan).confirm(item, value)
        except LibraryError as err:
            self.app.call_from_thread(self.refused, err.message)
            return
        self.app.call_from_thread(self.confirmed, outcome)

    def refused(self, message: str) -> None:
        self.query_one(ChecklistPanel).show_problem(message)

    def confirmed(self, outcome: Outcome) -> None:
        self.show_outcomes([outcome])
        self.index += 1
        self.show_item()

    @on(ChecklistPanel.Skipped)
    def skipped(self) -> None:
        if self.phase == CHECKLIST:
            self.index += 1
            self.show_item()

    @on(ChecklistPanel.Left)
    def leave(self) -> None:
        if self.phase != CHECKLIST or self.attempt_id is None:
            return
        self.phase = FINISHING
        self.query_one(OutcomeTable).focus()
        self.close_attempt(self.attempt_id, self.faults)

    @work(thread=True, exit_on_error=False, group="recall-finish")
    def close_attempt(self, attempt_id: int, faults: tuple[str, ...]) -> None:
        with self.context.library() as library:
            closed = finish(library, attempt_id, faults)
        self.app.call_from_thread(self.show_verdict, closed)

    # ------------------------------------------------------------------ the verdict
    def show_verdict(self, attempt: Attempt) -> None:
        if self.attempt_id != attempt.id:
            return  # an attempt closed because another song was chosen
        self.phase = VERDICT
        self.show_outcomes(list(attempt.outcomes))
        self.query_one("#recall-verdict", Static).update(verdict_text(attempt, self.faults))
        self.query_one(OutcomeTable).focus()
        self.status(f"Attempt #{attempt.id} closed: {attempt.outcome}.")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed worker: the screen back where it can go on (the base shows the error)."""
        if event.state != WorkerState.ERROR or event.worker.error is None:
            return
        group = event.worker.group
        if group == "recall-plan":
            self.show_message("No plan to show (the error says why).")
        elif group == "recall-run":
            self.phase = PLAN
            self.status("The recall stopped; g starts again, R resumes.")
        elif group == "recall-confirm":
            self.query_one(ChecklistPanel).busy = False
        elif group == "recall-finish":
            self.phase = CHECKLIST
