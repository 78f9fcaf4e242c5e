"""The Library screen: sessions, their songs with the latest revision's status, and each
song's revisions; a search by name; Enter opens a song on the Rack. A session's songs and a
song's revisions are read when they are opened: the tree holds what is shown, not the
library."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Header, Input, Static, Tree
from textual.widgets.tree import TreeNode

from recall.library import Library

from ..widgets.dialogs import FormDialog
from ..widgets.keybar import KeyBar
from .base import OutboardScreen

# Sessions listed at once, and added at the end of the list when asked for; a search
# narrows a larger library. (The tree measures every line it holds each time a node opens.)
SHOWN = 100
# With a search, the first sessions that match are opened with their songs; the others read
# theirs when opened.
OPENED = 20


@dataclass(frozen=True)
class SongRow:
    song: str  # "Session/Song"
    title: str
    position: int
    latest: int | None
    status: str | None


@dataclass(frozen=True)
class SessionRow:
    """A session in the tree; ``count`` of its songs are shown (those matching ``query``),
    ``songs`` is None until they are read."""

    id: int
    title: str
    artist: str
    count: int
    query: str
    songs: tuple[SongRow, ...] | None = None


@dataclass(frozen=True)
class MoreRow:
    """The tree's last line when more sessions match than it shows: Enter adds the next."""

    query: str
    shown: int


@dataclass(frozen=True)
class RevisionRow:
    number: int
    status: str
    frozen: bool
    units: int


def load_sessions(library: Library, query: str = "", *, chosen: str | None = None,
                  offset: int = 0) -> tuple[list[SessionRow], int]:
    """Sessions whose title, or one of whose songs' titles, holds ``query``; at most SHOWN
    of them after the first ``offset``, and how many matched. Only the sessions that show
    open have their songs read: with a search the first OPENED, else the one of the
    ``chosen`` song ("Session/Song"), or the only one."""
    summaries, matched = library.session_summaries(query, limit=SHOWN, offset=offset)
    home = chosen.partition("/")[0] if chosen else None
    rows = []
    for index, s in enumerate(summaries, start=offset):
        row = SessionRow(s.id, s.title, s.artist, s.songs, query)
        if (query.strip() and index < OPENED) or s.title == home or matched == 1:
            row = replace(row, songs=load_songs(library, row))
        rows.append(row)
    return rows, matched


def load_songs(library: Library, session: SessionRow) -> tuple[SongRow, ...]:
    """The songs of ``session`` the tree shows: all of them, or those matching the search it
    was found by when its own title does not."""
    needle = session.query.strip().casefold()
    matching = "" if needle in session.title.casefold() else needle
    return tuple(SongRow(song.name, song.title, song.position, latest, status)
                 for song, latest, status in library.session_overview(session.id,
                                                                      matching=matching))


def load_revisions(library: Library, song: str) -> list[RevisionRow]:
    return [RevisionRow(r.number, r.status, r.frozen, r.units)
            for r in library.revision_summaries(song)]


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

    def reload(self, query: str) -> None:
        """Fill the tree again: the sessions matching ``query``, the chosen song's open."""
        self.read_sessions(query, self.outboard.song)

    @work(thread=True, exit_on_error=False, exclusive=True, group="library")
    def read_sessions(self, query: str, chosen: str | None) -> None:
        with self.context.library() as library:
            rows, matched = load_sessions(library, query, chosen=chosen)
        self.app.call_from_thread(self.show_sessions, rows, matched, query)

    def show_sessions(self, rows: list[SessionRow], matched: int, query: str) -> None:
        tree = self.query_one(Tree)
        tree.clear()
        chosen = self.outboard.song
        cursor: TreeNode | None = None
        for session in rows:
            node = self._add_session(tree, session)
            for child in node.children:
                if child.data.song == chosen or (cursor is None and node.is_expanded):
                    cursor = child
        if cursor is not None:
            # The cursor goes by line, and the tree numbers its lines when one is asked for:
            # ask, so that the cursor is there now, not after a refresh a key could beat.
            tree.get_node_at_line(0)
            tree.move_cursor(cursor)
        self._show_count(tree, matched, query)

    def _show_count(self, tree: Tree[object], matched: int, query: str) -> None:
        """The count below the tree, and a last line offering the sessions not shown."""
        sessions = [n.data for n in tree.root.children if isinstance(n.data, SessionRow)]
        if len(sessions) < matched:
            rest = matched - len(sessions)
            tree.root.add_leaf(f"[dim]… {rest} more: Enter shows {min(rest, SHOWN)} more, / "
                               "searches[/]", data=MoreRow(query, len(sessions)))
        shown = f"{len(sessions)} of {matched}" if matched > len(sessions) else str(matched)
        songs = sum(s.count for s in sessions)
        self.query_one("#library-count", Static).update(
            f"{shown} sessions, {songs} songs" + (f" matching '{query}'" if query else "")
            + " · Enter opens a song · / searches")

    @work(thread=True, exit_on_error=False, exclusive=True, group="library")
    def read_more(self, node: TreeNode, more: MoreRow) -> None:
        with self.context.library() as library:
            rows, matched = load_sessions(library, more.query, offset=more.shown)
        self.app.call_from_thread(self.show_more, node, rows, matched, more)

    def show_more(self, node: TreeNode, rows: list[SessionRow], matched: int,
                  more: MoreRow) -> None:
        tree = self.query_one(Tree)
        if node not in tree.root.children:  # the tree was filled again meanwhile
            return
        node.remove()
        for session in rows:
            self._add_session(tree, session)
        self._show_count(tree, matched, more.query)

    def _add_session(self, tree: Tree[object], session: SessionRow) -> TreeNode:
        """A session's line, open with its songs if they are read; else they are read when
        it is opened."""
        label = session.title + (f" — {session.artist}" if session.artist else "")
        node = tree.root.add(label, data=session, expand=session.songs is not None)
        self._add_songs(node, session.songs or ())
        return node

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

    @staticmethod
    def _add_songs(node: TreeNode, songs: tuple[SongRow, ...]) -> list[TreeNode]:
        children = []
        for song in songs:
            state = (f"rev {song.latest} · {song.status}" if song.latest
                     else "no revision yet")
            child = node.add(f"{song.position:>2}. {song.title}   [dim]{state}[/]",
                             data=song, allow_expand=song.latest is not None)
            child.add_leaf("…", data=None)  # filled when opened
            children.append(child)
        return children

    @on(Tree.NodeExpanded)
    def expanded(self, event: Tree.NodeExpanded) -> None:
        data = event.node.data
        if isinstance(data, SongRow):
            self.load_song(event.node, data.song)
        elif isinstance(data, SessionRow) and data.songs is None:
            self.load_session(event.node, data)

    @work(thread=True, exit_on_error=False, group="songs")
    def load_session(self, node: TreeNode, session: SessionRow) -> None:
        with self.context.library() as library:
            songs = load_songs(library, session)
        self.app.call_from_thread(self.show_songs, node, replace(session, songs=songs))

    def show_songs(self, node: TreeNode, session: SessionRow) -> None:
        # Not if the tree was filled again meanwhile, or the songs were read twice.
        current = node.data
        if not isinstance(current, SessionRow) or current.songs is not None or \
                node not in self.query_one(Tree).root.children:
            return
        node.data = session
        self._add_songs(node, session.songs or ())

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
        elif isinstance(data, MoreRow):
            self.read_more(event.node, data)
        elif isinstance(data, RevisionRow) and event.node.parent is not None:
            parent = event.node.parent.data
            if isinstance(parent, SongRow):
                self.outboard.open_song(parent.song, data.number)
