"""The revision report in headless Chromium at a phone's width (390 px)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from controller.demo import build_demo
from controller.print_session import print_revision
from controller.report import session_report
from controller.report_render import render
from recall.library import Library

pytestmark = pytest.mark.browser

CHROMIUM = shutil.which("chromium")
PHONE = (390, 2000)
# The screenshot and the page are kept for people to look at: OUTBOARD_TEST_ARTEFACTS names
# the folder (default tests/artefacts/, which git ignores).
ARTEFACTS = Path(os.environ.get("OUTBOARD_TEST_ARTEFACTS",
                                Path(__file__).resolve().parent / "artefacts"))
# Only the test's probe page runs a script; the report itself has none.
PROBE = """<!DOCTYPE html><html><head><title>waiting</title></head><body style="margin:0">
<iframe id="page" src="{page}" style="width:{width}px;height:{height}px;border:0"></iframe>
<script>
document.getElementById("page").addEventListener("load", () => {{
  const root = document.getElementById("page").contentDocument.documentElement;
  document.title = "scroll=" + root.scrollWidth + " client=" + root.clientWidth;
}});
</script></body></html>
"""

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (.ci/system-packages installs it)")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo album's session report, the Opener printed at revisions 1 and 2."""
    folder = tmp_path_factory.mktemp("browser")
    library_path, studio = build_demo(folder / "demo")
    with Library(library_path) as library:
        for number in (1, 2):
            print_revision(library, library_path, studio, "Night Drive/Opener", number)
        report = session_report(library, "Night Drive")
    target = folder / "Night Drive.html"
    target.write_text(render(report, "html").text, encoding="utf-8")
    return target


def chromium(profile: Path, *args: str, timeout: float = 90) -> str:
    """Run headless Chromium with its own profile folder; its stdout. The whole process
    group is ended if it overruns."""
    assert CHROMIUM is not None
    process = subprocess.Popen(
        [CHROMIUM, "--headless", "--disable-gpu", "--no-sandbox", "--no-first-run",
         f"--user-data-dir={profile}", *args],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"Chromium did not finish within {timeout} s")
    assert process.returncode == 0, f"Chromium exited with {process.returncode}"
    return out


@needs_chromium
def test_the_report_paints_at_a_phones_width(page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report-390.png"
    chromium(tmp_path / "profile", f"--screenshot={shot}",
             f"--window-size={PHONE[0]},{PHONE[1]}", page.as_uri())
    assert shot.is_file()
    with Image.open(shot) as picture:
        assert picture.format == "PNG" and picture.size == PHONE
        grey = np.asarray(picture.convert("L"), dtype=float)
    # Text, rules and a plot: far from a blank page.
    assert grey.std() > 20 and (grey < 128).mean() > 0.01
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTEFACTS / shot.name)
    shutil.copy(page, ARTEFACTS / "report.html")


@needs_chromium
def test_nothing_is_wider_than_the_phone(page: Path, tmp_path: Path) -> None:
    probe = page.with_name("probe.html")
    probe.write_text(PROBE.format(page=page.name, width=PHONE[0], height=PHONE[1]),
                     encoding="utf-8")
    dom = chromium(tmp_path / "profile", "--allow-file-access-from-files",
                   "--virtual-time-budget=10000", "--window-size=800,2100", "--dump-dom",
                   probe.as_uri())
    found = re.search(r"<title>scroll=(\d+) client=(\d+)</title>", dom)
    assert found, f"the probe did not report: {dom[:300]}"
    scroll, client = map(int, found.groups())
    assert 300 < client <= PHONE[0] and scroll <= client
