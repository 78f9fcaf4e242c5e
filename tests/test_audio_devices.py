"""`outboard audio devices` against a real JACK server (the dummy driver): PortAudio's JACK
host API and the server's 8-in, 8-out system device."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest


def outboard(*argv: str, server: str) -> subprocess.CompletedProcess[str]:
    # A new process: PortAudio looks for JACK servers when it starts.
    return subprocess.run([sys.executable, "-m", "tui.cli", *argv], capture_output=True,
                          text=True, check=False,
                          env=dict(os.environ, JACK_DEFAULT_SERVER=server))


@pytest.mark.jack
def test_the_jack_server_is_listed_with_its_channels(jack_server: str) -> None:
    done = outboard("audio", "devices", "--json", server=jack_server)
    assert done.returncode == 0, done.stderr
    apis = {api["name"]: api["devices"] for api in json.loads(done.stdout)["host_apis"]}
    [system] = apis["JACK Audio Connection Kit"]
    assert (system["name"], system["inputs"], system["outputs"]) == ("system", 8, 8)
    assert system["default_rate"] == 48000 and system["default_output"]
    text = outboard("audio", "devices", server=jack_server).stdout
    assert "JACK Audio Connection Kit" in text and "system: 8 in, 8 out, 48000 Hz" in text
