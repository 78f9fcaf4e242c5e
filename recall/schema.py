"""The library's schema as an ordered list of forward migrations (PRAGMA user_version)."""

from __future__ import annotations

import json
from typing import Any

# Each entry upgrades the schema by one version; index 0 takes an empty file to version 1.
# Never edit a released migration: add a new one.
MIGRATIONS: tuple[str, ...] = (
    # 1: studios, sessions, songs, revisions with their chains and settings, notes.
    """
    CREATE TABLE studio (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        fingerprint TEXT NOT NULL UNIQUE,
        document TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE TABLE session (
        id INTEGER PRIMARY KEY,
        title TEXT NOT NULL UNIQUE,
        artist TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
    );
    CREATE TABLE song (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES session(id) ON DELETE CASCADE,
        title TEXT NOT NULL,
        position INTEGER NOT NULL CHECK (position >= 1),
        source_path TEXT,
        source_sha256 TEXT,
        source_rate INTEGER,
        source_channels INTEGER,
        targets TEXT NOT NULL DEFAULT '[]',
        created TEXT NOT NULL,
        UNIQUE (session_id, title)
    );
    CREATE TABLE revision (
        id INTEGER PRIMARY KEY,
        song_id INTEGER NOT NULL REFERENCES song(id) ON DELETE CASCADE,
        number INTEGER NOT NULL CHECK (number >= 1),
        parent_id INTEGER REFERENCES revision(id),
        status TEXT NOT NULL DEFAULT 'draft'
            CHECK (status IN ('draft', 'printed', 'approved', 'delivered')),
        studio_id INTEGER REFERENCES studio(id),
        routing TEXT NOT NULL DEFAULT '{}',
        calibration TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL,
        UNIQUE (song_id, number)
    );
    CREATE TABLE chain_unit (
        id INTEGER PRIMARY KEY,
        revision_id INTEGER NOT NULL REFERENCES revision(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        unit TEXT NOT NULL,
        profile TEXT NOT NULL,
        bypassed INTEGER NOT NULL DEFAULT 0 CHECK (bypassed IN (0, 1)),
        definitions TEXT NOT NULL,
        UNIQUE (revision_id, unit)
    );
    CREATE TABLE setting (
        chain_unit_id INTEGER NOT NULL REFERENCES chain_unit(id) ON DELETE CASCADE,
        parameter TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (chain_unit_id, parameter)
    );
    CREATE TABLE note (
        id INTEGER PRIMARY KEY,
        song_id INTEGER NOT NULL REFERENCES song(id) ON DELETE CASCADE,
        revision_id INTEGER REFERENCES revision(id) ON DELETE SET NULL,
        at_seconds REAL CHECK (at_seconds IS NULL OR at_seconds >= 0),
        kind TEXT NOT NULL CHECK (kind IN ('reaction', 'technical', 'request')),
        author TEXT NOT NULL CHECK (author IN ('engineer', 'artist', 'other')),
        body TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'addressed', 'declined')),
        addressed_in INTEGER REFERENCES revision(id),
        created TEXT NOT NULL
    );
    CREATE INDEX song_by_session ON song(session_id, position);
    CREATE INDEX revision_by_song ON revision(song_id, number);
    CREATE INDEX chain_by_revision ON chain_unit(revision_id, position);
    CREATE INDEX note_by_song ON note(song_id, status);
    """,
    # 2: prints (the take ledger) and attachments; a revision with a print is frozen.
    """
    CREATE TABLE print (
        id INTEGER PRIMARY KEY,
        revision_id INTEGER NOT NULL REFERENCES revision(id),
        take INTEGER NOT NULL CHECK (take >= 1),
        path TEXT NOT NULL,
        sha256 TEXT,
        state TEXT NOT NULL DEFAULT 'complete'
            CHECK (state IN ('complete', 'incomplete', 'flawed')),
        metadata TEXT NOT NULL DEFAULT '{}',
        created TEXT NOT NULL,
        UNIQUE (revision_id, take)
    );
    CREATE TABLE attachment (
        id INTEGER PRIMARY KEY,
        revision_id INTEGER REFERENCES revision(id) ON DELETE CASCADE,
        unit TEXT,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        caption TEXT NOT NULL DEFAULT '',
        created TEXT NOT NULL
    );
    CREATE TRIGGER chain_frozen_insert BEFORE INSERT ON chain_unit
    WHEN EXISTS (SELECT 1 FROM print WHERE revision_id = NEW.revision_id)
    BEGIN SELECT RAISE(ABORT, 'frozen revision'); END;
    CREATE TRIGGER chain_frozen_update BEFORE UPDATE ON chain_unit
    WHEN EXISTS (SELECT 1 FROM print WHERE revision_id = OLD.revision_id)
    BEGIN SELECT RAISE(ABORT, 'frozen revision'); END;
    CREATE TRIGGER chain_frozen_delete BEFORE DELETE ON chain_unit
    WHEN EXISTS (SELECT 1 FROM print WHERE revision_id = OLD.revision_id)
    BEGIN SELECT RAISE(ABORT, 'frozen revision'); END;
    CREATE TRIGGER setting_frozen_insert BEFORE INSERT ON setting
    WHEN EXISTS (SELECT 1 FROM print p JOIN chain_unit c ON p.revision_id = c.revision_id
                 WHERE c.id = NEW.chain_unit_id)
    BEGIN SELECT RAISE(ABORT, 'frozen revision'); END;
    CREATE TRIGGER setting_frozen_update BEFORE UPDATE ON setting
    WHEN EXISTS (SELECT 1 FROM print p JOIN chain_unit c ON p.revision_id = c.revision_id
                 WHERE c.id = OLD.chain_unit_id)
    BEGIN SELECT RAISE(ABORT, 'frozen revision'); END;
    CREATE TRIGGER setting_frozen_delete BEFORE DELETE ON setting
    WHEN EXISTS (SELECT 1 FROM print p JOIN chain_unit c ON p.revision_id = c.revision_id
                 WHERE c.id = OLD.chain_unit_id)
    BEGIN SELECT RAISE(ABORT, 'frozen revision'); END;
    CREATE INDEX print_by_revision ON print(revision_id, take);
    """,
    # 3: attachments keep the file's original name and its media type; songs found by title;
    # a chain unit's frozen parameter definitions are kept once per distinct set (revisions
    # of the same profile share them) instead of once per unit of every revision.
    """
    ALTER TABLE attachment ADD COLUMN name TEXT NOT NULL DEFAULT '';
    ALTER TABLE attachment ADD COLUMN media_type TEXT NOT NULL DEFAULT 'application/octet-stream';
    CREATE INDEX attachment_by_revision ON attachment(revision_id, unit);
    CREATE INDEX song_by_title ON song(title);
    CREATE TABLE definition_set (
        id INTEGER PRIMARY KEY,
        document TEXT NOT NULL UNIQUE
    );
    INSERT OR IGNORE INTO definition_set (document) SELECT definitions FROM chain_unit;
    ALTER TABLE chain_unit ADD COLUMN definition_set_id INTEGER REFERENCES definition_set(id);
    DROP TRIGGER chain_frozen_update;
    UPDATE chain_unit SET definition_set_id =
        (SELECT id FROM definition_set WHERE document = chain_unit.definitions);
    ALTER TABLE chain_unit DROP COLUMN definitions;
    CREATE TRIGGER chain_frozen_update BEFORE UPDATE ON chain_unit
    WHEN EXISTS (SELECT 1 FROM print WHERE revision_id = OLD.revision_id)
    BEGIN SELECT RAISE(ABORT, 'frozen revision'); END;
    """,
    # 4: recall attempts, with every parameter's outcome.
    """
    CREATE TABLE recall_attempt (
        id INTEGER PRIMARY KEY,
        revision_id INTEGER NOT NULL REFERENCES revision(id) ON DELETE CASCADE,
        studio TEXT,
        studio_name TEXT NOT NULL DEFAULT '',
        resumed_from INTEGER REFERENCES recall_attempt(id),
        started TEXT NOT NULL,
        finished TEXT,
        outcome TEXT NOT NULL DEFAULT 'running'
            CHECK (outcome IN ('running', 'complete', 'incomplete', 'fault'))
    );
    CREATE TABLE recall_outcome (
        attempt_id INTEGER NOT NULL REFERENCES recall_attempt(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        unit TEXT NOT NULL,
        parameter TEXT NOT NULL,
        target REAL NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'verified', 'sent', 'mismatch',
            'failed', 'manual_pending', 'manual_confirmed')),
        actual REAL,
        tries INTEGER NOT NULL DEFAULT 0,
        detail TEXT NOT NULL DEFAULT '',
        updated TEXT NOT NULL,
        PRIMARY KEY (attempt_id, unit, parameter)
    );
    CREATE INDEX attempt_by_revision ON recall_attempt(revision_id, id);
    """,
    # 5: loop pings (with what each depends on, so a changed interface makes it stale), and
    # the prints' measured figures searchable beside their metadata.
    """
    CREATE TABLE ping (
        id INTEGER PRIMARY KEY,
        studio_name TEXT NOT NULL,
        loop TEXT NOT NULL,
        depends TEXT NOT NULL,
        latency_samples REAL NOT NULL,
        jitter_samples REAL NOT NULL,
        inverted INTEGER NOT NULL,
        gain_db REAL NOT NULL,
        purity REAL NOT NULL,
        report TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX ping_by_loop ON ping(studio_name, loop, id);
    ALTER TABLE print ADD COLUMN latency_samples REAL;
    ALTER TABLE print ADD COLUMN offset_samples REAL;
    ALTER TABLE print ADD COLUMN xruns INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE print ADD COLUMN finished TEXT;
    """,
    # 6: the chain's fingerprint (its response at a few levels), taken when a revision is
    # printed and measured again to verify a recall.
    """
    CREATE TABLE fingerprint (
        id INTEGER PRIMARY KEY,
        revision_id INTEGER NOT NULL REFERENCES revision(id) ON DELETE CASCADE,
        loop TEXT NOT NULL,
        document TEXT NOT NULL,
        created TEXT NOT NULL
    );
    CREATE INDEX fingerprint_by_revision ON fingerprint(revision_id, id);
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)

# A revision's chain units with their frozen definitions (JSON text) as ``definitions``.
CHAIN_UNITS = ("SELECT chain_unit.*, definition_set.document AS definitions FROM chain_unit"
               " JOIN definition_set ON definition_set.id = chain_unit.definition_set_id"
               " WHERE chain_unit.revision_id = ? ORDER BY chain_unit.position")


def definition_set(db: Any, definitions: dict[str, Any]) -> int:
    """The id of a set of frozen parameter definitions, stored once however many units use it.

    The JSON keeps the profile's order of controls (the front-panel order), so it is part of
    what makes two sets the same."""
    document = json.dumps(definitions, ensure_ascii=False, separators=(",", ":"))
    db.execute("INSERT OR IGNORE INTO definition_set (document) VALUES (?)", (document,))
    return int(db.execute("SELECT id FROM definition_set WHERE document = ?",
                          (document,)).fetchone()[0])
