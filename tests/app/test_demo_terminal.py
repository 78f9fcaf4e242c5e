"""`outboard demo` in a real terminal (tmux): it paints, takes keys, and reads back."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

OUTBOARD = str(Path(os.environ.get("VIRTUAL_ENV", Path(__file__).parents[2] / ".venv"))
               / "bin" / "outboard")
PATIENCE_S = 60.0  # how long to wait for text to appear before giving up (not a speed test)


class Terminal:
    """A tmux session on a private server, 100x30, running one command."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            pytest.fail("tmux is not installed (make test installs it on Debian/Ubuntu)")
        self.tmux = [tmux, "-L", f"outboard-{uuid.uuid4().hex[:8]}"]
        self.name = "demo"
        subprocess.run([*self.tmux, "new-session", "-d", "-s", self.name, "-x", "100", "-y",
                        "30", *[f"{k}={v}" for k, v in ()], " ".join(
                            _quote(c) for c in command)],
                       check=True, env=env)

    def screen(self) -> str:
        done = subprocess.run([*self.tmux, "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True, check=False)
        return done.stdout

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never appeared; the screen:\n{self.screen()}")

    def wait_gone(self, text: str) -> bool:
        deadline = time.monotonic() + PATIENCE_S
        while time.monotonic() < deadline:
            if text not in self.screen():
                return True
            time.sleep(0.1)
        raise AssertionError(f"{text!r} never went away; the screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        subprocess.run([*self.tmux, "send-keys", "-t", self.name, *keys], check=True)

    def alive(self) -> bool:
        return subprocess.run([*self.tmux, "has-session", "-t", self.name],
                              capture_output=True, check=False).returncode == 0

    def close(self) -> None:
        subprocess.run([*self.tmux, "kill-server"], capture_output=True, check=False)


def _quote(word: str) -> str:
    return "'" + word.replace("'", "'\\''") + "'"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[Terminal, Path]]:
    folder = tmp_path / "demo"
    env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
    # tmux keeps the pane after the program ends, so its last screen can still be read.
    shell = ["sh", "-c", f"{_quote(OUTBOARD)} demo --folder {_quote(str(folder))}; "
             "echo OUTBOARD-EXIT=$?; sleep 30"]
    term = Terminal(shell, env)
    try:
        yield term, folder
    finally:
        term.close()


def test_the_demo_paints_takes_keys_and_quits(terminal: tuple[Terminal, Path]) -> None:
    term, folder = terminal
    shown = term.wait_for("Night Drive — The Demo Band")
    assert "Opener" in shown and "Slow Burn" in shown and "Closer" in shown
    term.keys("Enter")  # open the first song on the Rack
    term.wait_for("Pultec")
    term.keys("?")
    term.wait_for("what it is for")
    term.keys("Escape")  # (sent on its own: Escape then q at once reads as alt+q)
    term.wait_gone("what it is for")
    term.keys("q")
    shown = term.wait_for("OUTBOARD-EXIT=")
    assert "OUTBOARD-EXIT=0" in shown and "The demo library stays in" in shown
    assert (folder / "library.sqlite").is_file() and (folder / "demo-studio.toml").is_file()
    assert sorted(p.name for p in folder.glob("*.wav")) == [
        "01 Opener.wav", "02 Slow Burn.wav", "03 Closer.wav"]
