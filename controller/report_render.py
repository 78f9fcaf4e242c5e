"""The revision report as one self-contained HTML page, or as Markdown with PNGs beside it."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from html import escape
from urllib.parse import quote

from .errors import InputError
from .report import FigureRow, NoteLine, Report, SessionReport, SongReport, TargetLine
from .report_words import FORMATS, figure, joined, signed


@dataclass(frozen=True, slots=True)
class Rendered:
    """The report's text, and for Markdown the images to write beside it as (file name,
    PNG bytes) pairs, named as the text links to them."""

    text: str
    images: tuple[tuple[str, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class Plot:
    """One plot of a song: its PNG, what it shows (the image's alt text) and its caption."""

    key: str  # loudness, spectrum
    png: bytes
    alt: str
    caption: str


def render(report: Report, fmt: str, *, name: str = "report") -> Rendered:
    """The report in ``fmt`` (html or md). ``name`` is the Markdown file's name without
    its suffix: the plots are called ``<name>-loudness.png`` (``<name>-<track>-…`` in a
    session's report) so they sort beside it."""
    if fmt == "html":
        return Rendered(html_page(report))
    if fmt == "md":
        return markdown(report, name)
    raise InputError(f"report format '{fmt}' is not one of {', '.join(FORMATS)}")


# ---------------------------------------------------------------------------- shared words


def _title(report: Report) -> str:
    if isinstance(report, SessionReport):
        return f"{report.session.title}: revision report"
    return f"{report.song.title}: revision report"


def _compared(song: SongReport) -> str:
    after = song.after
    if song.before is None:
        return f"Revision {after.number} ({after.status}), the first: nothing to compare with."
    return (f"Revision {after.number} ({after.status}) compared with revision "
            f"{song.before.number} ({song.before.status}).")


def _changes(song: SongReport) -> list[str]:
    if song.diff is None:
        return []
    lines = list(song.changes) or [f"No change to the gear since revision {song.diff.a}."]
    addressed = len(song.diff.notes_addressed)
    if addressed:
        lines.append(f"{addressed} note{'s' * (addressed != 1)} addressed (see the notes "
                     "below).")
    return lines


def _print_lines(song: SongReport) -> list[str]:
    """Which print each figure comes from, or why a revision has none."""
    lines = []
    for side in (song.before, song.after):
        if side is None:
            continue
        if side.printed is None:
            lines.append(f"Revision {side.number}: {side.no_print}, so there are no figures "
                         "or plots of it.")
        else:
            lines.append(f"Revision {side.number}: take {side.printed.take}, printed "
                         f"{side.printed.created[:10]}.")
    return lines


def _plots(song: SongReport) -> list[Plot]:
    from .report_plots import loudness_png, spectrum_png

    plots = []
    a = song.before.number if song.before else None
    b = song.after.number
    if song.curves is not None:
        before, after = song.curves
        shown = [f"revision {n} ({how})" for n, curve, how in
                 ((a, before, "orange, dashed"), (b, after, "blue, solid")) if curve is not None]
        plots.append(Plot(
            "loudness",
            loudness_png(before, after, before_label=f"Revision {a}", after_label=f"Revision {b}"),
            f"Short-term loudness over time of {joined(shown)}",
            f"Loudness over time: short-term loudness (3-second window) of {joined(shown)}."))
    if song.spectrum is not None:
        plots.append(Plot(
            "spectrum", spectrum_png(song.spectrum, label=f"Rev {b} minus rev {a}"),
            f"Spectral difference of revision {b} against revision {a} in 1/3-octave bands",
            f"Tonal balance: how much louder (blue, above zero) or quieter (red, below) "
            f"revision {b} is than revision {a} in each third of an octave, over the whole "
            "song. The dashed line is the overall loudness change: bars that follow it "
            "changed in level only, bars away from it changed in tone."))
    return plots


def _figure_cells(row: FigureRow) -> list[str]:
    return [f"{row.label} ({row.unit})", figure(row.before, ""), figure(row.after, ""),
            signed(row.change, "")]


def _target_head(line: TargetLine) -> str:
    verdict = {True: "✓ meets it", False: "✗ misses it", None: "not checked"}[line.passed]
    return f"{line.name}: {verdict}"


def _note_head(note: NoteLine) -> str:
    where = [note.at] if note.at else ["whole song"]
    where += [note.author, note.kind]
    if note.revision is not None:
        where.append(f"on revision {note.revision}")
    return " · ".join(where)


def _summary(report: SessionReport) -> list[str]:
    """The album at a glance, a few sentences."""
    songs = report.songs
    lines = [f"{len(songs)} song{'s' * (len(songs) != 1)}, each at its latest revision "
             "compared with the revision it was started from."]
    levels = [s.after.printed.integrated_lufs for s in songs
              if s.after.printed is not None and s.after.printed.integrated_lufs is not None]
    if len(levels) == 1:
        lines.append(f"Loudness of the one latest print: {levels[0]:.1f} LUFS.")
    elif levels:
        lines.append(f"Loudness of the latest prints: {min(levels):.1f} to {max(levels):.1f} "
                     f"LUFS, a spread of {max(levels) - min(levels):.1f} LU.")
    unprinted = [s.song.title for s in songs if s.after.printed is None]
    if unprinted:
        lines.append(f"Not printed yet: {joined(unprinted)}.")
    checks = [t for s in songs for t in s.targets if t.passed is not None]
    if checks:
        lines.append(f"Delivery targets: {sum(t.passed for t in checks)} of {len(checks)} "
                     "checks met.")
    notes = [n for s in songs for n in s.notes]
    counts = {k: sum(n.status == k for n in notes) for k in ("open", "addressed", "declined")}
    lines.append(f"Notes: {counts['open']} open, {counts['addressed']} addressed, "
                 f"{counts['declined']} declined.")
    if report.without_revision:
        lines.append("No revision yet: "
                     + joined(s.title for s in report.without_revision) + ".")
    return lines


def _summary_rows(report: SessionReport) -> list[list[str]]:
    rows = []
    for s in report.songs:
        printed = s.after.printed
        rows.append([str(s.song.position), s.song.title,
                     f"{s.before.number} → {s.after.number}" if s.before else str(s.after.number),
                     figure(printed.integrated_lufs if printed else None, ""),
                     figure(printed.true_peak_dbtp if printed else None, ""),
                     str(sum(n.status == "open" for n in s.notes))])
    return rows


_SUMMARY_HEAD = ("#", "Song", "Rev", "LUFS", "dBTP", "Open notes")


# ---------------------------------------------------------------------------- HTML


_CSS = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Arial,
  sans-serif; color: #111; background: #fff; max-width: 44rem; margin: 0 auto;
  padding: 1rem; -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
h1 { font-size: 1.6rem; line-height: 1.2; margin: .1rem 0 .3rem; }
h2.song-title { font-size: 1.5rem; line-height: 1.2; margin: 0 0 .3rem; }
.part { font-size: 1.15rem; margin: 1.6rem 0 .5rem; padding-bottom: .15rem;
  border-bottom: 2px solid #111; }
p, li { overflow-wrap: anywhere; }
.kicker { text-transform: uppercase; letter-spacing: .1em; font-size: .8rem; margin: 0;
  color: #444; }
.lead { font-size: 1.05rem; font-weight: 600; }
.quiet { color: #444; font-size: .92rem; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: .35rem .3rem; border-bottom: 1px solid #ccc; text-align: right;
  vertical-align: top; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { font-size: .78rem; text-transform: uppercase; letter-spacing: .03em; color: #444;
  white-space: normal; vertical-align: bottom; }
td.text { text-align: left; white-space: normal; overflow-wrap: break-word; width: 100%; }
table.summary th:nth-child(2) { text-align: left; }
figure { margin: 1rem 0; } img { display: block; width: 100%; height: auto; }
figcaption { font-size: .9rem; color: #333; margin-top: .3rem; }
ul.changes li { margin: .25rem 0; }
ul.targets, ol.notes { list-style: none; padding: 0; }
ul.targets li { margin: .5rem 0; padding-left: .6rem; border-left: 5px solid #999; }
ul.targets li.pass { border-color: #0072B2; } ul.targets li.fail { border-color: #D55E00; }
ol.notes li { margin: .7rem 0; padding: .1rem 0 .1rem .6rem; border-left: 5px solid #E69F00; }
ol.notes li.addressed { border-color: #009E73; } ol.notes li.declined { border-color: #999; }
ol.notes p { margin: .1rem 0; }
.status { font-weight: 700; }
header.session + article.song, article.song + article.song { margin-top: 2.5rem;
  padding-top: .6rem; border-top: 5px solid #111; }
footer { margin-top: 2.5rem; font-size: .85rem; color: #555; }
@media print {
  body { max-width: none; font-size: 10.5pt; padding: 0; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  article.song + article.song, header.session + article.song { break-before: page; }
  figure, tr, li { break-inside: avoid; } h2 { break-after: avoid; }
  img { max-width: 16cm; }
}
"""


def html_page(report: Report) -> str:
    """One self-contained page: inline CSS, plots as PNG data URIs, no scripts, no links out;
    every piece of library text escaped."""
    if isinstance(report, SongReport):
        body = _html_song(report, level=1)
    else:
        session = report.session
        rows = "".join(_html_row(row, text=(1,)) for row in _summary_rows(report))
        head = "".join(f"<th>{escape(h)}</th>" for h in _SUMMARY_HEAD)
        body = ('<header class="session"><p class="kicker">Revision report</p>'
                f"<h1>{escape(session.title)}</h1>"
                + (f'<p class="lead">{escape(session.artist)}</p>' if session.artist else "")
                + '<h2 class="part">The album</h2>'
                + "".join(f"<p>{escape(line)}</p>" for line in _summary(report))
                + (f'<table class="summary"><thead><tr>{head}</tr></thead>'
                   f"<tbody>{rows}</tbody></table>" if rows else "")
                + "</header>\n"
                + "".join(_html_song(s, level=2) for s in report.songs))
    made = date.today().isoformat()
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(_title(report))}</title><style>{_CSS}</style></head>\n"
            f"<body>\n{body}\n<footer>Made with Outboard on {made}.</footer>\n</body></html>\n")


def _html_row(cells: list[str], *, text: tuple[int, ...]) -> str:
    """A table row; the cells at ``text`` wrap, the others (figures) stay on one line."""
    return "<tr>" + "".join(
        f'<td class="text">{escape(c)}</td>' if i in text else f"<td>{escape(c)}</td>"
        for i, c in enumerate(cells)) + "</tr>"


def _html_song(song: SongReport, *, level: int) -> str:
    """One song's part of the page; ``level`` 1 for a song's own page, 2 in a session's."""
    sub = f"h{level + 1}"
    where = f"{song.session.title} · track {song.song.position}"
    if song.session.artist:
        where = f"{song.session.artist} · {where}"
    title = ('<p class="kicker">Revision report</p>'
             f"<h1>{escape(song.song.title)}</h1>" if level == 1 else
             f'<h2 class="song-title">{escape(song.song.title)}</h2>')
    parts = [f'<article class="song"><header>{title}<p class="quiet">{escape(where)}</p>'
             f'<p class="lead">{escape(_compared(song))}</p></header>']
    changes = _changes(song)
    if changes:
        parts.append(f'<{sub} class="part">What changed</{sub}><ul class="changes">'
                     + "".join(f"<li>{escape(c)}</li>" for c in changes) + "</ul>")
    parts.append(f'<{sub} class="part">Loudness and peaks</{sub}>')
    if song.figures:
        compare = song.before is not None
        head = ["", f"Rev {song.before.number}"] if song.before else [""]
        head += [f"Rev {song.after.number}"] + (["Change"] if compare else [])
        rows = [_figure_cells(row) for row in song.figures]
        parts.append('<table class="figures"><thead><tr>'
                     + "".join(f"<th>{escape(c)}</th>" for c in head) + "</tr></thead><tbody>"
                     + "".join(_html_row(r if compare else [r[0], r[2]], text=(0,))
                               for r in rows) + "</tbody></table>")
    parts.append("".join(f'<p class="quiet">{escape(line)}</p>' for line in _print_lines(song)))
    for plot in _plots(song):
        uri = "data:image/png;base64," + base64.b64encode(plot.png).decode("ascii")
        parts.append(f'<figure class="{plot.key}"><img src="{uri}" alt="{escape(plot.alt)}">'
                     f"<figcaption>{escape(plot.caption)}</figcaption></figure>")
    parts.extend(f'<p class="quiet">{escape(n)}</p>' for n in song.plot_notes)
    if song.targets:
        parts.append(f'<{sub} class="part">Delivery targets, revision {song.after.number}'
                     f'</{sub}><ul class="targets">' + "".join(
                         f'<li class="{_verdict_class(t)}"><strong>{escape(_target_head(t))}'
                         f"</strong><br>{escape(t.words)}</li>" for t in song.targets)
                     + "</ul>")
    parts.append(f'<{sub} class="part">Notes</{sub}>')
    if song.notes:
        parts.append('<ol class="notes">' + "".join(
            f'<li class="{escape(n.status)}"><p class="quiet">{escape(_note_head(n))}</p>'
            f"<p>{escape(n.body)}</p>"
            f'<p class="status">{escape(n.status_text.capitalize())}</p></li>'
            for n in song.notes) + "</ol>")
    else:
        parts.append("<p>No notes.</p>")
    return "".join(parts) + "</article>\n"


def _verdict_class(line: TargetLine) -> str:
    return {True: "pass", False: "fail", None: "unknown"}[line.passed]


# ---------------------------------------------------------------------------- Markdown


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|#&"})


def _md(text: object) -> str:
    """Text that Markdown shows as written: specials escaped, on one line."""
    return " ".join(str(text).split()).translate(_MD_SPECIAL)


def markdown(report: Report, name: str) -> Rendered:
    """The report in Markdown, with its plots as PNG files named after ``name``."""
    images: list[tuple[str, bytes]] = []
    if isinstance(report, SongReport):
        lines = _md_song(report, 1, lambda key: f"{name}-{key}.png", images)
    else:
        session = report.session
        lines = [f"# {_md(session.title)}: revision report", ""]
        if session.artist:
            lines += [_md(session.artist), ""]
        lines += ["## The album", "", *[_md(line) + "  " for line in _summary(report)], ""]
        if report.songs:
            lines += ["| " + " | ".join(_SUMMARY_HEAD) + " |",
                      "|" + "---|" * len(_SUMMARY_HEAD)]
            lines += ["| " + " | ".join(_md(c) for c in row) + " |"
                      for row in _summary_rows(report)]
        for song in report.songs:
            track = f"{song.song.position:02d}"
            lines += ["", "---", "", *_md_song(
                song, 2, lambda key, track=track: f"{name}-{track}-{key}.png", images)]
    lines += ["", f"_Made with Outboard on {date.today().isoformat()}._"]
    return Rendered("\n".join(lines) + "\n", tuple(images))


def _md_song(song: SongReport, level: int, image_name: Callable[[str], str],
             images: list[tuple[str, bytes]]) -> list[str]:
    h = "#" * level
    where = f"{song.session.title} · track {song.song.position}"
    if song.session.artist:
        where = f"{song.session.artist} · {where}"
    lines = [f"{h} {_md(song.song.title)}" + (": revision report" if level == 1 else ""), "",
             _md(where), "", f"**{_md(_compared(song))}**"]
    changes = _changes(song)
    if changes:
        lines += ["", f"{h}# What changed", "", *[f"- {_md(c)}" for c in changes]]
    lines += ["", f"{h}# Loudness and peaks", ""]
    if song.figures:
        compare = song.before is not None
        head = (["", f"Rev {song.before.number}"] if song.before else [""]) + [
            f"Rev {song.after.number}"] + (["Change"] if compare else [])
        lines += ["| " + " | ".join(head) + " |", "|---|" + "---:|" * (len(head) - 1)]
        for row in song.figures:
            cells = _figure_cells(row)
            cells = cells if compare else [cells[0], cells[2]]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        lines.append("")
    lines += [_md(line) + "  " for line in _print_lines(song)]
    for plot in _plots(song):
        file = image_name(plot.key)
        images.append((file, plot.png))
        lines += ["", f"![{_md(plot.alt)}]({quote(file)})", "", f"_{_md(plot.caption)}_"]
    if song.plot_notes:
        lines += ["", *[_md(n) + "  " for n in song.plot_notes]]
    if song.targets:
        lines += ["", f"{h}# Delivery targets, revision {song.after.number}", ""]
        lines += [f"- **{_md(_target_head(t))}** {_md(t.words)}" for t in song.targets]
    lines += ["", f"{h}# Notes", ""]
    lines += [f"- {_md(_note_head(n))}: {_md(n.body)} — **{_md(n.status_text)}**"
              for n in song.notes] or ["No notes."]
    return lines
