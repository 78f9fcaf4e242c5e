"""What changed between two revisions of a song: the chain, every setting, the routing and
calibration in force, and the notes opened and addressed in between."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .records import ChainUnit, Note, Revision, display_value, format_time

# Stored values are checked floats; anything closer than this is the same setting.
SAME = 1e-9


@dataclass(frozen=True, slots=True)
class UnitChange:
    """A unit added to, removed from, moved in, bypassed in or put back into the chain."""

    unit: str
    profile: str
    change: str  # added, removed, moved, bypassed, unbypassed, profile
    old_position: int | None
    new_position: int | None
    old_profile: str | None = None


@dataclass(frozen=True, slots=True)
class ParameterChange:
    """One control whose value differs; ``old`` is None for a control that is new in B,
    ``new`` is None for one that is gone; ``delta`` is set for numeric controls."""

    unit: str
    parameter: str
    name: str
    section: str
    kind: str
    unit_label: str
    old: float | None
    new: float | None
    old_text: str
    new_text: str
    delta: float | None
    at_default: bool = False  # the new value is the control's default


@dataclass(frozen=True, slots=True)
class FieldChange:
    """A routing or calibration entry that differs (None where it is absent)."""

    key: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class RevisionDiff:
    song: str
    a: int
    b: int
    status: tuple[str, str]
    studio: tuple[str | None, str | None]
    units: tuple[UnitChange, ...]
    parameters: tuple[ParameterChange, ...]
    routing: tuple[FieldChange, ...]
    calibration: tuple[FieldChange, ...]
    notes_opened: tuple[Note, ...]
    notes_addressed: tuple[Note, ...]

    @property
    def empty(self) -> bool:
        return not (self.units or self.parameters or self.routing or self.calibration
                    or self.studio[0] != self.studio[1])

    def changed(self, unit: str, parameter: str) -> ParameterChange | None:
        """The change of one control, if it changed."""
        for change in self.parameters:
            if change.unit == unit and change.parameter == parameter:
                return change
        return None

    def unit_changes(self, unit: str) -> tuple[UnitChange, ...]:
        return tuple(c for c in self.units if c.unit == unit)


def diff_revisions(song: str, a: Revision, b: Revision,
                   notes: Sequence[Note] = ()) -> RevisionDiff:
    """Everything that differs from revision ``a`` to revision ``b``.

    ``notes`` is the song's thread: those left on a revision after ``a`` up to ``b`` count as
    opened, those addressed in a revision after ``a`` up to ``b`` as addressed (in either
    direction of comparison, the revisions between the two).
    """
    low, high = sorted((a.number, b.number))
    return RevisionDiff(
        song=song, a=a.number, b=b.number, status=(a.status, b.status),
        studio=(a.studio_fingerprint, b.studio_fingerprint),
        units=_unit_changes(a.chain, b.chain),
        parameters=_parameter_changes(a.chain, b.chain),
        routing=_field_changes(_flatten(a.routing), _flatten(b.routing)),
        calibration=_field_changes(_calibration(a.calibration), _calibration(b.calibration)),
        notes_opened=tuple(n for n in notes if n.revision_number is not None
                           and low < n.revision_number <= high),
        notes_addressed=tuple(n for n in notes if n.addressed_in is not None
                              and low < n.addressed_in <= high))


def _unit_changes(old: tuple[ChainUnit, ...], new: tuple[ChainUnit, ...]) -> tuple[UnitChange, ...]:
    old_at = {u.unit: i + 1 for i, u in enumerate(old)}
    new_at = {u.unit: i + 1 for i, u in enumerate(new)}
    before = {u.unit: u for u in old}
    changes: list[UnitChange] = []
    common_old = [u.unit for u in old if u.unit in new_at]
    common_new = [u.unit for u in new if u.unit in old_at]
    # Units outside the longest run kept in order are the ones that moved.
    kept = set(_longest_common_subsequence(common_old, common_new))
    for unit in new:
        name = unit.unit
        if name not in old_at:
            changes.append(UnitChange(name, unit.profile, "added", None, new_at[name]))
            continue
        was = before[name]
        if name not in kept:
            changes.append(UnitChange(name, unit.profile, "moved", old_at[name], new_at[name]))
        if was.profile != unit.profile:
            changes.append(UnitChange(name, unit.profile, "profile", old_at[name], new_at[name],
                                      old_profile=was.profile))
        if was.bypassed != unit.bypassed:
            changes.append(UnitChange(name, unit.profile,
                                      "bypassed" if unit.bypassed else "unbypassed",
                                      old_at[name], new_at[name]))
    for unit in old:
        if unit.unit not in new_at:
            changes.append(UnitChange(unit.unit, unit.profile, "removed", old_at[unit.unit], None))
    return tuple(changes)


def _longest_common_subsequence(a: list[str], b: list[str]) -> list[str]:
    lengths = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            lengths[i + 1][j + 1] = (lengths[i][j] + 1 if x == y
                                     else max(lengths[i][j + 1], lengths[i + 1][j]))
    found, i, j = [], len(a), len(b)
    while i and j:
        if a[i - 1] == b[j - 1]:
            found.append(a[i - 1])
            i, j = i - 1, j - 1
        elif lengths[i - 1][j] >= lengths[i][j - 1]:
            i -= 1
        else:
            j -= 1
    return found[::-1]


def _parameter_changes(old: tuple[ChainUnit, ...],
                       new: tuple[ChainUnit, ...]) -> tuple[ParameterChange, ...]:
    before = {u.unit: u for u in old}
    after = {u.unit: u for u in new}
    changes: list[ParameterChange] = []
    # Chain order of B, then units only in A; each unit's controls in front-panel order.
    for name in [u.unit for u in new] + [u.unit for u in old if u.unit not in after]:
        was, now = before.get(name), after.get(name)
        old_values = was.settings if was else {}
        new_values = now.settings if now else {}
        definitions = {**(was.definitions if was else {}), **(now.definitions if now else {})}
        order = list(now.settings if now else {}) + [p for p in old_values
                                                     if p not in new_values]
        for parameter in order:
            a, b = old_values.get(parameter), new_values.get(parameter)
            if a is not None and b is not None and abs(a - b) <= SAME * max(1.0, abs(a)):
                continue
            definition = definitions.get(parameter, {})
            old_definition = (was.definitions.get(parameter, definition) if was else definition)
            numeric = definition.get("kind") in ("continuous", "stepped")
            changes.append(ParameterChange(
                unit=name, parameter=parameter, name=definition.get("name", parameter),
                section=definition.get("section", ""), kind=definition.get("kind", ""),
                unit_label=definition.get("unit", ""), old=a, new=b,
                old_text=display_value(old_definition, a), new_text=display_value(definition, b),
                delta=(b - a) if numeric and a is not None and b is not None else None,
                at_default=b is not None and b == definition.get("default")))
    return tuple(changes)


def _flatten(document: Any, prefix: str = "") -> dict[str, Any]:
    """Nested routing data as dotted keys; list items are keyed by their name when they have one."""
    if isinstance(document, dict):
        flat: dict[str, Any] = {}
        for key, value in document.items():
            flat.update(_flatten(value, f"{prefix}{key}."))
        return flat
    if isinstance(document, list) and all(isinstance(i, dict) and "name" in i for i in document):
        flat = {}
        for item in document:
            rest = {k: v for k, v in item.items() if k != "name"}
            flat.update(_flatten(rest, f"{prefix}{item['name']}."))
        return flat
    return {prefix.rstrip("."): document}


def _calibration(entries: Any) -> dict[str, Any]:
    if not isinstance(entries, list):
        return _flatten(entries)
    return {f"{e.get('direction')} {e.get('channel')}": e.get("dbfs_at_plus4_dbu")
            for e in entries if isinstance(e, dict)}


def _field_changes(old: dict[str, Any], new: dict[str, Any]) -> tuple[FieldChange, ...]:
    keys = list(old) + [k for k in new if k not in old]
    return tuple(FieldChange(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k))


# ---------------------------------------------------------------------------- output


def diff_dict(diff: RevisionDiff) -> dict[str, Any]:
    """The diff as JSON-ready data."""
    return {
        "song": diff.song, "a": diff.a, "b": diff.b,
        "status": {"a": diff.status[0], "b": diff.status[1]},
        "studio": {"a": diff.studio[0], "b": diff.studio[1]},
        "units": [{"unit": c.unit, "profile": c.profile, "change": c.change,
                   "old_position": c.old_position, "new_position": c.new_position,
                   **({"old_profile": c.old_profile} if c.old_profile else {})}
                  for c in diff.units],
        "parameters": [{"unit": c.unit, "parameter": c.parameter, "name": c.name,
                        "section": c.section, "kind": c.kind, "unit_label": c.unit_label,
                        "old": c.old, "new": c.new, "old_text": c.old_text,
                        "new_text": c.new_text, "delta": c.delta,
                        "at_default": c.at_default} for c in diff.parameters],
        "routing": [{"key": c.key, "old": c.old, "new": c.new} for c in diff.routing],
        "calibration": [{"channel": c.key, "old": c.old, "new": c.new}
                        for c in diff.calibration],
        "notes_opened": [_note_dict(n) for n in diff.notes_opened],
        "notes_addressed": [_note_dict(n) for n in diff.notes_addressed],
    }


def _note_dict(note: Note) -> dict[str, Any]:
    return {"id": note.id, "revision": note.revision_number, "at_seconds": note.at_seconds,
            "kind": note.kind, "author": note.author, "body": note.body,
            "status": note.status, "addressed_in": note.addressed_in}


def format_delta(change: ParameterChange) -> str:
    if change.delta is None:
        return ""
    return f"{change.delta:+g} {change.unit_label}".rstrip()


def diff_lines(diff: RevisionDiff) -> list[str]:
    """The diff as lines of text for a terminal, changes only."""
    lines = [f"{diff.song}: rev {diff.a} → rev {diff.b}"]
    if diff.status[0] != diff.status[1]:
        lines.append(f"  status: {diff.status[0]} → {diff.status[1]}")
    if diff.studio[0] != diff.studio[1]:
        lines.append(f"  studio: {(diff.studio[0] or 'none')[:12]} → "
                     f"{(diff.studio[1] or 'none')[:12]}")
    if diff.units:
        lines.append("  chain:")
        for c in diff.units:
            where = {"added": f"at {c.new_position}", "removed": f"was at {c.old_position}",
                     "moved": f"{c.old_position} → {c.new_position}",
                     "profile": f"profile {c.old_profile} → {c.profile}"}.get(c.change, "")
            lines.append(f"    {c.change:<10} {c.unit} {where}".rstrip())
    added = {c.unit for c in diff.units if c.change == "added"}
    for unit in dict.fromkeys(c.unit for c in diff.parameters):
        changes = [c for c in diff.parameters if c.unit == unit]
        if unit in added:
            # A new unit: its settings away from the panel defaults, the rest counted.
            set_apart = [c for c in changes if not c.at_default]
            lines.append(f"  {unit} (new):")
            lines.extend(f"    {c.name:<24} {c.new_text}" for c in set_apart)
            if len(changes) > len(set_apart):
                lines.append(f"    ({len(changes) - len(set_apart)} more controls at their "
                             "defaults)")
            continue
        lines.append(f"  {unit}:")
        for c in changes:
            delta = format_delta(c)
            lines.append(f"    {c.name:<24} {c.old_text} → {c.new_text}"
                         + (f"  ({delta})" if delta else ""))
    for title, entries in (("routing", diff.routing), ("calibration", diff.calibration)):
        if entries:
            lines.append(f"  {title}:")
            lines.extend(f"    {c.key}: {plain(c.old)} → {plain(c.new)}" for c in entries)
    for title, notes in (("notes opened", diff.notes_opened),
                         ("notes addressed", diff.notes_addressed)):
        if notes:
            lines.append(f"  {title}:")
            for n in notes:
                at = f" @{format_time(n.at_seconds)}" if n.at_seconds is not None else ""
                lines.append(f"    #{n.id}{at} [{n.kind}, {n.author}] {n.body}")
    if diff.empty and not (diff.notes_opened or diff.notes_addressed):
        lines.append("  no changes")
    return lines


def plain(value: Any) -> str:
    """A routing or calibration value as text (— for none)."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ",".join(plain(v) for v in value)
    return str(value)
