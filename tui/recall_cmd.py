"""`outboard recall SONG`, `outboard recall log SONG`, `outboard capture SONG`: put a revision
back on the gear, read what happened, or read the gear into a new revision."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from controller.errors import EXIT_OK, InputError
from controller.recall_engine.plan import MANUAL, REMOTE, UNAVAILABLE, RecallPlan, preview
from controller.recall_engine.session import (
    EXIT_CODES,
    Checklist,
    ChecklistItem,
    capture,
    finish,
    plan_for,
    send,
    start,
)
from recall.attempts import Attempt, Outcome
from recall.errors import LibraryError, StudioError
from recall.records import display_value
from recall.studio import Studio, load_studio

from .library_access import emit, open_library
from .studio_cmd import ENVIRONMENT as STUDIO_ENVIRONMENT
from .studio_cmd import studio_file


def register(commands: Any) -> None:
    recall = commands.add_parser(
        "recall", help="put a revision back on the gear; 'recall log SONG' lists attempts",
        description="Sends every remote unit its settings (units on different ports in "
        "parallel), reads back what each unit can report and resends mismatches, then walks "
        "the manual units control by control. Exit codes: 0 everything verified, sent or "
        "confirmed; 1 something left to do or mismatched; 3 a unit failed as a device.")
    recall.add_argument("words", nargs="+", metavar="SONG",
                        help='"Session/Song" (or "log SONG" for the attempts so far)')
    recall.add_argument("--rev", type=int, metavar="N", help="the revision (default: latest)")
    common_options(recall)
    recall.add_argument("--dry-run", action="store_true",
                        help="print the plan and send nothing")
    recall.add_argument("--resume", action="store_true",
                        help="do only what the last attempt at this revision left undone")
    recall.add_argument("--no-checklist", action="store_true",
                        help="leave the manual units for later (--resume takes them up)")
    recall.set_defaults(handler=run_recall)

    grab = commands.add_parser(
        "capture", help="read the gear's present settings into a new draft revision",
        description="Reads every unit that can report its settings and starts a new draft "
        "revision from the latest (or --rev N) with what they say; the rest stays as it was.")
    grab.add_argument("song", help='"Session/Song", or the song id')
    grab.add_argument("--rev", type=int, metavar="N", help="the revision to start from")
    common_options(grab)
    grab.set_defaults(handler=run_capture)


def common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--studio", metavar="FILE", type=Path,
                        help=f"the studio file (default: ${STUDIO_ENVIRONMENT})")
    parser.add_argument("--library", metavar="PATH", help="the library file")
    parser.add_argument("--json", action="store_true", help="print JSON")


def studio_option(args: argparse.Namespace, action: str = "check") -> Studio:
    try:
        return load_studio(studio_file(args.studio, action, option=True))
    except StudioError as err:
        raise InputError(err.message, title=err.title) from err


# ---------------------------------------------------------------------------- recall


def run_recall(args: argparse.Namespace) -> int:
    if args.words[0] == "log" and len(args.words) == 2:
        return run_log(args, args.words[1])
    if len(args.words) != 1:
        raise InputError(f"recall takes one song, got {len(args.words)} words: "
                         f"{' '.join(args.words)} (quote a name with spaces)")
    studio = studio_option(args)
    with open_library(args) as library:
        plan = plan_for(library, args.words[0], studio, args.rev)
        if args.dry_run:
            emit(plan_json(plan)) if args.json else print("\n".join(plan_lines(plan, studio)))
            return EXIT_OK
        attempt = start(library, plan, resume=args.resume)
        if not args.json:
            print(f"{plan.song} rev {plan.revision} → '{studio.name}', attempt "
                  f"#{attempt.id}" + (f" (resuming #{attempt.resumed_from})"
                                      if attempt.resumed_from else ""))
        try:
            faults = send(library, attempt, plan)
            if not (args.json or args.no_checklist):
                walk(Checklist(library, attempt.id, plan))
        except KeyboardInterrupt:
            finish(library, attempt.id)  # kept as incomplete: --resume takes it up
            raise
        done = finish(library, attempt.id, faults)
    if args.json:
        emit({**attempt_json(done), "faults": list(faults)})
    else:
        print("\n".join(report_lines(plan, done, faults)))
    return EXIT_CODES[done.outcome]


def plan_lines(plan: RecallPlan, studio: Studio) -> list[str]:
    where = "the studio it was made in" if plan.same_studio else "made in another studio"
    lines = [f"{plan.song} rev {plan.revision} in '{studio.name}' ({where})"]
    for unit in plan.units:
        head = f"  {unit.position}. {unit.unit}  {unit.kind}"
        if unit.kind == REMOTE:
            readable = sum(s.readable for s in unit.steps)
            head += f"  {unit.address}  {len(unit.steps)} controls ({readable} read back)"
        elif unit.kind == MANUAL:
            head += f"  {len(unit.steps)} controls, by hand"
        lines.append(head + ("  BYPASSED" if unit.bypassed else ""))
        if unit.reason:
            lines.append(f"       {unit.reason}")
        if unit.kind == UNAVAILABLE:
            continue
        messages = preview(unit) if unit.kind == REMOTE else {}
        width = max((len(step.name) for step in unit.steps), default=0)
        for step in unit.steps:
            text = f"       {step.name:<{width}}  {step.text:<12} {step.detent:<17}"
            if step.previous is not None:
                text += f"  (was {step.previous})"
            if step.problem:
                text += f"  cannot send: {step.problem}"
            elif step.parameter in messages:
                text += "  " + " | ".join(_wire(m) for m in messages[step.parameter])
            lines.append(text.rstrip())
    return lines


def _wire(message: bytes) -> str:
    if message and message[0] < 0x80 and message.isascii():
        return repr(message.decode("ascii"))
    return message.hex(" ").upper()


def walk(checklist: Checklist) -> None:
    """The manual units at the terminal, one control at a time: Enter when it is set, or
    type what was actually set; s skips it, q stops (both left for --resume)."""
    items = checklist.items()
    if not items:
        return
    print(f"\n{len(items)} controls to set by hand. Enter when set, or type the value you "
          "set; s skips, q stops here (outboard recall --resume takes it up).")
    unit = None
    for item in items:
        if item.unit.unit != unit:
            unit = item.unit.unit
            print(f"\n{unit}" + (f" (as {item.unit.studio_unit})"
                                  if item.unit.studio_unit not in (None, unit) else ""))
        while True:
            answer = _ask(item)
            if answer is None or answer == "q":
                return
            if answer == "s":
                break
            try:
                checklist.confirm(item, answer or None)
                break
            except LibraryError as err:
                print(f"  {err.message}", file=sys.stderr)


def _ask(item: ChecklistItem) -> str | None:
    step = item.step
    prompt = f"  {step.name}: {step.text}"
    if step.detent:
        prompt += f" ({step.detent})"
    if step.previous is not None:
        prompt += f"  — changed, was {step.previous}"
    try:
        return input(prompt + "  > ").strip()
    except EOFError:
        print()
        return None


def report_lines(plan: RecallPlan, attempt: Attempt, faults: tuple[str, ...]) -> list[str]:
    by_unit: dict[str, list[Outcome]] = {}
    for outcome in attempt.outcomes:
        by_unit.setdefault(outcome.unit, []).append(outcome)
    lines = []
    for unit in plan.units:
        outcomes = by_unit.get(unit.unit, [])
        steps = {step.parameter: step for step in unit.steps}
        counted: dict[str, int] = {}
        for o in outcomes:
            counted[o.state] = counted.get(o.state, 0) + 1
        text = ", ".join(f"{n} {state.replace('_', ' ')}" for state, n in counted.items())
        mark = "ok" if all(o.done for o in outcomes) else "!!"
        lines.append(f"  {mark} {unit.unit}: {text}")
        for o in outcomes:
            step = steps.get(o.parameter)
            name = step.name if step is not None else o.parameter
            if o.state == "manual_confirmed" and o.detail and step is not None:
                set_to = display_value(step.definition, o.actual)
                lines.append(f"       {name}: set by hand to {set_to} (the revision has "
                             f"{step.text})")
            elif not o.done and o.state != "manual_pending":
                actual = f" (reads {o.actual:g})" if o.actual is not None else ""
                lines.append(f"       {name}: {o.state.replace('_', ' ')}{actual}"
                             + (f" — {o.detail}" if o.detail else ""))
    lines.extend(f"  fault: {fault}" for fault in faults)
    totals = attempt.counts()
    summary = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in totals.items() if n)
    lines.append(f"{attempt.outcome}: {summary}")
    if attempt.outcome != "complete":
        lines.append("outboard recall --resume does what is left")
    return lines


def plan_json(plan: RecallPlan) -> dict[str, Any]:
    return {"song": plan.song, "revision": plan.revision, "studio": plan.studio,
            "same_studio": plan.same_studio, "units": [
                {"position": u.position, "unit": u.unit, "profile": u.profile, "kind": u.kind,
                 "bypassed": u.bypassed, "studio_unit": u.studio_unit, "address": u.address,
                 "reason": u.reason,
                 "steps": [{"parameter": s.parameter, "name": s.name, "target": s.target,
                            "text": s.text, "detent": s.detent, "previous": s.previous,
                            "readable": s.readable, "problem": s.problem,
                            "messages": [m.hex() for m in preview(u).get(s.parameter, [])]
                            if u.kind == REMOTE else []}
                           for s in u.steps]} for u in plan.units]}


def attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {"attempt": attempt.id, "revision": attempt.revision_number,
            "studio": attempt.studio, "studio_name": attempt.studio_name,
            "resumed_from": attempt.resumed_from,
            "started": attempt.started, "finished": attempt.finished,
            "outcome": attempt.outcome, "counts": attempt.counts(),
            "outcomes": [asdict(o) for o in attempt.outcomes]}


def run_log(args: argparse.Namespace, song: str) -> int:
    with open_library(args) as library:
        attempts = library.attempts(song, args.rev)
        name = library.song(song).name
    if args.json:
        for attempt in attempts:
            emit(attempt_json(attempt))
        return EXIT_OK
    if not attempts:
        print(f"{name}: no recall yet")
    for a in attempts:
        counted = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in a.counts().items() if n)
        resumed = f" (resumed #{a.resumed_from})" if a.resumed_from else ""
        print(f"#{a.id} rev {a.revision_number} {a.started}: {a.outcome}{resumed}; {counted}")
    return EXIT_OK


# ---------------------------------------------------------------------------- capture


def run_capture(args: argparse.Namespace) -> int:
    studio = studio_option(args)
    with open_library(args) as library:
        revision, captured = capture(library, args.song, studio, number=args.rev)
        name = library.song(revision.song_id).name
    if args.json:
        emit({"song": name, "revision": revision.number, "parent": revision.parent_number,
              "units": [asdict(c) for c in captured]})
    else:
        print(f"{name}: rev {revision.number} (draft) from rev {revision.parent_number}")
        for c in captured:
            line = f"  {c.unit}: {len(c.values)} read"
            if c.unreadable:
                line += f", {len(c.unreadable)} cannot be read (kept from rev " \
                        f"{revision.parent_number})"
            if c.problem:
                line += f"; {c.problem}"
            print(line)
    return EXIT_CODES["fault"] if any(c.problem for c in captured) else EXIT_OK
