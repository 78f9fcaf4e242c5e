"""What the app works on: the library file, the studio, and how its units are reached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recall.library import Library
from recall.studio import Studio

if TYPE_CHECKING:
    from controller.audio.loops import UnitValues
    from controller.recall_engine.engine import Opener
    from recall.records import Revision


@dataclass(frozen=True)
class AppContext:
    """Handed to every screen. Each worker opens its own library connection (a connection
    is not shared between threads); ``opener`` reaches the studio's remote units (the
    emulated rack in the demo)."""

    library_path: Path
    studio: Studio | None = None
    opener: Opener | None = None  # None: each unit's own address (real ports)
    demo_folder: Path | None = None
    # Work to do once the app has painted (the demo's mixes), in a worker.
    prepare: Callable[[], None] | None = None
    # For a simulated loop: how its units are set for a revision, when something keeps
    # their state (the demo's emulated rack: what the last recall left there).
    unit_values: Callable[[Revision], UnitValues] | None = None

    def library(self) -> Library:
        return Library(self.library_path)

    def unit_opener(self) -> Any:
        """The opener the recall engine is given: this context's, else real ports."""
        if self.opener is not None:
            return self.opener
        from controller.recall_engine.engine import open_port

        return open_port

    def heard_values(self, library: Library, revision: Revision) -> UnitValues | None:
        """How the simulated loop hears the units: as this context's rack keeps them, and a
        unit set by hand as the revision's last recall recorded it (what was typed in the
        checklist). None without a rack: the engine then models the last recall itself."""
        from controller.print_session import recalled_values

        live = self.live_values(revision)
        if live is None:
            return None
        recalled = recalled_values(library, revision.song_id, revision)

        def values(unit: Any) -> Any:
            return recalled(unit) if unit.scheme == "manual" else live(unit)

        return values

    def live_values(self, revision: Revision) -> UnitValues | None:
        """How the simulated loop hears the units for ``revision``: as this context's rack
        keeps them, or None (the print then models the revision's own values)."""
        return None if self.unit_values is None else self.unit_values(revision)
