"""Faults while printing: a disk that refuses to write, and the process killed outright.
What is on disk stays readable, earlier prints are untouched, and the ledger says what
happened."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from controller.audio.loops import loop_setup
from controller.audio.models import LoopCharacter
from controller.audio.printing import PrintOptions, run_print
from controller.audio.wavfile import Bext, PrintWriter
from controller.demo import build_demo
from controller.signals import music_like
from controller.sources import sha256_file
from recall.files import files_folder
from recall.library import Library
from recall.studio import studio_from_document
from tui.cli import main

RATE = 48_000
SONG = "Night Drive/Opener"


class FullDisk(PrintWriter):
    """A writer whose disk fills after three seconds of audio."""

    def write(self, block: np.ndarray) -> None:
        if self.frames >= 3 * RATE:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        super().write(block)

    def close(self, **kw) -> None:  # type: ignore[no-untyped-def, override]
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_stops_the_print_and_keeps_what_was_written(tmp_path: Path) -> None:
    studio = studio_from_document({
        "spec": 1, "studio": {"name": "S"},
        "loop": [{"name": "A", "outputs": [1, 2], "inputs": [1, 2]}]}, "s.toml")
    mix = music_like(duration_s=8.0, sample_rate=RATE, seed=2).astype(np.float32)
    sf.write(tmp_path / "mix.wav", mix, RATE, subtype="FLOAT")
    setup = loop_setup(studio, "A", character=LoopCharacter(latency_samples=61.0,
                                                            noise_floor_dbfs=None))
    result = run_print(setup, source=tmp_path / "mix.wav", destination=tmp_path / "p.wav",
                       latency_samples=317.0, bext=Bext(description="t"), ixml=lambda d: "",
                       open_writer=FullDisk, options=PrintOptions(
                           subtype="FLOAT", header_refresh_frames=RATE // 2))
    assert result.state == "incomplete"
    assert result.problems[0] == f"writing {tmp_path / 'p.wav'} failed: No space left on device"
    assert any("closing" in p for p in result.problems)
    kept, _ = sf.read(tmp_path / "p.wav", dtype="float32")
    # Up to the last header refresh before the disk filled, sample for sample.
    assert 2.5 * RATE <= kept.shape[0] <= 3 * RATE + 8192  # a block may cross the 3 s
    assert np.max(np.abs(kept - mix[:kept.shape[0]])) < 1e-6


def test_a_print_killed_outright_leaves_the_library_whole_and_the_take_marked(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    library_path, _ = build_demo(tmp_path)
    monkeypatch.setenv("OUTBOARD_LIBRARY", str(library_path))
    monkeypatch.setenv("OUTBOARD_STUDIO", str(tmp_path / "demo-studio.toml"))
    assert main(["print", SONG, "--rev", "1", "--no-fingerprint"]) == 0
    with Library(library_path) as library:
        [earlier] = library.takes(SONG)
    earlier_file = files_folder(library_path) / earlier.path
    earlier_sha = sha256_file(earlier_file)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "print", SONG, "--realtime"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    printing = files_folder(library_path) / "prints/Night Drive/01 Opener r2 t1.wav"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # until two seconds of the song are on disk
        try:
            if sf.info(printing).frames > 2 * RATE:
                break
        except (sf.LibsndfileError, RuntimeError):
            pass
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    # The next start: the library is whole, the earlier print untouched, the killed one kept
    # and marked as what it is.
    capsys.readouterr()
    code = main(["library", "check", "--json"])
    report = json.loads(capsys.readouterr().out)
    problems = {(p["kind"], p["subject"]) for p in report["problems"]}
    assert ("unverifiable", "Night Drive/Opener rev 2 print take 1") in problems
    assert not {kind for kind, _ in problems} - {"unverifiable"} and code == 1
    assert sha256_file(earlier_file) == earlier_sha
    with Library(library_path) as library:
        first, killed = library.takes(SONG)
    assert first.state == "complete" and first.sha256 == earlier_sha
    assert killed.state == "incomplete" and killed.finished is None and killed.sha256 is None
    data, _ = sf.read(printing)
    assert data.shape[0] >= 2 * RATE


@pytest.mark.jack
def test_an_interface_that_dies_mid_print_is_a_device_fault_and_the_take_is_kept(
        tmp_path: Path) -> None:
    """The JACK server stopped while a print runs through it (in a process of its own, as a
    user's would be): one line, exit code 3, the partial print readable, the take marked."""
    from devices.jackd import private_server
    from recall.studio import load_studio

    library_path, _ = build_demo(tmp_path)
    studio_file = tmp_path / "jack-studio.toml"
    studio_file.write_text((tmp_path / "demo-studio.toml").read_text().replace(
        'host_api = "simulated"', 'host_api = "JACK Audio Connection Kit"\ndevice = "system"'))
    studio = load_studio(studio_file)
    with private_server(tmp_path / "jackd.log", prefix="outboard-fault") as server:
        with Library(library_path) as library:  # a ping that holds: the print plays at once
            depends = {"host_api": "JACK Audio Connection Kit", "device": "system",
                       "sample_rate": 48_000, "buffer_frames": 256, "outputs": [1, 2],
                       "inputs": [1, 2]}
            library.record_ping(studio.name, "A", depends=depends, latency_samples=512.0,
                                jitter_samples=0.0, inverted=False, gain_db=0.0, purity=1.0,
                                report={})
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]),
                   JACK_DEFAULT_SERVER=server, OUTBOARD_LIBRARY=str(library_path),
                   OUTBOARD_STUDIO=str(studio_file))
        process = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "print", SONG, "--no-fingerprint"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        printing = files_folder(library_path) / "prints/Night Drive/01 Opener r2 t1.wav"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # until a second of the song is on disk
            try:
                if sf.info(printing).frames > RATE:
                    break
            except (sf.LibsndfileError, RuntimeError):
                pass
            time.sleep(0.05)
        found = subprocess.run(["pgrep", "-f", f"jackd --no-realtime -n {server} "],
                               capture_output=True, text=True, check=True)
        os.kill(int(found.stdout.split()[0]), signal.SIGTERM)  # the server stopped
        _, err = process.communicate(timeout=60)
    assert process.returncode == 3, err
    [line] = [x for x in err.splitlines() if x.startswith("outboard: ")]
    assert "system (JACK Audio Connection Kit)" in line and "take 1 kept as incomplete" in line
    with Library(library_path) as library:
        [take] = library.takes(SONG)
    assert take.state == "incomplete" and take.sha256 == sha256_file(printing)
    assert sf.info(printing).frames >= RATE
