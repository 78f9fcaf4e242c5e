"""Recall sheets from a real library file: every format read back and checked against the
library, changes since the parent marked, photos embedded, and the `outboard sheet` command."""

from __future__ import annotations

import base64
import csv
import io
import json
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from recall.diff import diff_revisions
from recall.library import Library
from recall.sheet import session_sheet, song_sheet
from recall.sheet_render import render
from tui.cli import main

from .conftest import add, png

OPENER = "Night Drive/Opener"
VOID = {"img", "meta", "br", "hr", "link", "input"}


class Node:
    """An element of a parsed page: its tag, attributes and children."""

    def __init__(self, tag: str, attrs: dict[str, str | None]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def find(self, tag: str, cls: str | None = None) -> list[Node]:
        """Every element ``tag`` below this one (with class ``cls``), in document order."""
        found = []
        for child in self.children:
            if isinstance(child, Node):
                if child.tag == tag and (cls is None or cls in child.classes):
                    found.append(child)
                found.extend(child.find(tag, cls))
        return found


class Tree(HTMLParser):
    """The page as a tree of nodes, parsed by the standard library."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.feed(page)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    tree = Tree(page)
    assert tree.stack == [tree.root], "unclosed elements"
    return tree.root


def diff_of(library: Library, song: str, number: int):
    revision = library.revision(song, number)
    parent = library.revision(song, revision.parent_number)
    return diff_revisions(library.song(song).name, parent, revision, library.notes(song))


# ---------------------------------------------------------------------------- Markdown


def test_markdown_lists_the_chain_in_order_and_marks_what_changed(album: Library) -> None:
    text = render(song_sheet(album, OPENER, 2), "md")
    chain = [u.unit for u in album.revision(OPENER, 2).chain]
    assert chain == ["System 6000", "Serial EQ", "Pultec", "Stepped EQ"]
    listed = [line for line in text.splitlines() if line[:3] in {"1. ", "2. ", "3. ", "4. "}]
    assert listed == ["1. **System 6000** (tc-system-6000-faders) — **BYPASSED**",
                      "2. **Serial EQ** (generic-serial-ascii)",
                      "3. **Pultec** (pultec-eqp-1a)",
                      "4. **Stepped EQ** (stepped-mastering-eq)"]
    headings = [line for line in text.splitlines() if line.startswith("## ") and ". " in line]
    assert headings == ["## 1. System 6000 — BYPASSED", "## 2. Serial EQ", "## 3. Pultec",
                        "## 4. Stepped EQ"]
    assert "| **Low Frequency** | **100 Hz** (was 60 Hz) | position 4 of 4 |" in text
    assert "| **Low Boost** | **4.5** (was 3) |  |" in text
    assert "| **Bypass** | **bypassed** (was in) |  |" in text
    assert "| Low Atten | 0 |  |" in text  # unchanged: not marked
    assert "| **High Pass (L)** | **off** (new) | position 1 of 6 |" in text
    assert "moved from position 3 to 1; now bypassed (in circuit in revision 1)" in text
    assert "3 controls changed" in text
    assert "| Revision | 2, draft |" in text and "| Parent | revision 1 |" in text
    assert "| Delivery targets | spotify, apple-music |" in text
    assert "1:02.5 · rev 1 · reaction, artist: Kick feels soft in the chorus — " \
           "addressed in rev 2" in text


def test_a_first_revision_marks_nothing_and_lists_its_photo(album: Library) -> None:
    text = render(song_sheet(album, OPENER, 1), "md")
    assert "was " not in text and "(new)" not in text
    assert "| Low Frequency | 60 Hz | position 3 of 4 |" in text
    assert "First revision: nothing to compare." in text
    assert "| Frozen | yes, printed: a change starts a new revision |" in text
    [photo] = album.attachments(OPENER, 1)
    assert f"- pultec-front.png — Pultec front panel (sha256 {photo.sha256})" in text
    assert "Example Room" in text and "Calibration output 3, 4, 5, 6: -18 dBFS" in text


# ---------------------------------------------------------------------------- HTML


def test_html_is_one_printable_page_with_the_changes_highlighted(album: Library) -> None:
    page = render(song_sheet(album, OPENER, 2), "html")
    root = parse(page)
    assert not root.find("script") and not root.find("link") and not root.find("a")
    assert "@media print" in page and "url(" not in page and "://" not in page
    units = [h.text() for h in root.find("h3")]
    assert units == ["1System 6000BYPASSED", "2Serial EQ", "3Pultec", "4Stepped EQ"]
    flow = [li.text() for li in root.find("ol", "flow")[0].find("li")]
    assert flow == units
    diff = diff_of(album, OPENER, 2)
    changed = {tuple(td.text() for td in row.find("td")) for row in root.find("tr", "changed")}
    assert len(changed) == len(diff.parameters) == 27
    assert ("Low Frequency", "100 Hz", "position 4 of 4", "60 Hz") in changed
    assert ("Low Boost", "4.5", "", "3") in changed
    assert ("Bypass", "bypassed", "", "in") in changed
    plain = [row for row in root.find("tr") if row.find("td") and "changed" not in row.classes]
    assert all(row.find("td", "was")[0].text() == "" for row in plain if row.find("td", "was"))
    assert any(row.find("td")[0].text() == "Low Atten" for row in plain)


def test_html_embeds_the_photo_beside_its_unit(album: Library) -> None:
    root = parse(render(song_sheet(album, OPENER, 1), "html"))
    assert not root.find("tr", "changed")
    pultec = [s for s in root.find("section", "unit") if "Pultec" in s.find("h3")[0].text()]
    [img] = pultec[0].find("img")
    assert all(i.attrs["src"].startswith("data:") for i in root.find("img"))
    prefix = "data:image/png;base64,"
    assert img.attrs["src"].startswith(prefix)
    [attachment] = album.attachments(OPENER, 1)
    data = base64.b64decode(img.attrs["src"][len(prefix):])
    assert data == album.attachment_file(attachment).read_bytes()
    assert img.attrs["alt"] == "Pultec front panel"


def test_a_missing_photo_is_said_not_crashed_on(album: Library) -> None:
    [attachment] = album.attachments(OPENER, 1)
    album.attachment_file(attachment).unlink()
    root = parse(render(song_sheet(album, OPENER, 1), "html"))
    assert not root.find("img")
    [note] = root.find("p", "missing")
    assert "pultec-front.png" in note.text() and "missing" in note.text()
    text = render(song_sheet(album, OPENER, 1), "md")
    assert f"- pultec-front.png — Pultec front panel (sha256 {attachment.sha256}) — missing" \
        in text
    document = json.loads(render(song_sheet(album, OPENER, 1), "json"))
    assert document["chain"][1]["photos"][0]["present"] is False


def test_everything_from_the_library_is_escaped(album: Library, tmp_path: Path) -> None:
    hostile = '<script>alert("&")'
    album.new_session(f"Live {hostile}", artist="Ünsal & <b>Co</b>")
    song = album.add_song(f"Live {hostile}", f"Track 'one' {hostile}")
    album.new_revision(song.id)
    add(album, song.id, 1, f"EQ {hostile}", "pultec-eqp-1a", low_boost=2.0)
    album.attach(song.id, 1, png(tmp_path / "panel.png"), caption=f'caption "{hostile}"')
    album.add_note(song.id, f"</td></tr></table>{hostile} 音が良い", kind="request",
                   author="artist", at_seconds=5.0)
    page = render(song_sheet(album, song.id), "html")
    root = parse(page)
    assert not root.find("script") and "<script>" not in page and "<b>Co" not in page
    text = root.text()
    for expected in (f"EQ {hostile}", f"Track 'one' {hostile}", "Ünsal & <b>Co</b>",
                     f"</td></tr></table>{hostile} 音が良い"):
        assert expected in text
    assert root.find("img")[0].attrs["alt"] == f'caption "{hostile}"'
    markdown = render(song_sheet(album, song.id), "md")
    assert "<script>" not in markdown and "\\<script\\>" in markdown


# ---------------------------------------------------------------------------- CSV and JSON


def test_csv_has_one_row_per_control_with_the_library_values(album: Library) -> None:
    revision = album.revision(OPENER, 2)
    rows = list(csv.DictReader(io.StringIO(render(song_sheet(album, OPENER, 2), "csv"))))
    assert len(rows) == sum(len(u.settings) for u in revision.chain) == 42
    for row in rows:
        unit = revision.chain[int(row["position"]) - 1]
        assert row["unit"] == unit.unit and row["profile"] == unit.profile
        assert float(row["value"]) == unit.settings[row["parameter"]]
        assert row["bypassed"] == ("yes" if unit.bypassed else "")
        assert (row["session"], row["song"], row["revision"]) == ("Night Drive", "Opener", "2")
    assert [(r["unit"], r["parameter"]) for r in rows] == [
        (u.unit, p) for u in revision.chain for p in u.settings]
    diff = diff_of(album, OPENER, 2)
    assert {(r["unit"], r["parameter"]) for r in rows if r["changed"]} == {
        (c.unit, c.parameter) for c in diff.parameters}
    by_key = {(r["unit"], r["parameter"]): r for r in rows}
    low = by_key["Pultec", "low_freq"]
    assert (low["display"], low["previous"], low["previous_value"]) == ("100 Hz", "60 Hz", "60.0")
    assert (low["detent_position"], low["detent_count"], low["delta"]) == ("4", "4", "40.0")
    assert by_key["Pultec", "low_atten"]["changed"] == ""


def test_json_is_versioned_and_stands_alone(album: Library) -> None:
    document = json.loads(render(song_sheet(album, OPENER, 2), "json"))
    assert (document["format"], document["version"], document["kind"]) == (
        "outboard-sheet", 1, "song")
    revision = album.revision(OPENER, 2)
    assert document["revision"] == {
        "number": 2, "parent": 1, "status": "draft", "frozen": False,
        "created": revision.created,
        "studio": {"name": "Example Room", "fingerprint": revision.studio_fingerprint}}
    assert [u["unit"] for u in document["chain"]] == [u.unit for u in revision.chain]
    for got, unit in zip(document["chain"], revision.chain, strict=True):
        assert got["settings"] == unit.settings and got["definitions"] == unit.definitions
        assert got["bypassed"] is unit.bypassed
        values = {c["parameter"]: c["value"] for s in got["sections"] for c in s["controls"]}
        assert values == unit.settings
    pultec = document["chain"][2]["sections"][0]["controls"][0]
    assert pultec == {
        "parameter": "low_freq", "name": "Low Frequency", "kind": "stepped", "value": 100.0,
        "unit": "Hz", "display": "100 Hz", "detent_position": 4, "detent_count": 4,
        "changed": True, "previous": 60.0, "previous_display": "60 Hz", "delta": 40.0}
    assert document["routing"] == revision.routing
    assert document["calibration"] == revision.calibration
    assert document["song"]["targets"] == ["spotify", "apple-music"]
    assert [n["body"] for n in document["notes"]] == [n.body for n in album.notes(OPENER)]
    assert document["changes"]["a"] == 1
    first = json.loads(render(song_sheet(album, OPENER, 1), "json"))
    assert first["changes"] is None
    assert first["chain"][1]["photos"][0]["sha256"] == album.attachments(OPENER, 1)[0].sha256


# ---------------------------------------------------------------------------- sessions


def test_the_session_sheet_holds_every_song_in_track_order(album: Library) -> None:
    album.add_song("Night Drive", "Interlude", position=2)  # no revision yet
    late = album.add_song("Night Drive", "Bonus")
    album.new_revision(late.id)
    sheet = session_sheet(album, "Night Drive")
    assert [(s.song.title, s.revision.number) for s in sheet.songs] == [
        ("Opener", 2), ("Closer", 1), ("Bonus", 1)]
    assert [s.title for s in sheet.without_revision] == ["Interlude"]
    document = json.loads(render(sheet, "json"))
    assert document["kind"] == "session"
    assert [s["song"]["title"] for s in document["songs"]] == ["Opener", "Closer", "Bonus"]
    assert document["songs"][0]["chain"][0]["unit"] == "System 6000"
    text = render(sheet, "md")
    assert text.index("## Recall sheet: Opener, revision 2") < text.index(
        "## Recall sheet: Closer, revision 1") < text.index("## Recall sheet: Bonus, revision 1")
    assert "No revision yet: Interlude" in text
    assert "- Routing: not recorded" in text  # Bonus was made without a studio
    root = parse(render(sheet, "html"))
    assert [a.find("h1")[0].text() for a in root.find("article", "song")] == [
        "Opener, revision 2", "Closer, revision 1", "Bonus, revision 1"]
    assert "article.song + article.song { break-before: page;" in render(sheet, "html")
    rows = list(csv.DictReader(io.StringIO(render(sheet, "csv"))))
    assert [r["song"] for r in rows].count("Closer") == len(
        album.revision("Night Drive/Closer").chain[0].settings)


def test_the_sheet_modules_import_nothing_but_the_standard_library() -> None:
    probe = ("import json, sys; import recall.sheet, recall.sheet_render; "
             "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert {"controller", "devices", "tui", "textual"}.isdisjoint(json.loads(done.stdout))


# ---------------------------------------------------------------------------- command line


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("fmt", ["md", "html", "csv", "json"])
def test_the_command_writes_the_sheet_to_a_file(capsys, album: Library, tmp_path: Path,
                                                fmt: str) -> None:
    target = tmp_path / "out" / f"opener.{fmt}"
    target.parent.mkdir()
    target.write_text("an older sheet")
    code, out, err = run(capsys, "sheet", OPENER, "--rev", "2", "--format", fmt, "-o",
                         str(target), "--library", str(album.path))
    assert (code, err) == (0, "")
    assert out.count("\n") == 1 and str(target) in out
    assert target.read_bytes().decode() == render(song_sheet(album, OPENER, 2), fmt)
    assert [p.name for p in target.parent.iterdir()] == [target.name]


def test_the_command_prints_to_stdout_by_default(capsys, album: Library) -> None:
    code, out, _ = run(capsys, "sheet", "--session", "Night Drive", "--library", str(album.path))
    assert code == 0 and out == render(session_sheet(album, "Night Drive"), "md")
    code, out, _ = run(capsys, "sheet", OPENER, "--format", "json", "--library",
                       str(album.path))
    assert code == 0 and json.loads(out)["revision"]["number"] == 2


@pytest.mark.parametrize(("argv", "message"), [
    (["sheet", "Night Drive/Nowhere"], "no song 'Night Drive/Nowhere'"),
    (["sheet", "--session", "Nowhere"], "no session 'Nowhere'"),
    (["sheet", OPENER, "--rev", "7"], "no revision 7"),
    (["sheet"], "name either a song or --session"),
    (["sheet", OPENER, "--session", "Night Drive"], "name either a song or --session"),
    (["sheet", "--session", "Night Drive", "--rev", "1"], "--rev is for one song"),
    (["sheet", OPENER, "-o", "missing-folder/sheet.md"], "missing-folder/sheet.md: folder"),
])
def test_bad_input_is_one_line_on_stderr(capsys, album: Library, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch, argv, message) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, *argv, "--library", str(album.path))
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1
    assert not (tmp_path / "missing-folder").exists()


def test_a_failed_write_leaves_the_old_file_whole(capsys, album: Library, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "opener.md"
    target.write_text("the sheet from last week")

    def refuse(source: object, destination: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tui.output_file.os.replace", refuse)
    code, out, err = run(capsys, "sheet", OPENER, "-o", str(target), "--library",
                         str(album.path))
    assert code == 2 and str(target) in err and "Permission denied" in err
    assert target.read_text() == "the sheet from last week"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".opener")] == []
