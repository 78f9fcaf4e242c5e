"""The files a library keeps beside its database: where they live, and how one is stored."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import unicodedata
from pathlib import Path, PurePosixPath

# An attachment is a photo or a scan, not a print: anything larger is refused.
ATTACHMENT_LIMIT = 200 * 1024 * 1024
# The longest file or folder name, in bytes of UTF-8, that the usual file systems take
# (ext4 and APFS count 255 bytes, NTFS 255 UTF-16 units: 255 bytes of UTF-8 fit all).
NAME_BYTES = 255
# What no file name may hold on some system: separators, the characters Windows refuses,
# control characters, lone surrogates, line separators and bidirectional controls.
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069'
                     r"\ud800-\udfff]")
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{port}{n}" for port in ("COM", "LPT")
                                           for n in "123456789\u00b9\u00b2\u00b3")}
_TAG = re.compile(r" ~[0-9a-f]{8}$")
_SUFFIX = re.compile(r"\.[a-z0-9]{1,11}")


def portable_name(title: str, *, limit: int = NAME_BYTES, fallback: str = "untitled",
                  whole: bool = True) -> str:
    """``title`` as a file or folder name (``whole``) or part of one, at most ``limit``
    bytes, that every usual file system takes as it is.

    A title that is already such a name is kept unchanged. Any other (a character some
    system refuses, spaces or dots at either end, not in Unicode's composed form NFC, too
    long, a name Windows reserves such as CON, nothing left) is cleaned, cut at a character
    boundary and given " ~" and 8 hex digits of its sha256, so two different titles never
    come out as the same name."""
    composed = unicodedata.normalize("NFC", title)
    cleaned = _UNSAFE.sub("_", composed).strip(" .")
    kept = fit_bytes(cleaned, limit)
    reserved = whole and kept.split(".")[0].rstrip(" ").upper() in _RESERVED
    if kept == title and kept and not reserved and not _TAG.search(kept):
        return kept
    tag = " ~" + hashlib.sha256(title.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    if limit < len(tag) + len(fallback.encode()):
        raise ValueError(f"{limit} bytes leave no room for a name")
    body = fit_bytes(cleaned, limit - len(tag)).rstrip(" .") or fallback
    return body + tag


def fit_bytes(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, between two characters."""
    if len(text.encode("utf-8", "surrogatepass")) <= limit:
        return text
    size = 0
    for i, char in enumerate(text):
        size += len(char.encode("utf-8", "surrogatepass"))
        if size > limit:
            return text[:i]
    return text


def file_suffix(name: str) -> str:
    """The suffix a kept file takes from ``name``: lower case, a dot and 1 to 11 ASCII
    letters or digits (".jpg", ".wav"); empty when ``name`` has no such suffix."""
    suffix = PurePosixPath(name.replace("\\", "/")).suffix.lower()
    return suffix if _SUFFIX.fullmatch(suffix) else ""

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
    relative = f"attachments/{sha[:2]}/{sha}{file_suffix(source.name)}"
    target = folder / relative
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(source, partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(partial, target)
    return relative, sha
