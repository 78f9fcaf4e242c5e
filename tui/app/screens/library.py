"""The Library screen: sessions, their songs with the latest revision's status, and each
song's revisions; a search by name; Enter opens a song on the Rack."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Header, Input, Static, Tree
from textual.widgets.tree import TreeNode

from recall.library import Library

from ..widgets.dialogs import FormDialog
from ..widgets.keybar import KeyBar
from .base import OutboardScreen

# Sessions listed at once; a search narrows a larger library.
SHOWN = 500


@dataclass(frozen=True)
class SongRow:
    song: str  # "Session/Song"
    title: str
    position: int
    latest: int | None
    status: str | None


@dataclass(frozen=True)
class SessionRow:
    title: str
    artist: str
    songs: tuple[SongRow, ...]


@dataclass(frozen=True)
class RevisionRow:
    number: int
    status: str
    frozen: bool
    units: int


def load_sessions(library: Library, query: str = "") -> tuple[list[SessionRow], int]:
    """Sessions (with their songs) whose title, or one of whose songs' titles, holds
    ``query``; at most SHOWN of them, and how many matched."""
    needle = query.strip().casefold()
    rows = []
    matched = 0
    for session in library.sessions():
        songs = library.session_overview(session.id)
        if needle and needle not in session.title.casefold():
            songs = [s for s in songs if needle in s[0].title.casefold()]
            if not songs:
                continue
        matched += 1
        if len(rows) < SHOWN:
            rows.append(SessionRow(session.title, session.artist, tuple(
                SongRow(song.name, song.title, song.position, latest, status)
                for song, latest, status in songs)))
    return rows, matched


def load_revisions(library: Library, song: str) -> list[RevisionRow]:
    return [RevisionRow(r.number, r.status, r.frozen, len(r.chain))
            for r in library.revisions(song)]


def _stamp(path: Path) -> tuple[int, ...]:
    """When the library file (and its write-ahead log) last changed, and their sizes."""
    stamp: list[int] = []
    for file in (path, path.with_name(path.name + "-wal")):
        try:
            info = file.stat()
        except OSError:
            stamp += [0, 0]
        else:
            stamp += [info.st_mtime_ns, info.st_size]
    return tuple(stamp)


class _NoSession(Exception):
    title = "No session chosen"
    message = "Put the cursor on a session (or one of its songs) to add a song to it."


class LibraryScreen(OutboardScreen):
    """Browse the library. Enter on a song opens its latest revision, on a revision that
    revision."""

    BINDINGS = [("slash", "search", "Search"), ("escape", "clear", "Clear search"),
                ("N", "new_session", "New session"), ("A", "add_song", "Add song")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Library", classes="screen-title")
        yield Input(placeholder="Search sessions and songs…", id="library-search")
        yield Tree("Sessions", id="library-tree")
        yield Static("", id="library-count", classes="hint")
        yield KeyBar()

    _stamp: tuple[int, ...] | None = None

    def on_mount(self) -> None:
        tree = self.query_one(Tree)
        tree.show_root = False
        tree.focus()

    def refresh_view(self) -> None:
        # Coming back from another screen: reload only if the library file changed since.
        stamp = _stamp(self.context.library_path)
        if stamp != self._stamp:
            self._stamp = stamp
            self.reload(self.query_one(Input).value)

    def action_search(self) -> None:
        self.query_one(Input).focus()

    def action_clear(self) -> None:
        search = self.query_one(Input)
        search.value = ""
        self.query_one(Tree).focus()

    @on(Input.Changed, "#library-search")
    def search_changed(self, event: Input.Changed) -> None:
        self.reload(event.value)

    @on(Input.Submitted, "#library-search")
    def search_done(self) -> None:
        self.query_one(Tree).focus()

    @work(thread=True, exit_on_error=False, exclusive=True, group="library")
    def reload(self, query: str) -> None:
        with self.context.library() as library:
            rows, matched = load_sessions(library, query)
        self.app.call_from_thread(self.show_sessions, rows, matched, query)

    def show_sessions(self, rows: list[SessionRow], matched: int, query: str) -> None:
        tree = self.query_one(Tree)
        tree.clear()
        chosen = self.outboard.song
        cursor: TreeNode | None = None
        for session in rows:
            label = session.title + (f" — {session.artist}" if session.artist else "")
            node = tree.root.add(label, data=session, expand=bool(query) or any(
                s.song == chosen for s in session.songs) or len(rows) == 1)
            for song in session.songs:
                state = (f"rev {song.latest} · {song.status}" if song.latest
                         else "no revision yet")
                child = node.add(f"{song.position:>2}. {song.title}   [dim]{state}[/]",
                                 data=song, allow_expand=song.latest is not None)
                child.add_leaf("…", data=None)  # filled when opened
                if song.song == chosen or (cursor is None and node.is_expanded):
                    cursor = child
        if cursor is not None:
            self.call_after_refresh(tree.move_cursor, cursor)
        shown = f"{len(rows)} of {matched}" if matched > len(rows) else str(matched)
        songs = sum(len(s.songs) for s in rows)
        self.query_one("#library-count", Static).update(
            f"{shown} sessions, {songs} songs" + (f" matching '{query}'" if query else "")
            + " · Enter opens a song · / searches")

    def action_new_session(self) -> None:
        self.app.push_screen(FormDialog("New session", [
            ("title", "Title (album or EP)", "Night Drive"),
            ("artist", "Artist", "The Band")]), self._new_session)

    def _new_session(self, answer: dict[str, str] | None) -> None:
        if answer:
            self.write(lambda library: library.new_session(answer["title"],
                                                           artist=answer["artist"]))

    def action_add_song(self) -> None:
        session = self._session_at_cursor()
        if session is None:
            self.outboard.show_error(_NoSession())
            return
        self.app.push_screen(FormDialog(f"Add a song to {session}", [
            ("title", "Song title", "Opener")],
            "The song goes at the end; Enter adds it · Escape cancels"),
            lambda answer: self._add_song(session, answer))

    def _add_song(self, session: str, answer: dict[str, str] | None) -> None:
        if answer:
            self.write(lambda library: library.add_song(session, answer["title"]))

    def _session_at_cursor(self) -> str | None:
        node = self.query_one(Tree).cursor_node
        while node is not None and not isinstance(node.data, SessionRow):
            node = node.parent
        return node.data.title if node is not None else None

    @work(thread=True, exit_on_error=False, group="library-write")
    def write(self, change: Callable[[Library], object]) -> None:
        """One change to the library (a bad name fails here and shows in the dialog)."""
        with self.context.library() as library:
            change(library)
        self.app.call_from_thread(self.refresh_view)

    @work(thread=True, exit_on_error=False, group="library-write")
    def first_revision(self, song: str) -> None:
        """A song with no revision yet: Enter starts revision 1 (in the studio, if one is
        configured) and opens it on the Rack, where units are added."""
        with self.context.library() as library:
            library.new_revision(song, studio=self.context.studio)
        self.app.call_from_thread(self.outboard.open_song, song)

    @on(Tree.NodeExpanded)
    def expanded(self, event: Tree.NodeExpanded) -> None:
        if isinstance(event.node.data, SongRow):
            self.load_song(event.node, event.node.data.song)

    @work(thread=True, exit_on_error=False, group="revisions")
    def load_song(self, node: TreeNode, song: str) -> None:
        with self.context.library() as library:
            revisions = load_revisions(library, song)
        self.app.call_from_thread(self.show_revisions, node, revisions)

    def show_revisions(self, node: TreeNode, revisions: list[RevisionRow]) -> None:
        node.remove_children()
        for r in revisions:
            frozen = ", frozen" if r.frozen else ""
            node.add_leaf(f"rev {r.number} · {r.status}{frozen} · {r.units} units", data=r)

    @on(Tree.NodeSelected)
    def selected(self, event: Tree.NodeSelected) -> None:
        data = event.node.data
        if isinstance(data, SongRow) and data.latest is not None:
            self.outboard.open_song(data.song)
        elif isinstance(data, SongRow):
            self.first_revision(data.song)
        elif isinstance(data, RevisionRow) and event.node.parent is not None:
            parent = event.node.parent.data
            if isinstance(parent, SongRow):
                self.outboard.open_song(parent.song, data.number)
