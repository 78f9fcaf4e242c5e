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


# Characters JSON leaves as they are but that a reader may take for a line break (Python's
# splitlines, for one): escaped, so a note holding one still keeps its document on one line.
_LINE_BREAKS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def emit(document: Any) -> None:
    """One JSON document on one line."""
    text = json.dumps(document, allow_nan=False, ensure_ascii=False)
    print(text.translate(_LINE_BREAKS), flush=True)
