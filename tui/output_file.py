"""Files the commands and the app write for the engineer (sheets, reports, their plots):
checked before anything is made, and written whole or not at all."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from controller.errors import InputError
from recall.files import fit_bytes


def check_target(target: Path) -> Path:
    """``target`` if a file can be written there; InputError naming it otherwise."""
    try:
        if target.is_dir():
            raise InputError(f"{target}: is a folder; name the file to write")
        if not target.parent.is_dir():
            raise InputError(f"{target}: folder {target.parent} does not exist")
    except OSError as err:  # a name too long, a folder that may not be read
        raise InputError(f"{target}: cannot write there ({err.strerror or err})") from err
    return target


def write_atomically(target: Path, data: bytes, *, what: str) -> None:
    """Write ``data`` beside ``target``, then rename it into place: a reader (or the artist's
    mail client) sees either the old file or the whole new one. ``what`` names the file in
    the error ("the sheet")."""
    partial = target.with_name(f".{fit_bytes(target.name, 200)}.{os.getpid()}."
                               f"{secrets.token_hex(4)}.partial")
    try:
        # Mode "x" creates the file with the usual permissions (mkstemp's are owner-only).
        with partial.open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise InputError(f"{target}: cannot write {what} ({err.strerror})") from err
