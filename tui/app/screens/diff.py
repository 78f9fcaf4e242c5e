"""The Diff screen: two revisions of the chosen song side by side, changes only (the chain,
each control with its old and new value and the step between, routing, calibration, the
notes opened and addressed); [ and ] move revision A, { and } move B."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from recall.diff import RevisionDiff, diff_revisions, format_delta, plain
from recall.library import Library
from recall.records import format_time

from ..context import AppContext
from ..widgets.keybar import KeyBar
from .base import OutboardScreen

HINT = "[ ] earlier or later A · { } earlier or later B · w swaps A and B"
WHAT_WIDTH = 30  # the first column; a long note is cut there


@dataclass(frozen=True)
class DiffRow:
    what: str
    a: str = ""
    b: str = ""
    delta: str = ""
    heading: bool = False


@dataclass(frozen=True)
class DiffView:
    song: str
    numbers: tuple[int, ...]  # the song's revisions
    chosen: int | None  # the revision the app has chosen (None: the latest)
    diff: RevisionDiff | None  # None: the song has no revision yet

    @property
    def a(self) -> int | None:
        return self.diff.a if self.diff else None

    @property
    def b(self) -> int | None:
        return self.diff.b if self.diff else None


def load_diff(library: Library, song: str, a: int | None, b: int | None,
              chosen: int | None) -> DiffView:
    """Revisions ``a`` and ``b`` of ``song`` compared; by default the chosen revision (or the
    latest) against its parent (or the revision before it). Only those two are read whole."""
    revisions = {r.number: r for r in library.revision_summaries(song)}
    numbers = tuple(revisions)
    if not numbers:
        return DiffView(song, numbers, chosen, None)
    if b not in revisions:
        b = chosen if chosen in revisions else numbers[-1]
    if a not in revisions:
        parent = revisions[b].parent_number
        earlier = [n for n in numbers if n < b]
        a = parent if parent in revisions else (earlier[-1] if earlier else b)
    owner = library.song(song)
    diff = diff_revisions(song, library.revision(owner.id, a), library.revision(owner.id, b),
                          library.notes(owner.id))
    return DiffView(song, numbers, chosen, diff)


def diff_rows(diff: RevisionDiff) -> list[DiffRow]:
    """The diff as table rows, changes only, each group under a heading."""
    rows: list[DiffRow] = []
    if diff.status[0] != diff.status[1]:
        rows.append(DiffRow("Status", *diff.status))
    if diff.studio[0] != diff.studio[1]:
        rows.append(DiffRow("Studio", (diff.studio[0] or "none")[:12],
                            (diff.studio[1] or "none")[:12]))
    if diff.units:
        rows.append(DiffRow("Chain", heading=True))
        for c in diff.units:
            a, b = {"added": ("—", f"at {c.new_position}"),
                    "removed": (f"at {c.old_position}", "—"),
                    "moved": (f"at {c.old_position}", f"at {c.new_position}"),
                    "bypassed": ("in", "bypassed"), "unbypassed": ("bypassed", "in"),
                    "profile": (c.old_profile or "", c.profile)}[c.change]
            rows.append(DiffRow(f"  {c.unit}", a, b, c.change))
    added = {c.unit for c in diff.units if c.change == "added"}
    for unit in dict.fromkeys(c.unit for c in diff.parameters):
        changes = [c for c in diff.parameters if c.unit == unit]
        shown = [c for c in changes if not (unit in added and c.at_default)]
        rows.append(DiffRow(unit + (" (new)" if unit in added else ""), heading=True))
        rows.extend(DiffRow(f"  {c.name}", c.old_text, c.new_text, format_delta(c))
                    for c in shown)
        if len(shown) < len(changes):
            rows.append(DiffRow(f"  ({len(changes) - len(shown)} more at their defaults)"))
    for title, entries in (("Routing", diff.routing), ("Calibration", diff.calibration)):
        if entries:
            rows.append(DiffRow(title, heading=True))
            rows.extend(DiffRow(f"  {c.key}", plain(c.old), plain(c.new)) for c in entries)
    for title, notes in (("Notes opened", diff.notes_opened),
                         ("Notes addressed", diff.notes_addressed)):
        if notes:
            rows.append(DiffRow(title, heading=True))
            for n in notes:
                at = f" @{format_time(n.at_seconds)}" if n.at_seconds is not None else ""
                state = (f"addressed in {n.addressed_in}" if n.addressed_in else n.status)
                rows.append(DiffRow(f"  #{n.id}{at} {n.body}", f"{n.kind}, {n.author}", state))
    if not rows:
        rows.append(DiffRow("No changes"))
    return rows



class DiffScreen(OutboardScreen):
    """Changes between two revisions of the song the app has chosen."""

    BINDINGS = [Binding("left_square_bracket", "move('a', -1)", "A earlier", show=False),
                Binding("right_square_bracket", "move('a', 1)", "A later", show=False),
                Binding("left_curly_bracket", "move('b', -1)", "B earlier", show=False),
                Binding("right_curly_bracket", "move('b', 1)", "B later", show=False),
                Binding("w", "swap", "Swap A and B")]
    DEFAULT_CSS = "#diff-table { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.view: DiffView | None = None
        self.rows: list[DiffRow] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Diff", classes="screen-title", id="diff-title")
        yield DataTable(id="diff-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="diff-detail", classes="hint")
        yield Static(HINT, classes="hint")
        yield KeyBar()

    def refresh_view(self) -> None:
        song, chosen = self.outboard.song, self.outboard.revision
        if song is None:
            self.query_one("#diff-title", Static).update(
                "Diff · no song chosen: pick one on the Library (l)")
            return
        # The same song and revision again keeps the pair chosen; another starts afresh.
        kept = self.view if self.view and (self.view.song, self.view.chosen) == (song, chosen) \
            else None
        self.load(self.context, song, kept.a if kept else None, kept.b if kept else None, chosen)

    @work(thread=True, exit_on_error=False, exclusive=True, group="diff")
    def load(self, context: AppContext, song: str, a: int | None, b: int | None,
             chosen: int | None) -> None:
        with context.library() as library:
            view = load_diff(library, song, a, b, chosen)
        self.app.call_from_thread(self.show, view)

    def show(self, view: DiffView) -> None:
        self.view = view
        title = self.query_one("#diff-title", Static)
        table = self.query_one(DataTable)
        table.clear(columns=True)
        self.rows = []
        self.query_one("#diff-detail", Static).update("")
        if view.diff is None:
            title.update(f"Diff · {view.song} has no revision yet")
            return
        d = view.diff
        title.update(f"{view.song} · A: rev {d.a} ({d.status[0]}) → B: rev {d.b} "
                     f"({d.status[1]}) · {len(view.numbers)} revisions")
        rows = self.rows = diff_rows(d)
        table.add_column("Change", key="what",
                         width=min(WHAT_WIDTH, max(len(r.what) for r in rows)))
        table.add_column(f"A: rev {d.a}", key="a")
        table.add_column(f"B: rev {d.b}", key="b")
        table.add_column("Δ", key="delta")
        for row in rows:
            if row.heading:
                table.add_row(Text(row.what, style="bold"), "", "", "")
            else:
                table.add_row(Text(row.what, no_wrap=True, overflow="ellipsis"), Text(row.a),
                              Text(row.b), Text(row.delta, style="bold"))

    @on(DataTable.RowHighlighted)
    def show_detail(self, event: DataTable.RowHighlighted) -> None:
        row = self.rows[event.cursor_row] if 0 <= event.cursor_row < len(self.rows) else None
        text = row.what.strip() if row is not None and len(row.what) > WHAT_WIDTH else ""
        self.query_one("#diff-detail", Static).update(Text(text))

    def action_move(self, which: str, direction: int) -> None:
        view = self.view
        if view is None or view.a is None or view.b is None:
            return
        numbers = view.numbers
        a, b = view.a, view.b
        if which == "a":
            a = numbers[min(max(numbers.index(a) + direction, 0), len(numbers) - 1)]
        else:
            b = numbers[min(max(numbers.index(b) + direction, 0), len(numbers) - 1)]
        if (a, b) != (view.a, view.b):
            self.load(self.context, view.song, a, b, view.chosen)

    def action_swap(self) -> None:
        view = self.view
        if view is not None and view.a is not None:
            self.load(self.context, view.song, view.b, view.a, view.chosen)

