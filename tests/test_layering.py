"""The layers stay apart: no Textual below tui/, nothing but NumPy and SciPy in the meter core."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import json, sys
import {module}
print(json.dumps(sorted({{name.split('.')[0] for name in sys.modules}})))
"""


def loaded_after_import(module: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(module=module)],
                          capture_output=True, text=True, check=True)
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("module", ["controller", "controller.measure", "controller.meter",
                                    "devices", "recall"])
def test_headless_packages_do_not_load_textual(module: str) -> None:
    assert "textual" not in loaded_after_import(module)


FILES = """
import json, sys, sysconfig
import numpy as np
import controller.meter
# SciPy loads on first use: measure a second of noise so everything the core needs is in.
controller.meter.analyse(np.random.default_rng(0).standard_normal((48000, 2)) * 0.1,
                         sample_rate=48000)
site = sysconfig.get_paths()["purelib"]
print(json.dumps(sorted({
    getattr(m, "__file__", None)[len(site):].strip("/").split("/")[0]
    for m in list(sys.modules.values())
    if (getattr(m, "__file__", None) or "").startswith(site)
})))
"""


def test_meter_core_imports_only_numpy_and_scipy() -> None:
    done = subprocess.run([sys.executable, "-c", FILES], capture_output=True, text=True,
                          check=True)
    # The editable install's finder is how `controller` itself is found, not a dependency.
    third_party = {name for name in json.loads(done.stdout) if not name.startswith("__editable")}
    assert third_party <= {"numpy", "scipy", "numpy.libs", "scipy.libs", "_distutils_hack"}
    assert {"numpy", "scipy"} <= third_party
    assert "textual" not in loaded_after_import("controller.meter")


def test_the_command_line_starts_without_scipy() -> None:
    """scipy.signal takes most of a second to load: `outboard` and the app pay it only when
    they measure."""
    assert "scipy" not in loaded_after_import("tui.cli")


def test_recall_imports_nothing_of_ours_but_itself() -> None:
    assert {"controller", "devices", "tui"}.isdisjoint(loaded_after_import("recall"))
