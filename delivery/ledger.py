"""The send ledger: one row per email (by stable key) in the service's SQLite state file.

Status ``queued`` (decided, not yet accepted: ``queued_reason`` says why), ``sent``, ``failed``
(given up after ``mail.max_attempts``) or ``cancelled`` (no longer due: the unit completed its
report, or a later step replaced it). ``mail_ledger_items`` says which report steps an email
covered, so a step is never reminded twice.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass

from delivery.schedule import CONSOLIDATED, REMINDER, LedgerView, PlannedEmail

QUEUED, SENT, FAILED, CANCELLED = "queued", "sent", "failed", "cancelled"
CAP, ERROR = "daily_cap", "error"

_SCHEMA = """
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
"""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    unit_id: str | None
    status: str
    queued_reason: str | None
    attempts: int
    last_error: str | None
    message_id: str
    recipients: list[str]
    delivered_to: list[str]
    sent_day: str | None


class Ledger:
    """The ledger tables on an open state-file connection (the caller closes it)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection
        connection.executescript(_SCHEMA)

    def view(self, today: dt.date) -> LedgerView:
        """What scheduling needs: sent steps, sent consolidated keys, queued keys, units done today."""
        items = self.connection.execute(
            "SELECT i.unit_id, i.form_key, i.period_id, i.step FROM mail_ledger_items i"
            " JOIN mail_ledger l ON l.key = i.email_key WHERE l.status = ?",
            (SENT,),
        )
        sent_days = self.connection.execute(
            f"SELECT key, sent_day FROM mail_ledger WHERE status = ? AND kind IN ({','.join('?' * len(CONSOLIDATED))})",
            (SENT, *CONSOLIDATED),
        )
        queued = self.connection.execute(
            "SELECT key, kind, unit_id, first_day FROM mail_ledger WHERE status = ?", (QUEUED,)
        ).fetchall()
        failed = self.connection.execute("SELECT key FROM mail_ledger WHERE status = ?", (FAILED,))
        waiting_since: dict[str, dt.date] = {}
        for key, kind, unit_id, first_day in queued:
            who = unit_id if kind == REMINDER and unit_id else key
            day = dt.date.fromisoformat(first_day)
            waiting_since[who] = min(day, waiting_since.get(who, day))
        reminded = self.connection.execute(
            "SELECT unit_id FROM mail_ledger WHERE kind = ? AND status = ? AND sent_day = ?",
            (REMINDER, SENT, today.isoformat()),
        )
        return LedgerView(
            sent_items=frozenset(tuple(r) for r in items),
            sent_days={k: dt.date.fromisoformat(d) for k, d in sent_days},
            queued_keys=frozenset(k for k, *_ in queued),
            units_reminded_today=frozenset(u for (u,) in reminded),
            waiting_since=waiting_since,
            failed_keys=frozenset(k for (k,) in failed),
        )

    def sent_on(self, today: dt.date) -> int:
        """Messages accepted on ``today`` (the daily cap counts them)."""
        row = self.connection.execute(
            "SELECT COUNT(*) FROM mail_ledger WHERE status = ? AND sent_day = ?", (SENT, today.isoformat())
        ).fetchone()
        return row[0]

    def entry(self, key: str) -> Entry | None:
        row = self.connection.execute(
            "SELECT key, kind, unit_id, status, queued_reason, attempts, last_error, message_id, recipients,"
            " delivered_to, sent_day FROM mail_ledger WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return Entry(*row[:8], json.loads(row[8]), json.loads(row[9]), row[10])

    def entries(self, status: str | None = None) -> list[Entry]:
        keys = self.connection.execute(
            "SELECT key FROM mail_ledger WHERE ? IS NULL OR status = ? ORDER BY created_at, key", (status, status)
        ).fetchall()
        return [e for (k,) in keys if (e := self.entry(k)) is not None]

    def queue(self, email: PlannedEmail, today: dt.date, message_id: str, subject: str, recipients: list[str]) -> None:
        """Record ``email`` as decided (before any attempt), keeping attempts and delivered_to."""
        lead = email.lead
        now = _now()
        with self.connection:
            self.connection.execute(
                "INSERT INTO mail_ledger (key, kind, unit_id, form_key, period_id, step, first_day, message_id,"
                " subject, recipients, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (key) DO UPDATE SET subject = excluded.subject, recipients = excluded.recipients,"
                " updated_at = excluded.updated_at,"
                # A key cancelled earlier and planned again is live again; sent and failed stay final.
                f" status = CASE WHEN status = '{CANCELLED}' THEN '{QUEUED}' ELSE status END",
                (
                    email.key,
                    email.kind,
                    email.unit.id if email.unit else None,
                    lead.report.form_key if lead else None,
                    email.period_id,
                    lead.step.name if lead else None,
                    today.isoformat(),
                    message_id,
                    subject,
                    json.dumps(recipients),
                    QUEUED,
                    now,
                    now,
                ),
            )
            self.connection.executemany(
                "INSERT OR IGNORE INTO mail_ledger_items VALUES (?, ?, ?, ?, ?)",
                [(email.key, *ref) for ref in email.item_refs],
            )

    def mark_sent(self, key: str, today: dt.date, transport: str, delivered_to: list[str]) -> None:
        now = _now()
        with self.connection:
            self.connection.execute(
                "UPDATE mail_ledger SET status = ?, queued_reason = NULL, attempts = attempts + 1, last_error = NULL,"
                " transport = ?, delivered_to = ?, sent_at = ?, sent_day = ?, updated_at = ? WHERE key = ?",
                (SENT, transport, json.dumps(delivered_to), now, today.isoformat(), now, key),
            )

    def mark_failed_attempt(
        self, key: str, error: str, transport: str, delivered_to: list[str], give_up_after: int | None
    ) -> str:
        """Count a failed attempt; the email stays queued, or fails once ``give_up_after`` attempts
        are reached (None: never, e.g. while the server is down). Returns the new status.
        """
        limit = give_up_after if give_up_after is not None else -1
        with self.connection:
            self.connection.execute(
                "UPDATE mail_ledger SET attempts = attempts + 1, last_error = ?, queued_reason = ?, transport = ?,"
                " delivered_to = ?, updated_at = ?, status = CASE WHEN ? > 0 AND attempts + 1 >= ? THEN ? ELSE ? END"
                " WHERE key = ?",
                (error, ERROR, transport, json.dumps(delivered_to), _now(), limit, limit, FAILED, QUEUED, key),
            )
        entry = self.entry(key)
        return entry.status if entry else QUEUED

    def mark_capped(self, key: str) -> None:
        with self.connection:
            self.connection.execute(
                "UPDATE mail_ledger SET queued_reason = ?, last_error = ?, updated_at = ? WHERE key = ?",
                (CAP, "daily cap reached", _now(), key),
            )

    def cancel_queued_except(self, keys: set[str]) -> int:
        """Queued emails no longer due today are cancelled; returns how many."""
        stale = [
            k
            for (k,) in self.connection.execute("SELECT key FROM mail_ledger WHERE status = ?", (QUEUED,))
            if k not in keys
        ]
        with self.connection:
            self.connection.executemany(
                "UPDATE mail_ledger SET status = ?, last_error = ?, updated_at = ? WHERE key = ?",
                [(CANCELLED, "no longer due", _now(), k) for k in stale],
            )
        return len(stale)

    def waiting(self) -> list[Entry]:
        """Queued emails: those still waiting after this run."""
        return self.entries(QUEUED)
