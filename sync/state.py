"""The service's small SQLite state file: runs, first-seen submissions (and, beside them, the
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


def has_previous_run(connection: sqlite3.Connection) -> bool:
    return connection.execute("SELECT 1 FROM runs LIMIT 1").fetchone() is not None


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
    """Record when a report was first seen complete; an earlier record is never overwritten."""
    with connection:
        connection.executemany(
            "INSERT OR IGNORE INTO submissions VALUES (?, ?, ?, ?)",
            [(u, f, p, d.isoformat()) for (u, f, p), d in first_complete.items()],
        )
