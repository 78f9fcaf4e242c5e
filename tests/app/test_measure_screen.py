"""The Measure screen: the source mix measured as the command line measures it, the song's
delivery targets, loudness over time; a song without a mix; a mix that is gone."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from textual.widgets import Static

from controller.measure import measure_file
from controller.targets import check, load_targets
from recall.library import Library
from tui.app.errors import ErrorDialog
from tui.app.screens.measure import MeasureScreen
from tui.app.widgets.plot import LoudnessPlot, braille, level_range

from .conftest import SIZE, Demo, settle, settle_through_failure, settle_until

SONG = "Night Drive/Opener"






def shown(app, widget_id: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(f"#{widget_id}", Static).content)


async def test_the_report_matches_the_meter_and_checks_the_song_targets(
        demo_with_mixes: Demo) -> None:
    with Library(demo_with_mixes.library_path) as library:
        song = library.song(SONG)
    expected = measure_file(Path(song.source_path or ""))
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="measure")
        await settle(pilot)
        report = shown(app, "measure-report")
        integrated = float(re.search(r"Integrated\s+(-?\d+\.\d) LUFS", report).group(1))
        assert integrated == pytest.approx(expected.integrated_lufs, abs=0.1)
        assert re.search(r"True peak\s+-?\d+\.\d dBTP", report)
        assert re.search(r"PLR\s+\d+\.\d LU", report)
        assert "Correlation" in report and "Loudness range" in report
        targets = load_targets()
        for key in song.targets:  # spotify, apple-music
            result = check(expected, targets[key])
            verdict = "PASS" if result.passed else "FAIL"
            assert f"{targets[key].name}: {verdict} — {result.detail}" in report
            assert f"{targets[key].name} {verdict}" in shown(app, "measure-status")


async def test_loudness_over_time_is_plotted(demo_with_mixes: Demo) -> None:
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="measure")
        await settle(pilot)
        short_term = app.screen.query_one("#plot-short-term", LoudnessPlot)
        momentary = app.screen.query_one("#plot-momentary", LoudnessPlot)
        duration = 20.0  # the demo's mixes
        for plot in (short_term, momentary):
            assert plot.times[-1] == pytest.approx(duration, abs=0.5)
            assert np.isfinite(plot.values).any()
            drawn = str(plot.render())
            assert re.search("[\u2801-\u28ff]", drawn)  # braille dots
            assert "0:20" in drawn and "integrated" in drawn


async def test_a_measured_mix_is_not_measured_again_until_asked(
        demo_with_mixes: Demo) -> None:
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="measure")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MeasureScreen)
        first = screen.report
        await pilot.press("l")
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert screen.report is first
        await pilot.press("g")
        await settle_until(pilot, lambda: screen.report is not first)
        assert screen.report is not None
        app.open_song("Night Drive/Closer", screen="measure")
        await settle(pilot)
        assert screen.report is not None and screen.report.song.title == "Closer"
        assert "Closer.wav" in shown(app, "measure-report")


async def test_a_song_without_a_mix_says_how_to_add_one(demo: Demo) -> None:
    app = demo.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="measure")
        await settle(pilot)
        status = shown(app, "measure-status")
        assert "no source mix" in status
        assert 'outboard song set "Night Drive/Opener" --source FILE' in status
        assert shown(app, "measure-report") == ""


async def test_a_missing_mix_file_is_an_error_dialog(demo_with_mixes: Demo) -> None:
    with Library(demo_with_mixes.library_path) as library:
        Path(library.song(SONG).source_path or "").unlink()
    app = demo_with_mixes.app()
    async with app.run_test(size=SIZE) as pilot:
        app.open_song(SONG, screen="measure")
        await settle_through_failure(pilot)
        assert isinstance(app.screen, ErrorDialog)
        assert "no such file" in app.screen.message
        await pilot.press("escape")  # closing the dialog does not measure (and fail) again
        await pilot.pause()
        assert isinstance(app.screen, MeasureScreen)
        assert "could not be measured" in shown(app, "measure-status")


def test_braille_draws_a_line_from_the_loudest_point_of_each_column() -> None:
    values = np.array([-20.0, -20.0, -np.inf, -10.0])
    low, high = level_range(values)
    assert (low, high) == (-21.0, -9.0)
    lines = braille(values, width=2, height=1, low=-20.0, high=-10.0)
    # Columns 1-2: -20 (bottom dots); 3: undefined (gap); 4: -10 (top dot).
    assert lines == [chr(0x2800 | 0x40 | 0x80) + chr(0x2800 | 0x08)]
    assert braille(np.zeros(0), width=3, height=2, low=-1.0, high=0.0) == ["\u2800" * 3] * 2
