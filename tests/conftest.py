"""Shared fixtures: the rates every conformance case runs at, and a real JACK server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from devices.jackd import JackdError, private_server

RATES = (44_100, 48_000, 96_000, 192_000)


@pytest.fixture(scope="session")
def jack_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A JACK server with the dummy driver, private to this test run; yields its name.

    Audio and MIDI tests run against it exactly as against a studio's JACK server.
    """
    log = tmp_path_factory.mktemp("jackd") / "jackd.log"
    with ExitStack() as stack:
        try:
            name = stack.enter_context(private_server(log, prefix="outboard-test"))
        except JackdError as err:
            pytest.fail(str(err))
        yield name
