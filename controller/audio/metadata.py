"""What a print carries inside its file: the BWF ``bext`` chunk and the iXML document naming
the song, revision, take, loop, latency and calibration."""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from recall.studio import InsertLoop, Studio

from .wavfile import Bext

IXML_VERSION = "2.10"


def ascii_text(text: str, limit: int) -> str:
    """``text`` as the ASCII a bext field holds: accents dropped, the rest as '?'."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    plain = "".join(c if c.isprintable() else " " for c in plain)
    return plain[:limit]


def print_bext(*, song: str, revision: int, take: int, loop: str, sample_rate: int,
               channels: int, subtype: str, reference: str, when: datetime) -> Bext:
    bits = "24" if subtype == "PCM_24" else "32"
    mode = {1: "mono", 2: "stereo"}.get(channels, f"{channels}ch")
    return Bext(
        description=ascii_text(f"{song}, revision {revision}, take {take}, printed through "
                               f"loop {loop}", 256),
        originator="Outboard", originator_reference=ascii_text(reference, 32),
        origination_date=when.strftime("%Y-%m-%d"), origination_time=when.strftime("%H:%M:%S"),
        coding_history=f"A=PCM,F={sample_rate},W={bits},M={mode},T=Outboard print via loop "
                       f"{ascii_text(loop, 40)}\r\n")


def print_ixml(*, session: str, song: str, revision: int, take: int, studio: Studio,
               loop: InsertLoop, ping: dict[str, Any], outcome: dict[str, Any],
               source: dict[str, Any]) -> str:
    """The iXML document: the standard project, scene and take, and an OUTBOARD block with
    the revision, the loop's calibration, the latency used and what the print measured."""

    def tag(name: str, value: Any) -> str:
        shown = "" if value is None else value
        if isinstance(shown, bool):
            shown = "true" if shown else "false"
        return f"<{name}>{escape(str(shown))}</{name}>"

    calibration = []
    for direction, channels in (("output", loop.outputs), ("input", loop.inputs)):
        for channel in channels:
            entry = studio.calibration_for(direction, channel)
            level = None if entry is None else entry.dbfs_at_plus4_dbu
            calibration.append(f'<CHANNEL DIRECTION="{direction}" NUMBER="{channel}">'
                               f"{tag('DBFS_AT_PLUS4_DBU', level)}</CHANNEL>")
    xruns = "".join(f'<XRUN SECONDS="{x["seconds"]}">{escape(x["kind"])}</XRUN>'
                    for x in outcome.get("xruns", []))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<BWFXML>'
        + tag("IXML_VERSION", IXML_VERSION) + tag("PROJECT", session) + tag("SCENE", song)
        + tag("TAKE", take) + tag("NOTE", f"revision {revision}")
        + "<OUTBOARD>" + tag("REVISION", revision) + tag("STATE", outcome.get("state"))
        + tag("STUDIO", studio.name) + tag("LOOP", loop.name)
        + tag("SEND_TRIM_DB", loop.send_trim_db) + tag("RETURN_TRIM_DB", loop.return_trim_db)
        + f"<CALIBRATION>{''.join(calibration)}</CALIBRATION>"
        + tag("PING_LATENCY_SAMPLES", ping.get("latency_samples"))
        + tag("PING_JITTER_SAMPLES", ping.get("jitter_samples"))
        + tag("COMPENSATION_SAMPLES", outcome.get("shift_frames"))
        + tag("ALIGNMENT_OFFSET_SAMPLES", outcome.get("offset_samples"))
        + tag("ALIGNED", outcome.get("aligned"))
        + f"<XRUNS COUNT=\"{len(outcome.get('xruns', []))}\">{xruns}</XRUNS>"
        + tag("SOURCE_FILE", source.get("path")) + tag("SOURCE_SHA256", source.get("sha256"))
        + tag("RESAMPLED_FROM", outcome.get("resampled_from"))
        + "</OUTBOARD></BWFXML>\n")
