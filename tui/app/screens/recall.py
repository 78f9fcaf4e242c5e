"""The Recall screen (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from .base import OutboardScreen


class RecallScreen(OutboardScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Recall", classes="screen-title")
        yield Footer()
