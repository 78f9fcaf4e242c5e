"""What every screen shares: the header and footer, the app's context, the chosen song."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.screen import Screen
from textual.worker import Worker

if TYPE_CHECKING:
    from ..app import OutboardApp
    from ..context import AppContext


class OutboardScreen(Screen[None]):
    """A screen of the app. ``refresh_view`` runs whenever the screen is shown again, so a
    screen always shows the song the app has chosen, as the library holds it now."""

    @property
    def outboard(self) -> OutboardApp:
        return self.app  # type: ignore[return-value]

    @property
    def context(self) -> AppContext:
        return self.outboard.context

    # Set by a screen whose load failed: its error dialog is showing, and the resume that
    # follows the dialog's closing must not load (and fail, and show a dialog) again.
    load_failed = False

    # Set by the app when it started this screen's load before showing it.
    prefetched = False

    def on_screen_resume(self) -> None:
        if self.load_failed or self.prefetched:
            self.load_failed = self.prefetched = False
            return
        self.refresh_view()

    def refresh_view(self) -> None:
        """Reload what the screen shows (override)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A screen's workers report to the screen only (their events do not bubble): a
        failure goes to the app's error dialog from here. Screens that need to put
        themselves right after a failure handle the event too; this runs after them."""
        self.outboard.on_worker_state_changed(event)
