"""The error dialog: a title and what to do, never a traceback."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ErrorDialog(ModalScreen[None]):
    """Shows one error; Enter or Escape closes it."""

    BINDINGS = [("escape", "dismiss", "Close"), ("enter", "dismiss", "Close")]

    def __init__(self, title: str, message: str) -> None:
        super().__init__()
        self.title_text = title
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="error-dialog"):
            yield Label(self.title_text, id="error-title")
            yield Static(self.message, id="error-message", markup=False)
            yield Button("OK", variant="primary", id="error-ok")

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)


def describe(error: BaseException) -> tuple[str, str]:
    """A title and a one-line message for any error the controller raises (and a plain
    statement for one it did not expect)."""
    title = getattr(error, "title", None)
    message = getattr(error, "message", None)
    if title and message:
        return str(title), str(message)
    return "Unexpected problem", f"{type(error).__name__}: {error}"
