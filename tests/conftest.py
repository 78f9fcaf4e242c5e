"""Shared fixtures: the rates every conformance case runs at, and a real JACK server."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator

import pytest

RATES = (44_100, 48_000, 96_000, 192_000)


@pytest.fixture(scope="session")
def jack_server() -> Iterator[str]:
    """A JACK server with the dummy driver, private to this test run; yields its name.

    Audio and MIDI tests run against it exactly as against a studio's JACK server.
    """
    jackd = shutil.which("jackd")
    if jackd is None:
        pytest.fail("jackd is not installed (make test installs jackd2 on Debian/Ubuntu)")
    name = f"outboard-test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    process = subprocess.Popen(
        [jackd, "--no-realtime", "-n", name, "-d", "dummy", "-r", "48000", "-p", "256",
         "-C", "8", "-P", "8"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
    )
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    try:
        _wait_for(name, process)
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


def _wait_for(name: str, process: subprocess.Popen[bytes]) -> None:
    """Until jack_lsp can talk to the server (it answers within a second or so)."""
    for _ in range(100):
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            pytest.fail(f"jackd exited: {output[-500:]}")
        done = subprocess.run(["jack_lsp", "-s", name], capture_output=True, check=False)
        if done.returncode == 0:
            return
        time.sleep(0.1)
    pytest.fail("jackd did not come up within 10 s")
