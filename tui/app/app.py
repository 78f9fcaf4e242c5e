"""The Outboard app: screens for the library, the rack, recall, notes, diffs, measurement,
printing, comparing and verifying prints, and sheets, switched from the keyboard; every
blocking call in a worker; errors in a dialog."""

from __future__ import annotations

from collections.abc import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.reactive import reactive
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from .context import AppContext
from .errors import ErrorDialog, describe
from .screens.base import OutboardScreen
from .screens.compare import CompareScreen
from .screens.diff import DiffScreen
from .screens.library import LibraryScreen
from .screens.measure import MeasureScreen
from .screens.notes import NotesScreen
from .screens.print import PrintScreen
from .screens.rack import RackScreen
from .screens.recall import RecallScreen
from .screens.sheet import SheetScreen
from .screens.verify import VerifyScreen

# The screens, by the name the keys, the palette and the tests use.
SCREENS = {"library": LibraryScreen, "rack": RackScreen, "recall": RecallScreen,
           "notes": NotesScreen, "diff": DiffScreen, "measure": MeasureScreen,
           "print": PrintScreen, "compare": CompareScreen, "verify": VerifyScreen,
           "sheet": SheetScreen}
KEYS = {"library": "l", "rack": "r", "recall": "c", "notes": "n", "diff": "d",
        "measure": "m", "print": "p", "compare": "o", "verify": "v", "sheet": "s"}
TITLES = {"library": "Library", "rack": "Rack", "recall": "Recall", "notes": "Notes",
          "diff": "Diff", "measure": "Measure", "print": "Print", "compare": "Compare",
          "verify": "Verify", "sheet": "Sheet"}


class OutboardApp(App[None]):
    """One library and one studio. ``song`` and ``revision`` are what the screens show: a
    song's name ("Session/Song") and a revision number (None: its latest)."""

    CSS_PATH = "app.tcss"
    TITLE = "Outboard"
    MODES = dict(SCREENS)  # type: ignore[arg-type]
    DEFAULT_MODE = "library"
    BINDINGS = [
        *(Binding(key, f"show('{name}')", TITLES[name]) for name, key in KEYS.items()),
        Binding("question_mark", "help", "Help"),
        Binding("t", "toggle_theme", "Theme", show=False),
        Binding("q", "quit", "Quit"),
    ]

    song: reactive[str | None] = reactive(None)
    revision: reactive[int | None] = reactive(None)

    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.context = context
        self.sub_title = str(context.library_path)

    def on_mount(self) -> None:
        if self.context.prepare is not None:
            self.prepare()

    @work(thread=True, exit_on_error=False, group="prepare")
    def prepare(self) -> None:
        """The context's work for after the first paint (the demo's mixes)."""
        assert self.context.prepare is not None
        self.context.prepare()
        self.call_from_thread(self.refresh_current)

    def refresh_current(self) -> None:
        """Reload the screen showing (the library changed under it)."""
        refresh = getattr(self.screen, "refresh_view", None)
        if refresh is not None:
            refresh()

    def action_show(self, name: str) -> None:
        self.switch_mode(name)

    def action_help(self) -> None:
        from .screens.help import HelpScreen  # the Markdown widget loads on first use

        self.push_screen(HelpScreen())

    def action_toggle_theme(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def open_song(self, song: str, revision: int | None = None, *,
                  screen: str = "rack") -> None:
        """Make ``song`` (and a revision) the one the screens show, and go to ``screen``."""
        self.song = song
        self.revision = revision
        if self.current_mode == screen:
            self.refresh_current()
            return
        waiting = self._screen_stacks.get(screen)
        if waiting:
            # The screen has been shown before: it starts loading now, while the switch
            # happens, and does not load again when it is shown.
            target = waiting[-1]
            if isinstance(target, OutboardScreen):
                target.prefetched = True
                target.refresh_view()
        self.switch_mode(screen)

    def show_error(self, error: BaseException) -> None:
        title, message = describe(error)
        self.push_screen(ErrorDialog(title, message))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Every worker runs with exit_on_error=False: its failure arrives here and becomes
        a dialog with a title and what to do."""
        if event.state == WorkerState.ERROR and event.worker.error is not None:
            self.show_error(event.worker.error)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for name in SCREENS:
            yield SystemCommand(f"Go to {TITLES[name]}", f"Open the {TITLES[name]} screen "
                                f"({KEYS[name]})", lambda n=name: self.switch_mode(n))
        # Every key of the screen showing, as a command too.
        shown: set[str] = set(f"show('{name}')" for name in SCREENS)
        for active in screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in shown or binding.action in (
                    "help", "quit", "toggle_theme"):
                continue
            shown.add(binding.action)
            yield SystemCommand(binding.description,
                                f"{binding.description} ({self.get_key_display(binding)})",
                                lambda node=active.node, action=binding.action:
                                self.call_later(node.run_action, action))
        yield SystemCommand("Help", "Keys and what each screen does (?)", self.action_help)
        yield SystemCommand("Toggle light and dark", "Switch the theme (t)",
                            self.action_toggle_theme)


def make_app(context: AppContext) -> OutboardApp:
    """The app on a library and studio; tests build it the same way."""
    return OutboardApp(context)
