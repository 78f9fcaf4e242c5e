"""The artist's revision report as values: changes, figures, target checks, notes, plot data."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from recall.diff import RevisionDiff, diff_revisions
from recall.errors import NotFound
from recall.files import files_folder
from recall.library import Library
from recall.records import Note, Revision, Session, Song
from recall.takes import Take

from .errors import InputError, OutboardError
from .meter import STATUS_OK, Measurement
from .report_audio import Curve, SpectrumDifference
from .report_words import change_lines, note_status, song_time
from .targets import Target, TargetResult, check, load_targets


@dataclass(frozen=True, slots=True)
class PrintFigures:
    """A revision's latest complete print and its figures as the take ledger recorded them.

    ``problem`` says why the audio itself cannot be read for the plots (the file is gone, or
    differs from the one printed); the figures still stand, they are the ledger's."""

    revision: int
    take: int
    path: str  # as the ledger has it, relative to the library's files folder
    file: Path
    created: str
    integrated_lufs: float | None
    true_peak_dbtp: float | None
    sample_peak_dbfs: float | None
    loudness_range_lu: float | None
    plr_db: float | None
    problem: str = ""


@dataclass(frozen=True, slots=True)
class RevisionSide:
    """One of the two revisions compared; ``printed`` is None when it has no complete,
    measured print, and ``no_print`` then says why in a few words."""

    number: int
    status: str
    created: str
    printed: PrintFigures | None
    no_print: str = ""


@dataclass(frozen=True, slots=True)
class FigureRow:
    """One figure of both prints: before, after and the change (None where unmeasured)."""

    label: str
    unit: str
    before: float | None
    after: float | None

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None:
            return None
        return self.after - self.before


@dataclass(frozen=True, slots=True)
class NoteLine:
    """One note of the thread, as the report shows it."""

    id: int
    at: str  # m:ss, "" for a note on the whole song
    revision: int | None
    kind: str
    author: str
    body: str
    status: str  # open, addressed, declined
    status_text: str  # open, addressed in revision N, declined


@dataclass(frozen=True, slots=True)
class TargetLine:
    """A delivery target's check of the latest print; ``result`` is None when the target is
    not in the targets file, ``passed`` None when there is nothing to check."""

    key: str
    name: str
    passed: bool | None
    result: TargetResult | None
    words: str


@dataclass(frozen=True, slots=True)
class SongReport:
    """The report of one song: revision ``after`` compared with ``before`` (None for a
    first revision). ``figures`` is empty unless at least one side has a print; ``curves``
    and ``spectrum`` hold the plots' data, ``plot_notes`` why any plot is missing."""

    session: Session
    song: Song
    after: RevisionSide
    before: RevisionSide | None
    diff: RevisionDiff | None
    changes: tuple[str, ...]
    figures: tuple[FigureRow, ...]
    targets: tuple[TargetLine, ...]
    notes: tuple[NoteLine, ...]
    curves: tuple[Curve | None, Curve | None] | None = None
    spectrum: SpectrumDifference | None = None
    plot_notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SessionReport:
    """Every song of a session in track order, each its latest revision against its parent;
    ``without_revision`` are the songs with none yet."""

    session: Session
    songs: tuple[SongReport, ...]
    without_revision: tuple[Song, ...] = ()


Report = SongReport | SessionReport


# ---------------------------------------------------------------------------- gathering


def song_report(library: Library, song: str | int, number: int | None = None, *,
                against: int | None = None, targets: Mapping[str, Target] | None = None,
                analyse: bool = True) -> SongReport:
    """Revision ``number`` of ``song`` (default: the latest) against revision ``against``
    (default: its parent). ``analyse`` reads the prints' audio for the plots.

    NotFound names a missing song or revision; InputError a comparison of a revision with
    itself."""
    record = library.song(song)
    after = library.revision(record.id, number)
    if against is not None and against == after.number:
        raise InputError(f"{record.name}: compare revision {after.number} with another one "
                         "(--against names the revision to compare with)")
    before_number = against if against is not None else after.parent_number
    before = library.revision(record.id, before_number) if before_number is not None else None
    return _song_report(library, library.session(record.session_id), record, after, before,
                        load_targets() if targets is None else targets, analyse)


def session_report(library: Library, session: str | int, *,
                   targets: Mapping[str, Target] | None = None,
                   analyse: bool = True) -> SessionReport:
    """Every song of ``session`` (title or id), its latest revision against its parent."""
    owner = library.session(session)
    known = load_targets() if targets is None else targets
    reports: list[SongReport] = []
    waiting: list[Song] = []
    for song in library.songs(owner.id):
        try:
            after = library.revision(song.id)
        except NotFound:
            waiting.append(song)
            continue
        before = (library.revision(song.id, after.parent_number)
                  if after.parent_number is not None else None)
        reports.append(_song_report(library, owner, song, after, before, known, analyse))
    return SessionReport(owner, tuple(reports), tuple(waiting))


def _song_report(library: Library, session: Session, song: Song, after: Revision,
                 before: Revision | None, targets: Mapping[str, Target],
                 analyse: bool) -> SongReport:
    notes = library.notes(song.id)
    folder = files_folder(Path(library.path))
    diff = (diff_revisions(song.name, before, after, notes) if before is not None else None)
    after_side = _side(library, song, after, folder)
    before_side = _side(library, song, before, folder) if before is not None else None
    report = SongReport(
        session=session, song=song, after=after_side, before=before_side, diff=diff,
        changes=tuple(change_lines(diff)) if diff is not None else (),
        figures=_figures(before_side, after_side),
        targets=_targets(song, after_side, targets),
        notes=tuple(_note_line(n) for n in notes))
    return replace(report, **_plots(before_side, after_side)) if analyse else report


def _side(library: Library, song: Song, revision: Revision, folder: Path) -> RevisionSide:
    takes = library.takes(song.id, revision.number)
    complete = [t for t in takes if t.state == "complete"]
    if not complete:
        why = ("not printed yet" if not takes else
               f"no complete print ({len(takes)} take{'s' * (len(takes) != 1)}, none complete)")
        return RevisionSide(revision.number, revision.status, revision.created, None, why)
    take = complete[-1]
    measured = take.metadata.get("measurement")
    if not isinstance(measured, dict):
        return RevisionSide(revision.number, revision.status, revision.created, None,
                            f"take {take.take} was not measured")
    return RevisionSide(revision.number, revision.status, revision.created,
                        _print_figures(take, measured, folder))


def _print_figures(take: Take, measured: dict[str, Any], folder: Path) -> PrintFigures:
    file = folder / take.path
    problem = ""
    if not file.is_file():
        problem = f"the print's file is missing ({take.path})"
    elif take.sha256:
        from .sources import sha256_file

        if sha256_file(file) != take.sha256:
            problem = f"the print's file has changed since it was printed ({take.path})"
    return PrintFigures(
        revision=take.revision_number, take=take.take, path=take.path, file=file,
        created=take.finished or take.created,
        integrated_lufs=_number(measured.get("integrated_lufs")),
        true_peak_dbtp=_number(measured.get("true_peak_dbtp")),
        sample_peak_dbfs=_number(measured.get("sample_peak_dbfs")),
        loudness_range_lu=_number(measured.get("loudness_range_lu")),
        plr_db=_number(measured.get("plr_db")), problem=problem)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _figures(before: RevisionSide | None, after: RevisionSide) -> tuple[FigureRow, ...]:
    a = before.printed if before is not None else None
    b = after.printed
    if a is None and b is None:
        return ()
    rows = (("Integrated loudness", "LUFS", "integrated_lufs"),
            ("True peak", "dBTP", "true_peak_dbtp"),
            ("Loudness range", "LU", "loudness_range_lu"),
            ("Peak to loudness, PLR", "dB", "plr_db"))
    return tuple(FigureRow(label, unit, getattr(a, key) if a else None,
                           getattr(b, key) if b else None) for label, unit, key in rows)


def _targets(song: Song, side: RevisionSide, targets: Mapping[str, Target]
             ) -> tuple[TargetLine, ...]:
    lines = []
    for key in song.targets:
        target = targets.get(key)
        if target is None:
            lines.append(TargetLine(key, key, None, None,
                                    f"'{key}' is not in the targets file"))
            continue
        if side.printed is None or side.printed.integrated_lufs is None:
            lines.append(TargetLine(key, target.name, None, None,
                                    f"revision {side.number} has no measured print"))
            continue
        result = check(stored_measurement(side.printed), target)
        lines.append(TargetLine(key, target.name, result.passed, result,
                                _target_words(result)))
    return tuple(lines)


def stored_measurement(figures: PrintFigures) -> Measurement:
    """The ledger's figures as a Measurement for :func:`controller.targets.check`, which reads
    integrated loudness, true peak and sample peak (silence as minus infinity); the fields
    it does not read are left empty."""
    inf = -math.inf
    integrated = figures.integrated_lufs
    return Measurement(
        sample_rate=0, channels=0, frames=0,
        integrated_lufs=inf if integrated is None else integrated,
        loudness_range_lu=figures.loudness_range_lu, momentary_max_lufs=None,
        short_term_max_lufs=None,
        true_peak_dbtp=inf if figures.true_peak_dbtp is None else figures.true_peak_dbtp,
        sample_peak_dbfs=inf if figures.sample_peak_dbfs is None else figures.sample_peak_dbfs,
        rms_dbfs=inf, crest_factor_db=None, plr_db=figures.plr_db, psr_max_db=None,
        psr_min_db=None, correlation=None, correlation_min=None, mono_loss_db=None,
        clipped_samples=0, clipped_runs=0, per_channel=(), status=STATUS_OK, status_detail="")


_CRITERIA = {"integrated": ("loudness", "LUFS"), "true_peak": ("true peak", "dBTP"),
             "sample_peak": ("sample peak", "dBFS")}


def _target_words(result: TargetResult) -> str:
    parts = []
    for c in result.criteria:
        name, unit = _CRITERIA.get(c.criterion, (c.criterion, ""))
        measured = "unmeasurable" if c.measured is None else f"{c.measured:.1f} {unit}"
        asks = c.required.replace("+/-", "±").replace("<=", "at most").replace(">=", "at least")
        parts.append(f"{name} {measured} ({'meets' if c.passed else 'misses'} {asks})")
    words = "; ".join(parts)
    if not result.passed:
        words += f". {result.detail[:1].upper()}{result.detail[1:]}"
        if result.target.note:
            words += f". {result.target.note.rstrip('.')}"
    return words + "."


def _note_line(note: Note) -> NoteLine:
    return NoteLine(note.id, song_time(note.at_seconds), note.revision_number, note.kind,
                    note.author, note.body, note.status, note_status(note))


def _plots(before: RevisionSide | None, after: RevisionSide) -> dict[str, Any]:
    """The loudness curves and the spectrum difference of the two prints, and why any is
    missing. A print whose file cannot be read is left out; its figures still stand."""
    from .report_audio import band_spectrum, loudness_curve, spectrum_difference

    notes: list[str] = []
    readable: dict[str, PrintFigures] = {}
    for name, side in (("before", before), ("after", after)):
        if side is None:
            continue
        if side.printed is None:
            continue  # said with the figures
        if side.printed.problem:
            notes.append(f"Revision {side.number}: {side.printed.problem}, so it is not "
                         "plotted.")
        else:
            readable[name] = side.printed
    curves: dict[str, Curve] = {}
    spectra = {}
    for name, figures in readable.items():
        try:
            curves[name] = loudness_curve(figures.file)
            if len(readable) == 2:
                spectra[name] = band_spectrum(figures.file)
        except OutboardError as err:
            notes.append(f"Revision {figures.revision}: {err.message}")
    spectrum = None
    if len(spectra) == 2:
        a, b = readable["before"], readable["after"]
        change = (b.integrated_lufs - a.integrated_lufs
                  if a.integrated_lufs is not None and b.integrated_lufs is not None else None)
        spectrum = spectrum_difference(spectra["before"], spectra["after"], change)
    elif before is not None and before.printed is not None and after.printed is not None:
        notes.append("The spectral difference needs a readable print of both revisions.")
    return {"curves": (curves.get("before"), curves.get("after")) if curves else None,
            "spectrum": spectrum, "plot_notes": tuple(notes)}
