"""The Measure screen: the chosen song's source mix measured as `outboard measure` reports
it, its delivery targets passed or failed with the gain to reach each, and its short-term and
momentary loudness over time."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from controller.measure import measure_file
from controller.meter import Measurement
from controller.sources import sha256_file
from controller.targets import TargetResult, check, load_targets
from recall.records import Song
from tui.measure_cmd import render_measurement

from ..widgets.keybar import KeyBar
from ..widgets.plot import LoudnessPlot
from .base import OutboardScreen

NO_SONG = "No song chosen: open one on the Library (l)."

# What identifies a measured mix: the song, its file and the file's recorded checksum.
MixKey = tuple[str, str, str | None]


@dataclass(frozen=True)
class MixReport:
    """One song's source mix measured and checked against the song's delivery targets."""

    song: Song
    measurement: Measurement
    checks: tuple[TargetResult, ...]
    unknown_targets: tuple[str, ...]  # keys the targets file does not define
    changed: bool  # the file's checksum differs from the one the library recorded

    @property
    def key(self) -> MixKey:
        return mix_key(self.song)


def mix_key(song: Song) -> MixKey:
    return (song.name, song.source_path or "", song.source_sha256)


def measure_mix(song: Song) -> MixReport:
    """Measure ``song``'s source mix (with loudness curves) and check its targets; the
    InputError of a missing or unreadable file names it. Takes a second or so: a worker's."""
    assert song.source_path is not None
    path = Path(song.source_path)
    measurement = measure_file(path, curves=True)
    available = load_targets()
    checks = tuple(check(measurement, available[k]) for k in song.targets if k in available)
    unknown = tuple(k for k in song.targets if k not in available)
    changed = song.source_sha256 is not None and sha256_file(path) != song.source_sha256
    return MixReport(song, measurement, checks, unknown, changed)


def report_text(report: MixReport) -> Text:
    """The command line's report of the mix, with PASS and FAIL coloured."""
    song = report.song
    lines = [render_measurement(song.source_path or "", report.measurement,
                                list(report.checks), None)]
    if report.changed:
        lines.append("\n  The file has changed since it was set as the source mix (its checksum "
                     "differs): set it again with\n"
                     f"  outboard song set \"{song.name}\" --source FILE")
    for key in report.unknown_targets:
        lines.append(f"\n  Target '{key}' is not in the targets file (outboard targets lists "
                     "them).")
    if not song.targets:
        lines.append(f"\n  No delivery targets set: outboard song set \"{song.name}\" "
                     "--target NAME")
    text = Text("\n".join(lines))
    text.highlight_words(["PASS"], style="bold green")
    text.highlight_words(["FAIL"], style="bold red")
    return text


class MeasureScreen(OutboardScreen):
    """Measure the chosen song's source mix; a mix measured once is shown again at once
    until its file changes in the library, or g measures it again."""

    BINDINGS = [("g", "measure_again", "Measure again")]
    DEFAULT_CSS = """
    MeasureScreen #measure-body { height: 1fr; }
    MeasureScreen #measure-report { padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.shown: MixKey | None = None  # the mix whose report the screen shows
        self.report: MixReport | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Measure", id="measure-title", classes="screen-title")
        with VerticalScroll(id="measure-body"):
            yield Static("", id="measure-status", classes="hint")
            yield Static("", id="measure-report")
            yield LoudnessPlot("Short-term loudness (LUFS, 3 s)", id="plot-short-term")
            yield LoudnessPlot("Momentary loudness (LUFS, 400 ms)", id="plot-momentary")
        yield KeyBar()

    def refresh_view(self) -> None:
        song = self.outboard.song
        if song is None:
            self.show_status(NO_SONG)
            self.query_one("#measure-title", Static).update("Measure")
            return
        self.measure(song, self.shown)

    def action_measure_again(self) -> None:
        if self.outboard.song is not None:
            self.measure(self.outboard.song, None)

    def show_status(self, message: str) -> None:
        self.query_one("#measure-status", Static).update(message)

    @work(thread=True, exit_on_error=False, exclusive=True, group="measure")
    def measure(self, song: str, known: MixKey | None) -> None:
        """Look the song up, and measure its mix unless ``known`` is the mix shown."""
        with self.context.library() as library:
            record = library.song(song)
        if record.source_path is None:
            self.app.call_from_thread(self.show_no_mix, record)
            return
        if mix_key(record) == known:
            return
        self.app.call_from_thread(self.show_measuring, record)
        report = measure_mix(record)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_report, report)

    def show_no_mix(self, song: Song) -> None:
        self.shown = self.report = None
        self.query_one("#measure-title", Static).update(f"Measure — {song.name}")
        self.show_status(f"{song.name} has no source mix yet. Add one with\n"
                         f"  outboard song set \"{song.name}\" --source FILE")
        self.query_one("#measure-report", Static).update("")
        for plot in self.query(LoudnessPlot):
            plot.show_message("")

    def show_measuring(self, song: Song) -> None:
        self.query_one("#measure-title", Static).update(f"Measure — {song.name}")
        self.show_status(f"Measuring {song.source_path} …")

    def show_report(self, report: MixReport) -> None:
        self.shown, self.report = report.key, report
        m = report.measurement
        self.query_one("#measure-title", Static).update(
            f"Measure — {report.song.name} · source mix")
        verdicts = [f"{c.target.name} {'PASS' if c.passed else 'FAIL'}" for c in report.checks]
        self.show_status(f"Integrated {m.integrated_lufs:.1f} LUFS · true peak "
                         f"{m.true_peak_dbtp:.1f} dBTP"
                         + (f" · {', '.join(verdicts)}" if verdicts else "")
                         + " · g measures again")
        self.query_one("#measure-report", Static).update(report_text(report))
        for plot_id, curve in (("#plot-short-term", m.short_term_curve),
                               ("#plot-momentary", m.momentary_curve)):
            plot = self.query_one(plot_id, LoudnessPlot)
            if curve is None:
                plot.show_message("no curve measured")
            else:
                plot.plot(curve.times_s, curve.lufs, reference=m.integrated_lufs)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Put the screen right after a failure; the base shows the error.
        if event.state == WorkerState.ERROR and event.worker.group == "measure":
            self.load_failed = True
            self.shown = None
            self.show_status("The mix could not be measured: see the message. g tries again.")
