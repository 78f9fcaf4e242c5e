"""Importing open MIDI implementation charts (the midi.guide CSV schema) as draft profiles."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ProfileError
from .loader import profile_from_document

COLUMNS = (
    "manufacturer", "device", "section", "parameter_name", "parameter_description",
    "cc_msb", "cc_lsb", "cc_min_value", "cc_max_value", "cc_default_value", "nrpn_msb",
    "nrpn_lsb", "nrpn_min_value", "nrpn_max_value", "nrpn_default_value", "orientation",
    "notes", "usage",
)


@dataclass(frozen=True, slots=True)
class Imported:
    """A draft profile's TOML text, and the rows left out with the reason for each."""

    toml: str
    parameters: int
    skipped: tuple[str, ...]


def _number(text: str | None, low: int, high: int) -> int | None:
    text = (text or "").strip()
    if not re.fullmatch(r"\d+", text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def _slug(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "parameter"
    if not base[0].isalpha():
        base = f"p_{base}"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\x00-\x1f]", " ", escaped) + '"'


def import_midi_guide(path: Path) -> Imported:
    """Read a midi.guide CSV (with or without its header row) into a draft profile.

    Rows with no valid CC or NRPN number, and rows that reuse a number already taken (the
    charts sometimes end in text parsed from manuals), are left out and listed.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise ProfileError(f"{path}: cannot read ({err.strerror})") from None
    except UnicodeDecodeError:
        raise ProfileError(f"{path}: not UTF-8 text") from None
    rows = list(csv.reader(io.StringIO(text)))
    if rows and [c.strip().lower() for c in rows[0][: len(COLUMNS)]] == list(COLUMNS):
        rows = rows[1:]
    records = [dict(zip(COLUMNS, row + [""] * (len(COLUMNS) - len(row)), strict=False))
               for row in rows if any(cell.strip() for cell in row)]
    if not records:
        raise ProfileError(f"{path}: no rows in the midi.guide CSV columns ({', '.join(COLUMNS)})")
    manufacturer = records[0]["manufacturer"].strip() or "Unknown"
    device = records[0]["device"].strip() or path.stem
    taken_ids: set[str] = set()
    used: set[tuple[str, int, int]] = set()
    blocks: list[str] = []
    skipped: list[str] = []
    for line, record in enumerate(records, start=1):
        name = record["parameter_name"].strip()
        block, key, reason = _parameter(record, name, taken_ids)
        if block is None or key is None:
            skipped.append(f"row {line} ({name or 'no name'}): {reason}")
            continue
        if key in used:
            skipped.append(f"row {line} ({name}): {key[0]} {key[1]}:{key[2]} is already used")
            continue
        used.add(key)
        blocks.append(block)
    if not blocks:
        raise ProfileError(f"{path}: no row carries a usable CC or NRPN number")
    header = "\n".join([
        "# Imported from a midi.guide chart. Ranges are wire values: refine units, ranges,",
        "# detents and sections against the unit's manual, then set verified = true.",
        *(f"# left out: {s}" for s in skipped),
        "spec = 1",
        "",
        "[unit]",
        f"manufacturer = {_quote(manufacturer)}",
        f"model = {_quote(device)}",
        'kind = "processor"',
        'layout = "stereo"',
        'control = "midi"',
        f"provenance = {_quote(f'midi.guide CSV {path.name}')}",
        "verified = false",
        'notes = "Imported draft: ranges are the chart\'s wire values."',
        "",
        "[midi]",
        "channel = 1",
        "",
        "",
    ])
    toml = header + "\n".join(blocks)
    # The draft must load: the same checks as any profile.
    profile_from_document(tomllib.loads(toml), path.with_suffix(".toml"))
    return Imported(toml=toml, parameters=len(blocks), skipped=tuple(skipped))


def _parameter(record: dict[str, str], name: str,
               taken: set[str]) -> tuple[str | None, tuple[str, int, int] | None, str]:
    if not name:
        return None, None, "no parameter name"
    msb, lsb = _number(record["cc_msb"], 0, 127), _number(record["cc_lsb"], 0, 127)
    nmsb, nlsb = _number(record["nrpn_msb"], 0, 127), _number(record["nrpn_lsb"], 0, 127)
    ranged = any(record[k].strip() for k in ("cc_min_value", "cc_max_value",
                                             "nrpn_min_value", "nrpn_max_value"))
    if name.isupper() and not ranged:
        return None, None, "reads as text from the manual (capitals, no value range)"
    if msb is not None:
        top = 16383 if lsb is not None else 127
        low = _number(record["cc_min_value"], 0, top)
        high = _number(record["cc_max_value"], 0, top)
        default = _number(record["cc_default_value"], 0, top)
        binding = (['type = "cc14"', f"msb = {msb}", f"lsb = {lsb}"] if lsb is not None
                   else ['type = "cc"', f"number = {msb}"])
        key = ("CC", msb, lsb if lsb is not None else -1)
    elif nmsb is not None and nlsb is not None:
        low = _number(record["nrpn_min_value"], 0, 16383)
        high = _number(record["nrpn_max_value"], 0, 16383)
        default = _number(record["nrpn_default_value"], 0, 16383)
        top = 16383 if (high or 0) > 127 else 127
        binding = ['type = "nrpn"', f"msb = {nmsb}", f"lsb = {nlsb}",
                   f"bits = {14 if top > 127 else 7}"]
        key = ("NRPN", nmsb, nlsb)
    else:
        return None, None, "no CC or NRPN number"
    low = 0 if low is None else low
    high = top if high is None or high <= low else high
    lines = [
        "[[parameter]]",
        f"id = {_quote(_slug(name, taken))}",
        f"name = {_quote(name)}",
        f"section = {_quote(record['section'].strip() or 'Main')}",
        'kind = "continuous"',
        f"min = {float(low)}",
        f"max = {float(high)}",
        "resolution = 1.0",
    ]
    centred = record["orientation"].strip().lower() == "centered"
    middle = (low + high + 1) // 2
    if centred and low < middle < high:
        lines.append(f"centre = {float(middle)}")
    if default is not None and low <= default <= high:
        lines.append(f"default = {float(default)}")
    elif centred and low < middle < high:
        lines.append(f"default = {float(middle)}")
    lines += ["[parameter.midi]", *binding, f"wire_min = {low}", f"wire_max = {high}"]
    if centred and low < middle < high:
        lines.append(f"wire_centre = {middle}")
    return "\n".join(lines) + "\n", key, ""
