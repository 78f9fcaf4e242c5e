"""Ping and print on a real JACK server (dummy driver) through PortAudio, the loop cabled
through jack_latent_client or through a client running the units' DSP models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from controller.audio.loops import loop_setup
from controller.audio.models import AnalogLoop, ChainModel, LoopCharacter, unit_model
from controller.audio.pinger import ping_loop
from controller.audio.printing import PrintOptions, run_print
from controller.audio.wavfile import Bext
from controller.signals import music_like
from devices.loader import find_profile
from recall.studio import studio_from_document

from .jack_rig import latent, model_loop, patchbay, patcher

pytestmark = pytest.mark.jack
RATE, PERIOD = 48_000, 256
# PortAudio's stream and the loop form a cycle in JACK's graph: JACK breaks it with one
# period each way, so a loop of L samples reads L + 2 periods, exactly.
GRAPH = 2 * PERIOD


@pytest.fixture(scope="module")
def portaudio(jack_server: str) -> Iterator[str]:
    """PortAudio started afresh, so that it sees the JACK server (it looks only when it
    starts), and stopped before the server is."""
    import sounddevice as sd

    if sd._initialized:
        sd._terminate()
    sd._initialize()
    yield jack_server
    sd._terminate()


def jack_studio(outputs: list[int], inputs: list[int]):
    return studio_from_document({
        "spec": 1, "studio": {"name": "JACK Room"},
        "interface": {"host_api": "JACK Audio Connection Kit", "device": "system",
                      "sample_rate": RATE, "buffer_frames": PERIOD},
        "loop": [{"name": "A", "outputs": outputs, "inputs": inputs}]}, "jack.toml")


def clean_print(setup, folder: Path, *, latency: float, hook, tail_seconds: float):
    """Print mix.wav to p.wav; again (four times at most) if a loaded machine made the dummy
    server xrun: the take says so itself (tested elsewhere), and alignment wants a clean
    one."""
    for _ in range(5):
        result = run_print(setup, source=folder / "mix.wav", destination=folder / "p.wav",
                           latency_samples=latency, bext=Bext(description="t"),
                           ixml=lambda d: "", on_running=hook,
                           options=PrintOptions(subtype="FLOAT", pre_roll_seconds=0.5,
                                                tail_seconds=tail_seconds))
        if result.state != "flawed":
            break
        (folder / "p.wav").unlink()
    return result


def test_ping_through_jack_latent_client_is_exact_to_the_sample(portaudio: str) -> None:
    setup = loop_setup(jack_studio([3], [3]), "A")
    with patchbay(portaudio) as bay:
        for latency in (100, 1000):
            with latent(bay, latency) as (sends, returns):
                hook = patcher(bay, outputs=[3], inputs=[3], sends=sends, returns=returns,
                               device_outputs=3, device_inputs=3)
                ping = ping_loop(setup, repeats=2, on_running=hook)
            assert ping.latency_samples == pytest.approx(latency + GRAPH, abs=0.01)
            assert ping.jitter_samples < 0.01 and not ping.inverted and not ping.smeared
            assert ping.gain_db == pytest.approx(0.0, abs=0.01)


def test_ping_through_the_model_client_reads_fraction_and_polarity(portaudio: str) -> None:
    setup = loop_setup(jack_studio([1, 2], [3, 4]), "A")
    with patchbay(portaudio) as bay:
        with model_loop(bay, name="chain", channels=2, latency_samples=37.25,
                        inverted=True) as (sends, returns):
            hook = patcher(bay, outputs=[1, 2], inputs=[3, 4], sends=sends, returns=returns,
                           device_outputs=2, device_inputs=4)
            ping = ping_loop(setup, repeats=2, on_running=hook)
    assert ping.latency_samples == pytest.approx(37.25 + GRAPH, abs=0.01)
    assert ping.inverted and not ping.smeared


def test_a_print_through_jack_latent_client_is_aligned_to_the_sample(portaudio: str,
                                                                     tmp_path: Path) -> None:
    mix = music_like(duration_s=4.0, sample_rate=RATE, seed=5)[:, :1].astype(np.float32)
    sf.write(tmp_path / "mix.wav", mix, RATE, subtype="FLOAT")
    setup = loop_setup(jack_studio([3], [3]), "A")
    with patchbay(portaudio) as bay, latent(bay, 300) as (sends, returns):
        hook = patcher(bay, outputs=[3], inputs=[3], sends=sends, returns=returns,
                       device_outputs=3, device_inputs=3)
        ping = ping_loop(setup, repeats=1, on_running=hook)
        result = clean_print(setup, tmp_path, latency=ping.latency_samples, hook=hook,
                             tail_seconds=0.25)
    assert result.state == "complete", result.xruns
    printed, _ = sf.read(tmp_path / "p.wav", dtype="float32", always_2d=True)
    assert np.array_equal(printed[:mix.shape[0]], mix)  # every sample, in its place
    assert result.alignment is not None and result.alignment.offset_samples == 0.0


def test_a_print_through_the_units_models_sounds_like_their_settings(portaudio: str,
                                                                     tmp_path: Path) -> None:
    mix = music_like(duration_s=4.0, sample_rate=RATE, seed=6).astype(np.float32)
    sf.write(tmp_path / "mix.wav", mix, RATE, subtype="FLOAT")
    units = [{"profile": "generic-serial-ascii", "values": {"gain": -4.0, "frequency": 2000.0}},
             {"profile": "tc-system-6000-faders", "values": {"fader_1": -3.0, "fader_2": -6.0}}]
    setup = loop_setup(jack_studio([1, 2], [1, 2]), "A")
    with patchbay(portaudio) as bay, model_loop(bay, name="chain", channels=2,
                                                latency_samples=40.0,
                                                units=units) as (sends, returns):
        hook = patcher(bay, outputs=[1, 2], inputs=[1, 2], sends=sends, returns=returns,
                       device_outputs=2, device_inputs=2)
        result = clean_print(setup, tmp_path, latency=40.0 + GRAPH, hook=hook,
                             tail_seconds=0.0)
    assert result.state == "complete", result.xruns
    # The same models, offline, without the latency, after the same pre-roll of silence:
    # what the print must hold.
    models = [unit_model(find_profile(u["profile"]), u["values"], sample_rate=RATE,
                         channels=2) for u in units]
    pre = np.zeros((RATE // 2, 2))
    offline = AnalogLoop(ChainModel(models), LoopCharacter(latency_samples=0.0,
                                                           noise_floor_dbfs=None),
                         sample_rate=RATE, channels=2).process(
        np.concatenate([pre, mix.astype(np.float64)]))[pre.shape[0]:]
    printed, _ = sf.read(tmp_path / "p.wav", dtype="float64")
    assert printed.shape == mix.shape
    assert np.max(np.abs(printed - offline)) < 1e-5
    assert result.alignment is not None and result.alignment.aligned
