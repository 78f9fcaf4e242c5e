"""What the library commands share: opening the library they name, and printing JSON."""

from __future__ import annotations

import argparse
import json
from typing import Any

from controller.chain import library_path
from recall.library import Library


def open_library(args: argparse.Namespace, *, create: bool = False) -> Library:
    """The library of ``--library``, else $OUTBOARD_LIBRARY, else the user data folder.

    Only the commands that start something new create the file; the others refuse a path
    with no library, so a mistyped ``--library`` never leaves an empty library behind."""
    return Library(library_path(args.library), create=create)


def emit(document: Any) -> None:
    """One JSON document on one line."""
    print(json.dumps(document, allow_nan=False, ensure_ascii=False), flush=True)
