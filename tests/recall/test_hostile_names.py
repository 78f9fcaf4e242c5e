"""Hostile names, notes and library imports, fuzzed. A name or a text is refused with one line
naming the field (exit code 2 through the command line) and the library left as it was, or kept
and read back exactly, everywhere it shows; a file named after a title stays in its folder, fits
255 bytes and takes no other title's name; a fuzzed, mutated or cut export is imported exactly
or refused, leaving the library file byte for byte as it was and nothing in its files folder."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import shutil
import sqlite3
import tempfile
import unicodedata
import wave
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from controller.chain import definitions
from controller.print_session import prints_folder, take_file
from devices.loader import find_profile
from recall.archive import export_session, file_sha256
from recall.archive_source import MANIFEST, check_member_name
from recall.errors import LibraryError
from recall.files import NAME_BYTES, files_folder, fit_bytes, portable_name
from recall.library import Library
from recall.records import Song
from tui.cli import main

from .conftest import build_album, png

PROFILE = "generic-serial-ascii"
SONG = "Album/Opener"
# A message quoting a hostile value is cut short; the longest honest one lists the detents
# of a stepped control.
LONGEST_MESSAGE = 700
# Bidirectional embeddings, overrides and isolates: they show text in another order.
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"{p}{n}" for p in ("COM", "LPT") for n in "123456789")}


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a test that opens libraries: no deadline (a write is fsynced),
    and fixtures that hold across examples (each example works in a folder of its own)."""
    return settings(max_examples=examples, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


# ---------------------------------------------------------------- what the rules say
def hides(char: str) -> bool:
    """A character no stored text may hold: a control character (C0, DEL, C1), a lone
    surrogate, or a bidirectional control."""
    return unicodedata.category(char) in ("Cc", "Cs") or char in BIDI


def name_refused(text: str) -> bool:
    """What a name (session, song, unit, attachment) may not be."""
    return (any(hides(c) or c in "/\\\u2028\u2029" for c in text) or not text.strip()
            or len(text.strip()) > 200)


def text_refused(text: str, limit: int) -> bool:
    """What free text (artist, notes, captions) may not be: tabs and line breaks are fine."""
    return any(hides(c) and c not in "\t\n\r" for c in text) or len(text) > limit


def one_line(message: str) -> bool:
    """One line a terminal shows as written: no line break, control or bidi character."""
    return (not any(unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp") or c in BIDI
                    for c in message) and len(message) < LONGEST_MESSAGE)


def fits(name: str, limit: int = NAME_BYTES) -> bool:
    """A name every usual file system takes, as it is."""
    return (not any(c in '/\\:*?"<>|\u2028\u2029' or hides(c) for c in name)
            and 0 < len(name.encode("utf-8")) <= limit and name not in (".", "..")
            and name == name.strip(" .") and unicodedata.is_normalized("NFC", name)
            and name.split(".")[0].rstrip(" ").upper() not in RESERVED)


# ---------------------------------------------------------------- hostile text
PIECES = ["/", "\\", "..", ".", "\x00", "\x1b[31m", "\x7f", "\x85", "\x9b", "\u202e", "\u2066",
          "\u2028", "\ufeff", "\u200d", " ", "\u3000", "\t", "\n", "\r", "CON", "NUL", "com1",
          "-", "--help", "é", "e\u0301", "東京", "مرحبا", "שלום", "🎛️", "👩\u200d🎤", "Ω",
          "\udcff", "'", '"', "%s", "{0}", "<b>", "*", ":", "1999", "²", "١٢", "Album"]
HOSTILE = st.one_of(
    st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=8).map("".join),
    st.builds(lambda unit, count: unit * count,
              st.sampled_from(["x", "東", "🎛", "e\u0301", " ", "/", "\x00"]),
              st.integers(150, 12_000)),
)
# Text from the world's scripts, as an artist or an engineer types it.
WORLD = st.one_of(
    st.sampled_from(["東京の夜", "مرحبا بالعالم", "שלום עולם", "e\u0301te\u0301 à Paris",
                     "👩\u200d🎤 on 🎛️", "Ωμέγα", "Привет, мир", "Ǆ ǅ ǆ", "ﷺ", "-Intro",
                     "CON", "NUL", "..", "1999", "²"]),
    st.text(st.characters(categories=["L", "M", "N", "P", "S", "Zs"],
                          exclude_characters="/\\"), min_size=1, max_size=40),
).map(str.strip).filter(bool)


# ---------------------------------------------------------------- libraries and commands
def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """The exit code, stdout and stderr of ``outboard ARGV...`` (a usage error exits)."""
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def assert_refused(code: int, out: str, err: str, *words: str) -> None:
    """Exit 2, nothing on stdout, one line on stderr naming ``words``."""
    assert (code, out) == (2, ""), (code, out, err)
    assert err.startswith("outboard: ") and err.endswith("\n"), err
    assert one_line(err.rstrip("\n")), repr(err)
    for word in words:
        assert word in err, err


def dump(path: Path) -> str:
    """The library file's logical content: every statement that rebuilds it."""
    db = sqlite3.connect(path)
    try:
        return "\n".join(db.iterdump())
    finally:
        db.close()


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


def inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def add_eq(library: Library, song: str, unit: str, number: int = 1) -> None:
    found = find_profile(PROFILE)
    library.add_unit(song, number, unit, profile=found.key, definitions=definitions(found))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A closed library: "Album" by The Band, its song "Opener" with draft revision 1 holding
    the unit "EQ" and a photo, and a note."""
    folder = tmp_path_factory.mktemp("template")
    with Library(folder / "library.sqlite") as library:
        library.new_session("Album", artist="The Band")
        library.add_song("Album", "Opener")
        library.new_revision(SONG)
        add_eq(library, SONG, "EQ")
        library.attach(SONG, 1, png(folder / "panel.png"), caption="Panel")
        library.add_note(SONG, "Warmer", kind="request", author="artist")
    return folder / "library.sqlite"


def fresh(template: Path, parent: Path) -> Path:
    """A copy of ``template`` (with its files) in a new folder under ``parent``."""
    folder = Path(tempfile.mkdtemp(dir=parent))
    shutil.copyfile(template, folder / "library.sqlite")
    shutil.copytree(files_folder(template), files_folder(folder / "library.sqlite"))
    png(folder / "photo.png")
    return folder / "library.sqlite"


# ---------------------------------------------------------------- 1. names and notes
@dataclass(frozen=True)
class Field:
    """One name or text the library keeps: how a message names it, what it may be (a name, or
    free text up to ``limit`` characters), what it may not repeat, and how it is written and
    read back through the library and through the command line."""

    word: str
    limit: int | None
    taken: tuple[str, ...]
    write: Callable[[Library, str, Path], str]
    argv: Callable[[str, Path], tuple[list[str], list[str], list[str]]]
    read: Callable[[dict[str, Any]], str]
    again: Callable[[str, dict[str, Any]], tuple[list[str], Callable[[Any], str]]]

    def refused(self, text: str) -> bool:
        if text.strip() in self.taken:
            return True
        if self.limit is None:
            return name_refused(text)
        return text_refused(text, self.limit) or (self.word == "note" and not text.strip())


def _new_session(library: Library, **given: str) -> Any:
    return library.session(library.new_session(given.pop("title", "Other"), **given).id)


def _new_song(library: Library, text: str, _: Path) -> str:
    song = library.add_song("Album", text)
    assert library.song(f"Album/{song.title}").id == song.id  # "Session/Song" finds it
    return library.song(song.id).title


def _new_unit(library: Library, text: str, _: Path) -> str:
    add_eq(library, SONG, text)
    return library.revision(SONG, 1).chain[-1].unit


def _new_note(library: Library, text: str, _: Path) -> str:
    return library.note(library.add_note(SONG, text, kind="request", author="artist").id).body


def _new_caption(library: Library, text: str, folder: Path) -> str:
    library.attach(SONG, 1, folder / "photo.png", caption=text)
    return library.attachments(SONG, 1)[-1].caption


def _last(key: str) -> Callable[[Any], str]:
    return lambda lines: lines[-1][key]


FIELDS = {
    "session": Field(
        "session name", None, ("Album",),
        lambda lib, t, _: _new_session(lib, title=t).title,
        lambda t, _: (["session", "new"], [], [t]), lambda out: out["title"],
        lambda t, out: (["session", "show", str(out["id"])], lambda o: o[0]["title"])),
    "artist": Field(
        "artist", 200, (),
        lambda lib, t, _: _new_session(lib, artist=t).artist,
        lambda t, _: (["session", "new"], [f"--artist={t}"], ["Other"]),
        lambda out: out["artist"],
        lambda t, out: (["session", "show", str(out["id"])], lambda o: o[0]["artist"])),
    "session notes": Field(
        "session notes", 20_000, (),
        lambda lib, t, _: _new_session(lib, notes=t).notes,
        lambda t, _: (["session", "new"], [f"--notes={t}"], ["Other"]),
        lambda out: out["notes"],
        lambda t, out: (["session", "show", str(out["id"])], lambda o: o[0]["notes"])),
    "song": Field(
        "song name", None, ("Opener",), _new_song,
        lambda t, _: (["song", "add"], [], ["Album", t]), lambda out: out["title"],
        lambda t, out: (["song", "show", f"Album/{out['title']}"], lambda o: o[0]["title"])),
    "unit": Field(
        "unit name", None, ("EQ",), _new_unit,
        lambda t, _: (["rev", "add-unit"], ["--profile", PROFILE], [SONG, t]),
        lambda out: out["chain"][-1]["unit"],
        lambda t, out: (["rev", "show", SONG], lambda o: o[0]["chain"][-1]["unit"])),
    "note": Field(
        "note", 20_000, (), _new_note,
        lambda t, _: (["note", "add"], [], [SONG, t]), lambda out: out["body"],
        lambda t, out: (["note", "list", SONG], _last("body"))),
    "caption": Field(
        "caption", 2_000, (), _new_caption,
        lambda t, folder: (["rev", "attach"], [f"--caption={t}"],
                           [SONG, str(folder / "photo.png")]),
        lambda out: out["caption"],
        lambda t, out: (["rev", "attachments", SONG], _last("caption"))),
}


@fuzz(100)
@given(field=st.sampled_from(list(FIELDS)), text=HOSTILE)
def test_a_hostile_name_or_text_is_refused_or_kept_exactly_by_the_library(
        template: Path, tmp_path: Path, field: str, text: str) -> None:
    """Through the library: a refusal is one line naming the field and changes nothing; an
    acceptance reads back as written (without the spaces around it)."""
    spec, path = FIELDS[field], fresh(template, tmp_path)
    before, files = dump(path), listing(path.parent)
    with Library(path) as library:
        try:
            kept = spec.write(library, text, path.parent)
        except LibraryError as err:
            assert spec.refused(text), f"{text!r} refused: {err.message}"
            assert one_line(err.message) and spec.word in err.message, err.message
            kept = None
    if kept is None:
        assert dump(path) == before and listing(path.parent) == files
    else:
        assert not spec.refused(text), f"{text!r} was kept"
        assert kept == text.strip()


@fuzz(60)
@given(field=st.sampled_from(list(FIELDS)), text=HOSTILE)
@example(field="artist", text="/\u2028/")  # JSON keeps U+2028; splitlines breaks on it
def test_a_hostile_name_or_text_is_refused_or_kept_exactly_by_the_command_line(
        capsys, template: Path, tmp_path: Path, field: str, text: str) -> None:
    """Through the command line (values after "--" or as --option=VALUE, as a leading "-"
    needs): exit 2 with one line naming the field and the library unchanged, or exit 0 and
    the same text from the command's JSON and from the command that shows it again."""
    spec, path = FIELDS[field], fresh(template, tmp_path)
    before = dump(path)
    words, options, positionals = spec.argv(text, path.parent)
    code, out, err = run(capsys, *words, "--library", str(path), "--json", *options, "--",
                         *positionals)
    if spec.refused(text):
        assert_refused(code, out, err, spec.word)
        assert dump(path) == before
        return
    assert code == 0, err
    shown = json.loads(out)
    assert spec.read(shown) == text.strip()
    words, read = spec.again(text, shown)
    code, out, err = run(capsys, *words, "--library", str(path), "--json")
    assert code == 0, err
    assert read([json.loads(line) for line in out.splitlines()]) == text.strip()


@pytest.mark.parametrize("title", ["-Intro", "--verbose", "-", "-1", "--json"])
def test_a_title_with_a_leading_dash_needs_a_double_dash(capsys, template: Path,
                                                         tmp_path: Path, title: str) -> None:
    """Without "--" a leading dash reads as an option: a one-line usage error, nothing kept;
    after "--" the title is kept as written."""
    path = fresh(template, tmp_path)
    before = dump(path)
    code, out, err = run(capsys, "song", "add", "--library", str(path), "Album", title)
    if code != 0:
        assert_refused(code, out, err)
        assert dump(path) == before
    code, out, err = run(capsys, "song", "add", "--library", str(path), "--json", "--",
                         "Album", title + " (live)")
    assert code == 0, err
    assert json.loads(out)["title"] == title + " (live)"


def test_a_title_that_is_a_number_is_found_or_refused_as_ambiguous(capsys, template: Path,
                                                                    tmp_path: Path) -> None:
    """Sessions and songs are named by id too: a title of digits is found by title when no
    record has that id, refused as ambiguous when one has; digits of other scripts are
    titles, never ids."""
    library = ["--library", str(fresh(template, tmp_path)), "--json"]
    for argv in (["session", "new", "1989"], ["session", "new", "1"], ["session", "new", "²"],
                 ["song", "add", "1989", "1999"], ["song", "add", "²", "١٢"]):
        assert run(capsys, *argv, *library)[0] == 0
    code, out, _ = run(capsys, "session", "show", "1989", *library)
    assert code == 0 and json.loads(out)["title"] == "1989"
    assert_refused(*run(capsys, "session", "show", "1", *library), "'1' is ambiguous",
                   "'Album'")
    for name, title in (("1999", "1999"), ("1989/1999", "1999"), ("١٢", "١٢"), ("²/١٢", "١٢")):
        code, out, err = run(capsys, "song", "show", name, *library)
        assert code == 0 and json.loads(out)["title"] == title, err
    assert_refused(*run(capsys, "song", "show", "99999999999999999999999", *library), "no song")
    assert_refused(*run(capsys, "rev", "show", SONG, "--rev", "99999999999999999999",
                        *library), "no revision")
    assert_refused(*run(capsys, "note", "resolve", "99999999999999999999", "--declined",
                        *library), "no note")
    assert_refused(*run(capsys, "song", "add", "Album", "Far", "--position",
                        "99999999999999999999", *library), "track position")
    assert_refused(*run(capsys, "note", "add", SONG, "Late", "--at", "9" * 400, *library),
                   "time")


class _Text(HTMLParser):
    """The text a browser shows of a page, with the entities read."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.feed(page)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def strings(document: Any) -> set[str]:
    """Every text in a JSON document."""
    if isinstance(document, dict):
        return set().union(*map(strings, document.values())) if document else set()
    if isinstance(document, list):
        return set().union(*map(strings, document)) if document else set()
    return {document} if isinstance(document, str) else set()


@fuzz(6)
@given(session=WORLD, song=WORLD, unit=WORLD, artist=WORLD, note=WORLD, caption=WORLD)
def test_text_of_any_script_comes_back_identical_everywhere(
        capsys, tmp_path: Path, session: str, song: str, unit: str, artist: str, note: str,
        caption: str) -> None:
    """Non-Latin names and notes are kept and shown exactly: in show, the sheet (JSON and
    HTML), the diff, the report and through an export and an import."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = folder / "library.sqlite"
    name = f"{session}/{song}"
    with Library(path) as library:
        library.new_session(session, artist=artist, notes=note)
        library.add_song(session, song)
        library.new_revision(name)
        add_eq(library, name, unit)
        library.attach(name, 1, png(folder / "photo.png"), unit=unit, caption=caption)
        library.add_note(name, note, kind="reaction", author="artist", revision=1)
        library.new_revision(name)
        library.set_values(name, 2, unit, {"gain": 3.0})
        session_id = library.session(session).id
    where = ("--library", str(path))  # a name may start with "-": it follows "--"
    code, out, err = run(capsys, "session", "show", str(session_id), "--json", *where)
    assert code == 0, err
    assert (json.loads(out)["title"], json.loads(out)["artist"]) == (session, artist)
    code, out, err = run(capsys, "song", "show", "--json", *where, "--", name)
    assert code == 0, err
    shown = json.loads(out)
    assert (shown["session_title"], shown["title"], shown["notes"][0]["body"]) == (
        session, song, note)
    code, out, err = run(capsys, "sheet", "--rev", "1", "--format", "json", *where, "--", name)
    assert code == 0, err
    assert {session, song, unit, artist, note, caption} <= strings(json.loads(out))
    code, out, err = run(capsys, "sheet", "--rev", "1", "--format", "html", *where, "--", name)
    assert code == 0, err
    page = "".join(_Text(out).parts)
    assert all(text in page for text in (session, song, unit, note, caption))
    code, out, err = run(capsys, "diff", "--json", *where, "--", name, "1", "2")
    assert code == 0, err
    assert unit in strings(json.loads(out))
    report = folder / "report.html"
    code, out, err = run(capsys, "report", "-o", str(report), *where, "--", name)
    assert code == 0, err
    page = "".join(_Text(report.read_text(encoding="utf-8")).parts)
    assert all(text in page for text in (session, song, note))
    code, _, err = run(capsys, "library", "export", str(session_id), str(folder / "x.zip"),
                       *where)
    assert code == 0, err
    other = folder / "other.sqlite"
    code, _, err = run(capsys, "library", "import", str(folder / "x.zip"), "--library",
                       str(other))
    assert code == 0, err
    with Library(other) as copied:
        assert (copied.session(session).artist, copied.session(session).notes) == (artist, note)
        assert copied.revision(name, 1).chain[0].unit == unit
        assert copied.notes(name)[0].body == note
        [photo] = copied.attachments(name, 1)
        assert (photo.unit, photo.caption) == (unit, caption)


# ---------------------------------------------------------------- 2. files named after titles
ANY = st.one_of(HOSTILE, WORLD, st.text())


@fuzz(100)
@given(first=ANY, second=ANY, limit=st.sampled_from([NAME_BYTES, 200, 40]))
@example(first="A:B", second="A?B", limit=NAME_BYTES)
@example(first="é", second="e\u0301", limit=NAME_BYTES)
@example(first="東" * 200, second="東" * 199 + "京", limit=NAME_BYTES)
@example(first="CON", second="..", limit=NAME_BYTES)
@example(first="\u2028", second="", limit=NAME_BYTES)  # a line separator is cleaned
def test_a_file_name_made_from_any_title_fits_stays_in_its_folder_and_is_its_own(
        tmp_path: Path, first: str, second: str, limit: int) -> None:
    """The one function that makes file names: at most ``limit`` bytes of UTF-8, never
    empty, "." or "..", nothing a file system refuses or Windows reserves; two different
    titles never give one name; the file is written inside its folder."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    names = [portable_name(title, limit=limit) for title in (first, second)]
    for name in names:
        assert fits(name, limit), repr(name)
        assert inside(folder / name, folder) and (folder / name).parent == folder
        (folder / name).write_bytes(b"x")
    assert (names[0] == names[1]) == (first == second)
    assert len(listing(folder)) == len(set(names))
    if fits(first, limit):
        assert names[0] == first  # a title fit to be a name is the name


@fuzz(60)
@given(session=ANY, titles=st.tuples(ANY, ANY), position=st.integers(1, 10**18),
       revision=st.integers(1, 10**18), take=st.integers(1, 10**18))
@example(session="CON", titles=("A:B", "A?B"), position=1, revision=1, take=1)
@example(session="東" * 200, titles=("🎛" * 200, "🎛" * 199 + "🎚"), position=10**18,
         revision=10**18, take=10**18)
def test_a_print_file_stays_in_its_sessions_prints_folder(
        tmp_path: Path, session: str, titles: tuple[str, str], position: int, revision: int,
        take: int) -> None:
    """library-files/prints/<session>/NN Title rN tN.wav: each part fits 255 bytes, the file
    lands inside the prints folder, and two songs of different titles never share a file."""
    library = Path(tempfile.mkdtemp(dir=tmp_path)) / "library.sqlite"
    prints = files_folder(library) / "prints"
    paths = []
    for number, title in enumerate(titles, start=1):
        song = Song(number, 1, session, title, position)
        folder = prints_folder(library, song)
        name = take_file(song, revision, take)
        assert folder.parent == prints and fits(folder.name), folder.name
        assert len(name.encode()) <= NAME_BYTES and name.endswith(f" r{revision} t{take}.wav")
        assert name.startswith(f"{position:02d} ") and fits(name), name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(b"RIFF")
        assert inside(folder / name, prints)
        paths.append(folder / name)
    assert (paths[0] == paths[1]) == (titles[0] == titles[1])
    other = prints_folder(library, Song(3, 2, session + "\u0301", "x", 1))
    assert other != paths[0].parent  # another session (here its NFD twin): another folder


PLAIN_NAMES = st.one_of(HOSTILE, WORLD).map(lambda t: t.replace("/", "_").replace("\x00", ""))


@fuzz(40)
@given(name=PLAIN_NAMES, suffix=st.sampled_from(["", ".png", ".JPG", ".p n g", ".東京", ".."]))
def test_an_attached_file_of_any_name_is_kept_inside_the_files_folder(
        capsys, template: Path, tmp_path: Path, name: str, suffix: str) -> None:
    """A photo whose own file name is hostile: refused in one line with nothing kept, or kept
    under its checksum inside library-files with its name as written."""
    name = fit_bytes(name, 200) + suffix
    assume(name not in ("", ".", "..") and len(os.fsencode(name)) <= NAME_BYTES)
    path = fresh(template, tmp_path)
    source = Path(tempfile.mkdtemp(dir=tmp_path)) / name
    png(source)
    before, files = dump(path), listing(path.parent)
    code, out, err = run(capsys, "rev", "attach", "--library", str(path), "--json", "--",
                         SONG, str(source))
    if name_refused(name):
        assert_refused(code, out, err, "attachment name")
        assert dump(path) == before and listing(path.parent) == files
        return
    assert code == 0, err
    kept = json.loads(out)
    assert kept["name"] == name.strip()
    stored = files_folder(path) / kept["path"]
    assert inside(stored, files_folder(path)) and stored.read_bytes() == source.read_bytes()
    assert fits(stored.name)


@pytest.mark.parametrize("argv", [
    ["sheet", SONG, "-o", "{long}.html"], ["report", SONG, "-o", "{long}.html"],
    ["library", "export", "Album", "{long}.zip"], ["library", "import", "{long}.zip"],
    ["rev", "attach", SONG, "{long}.png"], ["library", "backup", "{long}.sqlite"],
    ["session", "list", "--library", "{long}/library.sqlite"],
], ids=["sheet", "report", "export", "import", "attach", "backup", "library"])
def test_a_file_name_longer_than_a_file_system_takes_is_refused_in_one_line(
        capsys, template: Path, tmp_path: Path, argv: list[str]) -> None:
    """A path given on the command line with a name of 300 bytes (100 CJK characters): one
    line naming it, exit 2, and nothing written."""
    path = fresh(template, tmp_path)
    before, files = dump(path), listing(path.parent)
    long = str(path.parent / ("東" * 100))
    argv = [part.replace("{long}", long) for part in argv]
    library = [] if "--library" in argv else ["--library", str(path)]
    assert_refused(*run(capsys, *argv, *library), "東" * 10)
    assert dump(path) == before and listing(path.parent) == files


HOSTILE_TITLES = st.one_of(HOSTILE, WORLD).filter(lambda t: not name_refused(t))


@fuzz(12)
@given(titles=st.tuples(HOSTILE_TITLES, HOSTILE_TITLES).filter(
    lambda ts: ts[0].strip() != ts[1].strip()
    and not {"Opener", "Album"} & {ts[0].strip(), ts[1].strip()}))
@example(titles=("A:B", "A?B"))
@example(titles=("東" * 200, "東" * 199 + "京"))
def test_reports_take_their_default_names_from_titles_inside_the_current_folder(
        capsys, template: Path, tmp_path: Path, titles: tuple[str, str]) -> None:
    """`outboard report SONG` with no -o: a file named after the title in the current folder,
    fitting 255 bytes; two titles (even "A:B" and "A?B") never overwrite each other's; a
    session's report likewise."""
    path = fresh(template, tmp_path)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    written = []
    with Library(path) as library:
        for title in titles:
            library.new_revision(library.add_song("Album", title).id)
    with contextlib.chdir(folder):
        for title in (*titles, "Album"):
            name = f"Album/{title.strip()}" if title != "Album" else "Album"
            code, out, err = run(capsys, "report", "--library", str(path), "--format", "md",
                                 "--", name)
            assert code == 0, err
            target = Path(out.strip())
            assert target.parent == folder and target.is_file() and inside(target, folder)
            assert fits(target.name) and target.suffix == ".md"
            written.append(target)
    assert len(set(written)) == 3 and len(listing(folder)) == 3


@fuzz(8)
@given(session=HOSTILE_TITLES.filter(lambda t: t.strip() != "Album"), song=HOSTILE_TITLES,
       long=st.booleans())
def test_sheets_and_exports_of_hostile_titles_are_written_inside_their_folder(
        capsys, tmp_path: Path, session: str, song: str, long: bool) -> None:
    """A sheet written with -o to a name made from the title (up to 255 bytes), and an export
    (folder and zip) of the session: every file lands inside the folder asked for, every
    zip member is a plain relative name, and the titles read back exactly."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    path = folder / "library.sqlite"
    session, song = session.strip(), song.strip()
    with Library(path) as library:
        library.new_session(session)
        library.add_song(session, song)
        library.new_revision(f"{session}/{song}")
        library.attach(f"{session}/{song}", 1, png(folder / "photo.png"))
    out_folder = folder / "out"
    out_folder.mkdir()
    stem = portable_name(song, limit=NAME_BYTES - 5 if long else 60)
    target = out_folder / f"{stem}.json"
    code, _, err = run(capsys, "sheet", "--library", str(path), "--format", "json", "-o",
                       str(target), "--", f"{session}/{song}")
    assert code == 0, err
    assert listing(out_folder) == [target.name]
    assert json.loads(target.read_text(encoding="utf-8"))["song"]["title"] == song
    zipped = out_folder / f"{fit_bytes(stem, NAME_BYTES - 10)}.zip"
    for dest in (out_folder / "export", zipped):
        code, _, err = run(capsys, "library", "export", "--library", str(path), "--", session,
                           str(dest))
        assert code == 0, err
    assert all(inside(out_folder / p, out_folder) for p in listing(out_folder))
    assert not [p for p in listing(out_folder) if p.endswith(".partial")]
    with zipfile.ZipFile(zipped) as archive:
        for member in archive.namelist():
            assert check_member_name("export", member) == member
        assert json.loads(archive.read(MANIFEST))["songs"][0]["title"] == song


# ---------------------------------------------------------------- 3. imports, fuzzed
class Export:
    """A valid export of the test album: its members (name → bytes) and manifest, the same
    as one zip file's bytes, and a closed target library holding another session."""

    def __init__(self, members: dict[str, bytes], manifest: dict[str, Any], target: Path) -> None:
        self.members, self.manifest, self.target = members, manifest, target
        self.zipped = zip_bytes({MANIFEST: json.dumps(manifest).encode(), **members})

    def __repr__(self) -> str:  # what Hypothesis prints of a failing case
        return f"Export(target={self.target})"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    with tempfile.SpooledTemporaryFile() as raw:
        with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as out:
            for name, data in members.items():
                out.writestr(name, data)
        raw.seek(0)
        return raw.read()


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Export:
    folder = tmp_path_factory.mktemp("export")
    (folder / "photos").mkdir()
    with Library(folder / "album.sqlite") as album:
        build_album(album, folder / "photos")
        take = album.files / "prints" / "opener-r1-t1.wav"
        take.parent.mkdir(parents=True)
        with wave.open(str(take), "wb") as out:
            out.setnchannels(2)
            out.setsampwidth(3)
            out.setframerate(48_000)
            out.writeframes(bytes(range(256)) * 30)
        with album.store.write() as db:
            db.execute("UPDATE print SET sha256 = ?", (file_sha256(take),))
        export_session(album, "Night Drive", folder / "export")
    members = {p.relative_to(folder / "export").as_posix(): p.read_bytes()
               for p in sorted((folder / "export").rglob("*")) if p.is_file()}
    manifest = json.loads(members.pop(MANIFEST))
    with Library(folder / "target" / "library.sqlite") as target:
        target.new_session("Elsewhere")
    return Export(members, manifest, folder / "target" / "library.sqlite")


def normalised(manifest: dict[str, Any]) -> dict[str, Any]:
    """A manifest as a library keeps it: without its export time, songs in track order,
    revisions by number, the take fields older exports lack filled in, only the studios its
    revisions name, and of each file only whether it came along."""
    document = copy.deepcopy(manifest)
    document.pop("exported", None)
    document["songs"].sort(key=lambda s: (s["position"], s["title"]))
    used = set()
    for song in document["songs"]:
        song["revisions"].sort(key=lambda r: r["number"])
        for revision in song["revisions"]:
            used.add(revision["studio"])
            for take in revision["prints"]:
                for key in ("latency_samples", "offset_samples", "finished"):
                    take.setdefault(key, None)
                take.setdefault("xruns", 0)
            for item in revision["prints"] + revision["attachments"]:
                # A member's name is the archive's business: the file is known by its sha256.
                item["file"] = item["file"] is not None
    document["studios"] = [s for s in document["studios"] if s["fingerprint"] in used]
    return document


def differences(got: Any, wanted: Any, where: str = "") -> list[str]:
    """Where two JSON documents differ, as paths (for a failing assertion's message)."""
    if isinstance(got, dict) and isinstance(wanted, dict):
        return [d for key in sorted(set(got) | set(wanted), key=str)
                for d in (differences(got.get(key), wanted.get(key), f"{where}.{key}")
                          if key in got and key in wanted else [f"{where}.{key}"])]
    if isinstance(got, list) and isinstance(wanted, list) and len(got) == len(wanted):
        return [d for i, pair in enumerate(zip(got, wanted, strict=True))
                for d in differences(*pair, f"{where}[{i}]")]
    return [] if got == wanted else [f"{where}: {got!r:.80} != {wanted!r:.80}"]


def import_or_refuse(capsys: pytest.CaptureFixture[str], export: Export, archive: bytes,
                     work: Path) -> dict[str, Any] | None:
    """Import ``archive`` into a copy of the target library: the manifest of the session as
    imported (exported again), or None after checking a refusal changed nothing."""
    library = work / "target" / "library.sqlite"
    library.parent.mkdir(parents=True)
    shutil.copyfile(export.target, library)
    source = work / "hostile.zip"
    source.write_bytes(archive)
    before, files = library.read_bytes(), listing(library.parent)
    code, out, err = run(capsys, "library", "import", str(source), "--library", str(library),
                         "--json")
    if code != 0:
        assert_refused(code, out, err)
        assert library.read_bytes() == before, err
        assert listing(library.parent) == files, err
        return None
    assert err == ""
    with Library(library) as imported:
        again = work / "again.zip"
        export_session(imported, json.loads(out)["session"], again)
    with zipfile.ZipFile(again) as archive_again:
        return normalised(json.loads(archive_again.read(MANIFEST)))


def escapes(name: str) -> bool:
    """A member name that points outside the export or hides what it is."""
    parts = name.split("/")
    return (name.startswith("/") or ".." in parts or "\\" in name or name[1:2] == ":"
            or any(hides(c) for c in name))


MEMBER_PARTS = ["..", ".", "", "files", "prints", "attachments", "é", "e\u0301", "X.PNG",
                "x.png", "t.wav", "\x1b", "\\", "C:", "\x85", "\u202e", "~", "CON", " ", "東京",
                "x" * 3000]
MEMBER_NAMES = st.one_of(
    st.sampled_from(["/etc/evil", "../evil", "files/../../evil", "files\\..\\evil", "C:/evil",
                     "c:evil", "files/./x.png", "files//x.png", "files/x.png/", "files/x\x00.png",
                     "files/\u202ex.png", "files/é.png", "files/e\u0301.png", "files/X.PNG",
                     "prints/T.WAV", "prints/t.wav", "files/ ", "files/...", "files/CON"]),
    st.lists(st.sampled_from(MEMBER_PARTS), min_size=1, max_size=5).map("/".join),
)


def twin(name: str) -> str:
    """Another name that some file system takes for the same one."""
    if unicodedata.normalize("NFD", name) != name:
        return unicodedata.normalize("NFD", name)
    return name.swapcase() if name.swapcase() != name else name + "\u0301"


@fuzz(50)
@given(kind=st.sampled_from(["attachments", "prints"]), name=MEMBER_NAMES,
       with_twin=st.booleans())
def test_an_export_with_fuzzed_member_names_is_imported_exactly_or_refused(
        capsys, export: Export, tmp_path: Path, kind: str, name: str, with_twin: bool) -> None:
    """The photo's or the print's member renamed (and the manifest pointed at it), perhaps
    beside its normalisation or case twin: a name that escapes is refused changing nothing;
    any other imports exactly what the archive holds, or is refused changing nothing."""
    members, manifest = dict(export.members), copy.deepcopy(export.manifest)
    entry = manifest["songs"][0]["revisions"][0][kind][0]
    stored = name.split("\x00")[0]  # zipfile stops a member's name at a NUL
    assume(stored and stored not in members and stored != MANIFEST)
    members[stored] = members.pop(entry["file"])
    entry["file"] = name
    if with_twin and twin(stored) not in members and twin(stored) != MANIFEST:
        members[twin(stored)] = b"twin"
    archive = zip_bytes({MANIFEST: json.dumps(manifest).encode(), **members})
    imported = import_or_refuse(capsys, export, archive, Path(tempfile.mkdtemp(dir=tmp_path)))
    if escapes(name):
        assert imported is None
    if imported is not None:
        assert imported == normalised(export.manifest), differences(
            imported, normalised(export.manifest))


ABSURD = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 1, 2, 1.5, -0.0, 1e308, -1e308, 5e-324, 2**53,
                     2**63 - 1, 2**63, 10**30, -(10**30), "", " ", "x" * 100_000, "\x1b[2J",
                     "\ud800", "東京", "e\u0301", "../../etc/passwd", "/etc/passwd", "C:\\evil",
                     "files/../x", "2024-01-01T00:00:00+00:00", "draft", "artist", [], {},
                     [1, 2, 3], {"a": 1}, ["x"] * 10_000, "a" * 64]),
    st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=20),
)


def nested(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


def places(document: Any, where: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path (keys and indexes) to every value in ``document``."""
    found = [where] if where else []
    items = (document.items() if isinstance(document, dict)
             else enumerate(document) if isinstance(document, list) else ())
    for key, value in items:
        found += places(value, (*where, key))
    return found


@st.composite
def mutated(draw: st.DrawFn, manifest: dict[str, Any]) -> dict[str, Any]:
    """``manifest`` with one value changed: a key dropped, a value replaced by one of another
    type, an absurd number or a huge or hostile string, or text grown by a hostile piece.
    Mostly in the session's own records; now and then in a frozen definition or a studio."""
    document = copy.deepcopy(manifest)
    everywhere = places(document)
    records = [p for p in everywhere if "definitions" not in p and "document" not in p]
    where = draw(st.sampled_from(records if draw(st.integers(0, 4)) else everywhere))
    parent = document
    for key in where[:-1]:
        parent = parent[key]
    key, node = where[-1], parent[where[-1]]
    how = draw(st.sampled_from(["drop", "replace", "replace", "grow", "deep"]))
    if how == "drop":
        del parent[key]
    elif how == "grow" and isinstance(node, str):
        parent[key] = node + draw(st.sampled_from(PIECES))
    elif how == "deep":
        parent[key] = nested(draw(st.sampled_from([3, 70, 500])))
    else:
        parent[key] = draw(ABSURD)
    return document


@fuzz(100)
@given(data=st.data())
def test_an_export_with_a_mutated_manifest_is_imported_exactly_or_refused(
        capsys, export: Export, tmp_path: Path, data: st.DataObject) -> None:
    """Types changed, keys dropped, numbers absurd, strings huge or hostile, nesting deep:
    the import holds exactly what the manifest says, or is refused in one line with the
    library file byte for byte as it was and nothing left in library-files."""
    manifest = data.draw(mutated(export.manifest))
    archive = zip_bytes({MANIFEST: json.dumps(manifest).encode(), **export.members})
    imported = import_or_refuse(capsys, export, archive, Path(tempfile.mkdtemp(dir=tmp_path)))
    if imported is not None:
        assert imported == normalised(manifest), differences(imported, normalised(manifest))


@pytest.mark.parametrize("text", [
    b"[" * 100_000 + b"]" * 100_000, b'{"format": "outboard-export", "version": 1e400}',
    b'{"format": "outboard-export\\ud800"}', b'{"format": ' + b"9" * 5000 + b"}",
    b"\xef\xbb\xbf{}", b"", b"null", b'"outboard-export"', b"\xff" * 64,
], ids=["deep", "1e400", "surrogate", "5000 digits", "BOM", "empty", "null", "text", "bytes"])
def test_a_manifest_that_defeats_a_json_parser_is_refused(capsys, export: Export,
                                                          tmp_path: Path, text: bytes) -> None:
    archive = zip_bytes({MANIFEST: text, **export.members})
    assert import_or_refuse(capsys, export, archive, tmp_path) is None


@fuzz(40)
@given(data=st.data())
def test_an_export_cut_short_or_damaged_is_imported_exactly_or_refused(
        capsys, export: Export, tmp_path: Path, data: st.DataObject) -> None:
    """The zip's bytes cut at any point, or one byte changed anywhere: refused changing
    nothing, or (a byte no reader looks at) imported exactly."""
    raw = bytearray(export.zipped)
    if data.draw(st.booleans(), label="cut"):
        raw = raw[:data.draw(st.integers(0, len(raw) - 1), label="length")]
    else:
        at = data.draw(st.integers(0, len(raw) - 1), label="at")
        raw[at] ^= data.draw(st.integers(1, 255), label="xor")
    imported = import_or_refuse(capsys, export, bytes(raw), Path(tempfile.mkdtemp(dir=tmp_path)))
    if imported is not None:
        assert imported == normalised(export.manifest), differences(
            imported, normalised(export.manifest))


def test_a_refused_import_into_no_library_leaves_no_library(capsys, export: Export,
                                                            tmp_path: Path) -> None:
    """An import refused into a library that did not exist leaves neither a library file nor
    a files folder behind."""
    (tmp_path / "cut.zip").write_bytes(export.zipped[:-40])
    library = tmp_path / "new" / "library.sqlite"
    assert_refused(*run(capsys, "library", "import", str(tmp_path / "cut.zip"), "--library",
                        str(library)))
    assert listing(library.parent) == []
