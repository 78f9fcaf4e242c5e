"""The Sheet screen: the recall sheet of the chosen song's revision, or of its whole session,
previewed in Markdown and exported as Markdown, HTML, CSV or JSON to a file written whole."""

from __future__ import annotations

import io
from dataclasses import dataclass, replace
from pathlib import Path

from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import Markdown
from rich.segment import Segment
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Header, Input, Select, Static
from textual.worker import Worker, WorkerState

from controller.errors import InputError
from recall.library import Library
from recall.sheet import Sheet, session_sheet, song_sheet
from recall.sheet_render import FORMATS, render
from tui.output_file import check_target as writable
from tui.output_file import write_atomically

from ..widgets.keybar import KeyBar
from .base import OutboardScreen

NO_SONG = "No song chosen: open one on the Library (l)."
HINT = "Edit the path if need be; ctrl+s or Enter writes the file."
SCOPES = (("This song's revision", "song"), ("The whole session", "session"))


@dataclass(frozen=True)
class Request:
    """Which sheet: a song ("Session/Song") at a revision (None: latest), or its session."""

    song: str
    revision: int | None
    scope: str  # "song" or "session"


@dataclass(frozen=True)
class Preview:
    request: Request
    session: str
    title: str  # the song's title
    revision: int  # the song's revision the sheet shows
    songs: int  # songs with a sheet in the session
    markdown: str


def gather(library: Library, request: Request) -> Sheet:
    if request.scope == "session":
        return session_sheet(library, library.song(request.song).session_id)
    return song_sheet(library, request.song, request.revision)


def load_preview(library: Library, request: Request) -> Preview:
    song = song_sheet(library, request.song, request.revision)
    facts = (request, song.session.title, song.song.title, song.revision.number)
    if request.scope == "session":
        session = session_sheet(library, song.session.id)
        return Preview(*facts, len(session.songs), render(session, "md"))
    return Preview(*facts, 1, render(song, "md"))


class LaidOutMarkdown(Markdown):
    """Rich's Markdown, laid out once at the width it is shown, where it is made (a worker):
    laying out a sheet's tables takes a tenth of a second or more, which the event loop
    would otherwise spend (more than once) when it measures and paints the preview. At
    another width (the terminal resized) it is laid out again there, once."""

    def __init__(self, markup: str, width: int) -> None:
        super().__init__(markup)
        self.width = width
        self._lines: dict[int, list[list[Segment]]] = {}
        self._laying_out = False
        console = Console(file=io.StringIO(), width=width, force_terminal=True,
                          color_system="truecolor", legacy_windows=False)
        self._lay_out(console, console.options)

    def _lay_out(self, console: Console, options: ConsoleOptions) -> list[list[Segment]]:
        self._laying_out = True
        try:
            lines = console.render_lines(self, options, pad=False)
        finally:
            self._laying_out = False
        self._lines[options.max_width] = lines
        return lines

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self._laying_out:
            yield from super().__rich_console__(console, options)
            return
        lines = self._lines.get(options.max_width) or self._lay_out(console, options)
        for line in lines:
            yield from line
            yield Segment.line()


def default_name(preview: Preview, fmt: str) -> str:
    """"Night Drive - Opener - rev 2.html", or "Night Drive - session.html"."""
    if preview.request.scope == "session":
        return f"{preview.session} - session.{fmt}"
    return f"{preview.session} - {preview.title} - rev {preview.revision}.{fmt}"


def check_target(text: str) -> Path:
    """The file named by ``text`` if one can be written there; InputError naming it if not."""
    if not text.strip():
        raise InputError("name the file to write the sheet to")
    # A relative path is taken from the current folder.
    return writable(Path(text.strip()).expanduser().absolute())


class SheetScreen(OutboardScreen):
    """Choose the sheet and its format, edit the file's path, export with ctrl+s (or Enter
    in the path, or the button)."""

    BINDINGS = [("ctrl+s", "export", "Export")]
    DEFAULT_CSS = """
    SheetScreen #sheet-form { height: auto; padding: 0 1; }
    SheetScreen #sheet-scope { width: 30; }
    SheetScreen #sheet-format { width: 12; }
    SheetScreen #sheet-path { margin: 0 1; }
    SheetScreen #sheet-preview { height: 1fr; border-top: solid $primary;
                                 scrollbar-gutter: stable; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.preview: Preview | None = None
        self.suggested = ""  # the default path last put in the path field
        self.laid_out: LaidOutMarkdown | None = None  # the preview showing

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Sheet", id="sheet-title", classes="screen-title")
        with Horizontal(id="sheet-form"):
            yield Select(SCOPES, value="song", allow_blank=False, id="sheet-scope")
            yield Select([(f, f) for f in FORMATS], value="html", allow_blank=False,
                         id="sheet-format")
            yield Button("Export", variant="primary", id="sheet-export")
        yield Input(placeholder="the file to write", id="sheet-path")
        yield Static(HINT, id="sheet-status", classes="hint")
        with VerticalScroll(id="sheet-preview"):
            yield Static("", id="sheet-markdown")
        yield KeyBar()

    @property
    def scope(self) -> str:
        return str(self.query_one("#sheet-scope", Select).value)

    @property
    def fmt(self) -> str:
        return str(self.query_one("#sheet-format", Select).value)

    def refresh_view(self) -> None:
        song = self.outboard.song
        if song is None:
            self.preview = None
            self.query_one("#sheet-title", Static).update("Sheet")
            self.query_one("#sheet-status", Static).update(NO_SONG)
            return
        self.load(Request(song, self.outboard.revision, self.scope), self.preview_width,
                  self.laid_out)

    @property
    def preview_width(self) -> int:
        """The preview's width in columns (the screen's, less the scroll bar, before the
        first layout)."""
        return self.query_one("#sheet-markdown").size.width or max(self.app.size.width - 2, 20)

    @on(Select.Changed, "#sheet-scope")
    def scope_changed(self) -> None:
        self.refresh_view()

    @on(Select.Changed, "#sheet-format")
    def format_changed(self) -> None:
        path = self.query_one("#sheet-path", Input)
        if self.preview is not None and path.value == self.suggested:
            self.suggest_path(self.preview)
        elif path.value.rpartition(".")[2] in FORMATS:
            path.value = f"{path.value.rpartition('.')[0]}.{self.fmt}"

    @work(thread=True, exit_on_error=False, exclusive=True, group="sheet-preview")
    def load(self, request: Request, width: int, showing: LaidOutMarkdown | None) -> None:
        """The sheet, shown at once; then its preview, laid out here (see LaidOutMarkdown)
        unless the one ``showing`` is the same."""
        with self.context.library() as library:
            preview = load_preview(library, request)
        same = showing is not None and (showing.markup, showing.width) == (preview.markdown,
                                                                           width)
        self.app.call_from_thread(self.show_preview, preview, same)
        laid_out = (showing if same and showing is not None
                    else LaidOutMarkdown(preview.markdown, width))
        self.app.call_from_thread(self.show_laid_out, preview, laid_out)

    def show_preview(self, preview: Preview, same: bool = False) -> None:
        """The sheet's title and path; ``same``: the preview showing is this sheet's."""
        path = self.query_one("#sheet-path", Input)
        if not path.value or path.value == self.suggested:
            self.suggest_path(preview)
        self.preview = preview
        what = (f"{preview.session}, every song at its latest revision ({preview.songs})"
                if preview.request.scope == "session"
                else f"{preview.session}/{preview.title} · rev {preview.revision}")
        self.query_one("#sheet-title", Static).update(f"Sheet — {what}")
        status = self.query_one("#sheet-status", Static)
        if status.content == NO_SONG:
            status.update(HINT)
        if not same:
            self.query_one("#sheet-markdown", Static).update("[dim]Laying out the preview…[/]")

    def show_laid_out(self, preview: Preview, laid_out: LaidOutMarkdown) -> None:
        # Rich's Markdown: Textual's Markdown widget takes a second or two of the event loop
        # to lay out a sheet's tables.
        if preview is self.preview and laid_out is not self.laid_out:
            self.laid_out = laid_out
            self.query_one("#sheet-markdown", Static).update(laid_out)

    def suggest_path(self, preview: Preview) -> None:
        folder = self.context.demo_folder or Path.cwd()
        self.suggested = str(folder / default_name(preview, self.fmt))
        self.query_one("#sheet-path", Input).value = self.suggested

    @on(Input.Submitted, "#sheet-path")
    @on(Button.Pressed, "#sheet-export")
    def action_export(self) -> None:
        if self.preview is None:
            self.notify(NO_SONG, severity="warning")
            return
        self.query_one("#sheet-status", Static).update("Writing the sheet…")
        # The revision previewed, by number: the file holds what its name and the preview say.
        request = replace(self.preview.request, revision=self.preview.revision)
        self.export(request, self.fmt, self.query_one("#sheet-path", Input).value)

    @work(thread=True, exit_on_error=False, group="sheet-export")
    def export(self, request: Request, fmt: str, path: str) -> None:
        target = check_target(path)
        with self.context.library() as library:
            text = render(gather(library, request), fmt)
        write_atomically(target, text.encode("utf-8"), what="the sheet")
        self.app.call_from_thread(self.exported, target, fmt)

    def exported(self, target: Path, fmt: str) -> None:
        self.query_one("#sheet-status", Static).update(f"Wrote the {fmt} sheet to {target}")
        self.notify(f"Wrote {target.name}")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Put the screen right after a failure; the base shows the error.
        if event.state == WorkerState.ERROR and event.worker.group == "sheet-preview":
            self.load_failed = True
        if event.state == WorkerState.ERROR and event.worker.group == "sheet-export":
            self.query_one("#sheet-status", Static).update("Nothing written: see the message.")
