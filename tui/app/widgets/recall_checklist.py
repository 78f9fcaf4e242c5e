"""The manual checklist of a recall, one control at a time: where it is, its target as the
panel shows it, the detent, what it was before; Enter confirms, a typed value records what
was set instead, s skips, q or Escape leaves."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from controller.recall_engine.session import ChecklistItem

HINT = "Enter: set as shown · else type what you set · s skips · q or Esc leaves"


def item_text(item: ChecklistItem, number: int, total: int) -> Text:
    unit, step = item.unit, item.step
    stand_in = f" (as {unit.studio_unit})" if unit.studio_unit not in (None, unit.unit) else ""
    section = f", {step.section} section" if step.section else ""
    text = Text.assemble((f"{unit.unit}{stand_in}", "bold"),
                         f"{section}  ·  control {number} of {total}\n",
                         (step.name, "bold"), "  →  ", (step.text, "bold reverse"))
    if step.detent:
        text.append(f"  {step.detent}")
    if step.previous is not None:
        text.append(f"\nchanged since the previous revision (was {step.previous})",
                    style="yellow")
    return text


class ValueField(Input):
    """The value the engineer set, when it is not the target. While it is empty, s and q are
    keys for the checklist rather than characters."""

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if not self.value and character in COMMANDS:
            return False
        return super().check_consume_key(key, character)


# The keys that act on the checklist while the value field is empty.
COMMANDS = ("s", "q")


class ChecklistPanel(Vertical):
    """Shows one checklist item at a time and says what the engineer answered; the screen
    records it. ``busy`` while an answer is being stored: further answers wait."""

    # s and q act only while the value field is empty: otherwise they are typed.
    BINDINGS = [Binding("s", "skip", "Skip", priority=True),
                Binding("q", "stop", "Leave checklist", priority=True),
                Binding("escape", "leave", "Leave checklist", show=False)]

    DEFAULT_CSS = """
    ChecklistPanel {
        height: auto;
        border: round $warning;
        padding: 0 1;
    }
    ChecklistPanel #checklist-problem {
        color: $error;
        display: none;
    }
    """

    class Answered(Message):
        """Enter: ``value`` is empty for "set to its target", else what was set."""

        def __init__(self, value: str) -> None:
            super().__init__()
            self.value = value

    class Skipped(Message):
        """Left pending; the checklist goes on."""

    class Left(Message):
        """The engineer stops here; what is not done stays pending."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.busy = False

    def compose(self) -> ComposeResult:
        yield Static("", id="checklist-item")
        yield ValueField(placeholder="Enter when set, or type what you set",
                         id="checklist-value")
        yield Static("", id="checklist-problem")
        yield Static(HINT, classes="hint")

    @property
    def value_field(self) -> ValueField:
        return self.query_one("#checklist-value", ValueField)

    def show_item(self, item: ChecklistItem, number: int, total: int) -> None:
        self.busy = False
        self.query_one("#checklist-item", Static).update(item_text(item, number, total))
        self.query_one("#checklist-problem", Static).display = False
        self.value_field.value = ""
        self.value_field.focus()

    def show_problem(self, message: str) -> None:
        """The answer was refused (nothing recorded); the typed value stays to be fixed."""
        self.busy = False
        problem = self.query_one("#checklist-problem", Static)
        problem.update(Text(message))
        problem.display = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("skip", "stop"):
            return not self.value_field.value
        return True

    @on(Input.Submitted, "#checklist-value")
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not self.busy:
            self.busy = True
            self.post_message(self.Answered(event.value.strip()))

    def action_skip(self) -> None:
        if not self.busy:
            self.post_message(self.Skipped())

    def action_stop(self) -> None:
        self.action_leave()

    def action_leave(self) -> None:
        if not self.busy:
            self.post_message(self.Left())
