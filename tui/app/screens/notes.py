"""The Notes screen: the conversation around the chosen song across its revisions — every
reaction, technical flag and request with its moment, author and status; add a note, mark one
addressed in a revision or declined, show only the open ones."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Header, Input, Label, Select, Static
from textual.worker import Worker, WorkerState

from recall.errors import LibraryError
from recall.library import Library
from recall.records import AUTHORS, NOTE_KINDS, Note, format_time, parse_time
from recall.sheet import note_status

from ..widgets.keybar import KeyBar
from .base import OutboardScreen

NO_SONG = "No song chosen: open one on the Library (l)."
COLUMNS = ("Time", "Kind", "Author", "Rev", "Status", "Note")


@dataclass(frozen=True)
class Thread:
    """A song's notes as the screen shows them, and its revision numbers (oldest first)."""

    song: str
    notes: tuple[Note, ...]
    revisions: tuple[int, ...]
    open_count: int


@dataclass(frozen=True)
class NoteDraft:
    body: str
    kind: str
    author: str
    revision: int | None
    at_seconds: float | None


@dataclass(frozen=True)
class Resolution:
    addressed_in: int | None  # None: declined


def load_thread(library: Library, song: str, *, only_open: bool) -> Thread:
    notes = library.notes(song)
    shown = [n for n in notes if n.status == "open"] if only_open else notes
    revisions = tuple(r.number for r in library.revision_summaries(song))
    return Thread(song, tuple(shown), revisions, sum(n.status == "open" for n in notes))


def revision_options(revisions: tuple[int, ...]) -> list[tuple[str, int]]:
    return [(f"rev {n}", n) for n in reversed(revisions)]


class NotesDialog(ModalScreen):  # type: ignore[type-arg]
    """What the notes dialogs share: a bordered box in the middle, Escape cancels."""

    BINDINGS = [("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    NotesDialog { align: center middle; }
    NotesDialog > Vertical { width: 76; max-width: 95%; height: auto; border: thick $accent;
                             background: $surface; padding: 1 2; }
    NotesDialog .dialog-title { text-style: bold; margin-bottom: 1; }
    NotesDialog Horizontal { height: auto; }
    NotesDialog Horizontal > Select, NotesDialog Horizontal > Input { width: 1fr; }
    NotesDialog Button { margin-right: 1; }
    NotesDialog #note-problem { color: $error; }
    """

    def action_cancel(self) -> None:
        self.dismiss(None)


class NoteDialog(NotesDialog):
    """A new note: text, kind, author, an optional moment (mm:ss.s) and the revision it is
    about (the song as a whole when blank). Enter in a field saves; Escape cancels."""

    def __init__(self, song: str, revisions: tuple[int, ...], revision: int | None) -> None:
        super().__init__()
        self.song, self.revisions, self.revision = song, revisions, revision

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"New note on {self.song}", classes="dialog-title")
            yield Input(placeholder="What was heard, flagged or asked", id="note-body")
            with Horizontal():
                yield Select([(k, k) for k in NOTE_KINDS], value=NOTE_KINDS[0],
                             allow_blank=False, id="note-kind")
                yield Select([(a, a) for a in AUTHORS], value=AUTHORS[0],
                             allow_blank=False, id="note-author")
            with Horizontal():
                yield Input(placeholder="at mm:ss.s (optional)", id="note-time")
                yield Select(revision_options(self.revisions), value=self.revision
                             if self.revision is not None else Select.NULL,
                             prompt="whole song", id="note-revision")
            yield Static("", id="note-problem")
            with Horizontal():
                yield Button("Add note", variant="primary", id="note-save")
                yield Button("Cancel", id="note-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#note-save")
    def save(self) -> None:
        body = self.query_one("#note-body", Input).value.strip()
        time = self.query_one("#note-time", Input).value.strip()
        try:
            if not body:
                raise LibraryError("a note needs some text")
            at = parse_time(time) if time else None
        except LibraryError as err:
            self.query_one("#note-problem", Static).update(err.message)
            return
        revision = self.query_one("#note-revision", Select).value
        self.dismiss(NoteDraft(
            body, str(self.query_one("#note-kind", Select).value),
            str(self.query_one("#note-author", Select).value),
            revision if isinstance(revision, int) else None, at))

    @on(Button.Pressed, "#note-cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class ResolveDialog(NotesDialog):
    """Mark a note addressed in a revision (default the latest) or declined."""

    def __init__(self, note: Note, revisions: tuple[int, ...]) -> None:
        super().__init__()
        self.note, self.revisions = note, revisions

    def compose(self) -> ComposeResult:
        when = (f" at {format_time(self.note.at_seconds)}"
                if self.note.at_seconds is not None else "")
        with Vertical():
            yield Label(f"Resolve the {self.note.kind}{when}", classes="dialog-title")
            yield Static(self.note.body, markup=False)
            yield Select(revision_options(self.revisions), value=self.revisions[-1],
                         allow_blank=False, id="resolve-revision")
            with Horizontal():
                yield Button("Addressed", variant="success", id="resolve-addressed")
                yield Button("Declined", variant="warning", id="resolve-declined")
                yield Button("Cancel", id="resolve-cancel")

    @on(Button.Pressed, "#resolve-addressed")
    def addressed(self) -> None:
        self.dismiss(Resolution(int(self.query_one("#resolve-revision", Select).value)))

    @on(Button.Pressed, "#resolve-declined")
    def declined(self) -> None:
        self.dismiss(Resolution(None))

    @on(Button.Pressed, "#resolve-cancel")
    def cancel(self) -> None:
        self.dismiss(None)


class NotesScreen(OutboardScreen):
    """The chosen song's notes in song order; ``o`` shows only the open ones."""

    BINDINGS = [("a", "add", "Add note"), ("x", "resolve", "Resolve"),
                ("o", "only_open", "Open only")]
    DEFAULT_CSS = """
    NotesScreen #notes-table { height: 1fr; }
    NotesScreen #notes-detail { padding: 0 1; max-height: 4; border-top: solid $primary; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.only_open = False
        self.thread: Thread | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Notes", id="notes-title", classes="screen-title")
        yield DataTable(id="notes-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="notes-detail")
        yield Static("", id="notes-count", classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(DataTable).add_columns(*COLUMNS)

    def refresh_view(self, select: int | None = None) -> None:
        song = self.outboard.song
        if song is None:
            self.thread = None
            self.query_one(DataTable).clear()
            self.query_one("#notes-title", Static).update("Notes")
            self.query_one("#notes-count", Static).update(NO_SONG)
            return
        self.reload(song, self.only_open, select)

    @work(thread=True, exit_on_error=False, exclusive=True, group="notes")
    def reload(self, song: str, only_open: bool, select: int | None) -> None:
        with self.context.library() as library:
            thread = load_thread(library, song, only_open=only_open)
        self.app.call_from_thread(self.show_thread, thread, select)

    def show_thread(self, thread: Thread, select: int | None) -> None:
        keep = self.selected()
        chosen = select if select is not None else keep.id if keep else None
        self.thread = thread
        table = self.query_one(DataTable)
        table.clear()
        for note in thread.notes:
            table.add_row(format_time(note.at_seconds) or "—", note.kind, note.author,
                          str(note.revision_number or "—"), note_status(note), note.body,
                          key=str(note.id))
            if note.id == chosen:
                table.move_cursor(row=table.row_count - 1)
        revision = self.outboard.revision or (thread.revisions[-1] if thread.revisions
                                              else None)
        self.query_one("#notes-title", Static).update(
            f"Notes — {thread.song}" + (f" · rev {revision}" if revision else ""))
        shown = f"{len(thread.notes)} open" if self.only_open else (
            f"{len(thread.notes)} notes, {thread.open_count} open")
        toggle = "shows all" if self.only_open else "open only"
        self.query_one("#notes-count", Static).update(
            f"{shown} · a adds · x resolves · o {toggle}")

    @on(DataTable.RowHighlighted)
    def show_detail(self) -> None:
        note = self.selected()
        self.query_one("#notes-detail", Static).update(Content(note.body) if note else "")

    def selected(self) -> Note | None:
        table = self.query_one(DataTable)
        if self.thread is None or not table.row_count:
            return None
        row = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((n for n in self.thread.notes if str(n.id) == row), None)

    def action_only_open(self) -> None:
        self.only_open = not self.only_open
        self.refresh_view()

    def action_add(self) -> None:
        thread = self.thread
        if thread is None:
            self.notify(NO_SONG, severity="warning")
            return
        revision = self.outboard.revision
        if revision not in thread.revisions:
            revision = thread.revisions[-1] if thread.revisions else None

        def added(draft: NoteDraft | None) -> None:
            if draft is not None:
                self.add_note(thread.song, draft)

        self.app.push_screen(NoteDialog(thread.song, thread.revisions, revision), added)

    def action_resolve(self) -> None:
        note = self.selected()
        if self.thread is None or note is None:
            self.notify("Choose a note to resolve.", severity="warning")
            return
        if not self.thread.revisions:
            self.notify("The song has no revision yet to address the note in.",
                        severity="warning")
            return

        def resolved(answer: Resolution | None) -> None:
            if answer is not None:
                self.resolve_note(note.id, answer)

        self.app.push_screen(ResolveDialog(note, self.thread.revisions), resolved)

    @work(thread=True, exit_on_error=False, group="notes-write")
    def add_note(self, song: str, draft: NoteDraft) -> None:
        with self.context.library() as library:
            note = library.add_note(song, draft.body, kind=draft.kind, author=draft.author,
                                    revision=draft.revision, at_seconds=draft.at_seconds)
        self.app.call_from_thread(self.written, note, "Added the note")

    @work(thread=True, exit_on_error=False, group="notes-write")
    def resolve_note(self, note_id: int, answer: Resolution) -> None:
        with self.context.library() as library:
            note = (library.resolve_note(note_id, declined=True) if answer.addressed_in is None
                    else library.resolve_note(note_id, addressed_in=answer.addressed_in))
        self.app.call_from_thread(self.written, note, f"Note {note_status(note)}")

    def written(self, note: Note, message: str) -> None:
        self.notify(message)
        self.refresh_view(select=note.id)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Put the screen right after a failure; the base shows the error.
        if event.state == WorkerState.ERROR and event.worker.group == "notes":
            self.load_failed = True
