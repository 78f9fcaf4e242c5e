"""Photos of front panels and patch bays kept with a revision or one unit of its chain."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import LibraryError
from .files import ATTACHMENT_LIMIT, files_folder, store_file
from .records import Attachment, check_name, check_text, now

if TYPE_CHECKING:
    from .library import Library

class AttachmentsMixin:
    """The library's attachments; mixed into :class:`recall.library.Library`."""

    @property
    def files(self: Library) -> Path:
        """The folder beside the library file that holds its attachments."""
        return files_folder(self.path)

    def attach(self: Library, song: str | int, number: int, file: Path | str, *,
               unit: str | None = None, caption: str = "") -> Attachment:
        """Keep a copy of ``file`` (a panel or patch-bay photo) with a revision or one of its
        units. Printed revisions take attachments too: a photo changes no setting."""
        owner = self.song(song)
        source = Path(file)
        try:
            if not source.is_file():
                raise LibraryError(f"{source}: no such file to attach")
            size = source.stat().st_size
        except OSError as err:  # a name too long, a folder that may not be read
            raise LibraryError(f"{source}: cannot read it ({err.strerror or err})") from err
        if size > ATTACHMENT_LIMIT:
            raise LibraryError(f"{source}: {size / 2**20:.0f} MiB is larger than an attachment "
                               f"may be ({ATTACHMENT_LIMIT // 2**20} MiB)")
        caption = check_text("caption", caption, limit=2_000)
        name = check_name("attachment", source.name)
        media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        with self.store.read() as db:
            row = self._revision_row(db, owner.id, number)
            if unit is not None:
                self._chain_unit(db, row, unit)
        relative, digest = store_file(self.files, source)
        with self.store.write() as db:
            row = self._revision_row(db, owner.id, number)
            cursor = db.execute(
                "INSERT INTO attachment (revision_id, unit, path, sha256, caption, created, name,"
                " media_type) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (row["id"], unit, relative, digest, caption.strip(), now(), name, media_type))
        return self.attachments(owner.id, number, only=int(cursor.lastrowid))[0]  # type: ignore

    def attachments(self: Library, song: str | int, number: int, *,
                    only: int | None = None) -> list[Attachment]:
        """A revision's attachments, the revision's own first, then by unit."""
        owner = self.song(song)
        with self.store.read() as db:
            row = self._revision_row(db, owner.id, number)
            rows = db.execute(
                "SELECT * FROM attachment WHERE revision_id = ?"
                + (" AND id = ?" if only is not None else "")
                + " ORDER BY unit IS NOT NULL, unit, id",
                (row["id"], only) if only is not None else (row["id"],)).fetchall()
        return [Attachment(a["id"], number, a["unit"], a["name"], a["path"], a["sha256"],
                           a["media_type"], a["caption"], a["created"]) for a in rows]

    def attachment_file(self: Library, attachment: Attachment) -> Path:
        return self.files / attachment.path
