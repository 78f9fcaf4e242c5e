"""Editing a revision's chain: units in and out, in order, bypassed, and their settings,
each checked against the unit's frozen definitions; mixed into the library."""

from __future__ import annotations

import json
import sqlite3
from typing import TYPE_CHECKING, Any

from .errors import FrozenRevision, LibraryError, NotFound
from .records import Revision, Song, check_name, check_value, shown, storable
from .schema import definition_set

if TYPE_CHECKING:
    from .library import Library


class ChainMixin:
    """A revision's chain, edited; mixed into :class:`recall.library.Library`. A printed
    (frozen) revision refuses every change."""

    def _editable(self: Library, db: sqlite3.Connection, song: Song, number: int) -> sqlite3.Row:
        row = self._revision_row(db, song.id, number)
        if db.execute("SELECT 1 FROM print WHERE revision_id = ?", (row["id"],)).fetchone():
            raise FrozenRevision(f"{song.name} revision {number} has been printed and is "
                                 "frozen; start a new revision from it to make changes")
        return row

    def add_unit(self: Library, song: str | int, number: int, unit: str, *, profile: str,
                 definitions: dict[str, Any], settings: dict[str, float] | None = None,
                 position: int | None = None) -> Revision:
        """Put ``unit`` in the chain, with its parameter definitions frozen alongside."""
        owner = self.song(song)
        unit = check_name("unit", unit)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            units = db.execute("SELECT unit, position FROM chain_unit WHERE revision_id = ?"
                               " ORDER BY position", (row["id"],)).fetchall()
            if any(u["unit"] == unit for u in units):
                raise LibraryError(f"'{unit}' is already in revision {number}'s chain; one "
                                   "physical unit can sit in a chain only once")
            names = [u["unit"] for u in units]
            position = len(names) if position is None else min(max(position - 1, 0), len(names))
            names.insert(position, unit)
            values = {p: d.get("default", 0.0) for p, d in definitions.items()}
            values.update(settings or {})
            checked = {p: check_value(unit, p, self._definition(definitions, unit, p), v)
                       for p, v in values.items()}
            cursor = db.execute(
                "INSERT INTO chain_unit (revision_id, position, unit, profile,"
                " definition_set_id) VALUES (?, ?, ?, ?, ?)",
                (row["id"], -1, unit, profile, definition_set(db, definitions)))
            db.executemany("INSERT INTO setting (chain_unit_id, parameter, value) VALUES (?, ?, ?)",
                           [(cursor.lastrowid, p, v) for p, v in checked.items()])
            self._renumber(db, row["id"], names)
        return self.revision(owner.id, number)

    @staticmethod
    def _definition(definitions: dict[str, Any], unit: str, parameter: str) -> dict[str, Any]:
        if parameter not in definitions:
            known = ", ".join(sorted(definitions)) or "none"
            raise NotFound(f"{unit} has no parameter {shown(parameter)} (it has: {known})")
        return definitions[parameter]

    def _renumber(self: Library, db: sqlite3.Connection, revision_id: int,
                  names: list[str]) -> None:
        # Two passes so the positions never collide mid-way.
        for i, name in enumerate(names):
            db.execute("UPDATE chain_unit SET position = ? WHERE revision_id = ? AND unit = ?",
                       (-(i + 1000), revision_id, name))
        for i, name in enumerate(names):
            db.execute("UPDATE chain_unit SET position = ? WHERE revision_id = ? AND unit = ?",
                       (i + 1, revision_id, name))

    def set_values(self: Library, song: str | int, number: int, unit: str,
                   values: dict[str, float]) -> Revision:
        """Change settings of one unit; each checked against its frozen definition."""
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            chain_unit = self._chain_unit(db, row, unit)
            definitions = json.loads(chain_unit["definitions"])
            for parameter, value in values.items():
                checked = check_value(unit, parameter,
                                      self._definition(definitions, unit, parameter), value)
                db.execute("INSERT INTO setting (chain_unit_id, parameter, value) VALUES (?, ?, ?)"
                           " ON CONFLICT (chain_unit_id, parameter) DO UPDATE SET value = ?",
                           (chain_unit["id"], parameter, checked, checked))
        return self.revision(owner.id, number)

    def _chain_unit(self: Library, db: sqlite3.Connection, revision: sqlite3.Row,
                    unit: str) -> sqlite3.Row:
        row = db.execute("SELECT chain_unit.*, definition_set.document AS definitions"
                         " FROM chain_unit JOIN definition_set"
                         " ON definition_set.id = chain_unit.definition_set_id"
                         " WHERE revision_id = ? AND unit = ?",
                         (revision["id"], unit)).fetchone() if storable(unit) else None
        if row is None:
            names = ", ".join(r[0] for r in db.execute(
                "SELECT unit FROM chain_unit WHERE revision_id = ? ORDER BY position",
                (revision["id"],))) or "none"
            raise NotFound(f"revision {revision['number']} has no unit {shown(unit)} "
                           f"(chain: {names})")
        return row

    def set_bypass(self: Library, song: str | int, number: int, unit: str,
                   bypassed: bool) -> Revision:
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            self._chain_unit(db, row, unit)
            db.execute("UPDATE chain_unit SET bypassed = ? WHERE revision_id = ? AND unit = ?",
                       (int(bypassed), row["id"], unit))
        return self.revision(owner.id, number)

    def move_unit(self: Library, song: str | int, number: int, unit: str,
                  position: int) -> Revision:
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            self._chain_unit(db, row, unit)
            names = [r[0] for r in db.execute("SELECT unit FROM chain_unit WHERE revision_id = ?"
                                              " ORDER BY position", (row["id"],))]
            names.remove(unit)
            names.insert(min(max(position - 1, 0), len(names)), unit)
            self._renumber(db, row["id"], names)
        return self.revision(owner.id, number)

    def remove_unit(self: Library, song: str | int, number: int, unit: str) -> Revision:
        owner = self.song(song)
        with self.store.write() as db:
            row = self._editable(db, owner, number)
            self._chain_unit(db, row, unit)
            db.execute("DELETE FROM chain_unit WHERE revision_id = ? AND unit = ?",
                       (row["id"], unit))
            names = [r[0] for r in db.execute("SELECT unit FROM chain_unit WHERE revision_id = ?"
                                              " ORDER BY position", (row["id"],))]
            self._renumber(db, row["id"], names)
        return self.revision(owner.id, number)
