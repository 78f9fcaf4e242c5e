"""A JACK client standing in for the analog chain of an insert loop: it runs the units' DSP
models and a converter's latency on whatever reaches its inputs, in JACK's process callback.

Run as ``python tests/audio/jack_model_client.py SPEC`` with SPEC a JSON object: name,
channels, latency_samples, gain_db, inverted, units (a list of {profile, values})."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import jack  # noqa: E402

from controller.audio.models import (  # noqa: E402
    AnalogLoop,
    ChainModel,
    LoopCharacter,
    unit_model,
)
from devices.loader import find_profile  # noqa: E402


def main() -> None:
    spec = json.loads(sys.argv[1])
    client = jack.Client(spec["name"], no_start_server=True)
    rate, channels = client.samplerate, spec["channels"]
    units = [unit_model(find_profile(u["profile"]), u["values"], sample_rate=rate,
                        channels=channels) for u in spec["units"]]
    loop = AnalogLoop(ChainModel(units), LoopCharacter(
        latency_samples=spec["latency_samples"], gain_db=spec.get("gain_db", 0.0),
        inverted=spec.get("inverted", False), noise_floor_dbfs=spec.get("noise_floor_dbfs")),
        sample_rate=rate, channels=channels)
    # The first call imports and sets up what the filters need (a few hundred ms): do it
    # now, on silence (which leaves every model's state at rest), not in the first period.
    loop.process(np.zeros((client.blocksize, channels)))
    inputs = [client.inports.register(f"in_{i + 1}") for i in range(channels)]
    outputs = [client.outports.register(f"out_{i + 1}") for i in range(channels)]

    @client.set_process_callback
    def process(frames: int) -> None:
        block = np.stack([p.get_array() for p in inputs], axis=1).astype(np.float64)
        returned = loop.process(block)
        for i, port in enumerate(outputs):
            port.get_array()[:] = returned[:, i]

    with client:
        print("ready", flush=True)
        sys.stdin.read()  # until the test closes our stdin


if __name__ == "__main__":
    main()
