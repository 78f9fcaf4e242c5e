"""Editing a revision's chain, headless: stepping a control, the edits the Rack makes and how
they land in the library, and the chain as the Rack shows it (units, front-panel sections,
controls, and what changed since the parent revision)."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from devices.loader import find_profile
from recall.diff import SAME, RevisionDiff, diff_revisions
from recall.library import Library
from recall.records import Revision, check_value, display_value, parse_value
from recall.studio import Studio, Unit, fingerprint

from .chain import definitions as profile_definitions

# A continuous control without a resolution moves by this fraction of its range per step.
STEPS_PER_RANGE = 100


# ---------------------------------------------------------------------------- stepping


def step(definition: dict[str, Any], value: float | None, direction: int) -> float:
    """``value`` moved ``direction`` steps (negative: down): by the resolution on the grid
    that starts at the control's minimum, to a neighbouring detent, or to a neighbouring
    option; always within the control's range. A missing value starts from the default."""
    current = float(definition.get("default", 0.0) if value is None else value)
    kind = definition.get("kind")
    if kind == "stepped":
        values = [float(d["value"]) for d in definition.get("detents", [])]
        if not values:
            return current
        index = detent_index(definition, current)
        if index is None:  # off every detent: the nearest one counts as where the knob is
            index = min(range(len(values)), key=lambda i: abs(values[i] - current))
        return values[_clamp(index + direction, 0, len(values) - 1)]
    if kind in ("switch", "choice"):
        count = len(definition.get("labels", []))
        return float(_clamp(round(current) + direction, 0, max(count - 1, 0)))
    low, high = float(definition["min"]), float(definition["max"])
    resolution = float(definition.get("resolution") or 0.0) or (high - low) / STEPS_PER_RANGE
    if resolution <= 0:
        return min(max(current, low), high)
    offset = (current - low) / resolution
    if abs(offset - round(offset)) < 1e-6:
        target = round(offset) + direction
    elif direction > 0:  # between grid points: the first step lands on the next one
        target = math.floor(offset) + direction
    else:
        target = math.ceil(offset) + direction
    decimals = max(0, -math.floor(math.log10(resolution))) + 3
    return min(max(round(low + target * resolution, decimals), low), high)


def detent_index(definition: dict[str, Any], value: float | None) -> int | None:
    """Where ``value`` sits among a stepped control's detents (0-based), or None."""
    if value is None:
        return None
    for index, detent in enumerate(definition.get("detents", [])):
        if abs(float(detent["value"]) - value) <= SAME * max(1.0, abs(value)):
            return index
    return None


def position_text(definition: dict[str, Any], value: float | None) -> str:
    """"position 3 of 7" for a stepped control on a detent; empty for any other."""
    if definition.get("kind") != "stepped":
        return ""
    index = detent_index(definition, value)
    return "" if index is None else f"position {index + 1} of {len(definition['detents'])}"


def range_text(definition: dict[str, Any]) -> str:
    """What a control accepts, as a person types it."""
    kind = definition.get("kind")
    if kind == "stepped":
        return "detents: " + ", ".join(str(d["label"]) for d in definition.get("detents", []))
    if kind in ("switch", "choice"):
        return "options: " + ", ".join(
            f"{label} ({i})" for i, label in enumerate(definition.get("labels", [])))
    unit = f" {definition.get('unit', '')}".rstrip()
    resolution = definition.get("resolution")
    steps = f", steps of {resolution:g}" if resolution else ""
    return f"{definition['min']:g} to {definition['max']:g}{unit}{steps}"


def typed_value(definition: dict[str, Any], unit: str, parameter: str, text: str) -> float:
    """A value typed by the engineer (number or label), checked against the control;
    LibraryError naming the control if it is not one."""
    return check_value(unit, parameter, definition, parse_value(definition, text))


def _clamp(value: int, low: int, high: int) -> int:
    return min(max(value, low), high)


# ---------------------------------------------------------------------------- the chain as shown


@dataclass(frozen=True, slots=True)
class ControlView:
    """One control: its value now and in the parent revision (``compared``: the parent has
    the unit; a unit new to the chain is marked as a whole)."""

    unit: str
    parameter: str
    definition: dict[str, Any]
    value: float | None
    was: float | None
    compared: bool

    @property
    def name(self) -> str:
        return str(self.definition.get("name", self.parameter))

    @property
    def text(self) -> str:
        return display_value(self.definition, self.value)

    @property
    def position(self) -> str:
        return position_text(self.definition, self.value)

    @property
    def changed(self) -> bool:
        if not self.compared or (self.value is None and self.was is None):
            return False
        if self.value is None or self.was is None:
            return True
        return abs(self.value - self.was) > SAME * max(1.0, abs(self.was))

    @property
    def mark(self) -> str:
        """What the Rack shows beside a control that changed since the parent revision."""
        if not self.changed:
            return ""
        return "● new" if self.was is None else f"● was {display_value(self.definition, self.was)}"


@dataclass(frozen=True, slots=True)
class SectionView:
    title: str
    controls: tuple[ControlView, ...]


@dataclass(frozen=True, slots=True)
class UnitView:
    unit: str
    profile: str
    position: int  # 1-based place in the chain
    bypassed: bool
    sections: tuple[SectionView, ...]
    marks: tuple[str, ...]  # how the unit changed since the parent: "moved from 3", …

    @property
    def controls(self) -> tuple[ControlView, ...]:
        return tuple(c for s in self.sections for c in s.controls)


@dataclass(frozen=True, slots=True)
class ChainView:
    """A revision's chain as the Rack shows it, with its parent to compare against."""

    song: str
    revision: Revision
    parent: Revision | None
    studio: str
    units: tuple[UnitView, ...]

    @property
    def number(self) -> int:
        return self.revision.number

    @property
    def frozen(self) -> bool:
        return self.revision.frozen

    @property
    def summary(self) -> str:
        """The header line: song, revision, status, frozen or not, studio."""
        r = self.revision
        start = f" (from rev {r.parent_number})" if r.parent_number else ""
        state = "frozen" if r.frozen else "editable"
        count = sum(len(u.marks) + sum(c.changed for c in u.controls) for u in self.units)
        since = ""
        if self.parent is not None:
            since = (f" · {count} change{'s' if count != 1 else ''} since rev {r.parent_number}"
                     if count else f" · no changes since rev {r.parent_number}")
        return f"{self.song} · rev {r.number}{start} · {r.status} · {state} · {self.studio}{since}"

    def unit(self, name: str) -> UnitView:
        for unit in self.units:
            if unit.unit == name:
                return unit
        raise KeyError(name)


def chain_view(song: str, revision: Revision, parent: Revision | None,
               studio: str = "") -> ChainView:
    """Group each unit's controls by front-panel section (in panel order) and mark what
    differs from ``parent``."""
    diff = diff_revisions(song, parent, revision) if parent is not None else None
    before = {u.unit: u for u in parent.chain} if parent is not None else {}
    units = []
    for position, unit in enumerate(revision.chain, start=1):
        was = before.get(unit.unit)
        sections: dict[str, list[ControlView]] = {}
        for parameter, definition in unit.definitions.items():
            section = str(definition.get("section") or "Controls")
            sections.setdefault(section, []).append(ControlView(
                unit.unit, parameter, definition, unit.settings.get(parameter),
                was.settings.get(parameter) if was is not None else None, was is not None))
        units.append(UnitView(unit.unit, unit.profile, position, unit.bypassed,
                              tuple(SectionView(t, tuple(c)) for t, c in sections.items()),
                              _unit_marks(diff, unit.unit)))
    return ChainView(song, revision, parent, studio or "no studio recorded", tuple(units))


def _unit_marks(diff: RevisionDiff | None, unit: str) -> tuple[str, ...]:
    if diff is None:
        return ()
    marks = {"added": lambda c: f"new since rev {diff.a}",
             "moved": lambda c: f"moved from {c.old_position}",
             "bypassed": lambda c: f"bypassed since rev {diff.a}",
             "unbypassed": lambda c: f"back in since rev {diff.a}",
             "profile": lambda c: f"was {c.old_profile}"}
    return tuple(marks[c.change](c) for c in diff.unit_changes(unit) if c.change in marks)


def load_chain_view(library: Library, song: str, number: int | None = None, *,
                    studio: Studio | None = None) -> ChainView:
    """A revision (default: the latest) and its parent, read once, as the Rack shows them;
    ``studio`` is the one in use, to say whether the revision was made in it."""
    revision = library.revision(song, number)
    parent = (library.revision(song, revision.parent_number)
              if revision.parent_number is not None else None)
    return chain_view(song, revision, parent, _studio_text(library, revision, studio))


def _studio_text(library: Library, revision: Revision, studio: Studio | None) -> str:
    key = revision.studio_fingerprint
    if key is None:
        return "no studio recorded"
    name = str(library.studio_document(key).get("name", key[:12]))
    if studio is not None and fingerprint(studio) != key:
        return f"studio {name} (not as set up now)"
    return f"studio {name}"


# ---------------------------------------------------------------------------- edits


@dataclass(frozen=True, slots=True)
class SetValue:
    unit: str
    parameter: str
    value: float


@dataclass(frozen=True, slots=True)
class TypeValue:
    """A value as typed: parsed and checked against the library's definition first."""

    unit: str
    parameter: str
    text: str


@dataclass(frozen=True, slots=True)
class SetBypass:
    unit: str
    bypassed: bool


@dataclass(frozen=True, slots=True)
class MoveUnit:
    unit: str
    position: int  # 1-based


@dataclass(frozen=True, slots=True)
class AddUnit:
    unit: str
    profile: str  # a shipped profile's key or a profile file's path
    position: int | None = None  # 1-based; None: at the end of the chain


@dataclass(frozen=True, slots=True)
class RemoveUnit:
    unit: str


Edit = SetValue | TypeValue | SetBypass | MoveUnit | AddUnit | RemoveUnit


def apply_edit(library: Library, song: str, number: int, edit: Edit, *,
               fork: bool = False) -> int:
    """Make ``edit`` to revision ``number``, or with ``fork`` to a new revision started from
    it (the way to change a printed one); returns the number of the revision changed.

    Whatever can be refused (a typed value, a profile) is checked before a revision is
    started, so a refused edit leaves the library as it was."""
    if isinstance(edit, TypeValue):
        definition = library.revision(song, number).unit(edit.unit).definitions.get(
            edit.parameter, {})
        edit = SetValue(edit.unit, edit.parameter,
                        typed_value(definition, edit.unit, edit.parameter, edit.text))
    profile = find_profile(edit.profile) if isinstance(edit, AddUnit) else None
    if fork:
        number = library.new_revision(song, parent=number).number
    if isinstance(edit, SetValue):
        library.set_values(song, number, edit.unit, {edit.parameter: edit.value})
    elif isinstance(edit, SetBypass):
        library.set_bypass(song, number, edit.unit, edit.bypassed)
    elif isinstance(edit, MoveUnit):
        library.move_unit(song, number, edit.unit, edit.position)
    elif isinstance(edit, RemoveUnit):
        library.remove_unit(song, number, edit.unit)
    elif isinstance(edit, AddUnit) and profile is not None:
        library.add_unit(song, number, edit.unit, profile=profile.key,
                         definitions=profile_definitions(profile), position=edit.position)
    return number


def preview(view: ChainView, edit: Edit) -> ChainView:
    """The chain as it will be once ``edit`` lands, so the Rack can show it at once (a typed
    value or a new unit shows when the library has it)."""
    chain = list(view.revision.chain)
    names = [u.unit for u in chain]
    if isinstance(edit, TypeValue | AddUnit) or getattr(edit, "unit", None) not in names:
        return view
    index = names.index(edit.unit)
    unit = chain[index]
    if isinstance(edit, SetValue):
        chain[index] = replace(unit, settings={**unit.settings, edit.parameter: edit.value})
    elif isinstance(edit, SetBypass):
        chain[index] = replace(unit, bypassed=edit.bypassed)
    elif isinstance(edit, MoveUnit):
        chain.insert(_clamp(edit.position - 1, 0, len(chain) - 1), chain.pop(index))
    elif isinstance(edit, RemoveUnit):
        chain.pop(index)
    return chain_view(view.song, replace(view.revision, chain=tuple(chain)), view.parent,
                      view.studio)


def start_revision(library: Library, song: str, number: int) -> int:
    """A new draft revision started from revision ``number``; its number."""
    return library.new_revision(song, parent=number).number


def moved_to(view: ChainView, unit: str, direction: int) -> int | None:
    """Where ``unit`` goes one place up (-1) or down (+1) the chain; None at either end."""
    target = view.unit(unit).position + direction
    return target if 1 <= target <= len(view.units) else None


def addable_units(studio: Studio | None, view: ChainView) -> tuple[Unit, ...]:
    """The studio's units that are not in the chain yet."""
    if studio is None:
        return ()
    present = {u.unit for u in view.units}
    return tuple(u for u in studio.units if u.name not in present)


def add_unit_edit(studio: Studio, unit: Unit, *, position: int | None = None) -> AddUnit:
    """The edit that puts a studio unit in the chain (at ``position``, default the end), its
    profile found as the studio names it."""
    path = studio.profile_path(unit)
    return AddUnit(unit.name, str(path) if path is not None else unit.profile, position)
