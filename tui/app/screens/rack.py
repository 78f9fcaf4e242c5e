"""The Rack screen: a revision's chain in order, each unit's controls by front-panel section
with what changed since the parent revision, every edit made from the keyboard."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from queue import Empty, SimpleQueue

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Header, Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from controller.editing import (
    ChainView,
    ControlView,
    Edit,
    MoveUnit,
    RemoveUnit,
    SetBypass,
    SetValue,
    TypeValue,
    add_unit_edit,
    addable_units,
    apply_edit,
    load_chain_view,
    moved_to,
    preview,
    range_text,
    start_revision,
    step,
)

from ..context import AppContext
from ..widgets.keybar import KeyBar
from .base import OutboardScreen

HINT = "←→ step (shift ×10) · Enter types a value · ctrl+↑↓ moves the unit"
Cells = tuple[Text | str, ...]


@dataclass(frozen=True, slots=True)
class Pending:
    """An edit waiting for the writer; ``edit`` None starts a new revision."""

    song: str
    number: int
    edit: Edit | None
    fork: bool = False


class RackTable(DataTable[Text | str]):
    """The chain's rows. Up and down skip section headings; left and right step a control."""

    BINDINGS = [Binding("left", "step(-1)", "Step down", show=False),
                Binding("right", "step(1)", "Step up", show=False),
                Binding("shift+left", "step(-10)", "Step down ×10", show=False),
                Binding("shift+right", "step(10)", "Step up ×10", show=False)]

    class Stepped(Message):
        def __init__(self, direction: int) -> None:
            super().__init__()
            self.direction = direction

    headings: frozenset[int] = frozenset()

    def action_step(self, direction: int) -> None:
        self.post_message(self.Stepped(direction))

    def action_cursor_down(self) -> None:
        self._skip_to(self.cursor_row + 1, 1)

    def action_cursor_up(self) -> None:
        self._skip_to(self.cursor_row - 1, -1)

    def _skip_to(self, row: int, direction: int) -> None:
        while row in self.headings:
            row += direction
        if 0 <= row < self.row_count:
            self.move_cursor(row=row)


class RackScreen(OutboardScreen):
    """The chosen revision's chain. Edits show at once and reach the library in order, one
    writer at a time; a printed revision is changed by starting a new one from it."""

    BINDINGS = [Binding("b", "bypass", "Bypass"),
                Binding("ctrl+up,shift+up", "move_unit(-1)", "Move up", show=False),
                Binding("ctrl+down,shift+down", "move_unit(1)", "Move down", show=False),
                Binding("a", "add_unit", "Add unit"),
                Binding("x", "remove_unit", "Remove unit"),
                Binding("v", "new_revision", "New revision")]
    DEFAULT_CSS = "RackTable { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.view: ChainView | None = None
        self._keys: list[str] = []
        self._cells: list[Cells] = []
        self._items: list[tuple[str, ControlView | None]] = []  # (unit, control) per row
        self._edits: SimpleQueue[Pending] = SimpleQueue()
        self._writer: Worker[None] | None = None
        self._starting = False  # a new revision is on its way: edits wait for it

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("Rack", classes="screen-title", id="rack-title")
        yield Static("", id="rack-chain", classes="hint")
        table = RackTable(id="rack-table", cursor_type="row")
        table.add_columns("Control", "Value", "Position", "Changed")
        yield table
        yield Static("", id="rack-detail", classes="hint")
        yield Static(HINT, classes="hint")
        yield KeyBar()

    # ------------------------------------------------------------ loading and showing
    def refresh_view(self) -> None:
        song = self.outboard.song
        if song is None:
            self.query_one("#rack-title", Static).update(
                "Rack · no song chosen: pick one on the Library (l)")
            return
        self.load(self.context, song, self.outboard.revision)

    @work(thread=True, exit_on_error=False, exclusive=True, group="rack-load")
    def load(self, context: AppContext, song: str, number: int | None) -> None:
        with context.library() as library:
            view = load_chain_view(library, song, number, studio=context.studio)
        self.app.call_from_thread(self.loaded, view)

    def loaded(self, view: ChainView) -> None:
        if self._writing and self.view is not None and self.view.song == view.song:
            return  # the writer shows this song's chain when its edits have landed
        self.show(view)

    def show(self, view: ChainView) -> None:
        """Paint ``view``: only the cells that differ when the rows are the same, else the
        whole table, keeping the cursor on the same control."""
        self.view = view
        self.query_one("#rack-title", Static).update(view.summary)
        table = self.query_one(RackTable)
        rows = list(_rows(view))
        keys = [key for key, _, _ in rows]
        if keys == self._keys:
            widths = [c.content_width for c in table.ordered_columns]
            for index, (_, _, cells) in enumerate(rows):
                for column, cell in enumerate(cells):
                    if cell != self._cells[index][column]:
                        # Measuring a column is costly: only when the cell would not fit.
                        wider = cell_len(str(cell)) > widths[column]
                        table.update_cell_at(Coordinate(index, column), cell, update_width=wider)
        else:
            row = table.cursor_row
            chosen = self._keys[row] if 0 <= row < len(self._keys) else None
            table.clear()
            for key, _, cells in rows:
                table.add_row(*cells, key=key)
            table.headings = frozenset(i for i, key in enumerate(keys)
                                       if key.startswith("section\x1f"))
            first = next((i for i, (_, item, _) in enumerate(rows) if item is not None), 0)
            table.move_cursor(row=keys.index(chosen) if chosen in keys else first)
        self._keys, self._cells = keys, [cells for _, _, cells in rows]
        self._items = [(key.split("\x1f")[1], item) for key, item, _ in rows]
        self.show_detail()

    @on(DataTable.RowHighlighted)
    def show_detail(self) -> None:
        unit, control = self._under_cursor()
        detail = ""
        if self.view is not None and unit is not None:
            if control is None:
                chosen = self.view.unit(unit)
                detail = f"{unit} · {chosen.profile} · {len(chosen.controls)} controls"
            else:
                detail = f"{unit} › {control.name} · {range_text(control.definition)}"
        self.query_one("#rack-detail", Static).update(Text(detail))
        if self.view is not None:
            self.query_one("#rack-chain", Static).update(_chain_strip(self.view, unit))

    def _under_cursor(self) -> tuple[str | None, ControlView | None]:
        row = self.query_one(RackTable).cursor_row
        return self._items[row] if 0 <= row < len(self._items) else (None, None)

    # ------------------------------------------------------------ edits from the keys
    @on(RackTable.Stepped)
    def stepped(self, event: RackTable.Stepped) -> None:
        _, control = self._under_cursor()
        if control is not None:
            value = step(control.definition, control.value, event.direction)
            if value != control.value:
                self.edit(SetValue(control.unit, control.parameter, value))

    @on(DataTable.RowSelected)
    def type_value(self) -> None:
        _, control = self._under_cursor()
        if control is not None:
            self.app.push_screen(ValueDialog(control), lambda text: self.edit(
                TypeValue(control.unit, control.parameter, text)) if text else None)

    def action_bypass(self) -> None:
        unit, _ = self._under_cursor()
        if self.view is not None and unit is not None:
            self.edit(SetBypass(unit, not self.view.unit(unit).bypassed))

    def action_move_unit(self, direction: int) -> None:
        unit, _ = self._under_cursor()
        if self.view is not None and unit is not None:
            target = moved_to(self.view, unit, direction)
            if target is not None:
                self.edit(MoveUnit(unit, target))

    def action_add_unit(self) -> None:
        studio = self.context.studio
        if self.view is None:
            return
        if studio is None:
            self.notify("No studio: units come from the studio file", severity="warning")
            return
        candidates = {u.name: u for u in addable_units(studio, self.view)}
        if not candidates:
            self.notify("Every unit of the studio is in the chain already")
            return
        unit, _ = self._under_cursor()
        after = self.view.unit(unit).position + 1 if unit is not None else None

        def chosen(name: str | None) -> None:
            if name is not None:
                self.edit(add_unit_edit(studio, candidates[name], position=after))

        options = [Option(f"{u.name} · {u.profile}", id=u.name) for u in candidates.values()]
        self.app.push_screen(PickDialog("Add which unit to the chain?", options), chosen)

    def action_remove_unit(self) -> None:
        unit, _ = self._under_cursor()
        if self.view is not None and unit is not None:
            question = (f"Remove {unit} from revision {self.view.number}'s chain, with its "
                        "settings in this revision?")
            self.app.push_screen(ConfirmDialog(question, yes="Remove"), lambda yes: self.edit(
                RemoveUnit(unit)) if yes else None)

    def action_new_revision(self) -> None:
        if self.view is not None and not self._starting:
            self._starting = True
            self._submit(Pending(self.view.song, self.view.number, None))

    def edit(self, edit: Edit) -> None:
        """Show ``edit`` at once and queue it for the library; on a frozen revision, offer
        to start a new revision from it with the edit."""
        view = self.view
        if view is None or self._starting:
            return
        if not view.frozen:
            self._submit(Pending(view.song, view.number, edit))
            self.show(preview(view, edit))
            return

        def answered(yes: bool | None) -> None:
            if yes and not self._starting:
                self._starting = True
                self._submit(Pending(view.song, view.number, edit, fork=True))

        question = (f"Revision {view.number} has been printed and is frozen. Start a new "
                    "revision from it with this change?")
        self.app.push_screen(ConfirmDialog(question, yes="Start a new revision"), answered)

    # ------------------------------------------------------------ the writer
    @property
    def _writing(self) -> bool:
        return self._writer is not None and not self._writer.is_finished

    def _submit(self, pending: Pending) -> None:
        self._edits.put(pending)
        if not self._writing:
            self._writer = self.write_edits(self.context)

    @work(thread=True, exit_on_error=False, group="rack-write")
    def write_edits(self, context: AppContext) -> None:
        """Apply the queued edits in order, then read the chain back once."""
        last: tuple[str, int] | None = None
        with context.library() as library:
            while True:
                try:
                    pending = self._edits.get_nowait()
                except Empty:
                    break
                if pending.edit is None:
                    number = start_revision(library, pending.song, pending.number)
                else:
                    number = apply_edit(library, pending.song, pending.number, pending.edit,
                                        fork=pending.fork)
                last = (pending.song, number)
            if last is not None:
                view = load_chain_view(library, *last, studio=context.studio)
                self.app.call_from_thread(self.written, view)

    def written(self, view: ChainView) -> None:
        self._starting = False
        if view.song != self.outboard.song:
            return  # another song was opened meanwhile; its own load shows it
        if self._edits.empty():  # else the view on screen is ahead of this one
            if self.view is not None and view.number != self.view.number:
                self.outboard.revision = view.number
            self.show(view)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker  # (its failure reaches the error dialog through the base)
        if worker is not self._writer or not worker.is_finished:
            return
        if event.state == WorkerState.SUCCESS and not self._edits.empty():
            self._writer = self.write_edits(self.context)  # edits queued as it finished
        elif event.state == WorkerState.ERROR:
            # The failed edit and any queued after it are dropped; show the library as it is.
            self._starting = False
            while not self._edits.empty():
                self._edits.get_nowait()
            self.refresh_view()


def _chain_strip(view: ChainView, current: str | None) -> Text:
    """The whole chain on one line, the unit under the cursor in bold, bypassed ones struck."""
    strip = Text("Chain: ", no_wrap=True, overflow="ellipsis")
    for unit in view.units:
        if unit.position > 1:
            strip.append(" › ")
        style = ("bold " if unit.unit == current else "") + ("strike" if unit.bypassed else "")
        strip.append(f"{unit.position} {unit.unit}", style=style.strip())
    return strip


def _rows(view: ChainView) -> Iterator[tuple[str, ControlView | None, Cells]]:
    """(row key, control or None, cells) for every unit, section and control, in order."""
    for unit in view.units:
        state = Text("bypassed", style="bold reverse") if unit.bypassed else "in"
        yield (f"unit\x1f{unit.unit}", None,
               (Text(f"{unit.position}. {unit.unit}", style="bold"), state, "",
                Text(", ".join(unit.marks), style="bold")))
        for section in unit.sections:
            yield (f"section\x1f{unit.unit}\x1f{section.title}", None,
                   (Text(f"  {section.title}", style="italic dim"), "", "", ""))
            for c in section.controls:
                yield (f"control\x1f{unit.unit}\x1f{c.parameter}", c,
                       (f"    {c.name}", c.text, c.position, Text(c.mark, style="bold")))


# ---------------------------------------------------------------------------- dialogs

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 70; max-width: 95%; height: auto; max-height: 90%;
                     border: thick $accent; background: $surface; padding: 1 2; }}
{name} Horizontal {{ height: auto; margin-top: 1; }}
{name} Button {{ margin-right: 2; }}
"""


class ConfirmDialog(ModalScreen[bool]):
    """A yes/no question; y or Enter on the first button says yes, n or Escape no."""

    BINDINGS = [("y", "answer(True)", "Yes"), ("n,escape", "answer(False)", "No")]
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmDialog")

    def __init__(self, question: str, *, yes: str = "Yes") -> None:
        super().__init__()
        self.question, self.yes = question, yes

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.question, markup=False)
            with Horizontal():
                yield Button(self.yes, variant="primary", id="yes")
                yield Button("No", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)


class ValueDialog(ModalScreen[str | None]):
    """Type an exact value for one control: a number in its units or a label."""

    BINDINGS = [("escape", "cancel", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="ValueDialog")

    def __init__(self, control: ControlView) -> None:
        super().__init__()
        self.control = control

    def compose(self) -> ComposeResult:
        c = self.control
        shown = (f"{c.value:g}" if c.definition.get("kind") == "continuous"
                 and c.value is not None else c.text)
        with Vertical():
            yield Label(f"{c.unit} › {c.name}", classes="screen-title")
            yield Static(range_text(c.definition), markup=False, classes="hint")
            yield Input(value=shown, id="value-input")

    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickDialog(ModalScreen[str | None]):
    """Choose one of a few options; Enter picks, Escape cancels."""

    BINDINGS = [("escape", "cancel", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="PickDialog") + "PickDialog OptionList { height: auto; }"

    def __init__(self, question: str, options: list[Option]) -> None:
        super().__init__()
        self.question, self.options = question, options

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question)
            yield OptionList(*self.options)

    @on(OptionList.OptionSelected)
    def picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
