"""A private JACK server with the dummy driver: what the tests and benchmarks run MIDI and
audio on, started and stopped here so that no server outlives the program that started it."""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


class JackdError(RuntimeError):
    """jackd is missing, exited, or did not come up."""


def die_with_parent() -> Callable[[], None]:
    """For Popen's preexec_fn: Linux sends the child SIGTERM when its parent dies, even by
    SIGKILL (JACK allows only a few servers at once: a leftover one blocks the next)."""
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return lambda: None
    return lambda: prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@contextmanager
def private_server(log: Path, *, prefix: str = "outboard", rate: int = 48_000,
                   period: int = 256) -> Iterator[str]:
    """Start ``jackd -d dummy`` under a unique name, its output going to ``log`` (a pipe
    nobody reads would stall it once full); yield the name, with JACK_DEFAULT_SERVER naming
    it meanwhile; stop it on the way out whatever happens."""
    jackd = shutil.which("jackd")
    if jackd is None:
        raise JackdError("jackd is not installed (make test installs jackd2)")
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    previous = os.environ.get("JACK_DEFAULT_SERVER")
    os.environ["JACK_DEFAULT_SERVER"] = name
    process = _start(jackd, name, log, rate, period)
    try:
        try:
            _wait_for(name, process, log)
        except JackdError as err:
            # A server killed outright keeps its place in JACK's registry of servers, and
            # after a few of those no new one may start: with no jackd running at all every
            # place is stale, so the registry is cleared and the start tried once more.
            if "Too many servers" not in str(err) or not _clear_stale_registry():
                raise
            process = _start(jackd, name, log, rate, period)
            _wait_for(name, process, log)
        yield name
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if previous is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = previous


def _start(jackd: str, name: str, log: Path, rate: int, period: int
           ) -> subprocess.Popen[bytes]:
    env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
    with log.open("ab") as output:
        return subprocess.Popen(
            [jackd, "--no-realtime", "-n", name, "-d", "dummy", "-r", str(rate), "-p",
             str(period), "-C", "8", "-P", "8"],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT, env=env,
            preexec_fn=die_with_parent(),  # before any thread starts
        )


def _clear_stale_registry(shm: Path = Path("/dev/shm")) -> bool:
    """Remove JACK's shared-memory registry and segments when no JACK server runs on this
    machine (so none of it is anyone's); whether anything was removed."""
    alive = subprocess.run(["pgrep", "-x", "jackd"], capture_output=True, check=False)
    if alive.returncode == 0 or not shm.is_dir():
        return False
    stale = [p for p in shm.iterdir() if p.name.startswith(("jack-", "jack_"))]
    for path in stale:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    return bool(stale)


def _wait_for(name: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Until jack_lsp can talk to the server (it answers within a second or so)."""
    for _ in range(100):
        if process.poll() is not None:
            raise JackdError(f"jackd exited: {log.read_text(errors='replace')[-500:]}")
        if subprocess.run(["jack_lsp", "-s", name], capture_output=True,
                          check=False).returncode == 0:
            return
        time.sleep(0.1)
    raise JackdError("jackd did not come up within 10 s")
