"""The service's small SQLite state file: runs, units first read, first-seen submissions (and, beside them, the
send ledger and snapshots, each owned by its module, which creates its own tables).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    today TEXT NOT NULL,
    started_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS units_read (
    unit_id TEXT PRIMARY KEY,
    first_read_on TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS submissions (
    unit_id TEXT NOT NULL,
    form_key TEXT NOT NULL,
    period_id TEXT NOT NULL,
    first_complete_on TEXT NOT NULL,
    PRIMARY KEY (unit_id, form_key, period_id)
);
"""


def connect(path: Path | str) -> sqlite3.Connection:
    """Open (creating if needed) the state file; the caller closes it."""
    path = Path(path)
    if str(path) != ":memory:":
        path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(str(path), timeout=30)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.executescript(_SCHEMA)
    return connection


def load_units_read(connection: sqlite3.Connection) -> dict[str, dt.date]:
    """The day each unit's sheet was first read successfully."""
    rows = connection.execute("SELECT unit_id, first_read_on FROM units_read")
    return {unit_id: dt.date.fromisoformat(day) for unit_id, day in rows}


def save_units_read(connection: sqlite3.Connection, unit_ids: list[str], today: dt.date) -> None:
    """Remember the earliest day each unit was read (a preview with a later --today never wins)."""
    with connection:
        connection.executemany(
            "INSERT INTO units_read VALUES (?, ?) ON CONFLICT (unit_id)"
            " DO UPDATE SET first_read_on = min(first_read_on, excluded.first_read_on)",
            [(unit_id, today.isoformat()) for unit_id in unit_ids],
        )


def record_run(connection: sqlite3.Connection, command: str, today: dt.date) -> None:
    with connection:
        connection.execute(
            "INSERT INTO runs (command, today, started_at) VALUES (?, ?, ?)",
            (command, today.isoformat(), dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
        )


def load_first_complete(connection: sqlite3.Connection) -> dict[tuple[str, str, str], dt.date]:
    rows = connection.execute("SELECT unit_id, form_key, period_id, first_complete_on FROM submissions")
    return {(u, f, p): dt.date.fromisoformat(d) for u, f, p, d in rows}


def save_first_complete(connection: sqlite3.Connection, first_complete: dict[tuple[str, str, str], dt.date]) -> None:
    """Record when a report was first seen complete; only an earlier sighting replaces a record."""
    with connection:
        connection.executemany(
            "INSERT INTO submissions VALUES (?, ?, ?, ?) ON CONFLICT (unit_id, form_key, period_id)"
            " DO UPDATE SET first_complete_on = min(first_complete_on, excluded.first_complete_on)",
            [(u, f, p, d.isoformat()) for (u, f, p), d in first_complete.items()],
        )
