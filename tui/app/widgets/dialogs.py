"""A small form in a dialog: labelled text fields, Enter to go on, Escape to cancel."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static


class FormDialog(ModalScreen[dict[str, str] | None]):
    """Asks for ``fields`` (key, label, placeholder); returns their values, or None."""

    BINDINGS = [("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    FormDialog { align: center middle; }
    FormDialog > Vertical {
        width: 70; max-width: 95%; height: auto; border: thick $accent;
        background: $surface; padding: 1 2;
    }
    """

    def __init__(self, title: str, fields: list[tuple[str, str, str]], hint: str = "") -> None:
        super().__init__()
        self.heading = title
        self.fields = fields
        self.hint = hint

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.heading, classes="screen-title")
            for key, label, placeholder in self.fields:
                yield Static(label, classes="hint")
                yield Input(placeholder=placeholder, id=f"field-{key}")
            yield Static(self.hint or "Enter goes on · Escape cancels", classes="hint")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        inputs = list(self.query(Input))
        index = inputs.index(event.input)
        if index + 1 < len(inputs):
            inputs[index + 1].focus()
            return
        self.dismiss({key: self.query_one(f"#field-{key}", Input).value.strip()
                      for key, _, _ in self.fields})

    def action_cancel(self) -> None:
        self.dismiss(None)
