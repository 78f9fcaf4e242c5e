"""Shared fixtures: the rates every conformance case runs at, and a real JACK server."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

RATES = (44_100, 48_000, 96_000, 192_000)
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


@pytest.fixture(scope="session")
def jack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JACK server with the dummy driver, private to this test run; yields its name.

    Audio and MIDI tests run against it exactly as against a studio's JACK server.
    """
    jackd = shutil.which("jackd")
    if jackd is None:
        pytest.fail("jackd is not installed (make test installs jackd2 on Debian/Ubuntu)")
    name = f"outboard-test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    # jackd's messages go to a file: a pipe nobody reads would stall it once full.
    log = tmp_path_factory.mktemp("jackd") / "jackd.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [jackd, "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256",
             "-C", "8", "-P", "8"],
            stdout=output, stderr=subprocess.STDOUT, env=env, preexec_fn=_die_with_parent(),
        )
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        _wait_for(name, process, log)
        yield name
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous


def _die_with_parent() -> Callable[[], None]:
    """For Popen's preexec_fn: jackd gets SIGTERM when the test run dies, even by SIGKILL, so
    no server outlives it (JACK allows only a few servers at once)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return lambda: None
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _wait_for(name: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until jack_lsp can talk to the server (it answers within a second or so)."""
    for _ in range(100):
        if process.poll() is not None:
            pytest.fail(f"jackd exited: {log.read_text(errors='replace')[-500:]}")
        done = subprocess.run(["jack_lsp", "-s", name], capture_output=True, check=False)
        if done.returncode == 0:
            return
        time.sleep(0.1)
    pytest.fail("jackd did not come up within 10 s")
