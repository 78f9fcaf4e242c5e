"""What the library keeps of a unit's controls: a frozen, self-contained copy of each
parameter's definition, made from its device profile when the unit enters a chain."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from devices.profile import Parameter, Profile

LIBRARY_ENV = "OUTBOARD_LIBRARY"
LIBRARY_FILE = "library.sqlite"


def definition(parameter: Parameter) -> dict[str, Any]:
    """One parameter as plain data: enough to check a value and print a recall sheet."""
    data: dict[str, Any] = {"name": parameter.name, "section": parameter.section,
                            "kind": parameter.kind, "unit": parameter.unit,
                            "default": parameter.default}
    if parameter.kind == "continuous":
        data.update(min=parameter.minimum, max=parameter.maximum, taper=parameter.taper,
                    resolution=parameter.resolution)
        if parameter.centre is not None:
            data["centre"] = parameter.centre
    elif parameter.kind == "stepped":
        data["detents"] = [{"label": d.label, "value": d.value} for d in parameter.detents]
    else:
        data["labels"] = list(parameter.labels)
    if parameter.side:
        data["side"] = parameter.side
    return data


def definitions(profile: Profile) -> dict[str, Any]:
    """Every parameter of ``profile``, by id, as the library freezes them."""
    return {p.id: definition(p) for p in profile.parameters}


def library_path(explicit: str | Path | None) -> Path:
    """Where the library is: ``--library``, else $OUTBOARD_LIBRARY, else the user data folder."""
    if explicit:
        return Path(explicit).expanduser()
    if os.environ.get(LIBRARY_ENV):
        return Path(os.environ[LIBRARY_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir("outboard", appauthor=False)) / LIBRARY_FILE
