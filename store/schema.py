"""The one schema of the state file, as numbered migrations (``PRAGMA user_version`` counts them).

Each migration runs once, in its own transaction; a file whose version is newer than this code
knows is refused, never downgraded. Migration 1 also adopts a state file written before the
store existed (tables ``units_read`` and ``submissions`` of the old layout, ``mail_ledger``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

_TABLES = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    command TEXT NOT NULL,
    today TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    outcome TEXT
);
-- When the service first tried to read each unit (whatever the answer) and first read it.
CREATE TABLE IF NOT EXISTS units_seen (
    unit_id TEXT PRIMARY KEY,
    first_tried_on TEXT NOT NULL,
    first_read_on TEXT,
    unreadable_since TEXT
);
-- A report once seen complete: when, and the values accepted then (JSON).
CREATE TABLE IF NOT EXISTS accepted_reports (
    unit_id TEXT NOT NULL,
    form_key TEXT NOT NULL,
    period_id TEXT NOT NULL,
    first_complete_on TEXT NOT NULL,
    accepted TEXT NOT NULL DEFAULT '{}',
    changed_on TEXT,
    PRIMARY KEY (unit_id, form_key, period_id)
);
-- The last judgement of every report: what `status` shows, and what an unreadable day keeps.
CREATE TABLE IF NOT EXISTS report_status (
    unit_id TEXT NOT NULL,
    form_key TEXT NOT NULL,
    period_id TEXT NOT NULL,
    period_label TEXT NOT NULL,
    deadline TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_on TEXT,
    finding_count INTEGER NOT NULL,
    sheet_read INTEGER NOT NULL,
    judged_on TEXT NOT NULL,
    PRIMARY KEY (unit_id, form_key, period_id)
);
-- The grids of each spreadsheet's last successful read (a cache: Drive says when it changed).
CREATE TABLE IF NOT EXISTS sheet_snapshots (
    spreadsheet_id TEXT PRIMARY KEY,
    version TEXT NOT NULL,
    modified_time TEXT NOT NULL,
    tabs TEXT NOT NULL,
    content TEXT NOT NULL,
    read_at TEXT NOT NULL
);
-- History: every distinct content of a unit's form tab, as read (normalised rows, JSON).
CREATE TABLE IF NOT EXISTS tab_versions (
    id INTEGER PRIMARY KEY,
    unit_id TEXT NOT NULL,
    form_key TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    rows TEXT NOT NULL,
    read_on TEXT NOT NULL,
    read_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tab_versions_unit ON tab_versions (unit_id, form_key, id);
CREATE TABLE IF NOT EXISTS mail_ledger (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    unit_id TEXT,
    form_key TEXT,
    period_id TEXT,
    step TEXT,
    first_day TEXT NOT NULL,
    message_id TEXT NOT NULL,
    subject TEXT NOT NULL,
    recipients TEXT NOT NULL,
    delivered_to TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    queued_reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    transport TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    sent_at TEXT,
    sent_day TEXT
);
CREATE INDEX IF NOT EXISTS mail_ledger_status ON mail_ledger (status, sent_day);
CREATE TABLE IF NOT EXISTS mail_ledger_items (
    email_key TEXT NOT NULL REFERENCES mail_ledger (key),
    unit_id TEXT NOT NULL,
    form_key TEXT NOT NULL,
    period_id TEXT NOT NULL,
    step TEXT NOT NULL,
    PRIMARY KEY (email_key, unit_id, form_key, period_id, step)
);
-- Ad-hoc requests opened from the command line or the control sheet (the workspace issue).
CREATE TABLE IF NOT EXISTS ad_hoc_requests (
    id TEXT PRIMARY KEY,
    form_key TEXT NOT NULL,
    title TEXT NOT NULL,
    start TEXT NOT NULL,
    due TEXT NOT NULL,
    units TEXT,
    aliases TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'open',
    created_at TEXT NOT NULL
);
-- The office's decisions on a report: approved, or sent back with a comment.
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY,
    unit_id TEXT NOT NULL,
    form_key TEXT NOT NULL,
    period_id TEXT NOT NULL,
    decision TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL,
    decided_at TEXT NOT NULL
);
"""


def _columns(connection: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}


def _initial(connection: sqlite3.Connection) -> None:
    legacy = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for statement in _TABLES.split(";"):
        if statement.strip():
            connection.execute(statement)
    if "units_read" in legacy:
        connection.execute(
            "INSERT OR IGNORE INTO units_seen SELECT unit_id, first_read_on, first_read_on, NULL FROM units_read"
        )
        connection.execute("DROP TABLE units_read")
    if "submissions" in legacy:
        connection.execute(
            "INSERT OR IGNORE INTO accepted_reports (unit_id, form_key, period_id, first_complete_on)"
            " SELECT unit_id, form_key, period_id, first_complete_on FROM submissions"
        )
        connection.execute("DROP TABLE submissions")


def _claims(connection: sqlite3.Connection) -> None:
    """Sending is claimed in the ledger, so two processes never hand the same email over."""
    if "claimed_by" not in _columns(connection, "mail_ledger"):
        connection.execute("ALTER TABLE mail_ledger ADD COLUMN claimed_by TEXT")
        connection.execute("ALTER TABLE mail_ledger ADD COLUMN claimed_at TEXT")


def _refusals(connection: sqlite3.Connection) -> None:
    """A server's temporary answers are not attempts; its permanent refusals are counted per
    address, and what was given up is told to the office once, in the next consolidated report."""
    columns = _columns(connection, "mail_ledger")
    if "given_up" not in columns:  # address → the server's reply, for recipients given up
        connection.execute("ALTER TABLE mail_ledger ADD COLUMN given_up TEXT NOT NULL DEFAULT '{}'")
    if "reported_in" not in columns:  # a failed email: the consolidated report that told the office
        connection.execute("ALTER TABLE mail_ledger ADD COLUMN reported_in TEXT")
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS mail_refusals (
            address TEXT PRIMARY KEY,  -- lower case
            unit_id TEXT,              -- of the last email it refused (NULL: an email to the office)
            refusals INTEGER NOT NULL, -- permanent refusals since it last accepted an email
            reason TEXT NOT NULL,      -- the server's last reply
            first_day TEXT NOT NULL,
            last_day TEXT NOT NULL,
            given_up_day TEXT,         -- refusals reached mail.max_attempts
            reported_in TEXT           -- the consolidated report that told the office
        )
        """
    )


def _control(connection: sqlite3.Connection) -> None:
    """What the office's control spreadsheet last applied, per tab: a run that cannot read it goes
    on with that."""
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS control_applied (
            tab TEXT PRIMARY KEY,     -- units | requests | reviews
            content TEXT NOT NULL,    -- JSON, as rules.control keeps it
            applied_on TEXT NOT NULL, -- the run's day
            applied_at TEXT NOT NULL
        )
        """
    )


def _ad_hoc_request_details(connection: sqlite3.Connection) -> None:
    """An ad-hoc request opened by `request`: how subjects name it, the day it was asked, and the
    day it was cancelled (a cancelled request is owed no more, and kept for the record)."""
    columns = _columns(connection, "ad_hoc_requests")
    for name in ("short_label", "requested_on", "cancelled_on"):
        if name not in columns:
            connection.execute(f"ALTER TABLE ad_hoc_requests ADD COLUMN {name} TEXT")


def _review_basis(connection: sqlite3.Connection) -> None:
    """A review keeps the day it counts from, the report's rows as the service had last read them
    when the office decided (JSON), and the day the unit's data were first seen to differ from them."""
    columns = _columns(connection, "reviews")
    if "decided_on" not in columns:
        connection.execute("ALTER TABLE reviews ADD COLUMN decided_on TEXT")
    if "basis" not in columns:  # NULL: the service had never read the unit's tab of that form
        connection.execute("ALTER TABLE reviews ADD COLUMN basis TEXT")
    if "changed_on" not in columns:
        connection.execute("ALTER TABLE reviews ADD COLUMN changed_on TEXT")
    connection.execute("CREATE INDEX IF NOT EXISTS reviews_report ON reviews (unit_id, form_key, period_id, id)")


def _write_back(connection: sqlite3.Connection) -> None:
    """What `run` wrote back into spreadsheets (the office's status tab, each unit's feedback tab),
    and the last day each unit's sheet was read, which the status tab shows."""
    if "last_read_on" not in _columns(connection, "units_seen"):
        connection.execute("ALTER TABLE units_seen ADD COLUMN last_read_on TEXT")
        connection.execute("UPDATE units_seen SET last_read_on = first_read_on")
    connection.execute(
        """
        CREATE TABLE IF NOT EXISTS sheet_writes (
            tab TEXT NOT NULL,              -- status (the office's) | feedback (a unit's)
            unit_id TEXT NOT NULL,          -- the unit of a feedback tab; '' for the office's
            spreadsheet_id TEXT NOT NULL,
            content_hash TEXT,              -- of what was last written there (NULL: never written)
            written_on TEXT,
            failed_since TEXT,              -- the first day of the current spell of failed writes
            reason TEXT,                    -- permission | temporary | not_found | other
            last_error TEXT,
            account TEXT,                   -- the service account that tried
            reported_in TEXT,               -- the consolidated report that told the office of the spell
            PRIMARY KEY (tab, unit_id)
        )
        """
    )


# Append only: a migration once released is never edited, its number is the file's version.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _initial,
    _claims,
    _refusals,
    _control,
    _ad_hoc_request_details,
    _review_basis,
    _write_back,
]
