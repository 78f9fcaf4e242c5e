"""What the app works on: the library file, the studio, and how its units are reached."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recall.library import Library
from recall.studio import Studio

if TYPE_CHECKING:
    from controller.recall_engine.engine import Opener


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

    def library(self) -> Library:
        return Library(self.library_path)

    def unit_opener(self) -> Any:
        """The opener the recall engine is given: this context's, else real ports."""
        if self.opener is not None:
            return self.opener
        from controller.recall_engine.engine import open_port

        return open_port
