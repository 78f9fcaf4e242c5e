"""The Sheet screen (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from .base import OutboardScreen


class SheetScreen(OutboardScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Sheet", classes="screen-title")
        yield Footer()
