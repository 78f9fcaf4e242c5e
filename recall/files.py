"""The files a library keeps beside its database: where they live, and how one is stored."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

# An attachment is a photo or a scan, not a print: anything larger is refused.
ATTACHMENT_LIMIT = 200 * 1024 * 1024

def files_folder(library: Path) -> Path:
    """Where a library keeps its attachments: ``library.sqlite`` → ``library-files/``."""
    return library.with_name(f"{library.stem}-files")


def store_file(folder: Path, source: Path) -> tuple[str, str]:
    """Copy ``source`` into ``folder`` under its content's sha256; (relative path, sha256).

    The copy is written beside its final name and renamed into place, so a crash leaves
    either no file or a whole one."""
    digest = hashlib.sha256()
    with source.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    sha = digest.hexdigest()
    relative = f"attachments/{sha[:2]}/{sha}{source.suffix.lower()[:12]}"
    target = folder / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    return relative, sha
