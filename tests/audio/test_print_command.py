"""`outboard ping`, `outboard print` and `outboard print-day` on the demo studio (the
simulated insert loop): the take ledger, the files and their metadata, stale pings, bad
input, and a print day that stops and picks up again."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pytest
import soundfile as sf

from controller.audio.wavfile import read_info
from controller.demo import build_demo
from controller.recall_engine.plan import MANUAL
from controller.recall_engine.session import plan_for
from controller.sources import sha256_file
from recall.files import files_folder
from recall.library import Library
from recall.studio import load_studio
from tui.cli import main

SONG = "Night Drive/Opener"


@pytest.fixture
def demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    library, _ = build_demo(tmp_path)
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(library))
    monkeypatch.setenv("OUTBOARD_STUDIO", str(tmp_path / "demo-studio.toml"))
    return tmp_path


def run(capsys, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    sys.stdin = io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = sys.__stdin__
    out, err = capsys.readouterr()
    return code, out, err


def test_ping_is_kept_with_what_it_depends_on(demo: Path, capsys) -> None:
    code, out, err = run(capsys, "ping", "A", "--repeat", "2", "--json")
    assert code == 0, err
    ping = json.loads(out)
    # One 256-frame buffer and the simulated converters' 61.37 samples.
    assert ping["latency_samples"] == pytest.approx(317.37, abs=0.01)
    assert ping["jitter_samples"] < 0.01 and ping["inverted"] is False
    with Library(demo / "library.sqlite") as library:
        stored = library.latest_ping("Demo Room", "A")
    assert stored.id == ping["id"] and stored.depends["buffer_frames"] == 256
    assert stored.latency_samples == pytest.approx(317.37, abs=0.01)
    code, out, _ = run(capsys, "ping", "A", "--repeat", "1")
    assert code == 0 and "latency   317.37 samples = 6.612 ms" in out


def test_a_print_enters_the_ledger_with_its_file_metadata_and_measurement(
        demo: Path, capsys) -> None:
    code, out, err = run(capsys, "print", SONG, "--json")
    assert code == 0, err
    done = json.loads(out)
    assert done["pinged"] and done["stale_because"] == ["never pinged"]
    assert (done["take"], done["revision"], done["state"]) == (1, 2, "complete")
    path = Path(done["path"])
    assert path == files_folder(demo / "library.sqlite") / "prints/Night Drive/01 Opener r2 t1.wav"
    assert done["sha256"] == sha256_file(path)
    data, rate = sf.read(path)
    assert rate == 48_000 and data.shape == (20 * 48_000 + 2 * 48_000, 2)
    outcome = done["outcome"]
    assert outcome["aligned"] and outcome["xruns"] == [] and outcome["shift_frames"] == 317
    assert done["measurement"]["integrated_lufs"] < -10
    info = read_info(path)
    assert info.bext.description == "Night Drive/Opener, revision 2, take 1, printed through loop A"
    assert info.bext.loudness_value == pytest.approx(done["measurement"]["integrated_lufs"],
                                                     abs=0.01)
    xml = ElementTree.fromstring(info.ixml)
    assert (xml.findtext("PROJECT"), xml.findtext("SCENE"), xml.findtext("TAKE")) == (
        "Night Drive", "Opener", "1")
    assert xml.findtext("OUTBOARD/STATE") == "complete"
    assert float(xml.findtext("OUTBOARD/PING_LATENCY_SAMPLES")) == pytest.approx(317.37, abs=0.01)
    channels = xml.findall("OUTBOARD/CALIBRATION/CHANNEL")
    assert [(c.get("DIRECTION"), c.findtext("DBFS_AT_PLUS4_DBU")) for c in channels] == [
        ("output", "-18.0"), ("output", "-18.0"), ("input", "-18.0"), ("input", "-18.0")]
    assert done["levels_dbu"][0]["true_peak_dbu"] == pytest.approx(
        done["levels_dbu"][0]["true_peak_dbtp"] + 22.0, abs=0.01)
    with Library(demo / "library.sqlite") as library:
        [take] = library.takes(SONG)
        assert take.state == "complete" and take.sha256 == done["sha256"]
        assert library.revision(SONG, 2).status == "printed"
        assert take.offset_samples == outcome["offset_samples"]
    # The next print uses the ping it has, and gets the next take number.
    code, out, _ = run(capsys, "print", SONG, "--json")
    assert code == 0 and json.loads(out)["pinged"] is False and json.loads(out)["take"] == 2


def test_the_print_sounds_like_the_revision(demo: Path, capsys) -> None:
    # Revision 1 of Slow Burn has the System 6000's first fader at -6 dB, revision 2 at -4.5.
    song = "Night Drive/Slow Burn"
    assert run(capsys, "print", song, "--rev", "1", "--json")[0] == 0
    assert run(capsys, "print", song, "--rev", "2", "--json")[0] == 0
    with Library(demo / "library.sqlite") as library:
        first, second = library.takes(song)
    one, _ = sf.read(files_folder(demo / "library.sqlite") / first.path)
    two, _ = sf.read(files_folder(demo / "library.sqlite") / second.path)
    ratio = np.sqrt(np.mean(two[:, 0] ** 2) / np.mean(one[:, 0] ** 2))
    assert 20 * np.log10(ratio) == pytest.approx(1.5, abs=0.05)


def test_a_changed_interface_makes_the_ping_stale(demo: Path, capsys) -> None:
    assert run(capsys, "ping", "A", "--repeat", "1")[0] == 0
    studio = demo / "demo-studio.toml"
    studio.write_text(studio.read_text().replace("buffer_frames = 256", "buffer_frames = 512"))
    code, out, err = run(capsys, "print", SONG, "--json")
    assert code == 0
    done = json.loads(out)
    assert done["pinged"] and done["stale_because"] == ["buffer_frames 256 -> 512"]
    assert done["ping"]["latency_samples"] == pytest.approx(573.37, abs=0.01)
    assert "pinging the loop first (buffer_frames 256 -> 512)" in err


def test_bad_input_is_one_line_and_nothing_is_entered(demo: Path, capsys) -> None:
    with Library(demo / "library.sqlite") as library:
        library.add_song("Night Drive", "Bonus")
        library.new_revision("Night Drive/Bonus")
    code, _, err = run(capsys, "print", "Night Drive/Bonus")
    assert code == 2 and err == ("outboard: song 'Night Drive/Bonus' has no source mix; give "
                                 "one with outboard song set SONG --source FILE\n")
    code, _, err = run(capsys, "print", SONG, "--loop", "Z")
    assert code == 2 and err == "outboard: studio 'Demo Room' has no loop 'Z' (loops: A)\n"
    code, _, err = run(capsys, "ping", "Z")
    assert code == 2 and err == "outboard: studio 'Demo Room' has no loop 'Z' (loops: A)\n"
    other = demo / "44k.wav"
    sf.write(other, np.zeros((4410, 2)), 44_100)
    assert run(capsys, "song", "set", SONG, "--source", str(other))[0] == 0
    code, _, err = run(capsys, "print", SONG)
    assert code == 2 and err == (f"outboard: {other}: 44100 Hz, but the interface runs at "
                                 "48000 Hz; print with --resample, or set the studio's "
                                 "sample_rate to match\n")
    with Library(demo / "library.sqlite") as library:
        assert library.takes(SONG) == []
    assert run(capsys, "print", SONG, "--resample", "--tail", "0", "--json")[0] == 0


def test_an_interrupted_print_is_kept_as_incomplete(demo: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "print", SONG, "--realtime", "--json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    database = demo / "library.sqlite"
    printing = files_folder(database) / "prints/Night Drive/01 Opener r2 t1.wav"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until a second of the song is on disk
        try:
            if sf.info(printing).frames > 48_000:
                break
        except (sf.LibsndfileError, RuntimeError):
            pass
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 1, err
    done = json.loads(out)
    assert done["state"] == "incomplete" and "stopped by hand" in done["outcome"]["problems"]
    data, _ = sf.read(done["path"])
    assert 0 < data.shape[0] < 20 * 48_000
    assert read_info(done["path"]).ixml.count("<STATE>incomplete</STATE>") == 1
    with Library(database) as library:
        [take] = library.takes(SONG)
    assert take.state == "incomplete" and take.sha256 == sha256_file(Path(done["path"]))


def test_print_day_recalls_and_prints_every_song_and_picks_up_where_it_stopped(
        demo: Path, capsys) -> None:
    # The first run: Enter for every manual control of the first song, then the input ends
    # in the second song's checklist.
    with Library(demo / "library.sqlite") as library:
        plan = plan_for(library, SONG, load_studio(demo / "demo-studio.toml"))
    first_song_controls = sum(len(u.steps) for u in plan.units if u.kind == MANUAL)
    code, out, _ = run(capsys, "print-day", "Night Drive", stdin="\n" * first_song_controls)
    assert code == 1
    assert "1/3 Opener (rev 2): take 1 complete" in out
    assert "2/3 Slow Burn (rev 2): recall incomplete: stopping here" in out
    code, out, _ = run(capsys, "print-day", "Night Drive", stdin="\n" * 200)
    assert code == 0, out
    assert "1/3 Opener (rev 2): already printed: take 1" in out
    assert "2/3 Slow Burn (rev 2): resuming the recall" in out
    assert "3/3 Closer (rev 2): take 1 complete" in out and "print day done: 3 songs" in out
    with Library(demo / "library.sqlite") as library:
        for title in ("Opener", "Slow Burn", "Closer"):
            [take] = library.takes(f"Night Drive/{title}")
            assert take.state == "complete" and take.revision_number == 2
            assert library.attempts(f"Night Drive/{title}")[-1].outcome == "complete"
    code, out, _ = run(capsys, "print-day", "Night Drive", "--json")
    assert code == 0 and [json.loads(line)["skipped"] for line in out.splitlines()] == [
        True, True, True]
