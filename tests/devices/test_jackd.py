"""The private JACK server's start: JACK's registry of servers, left full by servers killed
outright, is cleared only when no JACK server runs at all."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from devices import jackd


def leftovers(shm: Path) -> None:
    (shm / "jack-shm-registry").write_bytes(b"\0" * 64)
    (shm / "jack_db-0").mkdir()
    (shm / "jack_db-0" / "segment").write_bytes(b"x")
    (shm / "jack_outboard-test-1234abcd_0_0").write_bytes(b"x")
    (shm / "pulse-shm-1").write_bytes(b"not JACK's")


def pgrep_finds(found: bool):  # type: ignore[no-untyped-def]
    def run(argv, **kw):  # type: ignore[no-untyped-def]
        assert argv[:3] == ["pgrep", "-x", "jackd"]
        return subprocess.CompletedProcess(argv, 0 if found else 1, b"", b"")
    return run


def test_a_stale_registry_is_cleared_when_no_server_runs(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    leftovers(tmp_path)
    monkeypatch.setattr(jackd.subprocess, "run", pgrep_finds(False))
    assert jackd._clear_stale_registry(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pulse-shm-1"]


def test_nothing_is_touched_while_a_server_runs(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    leftovers(tmp_path)
    monkeypatch.setattr(jackd.subprocess, "run", pgrep_finds(True))
    assert not jackd._clear_stale_registry(tmp_path)
    assert len(list(tmp_path.iterdir())) == 4 and (tmp_path / "jack_db-0" / "segment").exists()
