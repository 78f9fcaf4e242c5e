"""The Verify screen: does the gear sound like the open revision, by fingerprint or by null?"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Header, Static
from textual.worker import Worker, WorkerState, get_current_worker

from controller.verify import AudioCheck, FingerprintCheck, check_audio, check_fingerprint
from recall.library import Library
from recall.takes import Take

from ..widgets.bands import BandBars, BandRow, db, hz
from ..widgets.keybar import KeyBar
from .base import OutboardScreen

if TYPE_CHECKING:
    pass

NO_SONG = "No song chosen: open one on the Library (l), then come back here (v)."
NO_STUDIO = ("No studio is configured, so there is no loop to verify through: start the app "
             "with `outboard --studio FILE`.")
HINT = "f compares the chain's fingerprint (a few seconds); n or Enter nulls a 10 s excerpt."
FLOOR_DB = -100.0  # the residual bars' left end (against the print's level in the band)
SPAN_DB = 3.0  # the shift bars' ends


@dataclass(frozen=True)
class VerifyView:
    """What the open revision can be verified against."""

    song: str
    revision: int
    fingerprint: str | None  # when the kept fingerprint was taken; None: none kept
    take: Take | None  # the revision's latest complete print

    def missing(self, kind: str) -> str:
        """Why ``kind`` ("fingerprint" or "null") cannot run, or "" when it can."""
        if kind == "fingerprint" and self.fingerprint is None:
            return (f"Rev {self.revision} has no fingerprint to verify against: print it "
                    "first (p); a print keeps the chain's fingerprint.")
        if kind == "null" and self.take is None:
            return (f"Rev {self.revision} has no complete print to verify against: print it "
                    "first (p).")
        return ""


def load_view(library: Library, song: str, number: int | None) -> VerifyView:
    owner = library.song(song)
    revision = library.revision(owner.id, number)
    stored = library.latest_fingerprint(owner.id, revision.number)
    complete = [t for t in library.takes(owner.id, revision.number) if t.state == "complete"]
    return VerifyView(owner.name, revision.number, stored.created if stored else None,
                      complete[-1] if complete else None)


def when(stamp: str) -> str:
    return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")


def against_text(view: VerifyView) -> Text:
    text = Text("Against: ")
    if view.fingerprint is None:
        text.append("no fingerprint yet", style="yellow")
    else:
        text.append(f"the fingerprint kept {when(view.fingerprint)}")
    text.append(" · ")
    if view.take is None:
        text.append("no complete print yet (print it first, p)", style="yellow")
    else:
        text.append(f"take {view.take.take}, rev {view.revision}'s latest complete print")
    return text


def fingerprint_verdict(check: FingerprintCheck) -> Text:
    if check.verified:
        return Text.assemble(("VERIFIED", "bold green"), ": the chain's response is within "
                             f"{check.threshold_db:g} dB of the fingerprint in every band at "
                             "every level")
    text = Text.assemble(("DIFFERS", "bold red"), f": {len(check.shifts)} band readings moved "
                         f"by more than {check.threshold_db:g} dB")
    if check.suspects:
        text.append("\nMost likely (the share of the shift each alone explains):", style="dim")
    for s in check.suspects:
        text.append(f"\n  {s.unit}: {s.name}", style="bold")
        text.append(f" explains {100 * s.explained:.0f} %")
        if s.estimate is not None:
            label = f" {s.unit_label}" if s.unit_label else ""
            text.append(f": sounds like {s.estimate:.3g}{label}, the revision has "
                        f"{s.setting:g}{label}")
    if not check.suspects:
        text.append("\nNo single control explains it: check the patching and each unit.")
    return text


def shift_rows(check: FingerprintCheck) -> list[BandRow]:
    rows: list[BandRow] = []
    for level_dbfs in sorted({s.level_dbfs for s in check.shifts}):
        rows.append(BandRow(f"sweep at {level_dbfs:g} dBFS", heading=True))
        rows += [BandRow(hz(s.centre_hz), s.delta_db) for s in check.shifts
                 if s.level_dbfs == level_dbfs]
    return rows


def audio_verdict(check: AudioCheck) -> Text:
    c = check.comparison
    text = Text.assemble(("VERIFIED", "bold green") if check.verified else
                         ("DIFFERS", "bold red"),
                         f": null {db(c.null_depth_db)} against take {check.take} over "
                         f"{check.start_seconds:.1f}–{check.start_seconds + check.seconds:.1f}"
                         f" s (threshold {check.threshold_db:g} dB)")
    text.append(f"\nGain {db(c.gain_db, signed=True, digits=2)}, offset "
                f"{db(c.offset_samples, 'samples', signed=True, digits=2)}, polarity "
                f"{'INVERTED' if c.inverted else 'same'}")
    if check.differing:
        text.append("\nDiffers at " + ", ".join(hz(b.centre_hz) for b in check.differing)
                    + " (octave bands over the threshold)", style="red")
    return text


class VerifyScreen(OutboardScreen):
    """Verify the chosen revision (``app.song``, ``app.revision``) by ear, measured."""

    BINDINGS = [Binding("f", "check('fingerprint')", "Fingerprint check"),
                Binding("n", "check('null')", "Null check"),
                Binding("enter", "check('null')", "Null check", show=False, priority=True)]
    DEFAULT_CSS = """
    VerifyScreen #verify-results { height: 1fr; }
    VerifyScreen #verify-verdict { height: auto; padding: 0 1; border: round $primary; }
    VerifyScreen #verify-shifts, VerifyScreen #verify-octaves { display: none; }
    VerifyScreen.-shifts #verify-shifts, VerifyScreen.-octaves #verify-octaves {
        display: block;
    }
    """

    @dataclass
    class Loaded(Message, bubble=False):
        view: VerifyView

    @dataclass
    class Checked(Message, bubble=False):
        check: Any  # FingerprintCheck or AudioCheck

    def __init__(self) -> None:
        super().__init__()
        self.view: VerifyView | None = None
        self.abort: threading.Event | None = None  # set while a check runs
        self.check: FingerprintCheck | AudioCheck | None = None  # the one shown

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Verify", id="verify-title", classes="screen-title")
        yield Static("", id="verify-against", classes="hint")
        yield Static("", id="verify-status", classes="hint")
        with VerticalScroll(id="verify-results"):
            yield Static("", id="verify-verdict")
            yield BandBars("Bands that moved, now minus the fingerprint", span_db=SPAN_DB,
                           id="verify-shifts")
            yield BandBars("Residual per octave, against the print", floor_db=FLOOR_DB,
                           mark="differs", id="verify-octaves")
        yield KeyBar()

    @property
    def running(self) -> bool:
        return self.abort is not None

    # ------------------------------------------------------------------ the view
    def refresh_view(self) -> None:
        if self.running:
            return  # the check under way keeps the screen
        if self.outboard.song is None:
            self.view = None
            self.show_check(None)
            self.query_one("#verify-title", Static).update("Verify")
            self.query_one("#verify-against", Static).update("")
            self.show_status(NO_SONG)
            return
        self.load(self.outboard.song, self.outboard.revision)

    @work(thread=True, exit_on_error=False, exclusive=True, group="verify-view")
    def load(self, song: str, number: int | None) -> None:
        with self.context.library() as library:
            view = load_view(library, song, number)
        if not get_current_worker().is_cancelled:
            self.post_message(self.Loaded(view))

    @on(Loaded)
    def show_view(self, event: Loaded) -> None:
        view, old = event.view, self.view
        self.view = view
        if old is None or (old.song, old.revision) != (view.song, view.revision):
            self.show_check(None)  # a verdict is about the revision it checked
        self.query_one("#verify-title", Static).update(
            f"Verify — {view.song} · rev {view.revision}")
        self.query_one("#verify-against", Static).update(against_text(view))
        if self.check is None:
            missing = view.missing("null") or view.missing("fingerprint")
            self.show_status(NO_STUDIO if self.context.studio is None else
                             Text(missing, style="yellow") if missing else HINT)
        self.refresh_bindings()

    def show_status(self, message: str | Text) -> None:
        self.query_one("#verify-status", Static).update(message)

    def show_check(self, check: FingerprintCheck | AudioCheck | None) -> None:
        self.check = check
        verdict = self.query_one("#verify-verdict", Static)
        self.set_class(isinstance(check, FingerprintCheck) and not check.verified, "-shifts")
        self.set_class(isinstance(check, AudioCheck), "-octaves")
        verdict.display = check is not None
        if isinstance(check, FingerprintCheck):
            verdict.update(fingerprint_verdict(check))
            self.query_one("#verify-shifts", BandBars).show(shift_rows(check))
        elif isinstance(check, AudioCheck):
            verdict.update(audio_verdict(check))
            differing = set(check.differing)
            self.query_one("#verify-octaves", BandBars).show(
                [BandRow(hz(b.centre_hz), b.level_db, b in differing)
                 for b in check.comparison.residual_octaves])

    # ------------------------------------------------------------------ checking
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "check":
            return (not self.running and self.view is not None
                    and self.context.studio is not None)
        return True

    def action_check(self, kind: str) -> None:
        view = self.view
        if self.running or view is None or self.context.studio is None:
            return
        missing = view.missing(kind)
        if missing:
            self.show_status(Text(missing, style="yellow"))
            return
        self.abort = threading.Event()
        self.refresh_bindings()
        self.show_status("Sweeping the chain…" if kind == "fingerprint" else
                         "Printing a 10 s excerpt again and nulling it against the print…")
        self.run_check(kind, view.song, view.revision, self.abort)

    @work(thread=True, exit_on_error=False, group="verify-run")
    def run_check(self, kind: str, song: str, number: int, abort: threading.Event) -> None:
        studio = self.context.studio
        assert studio is not None
        with self.context.library() as library:
            owner = library.song(song)
            values = self.context.heard_values(library, library.revision(owner.id, number))
            if kind == "fingerprint":
                check: Any = check_fingerprint(library, studio, owner.id, number,
                                               unit_values=values, abort=abort)
            else:
                check = check_audio(library, self.context.library_path, studio, owner.id,
                                    number, unit_values=values, abort=abort)
        self.post_message(self.Checked(check))

    @on(Checked)
    def checked(self, event: Checked) -> None:
        self.abort = None
        self.refresh_bindings()
        self.show_check(event.check)
        verdict = "verified" if event.check.verified else "DIFFERS"
        what = "Fingerprint" if isinstance(event.check, FingerprintCheck) else "Null"
        self.show_status(f"{what} check: {verdict}. f and n check again.")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Put the screen right after a failure; the base shows the error.
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "verify-view":
            self.load_failed = True
            self.show_status("The revision could not be loaded: see the message.")
        elif event.worker.group == "verify-run":
            self.abort = None
            self.refresh_bindings()
            self.show_status("The check stopped: see the message.")

    def on_unmount(self) -> None:
        if self.abort is not None:  # the app is closing: the check stops
            self.abort.set()
