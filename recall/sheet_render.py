"""Recall sheets as text: Markdown, one self-contained printable HTML page, CSV (one row per
control) and JSON, from the values of :mod:`recall.sheet`."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from datetime import datetime
from html import escape
from pathlib import Path

from .errors import LibraryError
from .records import Note, format_time
from .sheet import (
    Control,
    Photo,
    SessionSheet,
    Sheet,
    SheetUnit,
    SongSheet,
    calibration_lines,
    change_words,
    note_status,
    plain,
    routing_lines,
    sheet_json,
)

FORMATS = ("md", "html", "csv", "json")
# Images a browser shows inline; other attachments are listed, not embedded.
EMBEDDED = ("image/png", "image/jpeg", "image/gif", "image/webp")
# A photo larger than this is listed rather than inlined, so the page stays printable.
EMBED_LIMIT = 25 * 1024 * 1024


def render(sheet: Sheet, fmt: str) -> str:
    """The sheet in format ``fmt`` (md, html, csv or json), as one string."""
    renderers = {"md": markdown, "html": html_page, "csv": csv_rows, "json": sheet_json}
    if fmt not in renderers:
        raise LibraryError(f"sheet format '{fmt}' is not one of {', '.join(FORMATS)}")
    return renderers[fmt](sheet)


# ---------------------------------------------------------------------------- words


def _facts(sheet: SongSheet) -> list[tuple[str, str]]:
    """The header of a song's sheet as (label, text) pairs."""
    session, song, revision = sheet.session, sheet.song, sheet.revision
    source = "not recorded"
    if song.source_path:
        details = [f"{song.source_rate} Hz" if song.source_rate else "",
                   f"{song.source_channels} ch" if song.source_channels else ""]
        source = ", ".join([song.source_path, *[d for d in details if d]])
    return [
        ("Session", session.title + (f" — {session.artist}" if session.artist else "")),
        ("Song", f"{song.title} (track {song.position})"),
        ("Revision", f"{revision.number}, {revision.status}"),
        ("Parent", f"revision {revision.parent_number}" if revision.parent_number is not None
         else "none (first revision)"),
        ("Frozen", "yes, printed: a change starts a new revision" if revision.frozen
         else "no, not printed yet"),
        ("Studio", f"{sheet.studio.name or 'unnamed'} ({sheet.studio.short})" if sheet.studio
         else "not recorded"),
        ("Created", _date(revision.created)),
        ("Delivery targets", ", ".join(song.targets) or "none set"),
        ("Source mix", source),
    ]


def _date(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime("%Y-%m-%d %H:%M") + zone


def _change_lines(sheet: SongSheet) -> list[str]:
    """What changed since the parent revision, one line each."""
    diff = sheet.diff
    if diff is None:
        return ["First revision: nothing to compare."]
    by_unit: dict[str, list[str]] = {}
    for change in diff.units:
        by_unit.setdefault(change.unit, []).append(change_words(change, diff.a))
    lines = [f"{unit}: {'; '.join(words)}" for unit, words in by_unit.items()]
    added = {c.unit for c in diff.units if c.change == "added"}
    kept = {u.unit for u in sheet.chain} - added
    controls = sum(change.unit in kept for change in diff.parameters)
    if controls:
        lines.append(f"{controls} control{'s' * (controls != 1)} changed, marked below")
    if diff.studio[0] != diff.studio[1]:
        lines.append(f"studio: {(diff.studio[0] or 'none')[:12]} → "
                     f"{(diff.studio[1] or 'none')[:12]}")
    lines.extend(f"routing {c.key}: {plain(c.old)} → {plain(c.new)}" for c in diff.routing)
    lines.extend(f"calibration {c.key}: {plain(c.old)} → {plain(c.new)} dBFS"
                 for c in diff.calibration)
    return lines or [f"No changes since revision {diff.a}."]


def _unit_meta(unit: SheetUnit, parent: int | None) -> list[str]:
    parts = [f"profile {unit.profile}"]
    if unit.patch.get("loop") is not None:
        slot = unit.patch.get("position")
        parts.append(f"loop {unit.patch['loop']}" + (f", slot {slot}" if slot else ""))
    if unit.patch.get("address"):
        parts.append(str(unit.patch["address"]))
    return parts + [change_words(c, parent) for c in unit.changes]


def _note_cells(note: Note) -> list[str]:
    """Time, revision, kind and author, text, status."""
    return [format_time(note.at_seconds) or "—",
            f"rev {note.revision_number}" if note.revision_number is not None else "song",
            f"{note.kind}, {note.author}", note.body, note_status(note)]


# ---------------------------------------------------------------------------- Markdown


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|"})


def _md(text: object) -> str:
    """Text that Markdown shows as written: specials escaped, on one line."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)


def markdown(sheet: Sheet) -> str:
    """The sheet in Markdown: header, chain, changes, every unit's controls, studio, notes."""
    if isinstance(sheet, SongSheet):
        return "\n".join(_md_song(sheet, level=1)) + "\n"
    session = sheet.session
    lines = [f"# {_md(session.title)}" + (f" — {_md(session.artist)}" if session.artist
                                          else ""),
             "", f"Recall sheets: every song at its latest revision ({len(sheet.songs)}).", ""]
    lines += [f"{s.song.position}. {_md(s.song.title)} — revision {s.revision.number}, "
              f"{s.revision.status}" for s in sheet.songs]
    if sheet.without_revision:
        lines += ["", "No revision yet: "
                  + ", ".join(_md(s.title) for s in sheet.without_revision)]
    for song in sheet.songs:
        lines += ["", "---", "", *_md_song(song, level=2)]
    return "\n".join(lines) + "\n"


def _md_song(sheet: SongSheet, *, level: int) -> list[str]:
    h = "#" * level
    parent = sheet.revision.parent_number
    lines = [f"{h} Recall sheet: {_md(sheet.song.title)}, revision {sheet.revision.number}",
             "", "| | |", "|---|---|"]
    lines += [f"| {label} | {_md(text)} |" for label, text in _facts(sheet)]
    lines += ["", f"{h}# Chain, in signal order", ""]
    lines += [f"{u.position}. **{_md(u.unit)}** ({_md(u.profile)})"
              + (" — **BYPASSED**" if u.bypassed else "") for u in sheet.chain] or ["Empty."]
    title = f"since revision {parent}" if parent is not None else ""
    lines += ["", f"{h}# Changes {title}".rstrip(), ""]
    lines += [f"- {_md(line)}" for line in _change_lines(sheet)]
    for unit in sheet.chain:
        lines += ["", f"{h}# {unit.position}. {_md(unit.unit)}"
                  + (" — BYPASSED" if unit.bypassed else ""), "",
                  " · ".join(_md(p) for p in _unit_meta(unit, parent))]
        for section in unit.sections:
            lines += [""] + ([f"**{_md(section.name)}**", ""] if section.name else [])
            lines += ["| Control | Setting | Detent |", "|---|---|---|"]
            lines += [_md_control(c) for c in section.controls]
        if unit.photos:
            lines += ["", "Photos:", *[f"- {_md(p.words)}" for p in unit.photos]]
    lines += ["", f"{h}# Routing and calibration", ""]
    lines += [f"- {_md(line)}" for line in routing_lines(sheet.revision.routing)] or [
        "- Routing: not recorded"]
    lines += [f"- Calibration {_md(line)}"
              for line in calibration_lines(sheet.revision.calibration)] or [
        "- Calibration: not recorded"]
    if sheet.photos:
        lines += ["", f"{h}# Photos", "", *[f"- {_md(p.words)}" for p in sheet.photos]]
    lines += ["", f"{h}# Notes", ""]
    lines += [f"- {_md(time)} · {_md(rev)} · {_md(who)}: {_md(body)} — {_md(status)}"
              for time, rev, who, body, status in map(_note_cells, sheet.notes)] or ["None."]
    return lines


def _md_control(control: Control) -> str:
    name, value = _md(control.name), _md(control.display)
    if control.change is not None:
        was = "new" if control.change.old is None else f"was {control.previous}"
        name, value = f"**{name}**", f"**{value}** ({_md(was)})"
    return f"| {name} | {value} | {control.detent} |"


# ---------------------------------------------------------------------------- HTML


_CSS = """
@page { margin: 14mm 12mm; }
body { font: 11pt/1.4 "Helvetica Neue", Helvetica, Arial, "Noto Sans", sans-serif; color: #111;
  max-width: 186mm; margin: 1.5em auto; padding: 0 1em; }
h1 { font-size: 19pt; margin: 0 0 .3em; } h3 { font-size: 12.5pt; margin: 1.1em 0 .2em; }
h2 { font-size: 13pt; margin: 1.2em 0 .4em; border-bottom: 1.5pt solid #111; }
.kicker { text-transform: uppercase; letter-spacing: .12em; font-size: 9pt; margin: 0; }
table { border-collapse: collapse; } td, th { padding: .15em .5em; vertical-align: top; }
th { text-align: left; } table.facts th { font-weight: 600; padding-left: 0; }
ol.flow { list-style: none; padding: 0; margin: .3em 0; display: flex; flex-wrap: wrap;
  gap: .3em .4em; font-size: 14pt; font-weight: 700; }
ol.flow li + li::before { content: "→ "; font-weight: 400; }
.pos { display: inline-block; min-width: 1.4em; text-align: center; border: 1.5pt solid #111;
  border-radius: 1em; margin-right: .2em; }
.flag { font-size: 9pt; font-weight: 700; letter-spacing: .08em; border: 1.5pt solid #111;
  padding: 0 .3em; margin-left: .4em; vertical-align: middle; }
.meta { margin: 0 0 .3em; color: #333; } .missing { font-style: italic; }
table.controls { width: 100%; margin-bottom: .3em; }
table.controls td, table.controls thead th { border-bottom: .5pt solid #bbb; }
table.controls thead th { font-size: 9pt; text-transform: uppercase; letter-spacing: .06em; }
tr.section th { background: #eee; font-weight: 600; }
td.value { font-weight: 600; } td.detent, td.was { color: #333; }
tr.changed td { background: #ffe98a; font-weight: 700; }
tr.changed td:first-child { box-shadow: inset 4pt 0 0 #111; }
tr.changed td.was::before { content: "was "; font-weight: 400; }
.photos { display: flex; flex-wrap: wrap; gap: .6em; } figure { margin: .3em 0; }
figcaption { font-size: 9pt; } img { max-width: 85mm; max-height: 65mm; border: .5pt solid #999; }
section.unit { break-inside: avoid; }
article.song + article.song { break-before: page; page-break-before: always; }
@media print {
  body { margin: 0; padding: 0; max-width: none; font-size: 10pt; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  thead { display: table-header-group; } tr, figure { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""


def html_page(sheet: Sheet) -> str:
    """The sheet as one printable HTML file: inline CSS and images, no scripts or links."""
    if isinstance(sheet, SongSheet):
        title = f"{sheet.song.name}, revision {sheet.revision.number}: recall sheet"
        body = _html_song(sheet)
    else:
        session = sheet.session
        title = f"{session.title}: recall sheets"
        contents = "".join(
            f"<li>{s.song.position}. {escape(s.song.title)}, revision {s.revision.number} "
            f"({escape(s.revision.status)})</li>" for s in sheet.songs)
        waiting = ("<p>No revision yet: " + escape(", ".join(
            s.title for s in sheet.without_revision)) + "</p>" if sheet.without_revision
            else "")
        body = (f'<header class="session"><p class="kicker">Recall sheets</p>'
                f"<h1>{escape(session.title)}</h1>"
                + (f"<p>{escape(session.artist)}</p>" if session.artist else "")
                + f"<ul>{contents}</ul>{waiting}</header>"
                + "".join(_html_song(s) for s in sheet.songs))
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n"
            f"<body>\n{body}\n</body></html>\n")


def _html_song(sheet: SongSheet) -> str:
    parent = sheet.revision.parent_number
    facts = "".join(f"<tr><th>{escape(label)}</th><td>{escape(text)}</td></tr>"
                    for label, text in _facts(sheet))
    flow = "".join(f'<li><span class="pos">{u.position}</span>{escape(u.unit)}'
                   + ('<span class="flag">BYPASSED</span>' if u.bypassed else "") + "</li>"
                   for u in sheet.chain)
    title = f"Changes since revision {parent}" if parent is not None else "Changes"
    changes = "".join(f"<li>{escape(line)}</li>" for line in _change_lines(sheet))
    routing = routing_lines(sheet.revision.routing) or ["Routing: not recorded"]
    calibration = ([f"Calibration {line}"
                    for line in calibration_lines(sheet.revision.calibration)]
                   or ["Calibration: not recorded"])
    notes = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in _note_cells(n))
                    + "</tr>" for n in sheet.notes)
    photos = (f'<section class="revision-photos"><h2>Photos</h2>'
              f"{_html_photos(sheet.photos)}</section>" if sheet.photos else "")
    return (
        f'<article class="song"><header><p class="kicker">Recall sheet</p>'
        f"<h1>{escape(sheet.song.title)}, revision {sheet.revision.number}</h1>"
        f'<table class="facts">{facts}</table></header>'
        f'<section class="chain"><h2>Chain, in signal order</h2>'
        f'<ol class="flow">{flow}</ol></section>'
        f'<section class="changes"><h2>{title}</h2><ul>{changes}</ul></section>'
        + "".join(_html_unit(u, parent) for u in sheet.chain)
        + '<section class="studio"><h2>Routing and calibration</h2><ul>'
        + "".join(f"<li>{escape(line)}</li>" for line in routing + calibration)
        + f"</ul></section>{photos}"
        + '<section class="notes"><h2>Notes</h2>'
        + (f"<table><thead><tr><th>At</th><th>Revision</th><th>Kind</th><th>Note</th>"
           f"<th>Status</th></tr></thead><tbody>{notes}</tbody></table>" if notes
           else "<p>None.</p>")
        + "</section></article>\n")


def _html_unit(unit: SheetUnit, parent: int | None) -> str:
    compare = parent is not None
    columns = 4 if compare else 3
    head = ("<thead><tr><th>Control</th><th>Setting</th><th>Detent</th>"
            + (f"<th>Revision {parent}</th>" if compare else "") + "</tr></thead>")
    rows = []
    for section in unit.sections:
        if section.name:
            rows.append(f'<tr class="section"><th colspan="{columns}">'
                        f"{escape(section.name)}</th></tr>")
        for c in section.controls:
            was = f'<td class="was">{escape(c.previous)}</td>' if compare else ""
            marked = ' class="changed"' if c.changed else ""
            rows.append(f"<tr{marked}>"
                        f"<td>{escape(c.name)}</td><td class=\"value\">{escape(c.display)}</td>"
                        f'<td class="detent">{escape(c.detent)}</td>{was}</tr>')
    meta = " · ".join(escape(p) for p in _unit_meta(unit, parent))
    return (f'<section class="unit{" bypassed" if unit.bypassed else ""}">'
            f'<h3><span class="pos">{unit.position}</span>{escape(unit.unit)}'
            + ('<span class="flag">BYPASSED</span>' if unit.bypassed else "") + "</h3>"
            f'<p class="meta">{meta}</p>'
            f'<table class="controls">{head}<tbody>{"".join(rows)}</tbody></table>'
            + (_html_photos(unit.photos) if unit.photos else "") + "</section>\n")


def _html_photos(photos: tuple[Photo, ...]) -> str:
    return '<div class="photos">' + "".join(_html_photo(p) for p in photos) + "</div>"


def _html_photo(photo: Photo) -> str:
    caption = escape(photo.name + (f" — {photo.caption}" if photo.caption else ""))
    problem = ""
    data = b""
    if photo.media_type not in EMBEDDED:
        problem = f"not an image ({photo.media_type}), kept in the library"
    else:
        try:
            if Path(photo.file).stat().st_size > EMBED_LIMIT:
                problem = "too large to print, kept in the library"
            else:
                data = Path(photo.file).read_bytes()
                if hashlib.sha256(data).hexdigest() != photo.sha256:
                    problem = "damaged: the file differs from the one attached"
        except OSError:
            problem = "missing: the file is not in the library's files folder"
    if problem:
        return (f'<p class="missing">{caption} ({escape(photo.sha256[:12])}): '
                f"{escape(problem)}</p>")
    uri = f"data:{photo.media_type};base64,{base64.b64encode(data).decode('ascii')}"
    return (f'<figure><img src="{uri}" alt="{escape(photo.caption or photo.name)}">'
            f"<figcaption>{caption}</figcaption></figure>")


# ---------------------------------------------------------------------------- CSV


COLUMNS = ("session", "song", "track", "revision", "status", "position", "unit", "profile",
           "bypassed", "section", "parameter", "name", "value", "unit_label", "display",
           "detent_position", "detent_count", "changed", "previous", "previous_value",
           "delta", "unit_changes", "photos")


def csv_rows(sheet: Sheet) -> str:
    """One row per control of every unit (a header row first); ``changed`` is "yes" or empty,
    ``previous`` the parent revision's value as the panel showed it."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for song in sheet.songs if isinstance(sheet, SessionSheet) else (sheet,):
        parent = song.revision.parent_number
        for unit in song.chain:
            shared = {"session": song.session.title, "song": song.song.title,
                      "track": song.song.position, "revision": song.revision.number,
                      "status": song.revision.status, "position": unit.position,
                      "unit": unit.unit, "profile": unit.profile,
                      "bypassed": "yes" if unit.bypassed else "",
                      "unit_changes": "; ".join(change_words(c, parent) for c in unit.changes),
                      "photos": "; ".join(p.words for p in unit.photos)}
            for c in unit.controls:
                change = c.change
                writer.writerow({
                    **shared, "section": c.section, "parameter": c.parameter, "name": c.name,
                    "value": repr(c.value), "unit_label": c.unit_label, "display": c.display,
                    "detent_position": c.detent_position or "",
                    "detent_count": c.detent_count or "",
                    "changed": "yes" if change else "", "previous": c.previous,
                    "previous_value": repr(change.old) if change and change.old is not None
                    else "",
                    "delta": repr(change.delta) if change and change.delta is not None
                    else ""})
    return out.getvalue()
