"""A recall plan: for each unit of a revision's chain, what putting it back takes in this
studio: messages to a remote unit, checklist steps for a manual one, or why it cannot be done."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devices import codec, values
from devices.errors import DeviceError
from devices.loader import find_profile, load_profile
from devices.profile import Parameter, Profile
from devices.transport import parse_address
from devices.transport.address import unit_address
from recall.records import ChainUnit, Revision, display_value
from recall.studio import Studio, Unit, address_identity, fingerprint

from ..errors import InputError

REMOTE, MANUAL, UNAVAILABLE = "remote", "manual", "unavailable"


class RecallError(InputError):
    """A revision that cannot be recalled as asked (exit code 2)."""

    title = "Cannot recall"


@dataclass(frozen=True, slots=True)
class Step:
    """One control to put back: its target in engineering units and as the panel shows it."""

    parameter: str
    name: str
    section: str
    target: float
    text: str  # the target as the panel shows it
    detent: str  # "position 3 of 7" for stepped controls, else ""
    previous: str | None  # the value in the previous revision, when it differs
    readable: bool  # the unit can report this control's value
    problem: str = ""  # why this control cannot be sent (the profile changed), else ""
    definition: dict[str, Any] = field(default_factory=dict, compare=False)  # as frozen


@dataclass(frozen=True, slots=True)
class UnitPlan:
    """One chain unit: where it is in this studio and the steps that put it back."""

    position: int
    unit: str  # the name in the revision's chain
    profile: str
    kind: str  # remote, manual or unavailable
    bypassed: bool
    steps: tuple[Step, ...]
    studio_unit: str | None = None  # the unit of this studio that stands in for it
    address: str | None = None
    reason: str = ""  # why it is unavailable, or how it was mapped from another studio
    loaded: Profile | None = None  # today's profile, for remote units

    @property
    def port(self) -> str:
        """Units that share a port are recalled one after the other on it; the others run
        in parallel. Emulated units each have their own."""
        if self.address is None:
            return f"-{self.unit}"
        scheme, _, rest = self.address.partition(":")
        if scheme == "emulated":
            return f"emulated:{self.unit}"
        return f"{scheme}:{rest.partition('?')[0]}"


@dataclass(frozen=True, slots=True)
class RecallPlan:
    song: str
    revision: int
    studio: str  # the fingerprint of the studio recalled into
    same_studio: bool  # the revision was made in this studio
    units: tuple[UnitPlan, ...]
    studio_name: str = ""

    def of_kind(self, kind: str) -> tuple[UnitPlan, ...]:
        return tuple(u for u in self.units if u.kind == kind)


def plan_recall(song: str, revision: Revision, studio: Studio, *,
                previous: Revision | None = None,
                profiles: Callable[[Studio, Unit], Profile] | None = None) -> RecallPlan:
    """The plan that makes ``studio`` sound like ``revision`` again.

    A revision made in another studio is mapped onto this one: a unit of the same name and
    profile, else the one unit of that profile. A unit this studio lacks, or cannot tell
    apart, is unavailable, with the reason. One physical unit used twice is refused.
    """
    profile_of = profiles or studio_profile
    key = fingerprint(studio)
    found = _map_units(studio, revision.chain, profile_of)
    physical: dict[tuple[str, ...], str] = {}
    plans = []
    for position, chain_unit in enumerate(revision.chain, start=1):
        stand_in, reason = found[chain_unit.unit]
        steps_before = previous.unit(chain_unit.unit) if previous is not None and any(
            u.unit == chain_unit.unit for u in previous.chain) else None
        if stand_in is None:
            plans.append(UnitPlan(position, chain_unit.unit, chain_unit.profile, UNAVAILABLE,
                                  chain_unit.bypassed, _steps(chain_unit, steps_before, None),
                                  reason=reason))
            continue
        identity = address_identity(stand_in.address)
        if identity is not None:
            if identity in physical:
                raise RecallError(f"'{physical[identity]}' and '{chain_unit.unit}' reach the "
                                  f"same physical unit ({stand_in.address}); it cannot sit in "
                                  "a chain twice")
            physical[identity] = chain_unit.unit
        profile = profile_of(studio, stand_in)
        remote = profile.control != "manual" and stand_in.scheme != "manual"
        plans.append(UnitPlan(
            position, chain_unit.unit, chain_unit.profile, REMOTE if remote else MANUAL,
            chain_unit.bypassed,
            _steps(chain_unit, steps_before, profile if remote else None),
            studio_unit=stand_in.name, address=stand_in.address, reason=reason,
            loaded=profile if remote else None))
    return RecallPlan(song, revision.number, key, revision.studio_fingerprint == key,
                      tuple(plans), studio.name)


def studio_profile(studio: Studio, unit: Unit) -> Profile:
    """Today's profile of a studio unit: a shipped key, or a file beside the studio file."""
    path = studio.profile_path(unit)
    try:
        return load_profile(path) if path is not None else find_profile(unit.profile)
    except DeviceError as err:
        raise RecallError(f"unit '{unit.name}': {err.message}") from err


def _map_units(studio: Studio, chain: tuple[ChainUnit, ...],
               profile_of: Callable[[Studio, Unit], Profile]
               ) -> dict[str, tuple[Unit | None, str]]:
    """Each chain unit's stand-in in this studio: first the units of the same name and
    profile, then, for the rest, the one free unit of the same profile."""
    by_profile: dict[str, list[Unit]] = {}
    for unit in studio.units:
        by_profile.setdefault(_profile_key(studio, unit, profile_of), []).append(unit)
    found: dict[str, tuple[Unit | None, str]] = {}
    taken: dict[str, str] = {}
    for chain_unit in chain:
        for unit in by_profile.get(chain_unit.profile, []):
            if unit.name == chain_unit.unit:
                found[chain_unit.unit] = (unit, "")
                taken[unit.name] = chain_unit.unit
    for chain_unit in chain:
        if chain_unit.unit in found:
            continue
        candidates = by_profile.get(chain_unit.profile, [])
        free = [u for u in candidates if u.name not in taken]
        if len(free) == 1:
            taken[free[0].name] = chain_unit.unit
            found[chain_unit.unit] = (free[0], f"stands in as '{free[0].name}' (same profile)")
        elif not candidates:
            found[chain_unit.unit] = (None, "this studio has no unit of profile "
                                            f"{chain_unit.profile}")
        elif not free:
            used = ", ".join(f"'{u.name}' for '{taken[u.name]}'" for u in candidates)
            raise RecallError(f"the chain needs {chain_unit.profile} for '{chain_unit.unit}' "
                              f"too, but this studio's are all in use ({used}); one physical "
                              "unit cannot sit in a chain twice: add another to the studio "
                              "file")
        else:
            names = ", ".join(u.name for u in free)
            found[chain_unit.unit] = (None, f"this studio has several units of profile "
                                            f"{chain_unit.profile} ({names}) and none is called "
                                            f"'{chain_unit.unit}': rename one in the studio file")
    return found


def _profile_key(studio: Studio, unit: Unit,
                 profile_of: Callable[[Studio, Unit], Profile]) -> str:
    if studio.profile_path(unit) is None:
        return unit.profile
    return profile_of(studio, unit).key


def _steps(chain_unit: ChainUnit, before: ChainUnit | None,
           profile: Profile | None) -> tuple[Step, ...]:
    """The unit's controls: on a remote unit a preset's program change first (it would
    overwrite the rest), then the panel order."""
    steps = []
    for parameter_id, target in chain_unit.settings.items():
        definition = chain_unit.definitions.get(parameter_id, {})
        old = before.settings.get(parameter_id) if before is not None else None
        changed = old is not None and abs(old - target) > 1e-9 * max(1.0, abs(target))
        readable, problem = False, ""
        if profile is not None:
            readable, problem = _remote(profile, parameter_id, target)
        steps.append(Step(
            parameter=parameter_id, name=definition.get("name", parameter_id),
            section=definition.get("section", ""), target=target,
            text=display_value(definition, target), detent=_detent(definition, target),
            previous=display_value(before.definitions.get(parameter_id, definition), old)
            if changed and before is not None else None,
            readable=readable, problem=problem, definition=definition))
    if profile is not None:
        steps.sort(key=lambda s: not _is_program(profile, s.parameter))
    return tuple(steps)


def _remote(profile: Profile, parameter_id: str, target: float) -> tuple[bool, str]:
    try:
        parameter = profile.parameter(parameter_id)
    except KeyError:
        return False, f"{profile.key} no longer has the control '{parameter_id}'"
    if parameter.midi is None and parameter.serial is None:
        return False, f"{profile.key}: '{parameter_id}' cannot be sent (set it by hand)"
    try:
        values.validate(parameter, target)
    except DeviceError as err:
        return False, f"today's {profile.key} profile refuses it ({err.message})"
    return _readable(profile, parameter), ""


def _readable(profile: Profile, parameter: Parameter) -> bool:
    binding = parameter.midi or parameter.serial
    if binding is not None and binding.query is not None:
        return True
    return profile.dump is not None and parameter.id in dump_fields(profile)


def dump_fields(profile: Profile) -> set[str]:
    """The parameters a profile's state dump carries."""
    if profile.dump is None:
        return set()
    return set(profile.dump.reply.parameters)


def _is_program(profile: Profile, parameter_id: str) -> bool:
    try:
        midi = profile.parameter(parameter_id).midi
    except KeyError:
        return False
    return midi is not None and midi.type == "program"


def _detent(definition: dict[str, object], target: float) -> str:
    detents = definition.get("detents")
    if definition.get("kind") != "stepped" or not isinstance(detents, list):
        return ""
    for index, detent in enumerate(detents, start=1):
        if abs(float(detent["value"]) - target) <= 1e-9 * max(1.0, abs(target)):
            return f"position {index} of {len(detents)}"
    return ""


def preview(plan: UnitPlan) -> dict[str, list[bytes]]:
    """The messages each control of a remote unit will be sent, without sending them."""
    if plan.loaded is None or plan.address is None:
        return {}
    profile = plan.loaded
    address = unit_address(parse_address(plan.address), profile)
    messages: dict[str, list[bytes]] = {}
    for step in plan.steps:
        if step.problem:
            continue
        parameter = profile.parameter(step.parameter)
        value = values.validate(parameter, step.target)
        if parameter.midi is not None:
            messages[step.parameter] = codec.midi_messages(parameter, value, address)
        elif parameter.serial is not None and profile.serial is not None:
            messages[step.parameter] = [codec.serial_command(parameter, value, address,
                                                             profile.serial.terminator)]
    return messages
