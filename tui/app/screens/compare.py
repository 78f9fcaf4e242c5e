"""The Compare screen: two prints of the open song nulled against each other."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from controller.compare import BLOCK_S, Comparison, compare_files, differing_bands
from recall.files import files_folder
from recall.library import Library
from recall.takes import Take
from tui.compare_cmd import DEFAULT_THRESHOLD_DB

from ..widgets.bands import BandBars, BandRow, db, hz
from ..widgets.keybar import KeyBar
from ..widgets.meters import clock
from .base import OutboardScreen
from .print import STATE_STYLES, level

NO_SONG = "No song chosen: open one on the Library (l), then come back here (o)."
HINT = "a and b make the take under the cursor A or B, w swaps them; Enter compares."
FLOOR_DB = -100.0  # the residual bars' left end (against A's level in the band)
SPAN_DB = 6.0  # the spectrum bars' ends: B 6 dB below or above A


@dataclass(frozen=True)
class CompareView:
    """The open song's takes, newest first, and where their files are."""

    song: str
    revision: int  # the revision the app has chosen (its latest when none)
    folder: Path
    takes: tuple[Take, ...]


def load_view(library: Library, library_path: Path, song: str, number: int | None
              ) -> CompareView:
    owner = library.song(song)
    revision = library.revision(owner.id, number)
    takes = tuple(sorted(library.takes(owner.id), key=lambda t: t.id, reverse=True))
    return CompareView(owner.name, revision.number, files_folder(library_path), takes)


def default_pair(takes: tuple[Take, ...], revision: int) -> tuple[Take | None, Take | None]:
    """B: the latest complete take of ``revision`` (else of the latest revision before it
    printed); A: the latest complete take of an earlier revision, else the take before B."""
    complete = sorted((t for t in takes if t.state == "complete"),
                      key=lambda t: (t.revision_number, t.take))
    upto = [t for t in complete if t.revision_number <= revision] or complete
    if not upto:
        return None, None
    b = upto[-1]
    earlier = [t for t in complete if t.revision_number < b.revision_number]
    same = [t for t in complete if t.revision_number == b.revision_number and t.take < b.take]
    return (earlier or same or [None])[-1], b


def same(take: Take, other: Take | None) -> bool:
    return other is not None and take.id == other.id


def take_name(take: Take | None) -> str:
    return "—" if take is None else f"rev {take.revision_number} take {take.take}"


def figures_text(c: Comparison, a: Take, b: Take) -> Text:
    """The alignment, the null and what is left, and B minus A, one figure a line."""
    start_s = c.start_frame / c.sample_rate
    later = ("" if round(c.offset_samples, 2) == 0 else
             " (B later)" if c.offset_samples > 0 else " (B earlier)")
    drift = "none found" if c.drift_ppm == 0 else f"{c.drift_ppm:+.3f} ppm (corrected)"
    rows: list[tuple[str, str, str]] = [
        ("Offset", f"{db(c.offset_samples, 'samples', signed=True, digits=2)} "
                   f"({db(c.offset_ms, 'ms', signed=True, digits=3)}){later}", ""),
        ("Polarity", "INVERTED" if c.inverted else "same", "bold red" if c.inverted else ""),
        ("Gain", f"{db(c.gain_db, signed=True, digits=2)} applied to B", ""),
        ("Drift", drift, ""),
        ("Null depth", db(c.null_depth_db), "bold"),
        ("Residual", f"{db(c.residual_rms_dbfs, 'dBFS')} RMS · "
                     + ("below -70 LUFS" if c.residual_lufs is None
                        else f"{c.residual_lufs:.1f} LUFS") + " · "
                     + ("silent" if c.residual_true_peak_dbtp is None
                        else f"{c.residual_true_peak_dbtp:.1f} dBTP true peak"), ""),
    ]
    if c.residual_over_time:
        worst = max(range(len(c.residual_over_time)), key=c.residual_over_time.__getitem__)
        rows.append(("Worst 400 ms", f"{db(c.residual_over_time[worst], 'dBFS')} RMS at "
                                     f"{clock(start_s + worst * BLOCK_S)}", ""))
    rows.append(("B minus A", f"{db(c.loudness_delta_lu, 'LU', signed=True, digits=2)} "
                              "integrated · "
                              f"{db(c.true_peak_delta_db, signed=True, digits=2)} true peak · "
                              f"{db(c.range_delta_lu, 'LU', signed=True)} range", ""))
    text = Text(f"B ({take_name(b)}) against A ({take_name(a)}): {c.channels} ch, "
                f"{c.sample_rate} Hz, {c.duration_s:.2f} s compared from {clock(start_s)}",
                style="dim")
    for label, value, style in rows:
        text.append(f"\n{label:<14}", style="bold")
        text.append(value, style=style)
    return text


def octave_rows(c: Comparison, threshold_db: float) -> list[BandRow]:
    differing = differing_bands(c, threshold_db=threshold_db)
    return [BandRow(hz(b.centre_hz), b.level_db, b in differing) for b in c.residual_octaves]


def third_rows(c: Comparison) -> list[BandRow]:
    return [BandRow(hz(b.centre_hz), b.level_db) for b in c.spectrum_difference]


class CompareScreen(OutboardScreen):
    """Null-test two takes of the chosen song (``app.song``): A is the reference."""

    BINDINGS = [Binding("a", "choose('a')", "Set A"), Binding("b", "choose('b')", "Set B"),
                Binding("w", "swap", "Swap A and B"),
                Binding("enter", "compare", "Compare", priority=True)]
    DEFAULT_CSS = """
    CompareScreen #compare-takes { height: auto; max-height: 8; }
    CompareScreen #compare-results { height: 1fr; border-top: solid $primary; }
    CompareScreen #compare-figures { height: auto; padding: 0 1; }
    CompareScreen #compare-bars { height: auto; }
    CompareScreen #compare-bars BandBars { width: 1fr; }
    """

    @dataclass
    class Loaded(Message, bubble=False):
        view: CompareView

    @dataclass
    class Compared(Message, bubble=False):
        comparison: Comparison
        a: Take
        b: Take

    def __init__(self) -> None:
        super().__init__()
        self.view: CompareView | None = None
        self.a: Take | None = None
        self.b: Take | None = None
        self.comparison: Comparison | None = None  # the one shown
        self.running = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Compare", id="compare-title", classes="screen-title")
        yield Static("", id="compare-pair", classes="hint")
        yield Static("", id="compare-status", classes="hint")
        table: DataTable[str | Text] = DataTable(id="compare-takes", cursor_type="row")
        self.mark_column = table.add_column("", width=3)
        table.add_columns("Take", "Rev", "State", "Offset", "Integrated", "True peak",
                          "Finished")
        yield table
        with VerticalScroll(id="compare-results"):
            yield Static("", id="compare-figures")
            with Horizontal(id="compare-bars"):
                yield BandBars("Residual per octave, against A", floor_db=FLOOR_DB,
                               mark="differs", id="compare-octaves")
                yield BandBars("Spectrum, B minus A (1/3 octave)", span_db=SPAN_DB,
                               id="compare-thirds")
        yield KeyBar()

    # ------------------------------------------------------------------ the view
    def refresh_view(self) -> None:
        if self.outboard.song is None:
            self.view = self.a = self.b = None
            self.query_one("#compare-title", Static).update("Compare")
            self.query_one("#compare-takes", DataTable).clear()
            self.show_status(NO_SONG)
            return
        self.load(self.outboard.song, self.outboard.revision)

    @work(thread=True, exit_on_error=False, exclusive=True, group="compare-view")
    def load(self, song: str, number: int | None) -> None:
        with self.context.library() as library:
            view = load_view(library, self.context.library_path, song, number)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(view))

    @on(Loaded)
    def show_view(self, event: Loaded) -> None:
        view, old = event.view, self.view
        self.view = view
        ids = {t.id: t for t in view.takes}
        chosen = [t for t in (self.a, self.b) if t is not None]
        if (old is not None and (old.song, old.revision) == (view.song, view.revision)
                and chosen and all(t.id in ids for t in chosen)):
            # The same choice, as the ledger has it now.
            self.a = ids[self.a.id] if self.a else None
            self.b = ids[self.b.id] if self.b else None
        else:
            self.a, self.b = default_pair(view.takes, view.revision)
            self.show_result(None)
        self.query_one("#compare-title", Static).update(
            f"Compare — {view.song} · rev {view.revision}")
        table = self.query_one("#compare-takes", DataTable)
        table.clear()
        for take in view.takes:
            measured = take.metadata.get("measurement") or {}
            offset = "—" if take.offset_samples is None else f"{take.offset_samples:+.2f}"
            finished = (datetime.fromisoformat(take.finished).astimezone()
                        .strftime("%Y-%m-%d %H:%M") if take.finished else "—")
            table.add_row("", str(take.take), str(take.revision_number),
                          Text(take.state, style=STATE_STYLES.get(take.state, "")), offset,
                          level(measured, "integrated_lufs", "LUFS"),
                          level(measured, "true_peak_dbtp", "dBTP"), finished,
                          key=str(take.id))
        self.show_pair()
        if not view.takes:
            self.show_status("No prints of this song yet: print two revisions on the Print "
                             "screen (p), then compare them here.")
        elif not self.running and self.comparison is None:
            self.show_status(HINT)

    def show_pair(self) -> None:
        table = self.query_one("#compare-takes", DataTable)
        for take in self.view.takes if self.view else ():
            mark = "A" if same(take, self.a) else "B" if same(take, self.b) else ""
            table.update_cell(str(take.id), self.mark_column, Text(mark, style="bold"))
        self.query_one("#compare-pair", Static).update(
            f"A (reference): {take_name(self.a)}   B: {take_name(self.b)}")
        self.refresh_bindings()

    def show_status(self, message: str | Text) -> None:
        self.query_one("#compare-status", Static).update(message)

    def show_result(self, comparison: Comparison | None) -> None:
        self.comparison = comparison
        figures = self.query_one("#compare-figures", Static)
        octaves = self.query_one("#compare-octaves", BandBars)
        thirds = self.query_one("#compare-thirds", BandBars)
        if comparison is None or self.a is None or self.b is None:
            figures.update("")
            octaves.show(())
            thirds.show(())
            return
        figures.update(figures_text(comparison, self.a, self.b))
        octaves.show(octave_rows(comparison, DEFAULT_THRESHOLD_DB))
        thirds.show(third_rows(comparison))

    # ------------------------------------------------------------------ choosing, comparing
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "compare":
            return not self.running and self.a is not None and self.b is not None
        if action in ("choose", "swap"):
            return self.view is not None and bool(self.view.takes)
        return True

    def action_choose(self, which: str) -> None:
        table = self.query_one("#compare-takes", DataTable)
        if self.view is None or not self.view.takes:
            return
        take = self.view.takes[table.cursor_row]
        if which == "a":
            self.a, self.b = take, (None if same(take, self.b) else self.b)
        else:
            self.a, self.b = (None if same(take, self.a) else self.a), take
        self.show_pair()

    def action_swap(self) -> None:
        self.a, self.b = self.b, self.a
        self.show_pair()

    def action_compare(self) -> None:
        if self.running or self.view is None or self.a is None or self.b is None:
            return
        self.running = True
        self.refresh_bindings()
        self.show_status(f"Comparing {take_name(self.b)} against {take_name(self.a)}…")
        self.run_compare(self.a, self.b, self.view.folder)

    @work(thread=True, exit_on_error=False, group="compare-run")
    def run_compare(self, a: Take, b: Take, folder: Path) -> None:
        self.post_message(self.Compared(compare_files(folder / a.path, folder / b.path), a, b))

    @on(Compared)
    def compared(self, event: Compared) -> None:
        self.running = False
        self.refresh_bindings()
        self.a, self.b = event.a, event.b
        self.show_pair()
        self.show_result(event.comparison)
        depth = event.comparison.null_depth_db
        self.show_status(f"Compared {take_name(event.b)} against {take_name(event.a)}: null "
                         f"{'perfect' if depth == -math.inf else db(depth)}.")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Put the screen right after a failure; the base shows the error.
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "compare-view":
            self.load_failed = True
            self.show_status("The song could not be loaded: see the message.")
        elif event.worker.group == "compare-run":
            self.running = False
            self.refresh_bindings()
            self.show_status("Nothing compared: see the message.")
