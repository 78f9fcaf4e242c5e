"""Delivery targets: loading `targets.toml` and checking a measurement against one."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from .meter import Measurement

TARGETS_SPEC = 1
DEFAULT_TARGETS = Path(__file__).resolve().parent.parent / "config" / "targets.toml"

_NUMBER_KEYS = (
    "integrated_lufs", "tolerance_lu", "integrated_min_lufs", "integrated_max_lufs",
    "true_peak_max_dbtp", "sample_peak_max_dbfs",
)
_TEXT_KEYS = ("name", "source", "note")
_SLACK = 1e-9  # levels this close to a limit meet it (floating-point rounding)


@dataclass(frozen=True, slots=True)
class Target:
    """One delivery specification. Loudness is a value with a tolerance, or a range."""

    key: str
    name: str
    source: str
    note: str = ""
    integrated_min_lufs: float | None = None
    integrated_max_lufs: float | None = None
    integrated_lufs: float | None = None
    true_peak_max_dbtp: float | None = None
    sample_peak_max_dbfs: float | None = None


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion of a target: what was asked, what was measured, and the gain change
    (dB) that would meet it, or None when no gain can (an unmeasurable level)."""

    criterion: str
    required: str
    measured: float | None
    passed: bool
    gain_db: float | None


@dataclass(frozen=True, slots=True)
class TargetResult:
    target: Target
    criteria: tuple[CriterionResult, ...]
    gain_db: float | None  # one gain that meets every criterion, if one exists
    detail: str

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.criteria)


def load_targets(path: Path = DEFAULT_TARGETS) -> dict[str, Target]:
    """Parse and validate a targets file; InputError naming the file and key if wrong."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise InputError(f"{path}: cannot read the targets file ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise InputError(f"{path}: not valid TOML ({err})") from err
    spec = document.pop("spec", None)
    if spec != TARGETS_SPEC:
        raise InputError(f"{path}: key 'spec' must be {TARGETS_SPEC}, got {spec!r}")
    targets = {}
    for key, table in document.items():
        if not isinstance(table, dict):
            raise InputError(f"{path}: key '{key}' must be a table of target settings")
        targets[key] = _target(path, key, table)
    return targets


def _target(path: Path, key: str, table: dict[str, object]) -> Target:
    values: dict[str, object] = {}
    for name, value in table.items():
        where = f"{path}: key '{key}.{name}'"
        if name in _NUMBER_KEYS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{where} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise InputError(f"{where} must be finite, got {value!r}")
            values[name] = float(value)
        elif name in _TEXT_KEYS:
            if not isinstance(value, str):
                raise InputError(f"{where} must be text, got {value!r}")
            values[name] = value
        else:
            expected = ", ".join(_NUMBER_KEYS + _TEXT_KEYS)
            raise InputError(f"{where} is not a target setting (expected one of: {expected})")
    if "name" not in values or "source" not in values:
        raise InputError(f"{path}: target '{key}' needs both 'name' and 'source'")
    centre = values.pop("integrated_lufs", None)
    tolerance = values.pop("tolerance_lu", None)
    if centre is not None:
        if "integrated_min_lufs" in values or "integrated_max_lufs" in values:
            raise InputError(
                f"{path}: target '{key}' gives both integrated_lufs and a min/max range"
            )
        spread = 0.0 if tolerance is None else float(tolerance)  # type: ignore[arg-type]
        if spread < 0:
            raise InputError(f"{path}: key '{key}.tolerance_lu' must be 0 or more, got {spread}")
        values["integrated_min_lufs"] = float(centre) - spread  # type: ignore[arg-type]
        values["integrated_max_lufs"] = float(centre) + spread  # type: ignore[arg-type]
        values["integrated_lufs"] = centre
    elif tolerance is not None:
        raise InputError(f"{path}: key '{key}.tolerance_lu' needs integrated_lufs")
    criteria = ("integrated_min_lufs", "integrated_max_lufs", "true_peak_max_dbtp",
                "sample_peak_max_dbfs")
    if not any(name in values for name in criteria):
        raise InputError(f"{path}: target '{key}' sets no criterion (loudness or peak)")
    low, high = values.get("integrated_min_lufs"), values.get("integrated_max_lufs")
    if low is not None and high is not None and low > high:  # type: ignore[operator]
        raise InputError(
            f"{path}: target '{key}': integrated_min_lufs is above integrated_max_lufs"
        )
    return Target(key=key, **values)  # type: ignore[arg-type]


def check(m: Measurement, target: Target) -> TargetResult:
    """Check ``m`` against ``target``: pass or fail per criterion and the gain to meet it."""
    criteria: list[CriterionResult] = []
    low_gain, high_gain = -math.inf, math.inf
    integrated = None if math.isinf(m.integrated_lufs) else m.integrated_lufs
    low, high = target.integrated_min_lufs, target.integrated_max_lufs
    if low is not None or high is not None:
        required = _range_text(low, high, target.integrated_lufs, "LUFS")
        if integrated is None:
            criteria.append(CriterionResult("integrated", required, None, False, None))
            low_gain, high_gain = math.inf, -math.inf
        else:
            lo = -math.inf if low is None else low - integrated
            hi = math.inf if high is None else high - integrated
            passed = lo <= _SLACK and hi >= -_SLACK
            if passed:
                gain = 0.0
            elif target.integrated_lufs is not None:
                gain = target.integrated_lufs - integrated  # to the centre, not the edge
            else:
                gain = lo if lo > 0 else hi
            criteria.append(CriterionResult("integrated", required, integrated, passed, gain))
            low_gain, high_gain = max(low_gain, lo), min(high_gain, hi)
    for name, limit, measured in (
        ("true_peak", target.true_peak_max_dbtp, m.true_peak_dbtp),
        ("sample_peak", target.sample_peak_max_dbfs, m.sample_peak_dbfs),
    ):
        if limit is None:
            continue
        unit = "dBTP" if name == "true_peak" else "dBFS"
        value = None if math.isinf(measured) else measured
        headroom = math.inf if value is None else limit - value
        passed = headroom >= -_SLACK
        criteria.append(
            CriterionResult(name, f"<= {limit:.1f} {unit}", value, passed,
                            0.0 if passed else headroom)
        )
        high_gain = min(high_gain, headroom)
    aim = None
    if target.integrated_lufs is not None and integrated is not None:
        aim = target.integrated_lufs - integrated
    return TargetResult(target, tuple(criteria), *_overall_gain(low_gain, high_gain, aim))


def _overall_gain(low: float, high: float, aim: float | None) -> tuple[float | None, str]:
    """The gain within [low, high] closest to ``aim`` (the target's centre), or to no change."""
    if low > high + 1e-9:
        if math.isinf(low) and low > 0:
            return None, "no integrated loudness to adjust (silent, or shorter than 400 ms)"
        return None, (
            f"no gain change meets every criterion: reaching the loudness needs "
            f"{low:+.1f} dB but the peaks allow at most {high:+.1f} dB; limiting is needed"
        )
    if low <= _SLACK and high >= -_SLACK:
        return 0.0, "meets every criterion"
    gain = min(max(0.0 if aim is None else aim, low), high)
    return gain, f"a gain change of {gain:+.2f} dB meets every criterion"


def _range_text(low: float | None, high: float | None, centre: float | None, unit: str) -> str:
    if centre is not None and low is not None and high is not None:
        return f"{centre:.1f} {unit} +/- {(high - low) / 2:.1f}"
    if low is not None and high is not None:
        return f"{low:.1f} to {high:.1f} {unit}"
    if low is not None:
        return f">= {low:.1f} {unit}"
    return f"<= {high:.1f} {unit}"
