"""The Rack screen (being built)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer, Header, Static

from .base import OutboardScreen


class RackScreen(OutboardScreen):
    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Rack", classes="screen-title")
        yield Footer()
