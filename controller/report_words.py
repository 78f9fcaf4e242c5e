"""The revision report's words: what changed between two revisions, said plainly for the artist."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace

from recall.diff import ParameterChange, RevisionDiff, UnitChange
from recall.records import Note

# The report's file formats: one HTML page, or Markdown with its plots beside it.
FORMATS = ("html", "md")

# A control is a frequency by its unit or its name; a level by its name.
_FREQUENCY = re.compile(r"\bfreq|frequency\b", re.IGNORECASE)
_LEVEL = re.compile(r"boost|gain|atten|cut|level|fader|trim|output|input", re.IGNORECASE)
_BYPASS = re.compile(r"\bbypass", re.IGNORECASE)
_SIDE = re.compile(r"\s*\((L|R|left|right)\)$", re.IGNORECASE)
# How many of a new unit's settings are spelled out before "and N more".
NEW_UNIT_SETTINGS = 4


def change_lines(diff: RevisionDiff) -> list[str]:
    """What changed from revision ``diff.a`` to ``diff.b``, one plain sentence each.

    Chain changes first (units added, taken out, moved, bypassed), then the controls unit by
    unit in chain order. A level control and a frequency changed together in one section of a
    unit read as one sentence: "Pultec low boost raised from 3 to 4.5 (at 100 Hz, was 60 Hz)".
    The same change on a left and a right control reads once, "(both channels)"."""
    lines = [_unit_words(c) for c in diff.units]
    added = {c.unit for c in diff.units if c.change == "added"}
    removed = {c.unit for c in diff.units if c.change == "removed"}
    for unit in dict.fromkeys(c.unit for c in diff.parameters):
        changes = [c for c in diff.parameters if c.unit == unit]
        if unit in removed:
            continue
        if unit in added:
            lines.append(_new_unit_settings(unit, changes))
            continue
        lines.extend(_control_lines(unit, changes))
    if diff.studio[0] != diff.studio[1] or diff.routing or diff.calibration:
        lines.append("Studio routing or converter calibration changed (the recall sheet "
                     "has the details)")
    return [line for line in lines if line]


def _unit_words(change: UnitChange) -> str:
    unit = change.unit
    return {
        "added": f"{unit} added to the chain (position {change.new_position})",
        "removed": f"{unit} taken out of the chain",
        "moved": f"{unit} moved from position {change.old_position} to {change.new_position}",
        "bypassed": f"{unit} bypassed",
        "unbypassed": f"{unit} back in circuit",
        "profile": f"{unit} now set up as {change.profile} (was {change.old_profile})",
    }.get(change.change, f"{unit}: {change.change}")


def _new_unit_settings(unit: str, changes: list[ParameterChange]) -> str:
    """A new unit's controls that are away from their panel defaults, briefly."""
    set_apart = [c for c in _pair_channels(changes) if not c.at_default and c.new is not None]
    if not set_apart:
        return f"{unit} set at its panel defaults"
    words = [f"{lower(c.name)} {with_unit(c.new_text, c.unit_label)}"
             for c in set_apart[:NEW_UNIT_SETTINGS]]
    more = len(set_apart) - NEW_UNIT_SETTINGS
    return f"{unit} set to " + ", ".join(words) + (f" and {more} more" if more > 0 else "")


def _control_lines(unit: str, changes: list[ParameterChange]) -> list[str]:
    changes = _pair_channels(changes)
    # A frequency changed in the same section as a level is said with the level.
    context: dict[int, ParameterChange] = {}
    folded: set[int] = set()
    for index, level in enumerate(changes):
        if not _is_level(level):
            continue
        for other, frequency in enumerate(changes):
            if (other not in folded and _is_frequency(frequency) and frequency.delta is not None
                    and frequency.section == level.section):
                context[index] = frequency
                folded.add(other)
                break
    lines = []
    for index, change in enumerate(changes):
        if index in folded:
            continue
        words = _control_words(unit, change)
        frequency = context.get(index)
        if frequency is not None:
            words += (f" (at {with_unit(frequency.new_text, frequency.unit_label)}, "
                      f"was {with_unit(frequency.old_text, frequency.unit_label)})")
        lines.append(words)
    return lines


def _is_level(change: ParameterChange) -> bool:
    return (change.delta is not None and bool(_LEVEL.search(change.name))
            and not _is_frequency(change))


def _is_frequency(change: ParameterChange) -> bool:
    return change.unit_label.lower() in ("hz", "khz") or bool(_FREQUENCY.search(change.name))


def _pair_channels(changes: list[ParameterChange]) -> list[ParameterChange]:
    """Left and right controls changed alike, as one change named "(both channels)"."""
    out: list[ParameterChange] = []
    taken: set[int] = set()
    for index, change in enumerate(changes):
        if index in taken:
            continue
        base = _SIDE.sub("", change.name)
        twin = next((j for j, other in enumerate(changes) if j > index and j not in taken
                     and base != change.name and _SIDE.sub("", other.name) == base
                     and other.name != change.name and other.old_text == change.old_text
                     and other.new_text == change.new_text), None)
        if twin is None:
            out.append(change)
            continue
        taken.add(twin)
        out.append(replace(change, name=f"{base} (both channels)"))
    return out


def _control_words(unit: str, change: ParameterChange) -> str:
    name = lower(change.name)
    old = with_unit(change.old_text, change.unit_label)
    new = with_unit(change.new_text, change.unit_label)
    if change.old is None:
        return f"{unit} {name} set to {new} (a control new to this unit)"
    if change.new is None:
        return f"{unit} {name} no longer set (was {old})"
    if change.kind in ("switch", "choice"):
        if _BYPASS.search(change.name) and change.new_text.lower().startswith("bypass"):
            return f"{unit} bypassed"
        if _BYPASS.search(change.name) and change.old_text.lower().startswith("bypass"):
            return f"{unit} back in circuit"
        return f"{unit} {name} switched from {old} to {new}"
    if change.delta is None:
        return f"{unit} {name} changed from {old} to {new}"
    if _is_frequency(change):
        verb = "moved up" if change.delta > 0 else "moved down"
    else:
        verb = "raised" if change.delta > 0 else "lowered"
    return f"{unit} {name} {verb} from {_shared_unit(old, new)} to {new}"


def with_unit(text: str, unit_label: str) -> str:
    """A panel value with its unit: a bare number on a stepped control gets the control's unit
    ("1" → "1 dB"); a detent label or a value that has its unit already stays as it is."""
    if not unit_label or text in ("", "—"):
        return text
    try:
        float(text)
    except ValueError:
        return text
    return f"{text} {unit_label}"


def _shared_unit(old: str, new: str) -> str:
    """``old`` without the unit it shares with ``new``: "from -1.5 to -2.5 dB"."""
    head, _, unit = old.rpartition(" ")
    if head and unit and new.endswith(f" {unit}"):
        return head
    return old


def lower(name: str) -> str:
    """A control's panel name inside a sentence: capitalised words in lower case, acronyms
    and channel marks as they are ("High Shelf Gain (L)" → "high shelf gain (L)")."""
    return " ".join(w.lower() if w[:1].isupper() and w[1:].islower() else w
                    for w in name.split())


def song_time(seconds: float | None) -> str:
    """A moment in the song as m:ss ("" for a note on the whole song)."""
    if seconds is None:
        return ""
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}:{rest:02d}"


def note_status(note: Note) -> str:
    """"open", "addressed in revision N" or "declined"."""
    if note.status == "addressed":
        return f"addressed in revision {note.addressed_in}"
    return note.status


def signed(value: float | None, unit: str, *, digits: int = 1) -> str:
    """A change with its sign ("+1.8 LU"), "—" when it cannot be said."""
    if value is None:
        return "—"
    text = f"{value:+.{digits}f}"
    if text.lstrip("+-").strip("0.") == "":
        text = f"{0:.{digits}f}"
    return f"{text} {unit}".strip()


def figure(value: float | None, unit: str, *, digits: int = 1) -> str:
    """A level as the report prints it ("-14.2 LUFS"), "—" when there is none."""
    return "—" if value is None else f"{value:.{digits}f} {unit}".strip()


def joined(words: Iterable[str]) -> str:
    """"a", "a and b", "a, b and c"."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
