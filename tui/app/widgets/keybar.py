"""The footer: the keys of the screen showing, in one line of text.

One widget rather than one per key, so switching screens (which re-renders the footer) stays
cheap; it follows the same bindings as Textual's Footer."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
        padding: 0 1;
    }
    """

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.show_keys)
        self.show_keys()

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def show_keys(self, *_: object) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        seen: set[str] = set()
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or binding.action in seen or not active.enabled:
                continue
            seen.add(binding.action)
            text.append(self.app.get_key_display(binding), style="bold")
            text.append(f" {binding.description}  ")
        text.append("^p", style="bold")
        text.append(" palette")
        self.update(text)
