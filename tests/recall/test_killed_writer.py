"""A process killed outright (SIGKILL, as a power cut would) while it writes to the library:
the next open finds the library sound and every change it had committed."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from recall.library import Library

# Writes songs and notes as fast as it can, printing each one's title once it is committed.
WRITER = """
import sys
from recall.library import Library
library = Library(sys.argv[1])
for n in range(100000):
    title = f"Song {n}"
    song = library.add_song("Album", title)
    library.add_note(song.id, "note " * 50, kind="reaction", author="artist")
    print(title, flush=True)
"""


def test_a_writer_killed_mid_write_loses_nothing_it_committed(tmp_path: Path) -> None:
    path = tmp_path / "library.sqlite"
    with Library(path) as library:
        library.new_session("Album")
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)],
                              stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[2])
    assert writer.stdout is not None
    committed = []
    for line in writer.stdout:  # kill it while it is busy writing, 300 commits in
        committed.append(line.strip())
        if len(committed) == 300:
            writer.send_signal(signal.SIGKILL)
            break
    committed += [line.strip() for line in writer.stdout]
    writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    with Library(path) as library:
        assert library.store.integrity() == []
        songs = {s.title: s for s in library.songs("Album")}
        assert set(committed) <= set(songs)  # every committed song, and at most one more
        assert len(songs) - len(committed) <= 1
        for title in committed:
            assert len(library.notes(songs[title].id)) == 1  # its note came before the print
