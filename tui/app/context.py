"""What the app works on: the library file, the studio, and how its units are reached."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from controller.recall_engine.engine import Opener, open_port
from recall.library import Library
from recall.studio import Studio


@dataclass(frozen=True)
class AppContext:
    """Handed to every screen. Each worker opens its own library connection (a connection
    is not shared between threads); ``opener`` reaches the studio's remote units (the
    emulated rack in the demo)."""

    library_path: Path
    studio: Studio | None = None
    opener: Opener = open_port
    demo_folder: Path | None = None

    def library(self) -> Library:
        return Library(self.library_path)
