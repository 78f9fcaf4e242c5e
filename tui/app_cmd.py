"""Starting the app: `outboard` on your library and studio, `outboard demo` on a demo."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from controller.chain import library_path
from controller.errors import EXIT_OK, InputError
from recall.errors import StudioError
from recall.studio import load_studio

from .studio_cmd import ENVIRONMENT as STUDIO_ENVIRONMENT


def run_app(args: argparse.Namespace) -> int:
    """The app on the library of --library / $OUTBOARD_LIBRARY / the user data folder, and
    the studio of --studio / $OUTBOARD_STUDIO (without one, recall is not offered)."""
    from .app.app import make_app
    from .app.context import AppContext

    given = getattr(args, "studio", None) or os.environ.get(STUDIO_ENVIRONMENT, "").strip()
    studio = None
    if given:
        try:
            studio = load_studio(Path(given))
        except StudioError as err:
            raise InputError(err.message, title=err.title) from err
    make_app(AppContext(library_path(getattr(args, "library", None)), studio)).run()
    return EXIT_OK


def run_demo_app(args: argparse.Namespace) -> int:
    """A fresh demo library and emulated studio in a folder of its own, and the app on it."""
    from controller.demo import DemoRack, build_demo, write_mixes

    from .app.app import make_app
    from .app.context import AppContext

    folder = Path(args.folder) if args.folder else Path(
        tempfile.mkdtemp(prefix="outboard-demo-"))
    if (folder / "library.sqlite").exists():
        raise InputError(f"{folder}: already holds a demo library; name an empty folder")
    path, studio = build_demo(folder, mixes=False)
    rack = DemoRack(studio)
    make_app(AppContext(path, studio, opener=rack.opener, unit_values=rack.unit_values,
                        demo_folder=folder, prepare=lambda: write_mixes(folder, path))).run()
    print(f"The demo library stays in {folder}")
    return EXIT_OK
