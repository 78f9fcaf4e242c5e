"""Reading an export safely: a folder or a .zip, every member checked before any is read, and
its files staged and checked before they join a library's files."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from .errors import LibraryError
from .files import ATTACHMENT_LIMIT, file_suffix
from .records import hidden_character, shown

MANIFEST = "outboard-export.json"
# No member of an export is larger than this: a print is a WAV file, and WAV stops at 4 GiB.
MEMBER_LIMIT = 4 * 2**30
# The manifest is text about a session, never near this.
MANIFEST_LIMIT = 64 * 2**20
_BLOCK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
# What a damaged or hostile zip file raises while it is read, besides zipfile's own errors.
_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, RuntimeError, EOFError, zlib.error,
           NotImplementedError, ValueError, OSError)


class ArchiveError(LibraryError):
    """An export that cannot be written or read: names the file, the member or the key."""

    title = "Bad export"
    exit_code = 2


def _reason(err: BaseException) -> str:
    """An error's own words for a one-line message: escaped, and cut after 120 characters."""
    text = repr(str(err) or type(err).__name__)[1:-1]
    return text if len(text) <= 120 else text[:120] + "…"


def check_member_name(origin: str, name: str) -> str:
    """``name`` if it is a plain relative path inside the export, else ArchiveError."""
    if not name:
        raise ArchiveError(f"{origin}: a member has an empty name")
    if "\\" in name or "\t" in name or hidden_character(name) is not None:
        raise ArchiveError(f"{origin}: member {shown(name)} has a backslash or a control "
                           "character in its name")
    if name.startswith("/") or _DRIVE.match(name):
        raise ArchiveError(f"{origin}: member {shown(name)} is an absolute path")
    parts = name.removesuffix("/").split("/")
    if ".." in parts:
        raise ArchiveError(f"{origin}: member {shown(name)} points outside the export ('..')")
    if any(part in ("", ".") for part in parts):
        raise ArchiveError(f"{origin}: member {shown(name)} has an empty or '.' part in its "
                           "path")
    return name


@dataclass(frozen=True, slots=True)
class Copied:
    """A member copied out of the export: its sha256 (hex) and size in bytes."""

    sha256: str
    size: int


class Source:
    """An export to read: ``members`` maps each file's name to its declared size.

    Subclasses open a member by name (:meth:`_open`); every name has been checked by then."""

    def __init__(self, origin: str, members: dict[str, int]) -> None:
        self.origin = origin
        self.members = members

    def read_manifest(self) -> bytes:
        size = self.members.get(MANIFEST)
        if size is None:
            raise ArchiveError(f"{self.origin}: no {MANIFEST}; not an Outboard export")
        if size > MANIFEST_LIMIT:
            raise ArchiveError(f"{self.origin}: {MANIFEST} is {size / 2**20:.0f} MiB, more than "
                               f"a manifest may be ({MANIFEST_LIMIT // 2**20} MiB)")
        with self._open(MANIFEST) as handle:
            data = handle.read(MANIFEST_LIMIT + 1)
        if len(data) > size:
            raise ArchiveError(f"{self.origin}: {MANIFEST} is longer than its declared size")
        return data

    def copy(self, name: str, target: Path, *, limit: int = MEMBER_LIMIT) -> Copied:
        """Copy member ``name`` to the new file ``target`` (synced to disk), hashing it."""
        if name not in self.members:
            raise ArchiveError(f"{self.origin}: the manifest names member {shown(name)}, which "
                               "is not in the export")
        declared = self.members[name]
        if declared > limit:
            raise ArchiveError(f"{self.origin}: member {shown(name)} is "
                               f"{declared / 2**20:.0f} MiB, "
                               f"more than such a file may be ({limit // 2**20} MiB)")
        digest, size = hashlib.sha256(), 0
        try:
            with self._open(name) as handle, target.open("xb") as out:
                for block in iter(lambda: handle.read(_BLOCK), b""):
                    size += len(block)
                    if size > declared:
                        raise ArchiveError(f"{self.origin}: member {shown(name)} is longer "
                                           "than its declared size")
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
        except OSError as err:
            raise ArchiveError(f"{self.origin}: cannot copy member {shown(name)} to "
                               f"{target.parent} ({err.strerror or err})") from err
        return Copied(digest.hexdigest(), size)

    @contextmanager
    def _open(self, name: str) -> Iterator[BinaryIO]:
        raise NotImplementedError
        yield  # pragma: no cover

    def close(self) -> None:
        """Release the export (a zip file's handle)."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FolderSource(Source):
    """An export unpacked in a folder; symbolic links anywhere inside it are refused."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.origin = str(root)
        super().__init__(self.origin, self._walk(root, ""))

    def _walk(self, folder: Path, prefix: str) -> dict[str, int]:
        members: dict[str, int] = {}
        with os.scandir(folder) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                name = check_member_name(self.origin, prefix + entry.name)
                if entry.is_symlink():
                    raise ArchiveError(f"{self.origin}: {shown(name)} is a symbolic link; an "
                                       "export holds only plain files")
                if entry.is_dir(follow_symlinks=False):
                    members.update(self._walk(Path(entry.path), name + "/"))
                elif entry.is_file(follow_symlinks=False):
                    members[name] = entry.stat(follow_symlinks=False).st_size
                else:
                    raise ArchiveError(f"{self.origin}: {shown(name)} is not a plain file")
        return members

    @contextmanager
    def _open(self, name: str) -> Iterator[BinaryIO]:
        path = self.root.joinpath(*name.split("/"))
        try:
            descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
                                 | getattr(os, "O_BINARY", 0))
        except OSError as err:
            raise ArchiveError(f"{self.origin}: cannot read {shown(name)} ({err.strerror})"
                               ) from err
        with os.fdopen(descriptor, "rb") as handle:
            yield handle


class ZipSource(Source):
    """An export in a .zip: links, duplicates, encrypted and oversized members are refused;
    members are read by name, never extracted as a whole."""

    def __init__(self, path: Path) -> None:
        origin = str(path)
        try:
            self.zip = zipfile.ZipFile(path)
        except _DAMAGE as err:
            raise ArchiveError(f"{origin}: not a readable zip file ({_reason(err)})") from err
        try:
            super().__init__(origin, self._members(origin, self.zip.infolist()))
        except BaseException:
            self.zip.close()
            raise

    @staticmethod
    def _members(origin: str, infos: list[zipfile.ZipInfo]) -> dict[str, int]:
        twice = [name for name, n in Counter(i.filename for i in infos).items() if n > 1]
        if twice:
            raise ArchiveError(f"{origin}: member {shown(twice[0])} appears more than once")
        members: dict[str, int] = {}
        for info in infos:
            name = check_member_name(origin, info.filename)
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                raise ArchiveError(f"{origin}: member {shown(name)} is a symbolic link; an "
                                   "export holds only plain files")
            if stat.S_IFMT(mode) and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise ArchiveError(f"{origin}: member {shown(name)} is not a plain file")
            if info.flag_bits & 0x1:
                raise ArchiveError(f"{origin}: member {shown(name)} is encrypted")
            if info.file_size > MEMBER_LIMIT:
                raise ArchiveError(f"{origin}: member {shown(name)} declares "
                                   f"{info.file_size / 2**30:.1f} GiB, more than any file of "
                                   f"an export may be ({MEMBER_LIMIT // 2**30} GiB)")
            if not info.is_dir():
                members[name] = info.file_size
        return members

    @contextmanager
    def _open(self, name: str) -> Iterator[BinaryIO]:
        try:
            with self.zip.open(name) as handle:
                yield handle  # type: ignore[misc]
        except _DAMAGE as err:
            raise ArchiveError(f"{self.origin}: member {shown(name)} is damaged "
                               f"({_reason(err)})") from err

    def close(self) -> None:
        self.zip.close()


def open_source(path: Path) -> Source:
    """The export at ``path``: a folder, or a file ending in .zip."""
    try:
        if path.is_dir():
            return FolderSource(path)
        if path.is_file() and path.suffix.lower() == ".zip":
            return ZipSource(path)
        exists = path.exists()
    except OSError as err:  # a name too long, a folder that may not be read
        raise ArchiveError(f"{path}: cannot read it ({err.strerror or err})") from err
    if not exists:
        raise ArchiveError(f"{path}: no such folder or .zip file")
    raise ArchiveError(f"{path}: neither a folder nor a .zip file")


def suffix(path: str) -> str:
    """A file's suffix as the files folder keeps it (see :func:`recall.files.file_suffix`)."""
    return file_suffix(path)


class Staging:
    """Files copied out of the export beside the library's files, checked, then moved into
    place; on any failure the files newly placed are removed again."""

    def __init__(self, folder: Path, source: Source) -> None:
        self.folder, self.source = folder, source
        self.made_folder = not folder.exists()
        folder.mkdir(parents=True, exist_ok=True)
        self.partial = Path(tempfile.mkdtemp(prefix=".import-", suffix=".partial", dir=folder))
        self.staged: dict[str, tuple[Path, str]] = {}   # member → (staged file, relative path)
        self.placed: list[Path] = []

    @property
    def relative_paths(self) -> dict[str, str]:
        """Each staged member's path relative to the library's files folder, once placed."""
        return {member: relative for member, (_, relative) in self.staged.items()}

    def stage(self, manifest: dict[str, Any]) -> None:
        """Copy out every file the manifest names, refusing any that does not match its
        sha256; nothing reaches the library's files yet."""
        wanted: dict[str, list[str | None]] = {}
        for song in manifest["songs"]:
            for revision in song["revisions"]:
                for item in revision["prints"] + revision["attachments"]:
                    if item["file"] is not None:
                        wanted.setdefault(item["file"], []).append(item["sha256"])
        need = sum(self.source.members[m] for m in wanted)
        free = shutil.disk_usage(self.folder).free
        if need > free:
            raise ArchiveError(f"{self.source.origin}: its files need {need / 2**20:.0f} MiB, "
                               f"{self.folder} has {free / 2**20:.0f} MiB free")
        for i, (member, sums) in enumerate(wanted.items()):
            staged = self.partial / str(i)
            limit = ATTACHMENT_LIMIT if member.startswith("files/") else MEMBER_LIMIT
            copied = self.source.copy(member, staged, limit=limit)
            for expected in sums:
                if expected is not None and expected != copied.sha256:
                    raise ArchiveError(f"{self.source.origin}: member '{member}' does not match "
                                       f"its checksum in the manifest (expected "
                                       f"{expected[:12]}…, found {copied.sha256[:12]}…)")
            kind = "attachments" if member.startswith("files/") else "prints"
            sha = copied.sha256
            self.staged[member] = (staged, f"{kind}/{sha[:2]}/{sha}{suffix(member)}")

    def place(self) -> None:
        """Move the staged files to their content-addressed places (one already there is
        the same file, and stays)."""
        for staged, relative in self.staged.values():
            target = self.folder.joinpath(*relative.split("/"))
            if target.exists():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, target)
            self.placed.append(target)

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        shutil.rmtree(self.partial, ignore_errors=True)
        if kind is None:
            return
        for target in self.placed:
            target.unlink(missing_ok=True)
            for parent in (target.parent, target.parent.parent):
                _remove_if_empty(parent)
        if self.made_folder:
            _remove_if_empty(self.folder)


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:
        pass
