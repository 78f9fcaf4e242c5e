"""The Print screen: the open revision printed through its insert loop. It shows the loop and
its ping, the song's takes; P prints with live meters, x stops, and the verdict follows; e
exports the artist's report of the revision."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import DataTable, Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from controller.audio.loops import loop_setup
from controller.audio.printing import PrintProgress
from controller.errors import OutboardError
from controller.print_session import PrintOutcome, choose_loop, current_ping, print_revision
from controller.report import song_report
from controller.report_render import render
from recall.library import Library
from recall.studio import Studio
from recall.takes import PingRecord, Take
from tui.output_file import write_atomically
from tui.report_cmd import _file_name

from ..widgets.keybar import KeyBar
from ..widgets.meters import MeterChannel, PrintMeters, clock
from .base import OutboardScreen

UI_HZ = 25  # meter updates a second at most, whatever rate the print runs at
NO_STUDIO = ("No studio is configured, so there is no loop to print through: start the app "
             "with `outboard --studio FILE`.")
STATE_STYLES = {"complete": "green", "flawed": "yellow", "incomplete": "red"}


@dataclass(frozen=True)
class PrintView:
    """What the screen shows of a revision before and between prints."""

    song: str
    revision: int
    loop: str | None  # the loop it prints through; None: see ``problem``
    problem: str  # why there is no loop to print through
    ping: PingRecord | None  # the loop's last ping
    stale: tuple[str, ...]  # why that ping no longer holds (empty: it does)
    sample_rate: int
    channels: tuple[MeterChannel, ...]  # the loop's returns
    takes: tuple[Take, ...]  # the song's takes, newest first


def load_view(library: Library, studio: Studio, song: str, number: int | None) -> PrintView:
    """The revision, its loop and that loop's ping as they stand, and the song's takes."""
    owner = library.song(song)
    revision = library.revision(owner.id, number)
    takes = tuple(sorted(library.takes(owner.id), key=lambda t: t.id, reverse=True))
    try:
        setup = loop_setup(studio, choose_loop(studio, revision, None))
    except OutboardError as err:
        return PrintView(owner.name, revision.number, None, err.message, None, (),
                         studio.sample_rate, (), takes)
    ping, stale = current_ping(library, setup)
    channels = tuple(MeterChannel(f"in {c}", studio.calibration_for("input", c))
                     for c in setup.loop.inputs)
    return PrintView(owner.name, revision.number, setup.loop.name, "", ping, tuple(stale),
                     setup.sample_rate, channels, takes)


def ping_text(view: PrintView) -> Text:
    """The loop and its ping: latency, when, and whether it still holds."""
    text = Text(f"Loop {view.loop} · ")
    ping = view.ping
    if ping is None:
        return text.append("never pinged: the print pings it first", style="yellow")
    when = datetime.fromisoformat(ping.created).astimezone().strftime("%Y-%m-%d %H:%M")
    text.append(f"pinged {when}: {ping.latency_samples:.2f} samples "
                f"({1000 * ping.latency_samples / view.sample_rate:.2f} ms), jitter "
                f"{ping.jitter_samples:.2f}")
    if ping.inverted:
        text.append(" · INVERTED polarity", style="bold red")
    if ping.report.get("smeared"):
        text.append(" · smeared (a unit was not bypassed for the ping)", style="yellow")
    if view.stale:
        return text.append(f" · stale ({'; '.join(view.stale)}): the print pings it first",
                           style="yellow")
    return text.append(" · holds", style="green")


def verdict_text(done: PrintOutcome) -> Text:
    """How the print went: its state and why, where the xruns were, the alignment."""
    result, take = done.result, done.take
    rate = result.sample_rate
    text = Text(f"Take {take.take} of rev {take.revision_number}: ", style="bold")
    text.append(take.state.upper(), style=f"bold {STATE_STYLES.get(take.state, '')}")
    text.append(f" · {clock(result.frames / rate)} in {result.seconds:.1f} s → {take.path}")
    if done.pinged:
        text.append(f"\nPinged loop {take.metadata.get('loop')} first "
                    f"({'; '.join(done.stale) or 'asked'}): {done.ping.latency_samples:.2f} "
                    "samples")
    for problem in result.problems:
        text.append(f"\nStopped: {problem}; the partial file is kept", style="red")
    if result.xruns:
        where = ", ".join(f"{clock(x.frame / rate)} ({x.kind})" for x in result.xruns[:6])
        more = f" and {len(result.xruns) - 6} more" if len(result.xruns) > 6 else ""
        text.append(f"\n{len(result.xruns)} xrun(s) at {where}{more}", style="yellow")
    if result.alignment is None:
        text.append("\nAlignment not checked (the middle of the song is silent or not "
                    "reached)", style="dim")
    elif result.alignment.aligned:
        text.append(f"\nAligned: {result.alignment.offset_samples:+.2f} samples against the "
                    "source", style="green")
    else:
        text.append(f"\nOUT OF ALIGNMENT: {result.alignment.offset_samples:+.2f} samples "
                    "against the source (ping the loop again with the units bypassed)",
                    style="bold red")
    return text


def level(measured: dict[str, object], key: str, unit: str) -> str:
    value = measured.get(key)
    return f"{value:.1f} {unit}" if isinstance(value, (int, float)) else "—"


class Throttle:
    """Lets ``ready()`` say yes at most ``hz`` times a second of wall-clock time."""

    def __init__(self, hz: float) -> None:
        self.interval, self.next = 1.0 / hz, 0.0

    def ready(self) -> bool:
        now = time.monotonic()
        if now < self.next:
            return False
        self.next = now + self.interval
        return True


class PrintScreen(OutboardScreen):
    """Print the chosen revision (``app.song``, ``app.revision``) through its loop."""

    BINDINGS = [Binding("P", "start", "Start print"),
                Binding("enter", "start", "Start print", show=False, priority=True),
                Binding("x", "stop", "Stop print"),
                Binding("escape", "stop", "Stop print", show=False),
                Binding("e", "export_report", "Export report")]
    DEFAULT_CSS = """
    PrintScreen #print-verdict { height: auto; padding: 0 1; border: round $primary;
                                 display: none; }
    PrintScreen.-verdict #print-verdict { display: block; }
    PrintScreen #print-takes { height: 1fr; }
    """

    @dataclass
    class Progress(Message, bubble=False):
        """The print's meters, from its writer thread; a newer one replaces one not yet
        handled, so a busy screen never works through a backlog."""

        progress: PrintProgress

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, PrintScreen.Progress)

    @dataclass
    class Pinging(Message, bubble=False):
        why: tuple[str, ...]

    @dataclass
    class Done(Message, bubble=False):
        outcome: PrintOutcome
        takes: tuple[Take, ...]

    @dataclass
    class Exported(Message, bubble=False):
        target: Path

    def __init__(self) -> None:
        super().__init__()
        self.view: PrintView | None = None
        self.abort: threading.Event | None = None  # set while a print runs
        self.pinging_now = False  # the print is pinging its loop first
        self.outcome: PrintOutcome | None = None  # the last print's, shown as the verdict

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Print", id="print-title", classes="screen-title")
        yield Static("", id="print-loop", classes="hint")
        yield Static("", id="print-status", classes="hint")
        yield PrintMeters(id="print-meters")
        yield Static("", id="print-verdict")
        table: DataTable[str | Text] = DataTable(id="print-takes", cursor_type="row")
        table.add_columns("Take", "Rev", "State", "Offset", "Xruns", "Integrated",
                          "True peak", "Finished")
        yield table
        yield KeyBar()

    @property
    def printing(self) -> bool:
        return self.abort is not None

    # ------------------------------------------------------------------ the view
    def refresh_view(self) -> None:
        if self.printing:
            return  # the print under way keeps the screen
        if self.context.studio is None:
            self.show_status(NO_STUDIO)
            return
        if self.outboard.song is None:
            self.show_status("No song chosen: open one on the Library (l), then come back "
                             "here (p).")
            return
        self.load(self.outboard.song, self.outboard.revision)

    @work(thread=True, exit_on_error=False, exclusive=True, group="print-view")
    def load(self, song: str, number: int | None, status: str | None = None) -> None:
        assert self.context.studio is not None
        with self.context.library() as library:
            view = load_view(library, self.context.studio, song, number)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self.show_view, view, status)

    def show_view(self, view: PrintView, status: str | None = None) -> None:
        """Show ``view``; ``status`` says what happened last (default: what the keys do)."""
        if self.view is None or (view.song, view.revision) != (self.view.song,
                                                               self.view.revision):
            self.set_class(False, "-verdict")  # a verdict is about the revision it printed
        self.view = view
        self.query_one("#print-title", Static).update(f"Print — {view.song} · rev "
                                                      f"{view.revision}")
        self.query_one("#print-loop", Static).update(
            ping_text(view) if view.loop else Text(f"No loop to print through: "
                                                   f"{view.problem}", style="red"))
        if not self.has_class("-verdict"):
            self.query_one(PrintMeters).start(view.channels)
        if status is not None or not self.has_class("-verdict"):
            self.show_status(status or ("P or Enter prints this revision; x or Escape stops "
                                        "a print." if view.loop else ""))
        self.show_takes(view.takes)
        self.refresh_bindings()

    def show_takes(self, takes: tuple[Take, ...]) -> None:
        table = self.query_one("#print-takes", DataTable)
        table.clear()
        for take in takes:
            measured = take.metadata.get("measurement") or {}
            offset = "—" if take.offset_samples is None else f"{take.offset_samples:+.2f}"
            finished = (datetime.fromisoformat(take.finished).astimezone()
                        .strftime("%Y-%m-%d %H:%M") if take.finished else "—")
            table.add_row(str(take.take), str(take.revision_number),
                          Text(take.state, style=STATE_STYLES.get(take.state, "")), offset,
                          str(take.xruns), level(measured, "integrated_lufs", "LUFS"),
                          level(measured, "true_peak_dbtp", "dBTP"), finished)

    def show_status(self, message: str | Text) -> None:
        self.query_one("#print-status", Static).update(message)

    # ------------------------------------------------------------------ printing
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "start":
            return not self.printing and self.view is not None and self.view.loop is not None
        if action == "stop":
            return self.printing
        if action == "export_report":
            return self.outboard.song is not None
        return True

    def action_start(self) -> None:
        view = self.view
        if self.printing or view is None or view.loop is None:
            return
        self.abort = threading.Event()
        self.set_class(False, "-verdict")
        self.query_one(PrintMeters).start(view.channels)
        self.show_status(f"Printing {view.song} rev {view.revision} through loop {view.loop}…")
        self.refresh_bindings()
        self.run_print(view.song, view.revision, self.abort)

    def action_stop(self) -> None:
        if self.abort is not None and not self.abort.is_set():
            self.abort.set()
            self.show_status("Stopping: the partial print is kept, marked incomplete…")

    @work(thread=True, exit_on_error=False, group="print-run")
    def run_print(self, song: str, number: int, abort: threading.Event) -> None:
        """The print, start to end. Everything goes to the screen as messages, in order; the
        meters at most UI_HZ times a second, and never blocking the print's writer."""
        assert self.context.studio is not None
        throttle = Throttle(UI_HZ)

        def progress(report: PrintProgress) -> None:
            if throttle.ready():
                self.post_message(self.Progress(report))

        with self.context.library() as library:
            revision = library.revision(library.song(song).id, number)
            outcome = print_revision(
                library, self.context.library_path, self.context.studio, song, number,
                unit_values=self.context.heard_values(library, revision), abort=abort,
                on_progress=progress, on_ping=lambda why: self.post_message(
                    self.Pinging(tuple(why))))
            takes = tuple(sorted(library.takes(outcome.take.song_id), key=lambda t: t.id,
                                 reverse=True))
        self.post_message(self.Done(outcome, takes))

    @on(Pinging)
    def pinging(self, event: Pinging) -> None:
        self.pinging_now = True
        message = f"Pinging loop {self.view.loop if self.view else ''} ({'; '.join(event.why)})…"
        self.query_one("#print-loop", Static).update(message)
        self.show_status(message)

    @on(Progress)
    def progressed(self, event: Progress) -> None:
        if not self.printing:
            return
        report, self.pinging_now = event.progress, False
        self.query_one(PrintMeters).show(report)
        if self.abort is not None and not self.abort.is_set():
            self.show_status(f"Printing… {clock(report.frames / report.sample_rate)} of "
                             f"{clock(report.total_frames / report.sample_rate)}")

    @on(Done)
    def done(self, event: Done) -> None:
        result = event.outcome.result
        self.abort, self.pinging_now, self.outcome = None, False, event.outcome
        self.query_one(PrintMeters).finish(result.reading, frames=result.frames,
                                           sample_rate=result.sample_rate,
                                           xruns=len(result.xruns))
        self.query_one("#print-verdict", Static).update(verdict_text(event.outcome))
        self.set_class(True, "-verdict")
        take = event.outcome.take
        status = f"Take {take.take} {take.state}. P prints again."
        if self.view is not None:  # with the new take, and the ping it used (or made)
            self.show_view(replace(self.view, takes=event.takes, ping=event.outcome.ping,
                                   stale=()), status)

    # ------------------------------------------------------------------ the report
    def action_export_report(self) -> None:
        if self.outboard.song is None:
            return
        song, number = ((self.view.song, self.view.revision) if self.view is not None
                        else (self.outboard.song, self.outboard.revision))
        self.show_status("Writing the artist's report…")
        self.export_report(song, number, self.context.demo_folder or Path.cwd())

    @work(thread=True, exit_on_error=False, group="print-report")
    def export_report(self, song: str, number: int | None, folder: Path) -> None:
        """The song's report (the revision against its parent) as one HTML page in
        ``folder``, named as `outboard report` names it, written whole or not at all."""
        with self.context.library() as library:
            report = song_report(library, song, number)
        target = folder / f"{_file_name(report.song.title)}.html"
        write_atomically(target, render(report, "html", name=target.stem).text.encode(),
                         what="the report")
        self.post_message(self.Exported(target))

    @on(Exported)
    def exported(self, event: Exported) -> None:
        self.show_status(f"Wrote the artist's report to {event.target}")
        self.notify(f"Wrote {event.target.name}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Put the screen right after a failure; the base shows the error. A print stopped by
        hand during its ping is said on the status line instead of in a dialog."""
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "print-report":
            self.show_status("No report written: see the message.")
        elif event.worker.group == "print-view":
            self.load_failed = True
            self.show_status("The revision could not be loaded: see the message.")
        elif event.worker.group == "print-run":
            stopped = self.pinging_now and self.abort is not None and self.abort.is_set()
            self.abort, self.pinging_now = None, False
            self.refresh_bindings()
            if stopped and self.view is not None:
                event.prevent_default()
                self.load(self.view.song, self.view.revision,
                          "Stopped during the ping, before the print began.")
            else:  # the dialog's closing shows the screen again, which reloads it
                self.show_status("The print stopped: see the message. P prints again.")

    def on_unmount(self) -> None:
        if self.abort is not None:  # the app is closing: the print stops, its file kept
            self.abort.set()
