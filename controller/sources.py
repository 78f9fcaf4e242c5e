"""A song's source mix as the library records it: path, checksum, rate and channels."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from .measure import inspect


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_record(path: Path | str) -> dict[str, Any]:
    """What the library keeps of a mix file; InputError naming the file if it is not audio."""
    info = inspect(Path(path))
    return {"path": str(Path(path).resolve()), "sha256": sha256_file(info.path),
            "rate": info.sample_rate, "channels": info.channels}
