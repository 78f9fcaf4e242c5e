"""The patchbay of the JACK tests: the chain's stand-ins (jack_latent_client, or a client
running the units' DSP models) and the cables between them and Outboard's stream."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import jack

from devices.jackd import die_with_parent

MODEL_CLIENT = Path(__file__).with_name("jack_model_client.py")


@contextmanager
def patchbay(server: str) -> Iterator[jack.Client]:
    client = jack.Client("outboard-patchbay", servername=server, no_start_server=True)
    client.activate()
    try:
        yield client
    finally:
        client.deactivate()
        client.close()


def _wait_for_port(client: jack.Client, name: str) -> None:
    for _ in range(200):
        if any(p.name == name for p in client.get_ports()):
            return
        time.sleep(0.025)
    raise RuntimeError(f"JACK port {name} never appeared")


@contextmanager
def latent(client: jack.Client, latency: int) -> Iterator[tuple[list[str], list[str]]]:
    """jack_latent_client delaying by ``latency`` frames: one channel in, one out."""
    process = subprocess.Popen(["jack_latent_client", str(latency)], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               preexec_fn=die_with_parent())
    try:
        _wait_for_port(client, "latent:output")
        yield ["latent:input"], ["latent:output"]
    finally:
        process.terminate()
        process.wait(timeout=5)
        for _ in range(100):  # the next latent client needs the name back
            if not any(p.name.startswith("latent:") for p in client.get_ports()):
                break
            time.sleep(0.02)


@contextmanager
def model_loop(client: jack.Client, *, name: str, channels: int, latency_samples: float,
               units: Sequence[dict[str, Any]] = (), **character: Any
               ) -> Iterator[tuple[list[str], list[str]]]:
    """A client running the units' DSP models behind a converter latency."""
    spec = dict(name=name, channels=channels, latency_samples=latency_samples,
                units=list(units), **character)
    process = subprocess.Popen([sys.executable, str(MODEL_CLIENT), json.dumps(spec)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                               preexec_fn=die_with_parent())
    try:
        assert process.stdout is not None
        if process.stdout.readline().strip() != "ready":
            raise RuntimeError("the model client did not start")
        yield ([f"{name}:in_{i + 1}" for i in range(channels)],
               [f"{name}:out_{i + 1}" for i in range(channels)])
    finally:
        assert process.stdin is not None
        process.stdin.close()
        process.wait(timeout=10)


def patcher(client: jack.Client, *, outputs: Sequence[int], inputs: Sequence[int],
            sends: Sequence[str], returns: Sequence[str], device_outputs: int,
            device_inputs: int) -> Callable[[], None]:
    """The on_running hook: cable the stream's loop outputs (1-based device channels) to
    ``sends`` and ``returns`` to its loop inputs, in place of PortAudio's own connections.

    PortAudio names its JACK ports out_N / in_N, counting on across the streams a process
    opens, so the newest ``device_outputs`` / ``device_inputs`` ports are this stream's."""

    def number(port: jack.Port) -> int:
        return int(port.name.rsplit("_", 1)[1])

    def patch() -> None:
        outs = sorted(client.get_ports("PortAudio:out_"), key=number)[-device_outputs:]
        ins = sorted(client.get_ports("PortAudio:in_"), key=number)[-device_inputs:]
        for channel, send in zip(outputs, sends, strict=True):
            port = outs[channel - 1].name
            for other in client.get_all_connections(port):
                client.disconnect(port, other)
            client.connect(port, send)
        for channel, back in zip(inputs, returns, strict=True):
            port = ins[channel - 1].name
            for other in client.get_all_connections(port):
                client.disconnect(other, port)
            client.connect(back, port)

    return patch
