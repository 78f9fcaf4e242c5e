"""The Measure screen (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from .base import OutboardScreen


class MeasureScreen(OutboardScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Measure", classes="screen-title")
        yield Footer()
