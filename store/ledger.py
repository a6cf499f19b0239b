"""The send ledger's queries: one row per email (by stable key) in the state file.

Status ``queued`` (decided, not yet accepted: ``queued_reason`` says why), ``sent``, ``failed``
(given up after ``mail.max_attempts``) or ``cancelled`` (no longer due: the unit completed its
report, or a later step replaced it). ``mail_ledger_items`` says which report steps an email
covered, so a step is never reminded twice. Before an email is handed to a transport it is
*claimed* in one transaction, so two processes sharing the file never both send it.

A server's temporary answers (4xx, no connection) never count as attempts: the email waits,
however long. Its permanent refusals do: of the whole message (5xx at MAIL FROM or DATA) in
``attempts``, of one recipient (5xx at RCPT) in ``mail_refusals``, per address, until it accepts
one; an address refused ``mail.max_attempts`` times running is given up for that email alone.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from store.encoding import now as utc_now

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

QUEUED, SENT, FAILED, CANCELLED = "queued", "sent", "failed", "cancelled"
# Why an email is queued: over the daily cap; refused for good by the server (counted; given up at
# mail.max_attempts); refused for now (4xx); the server out of reach; the login refused.
CAP, ERROR, TEMPORARY, UNAVAILABLE, LOGIN = "daily_cap", "error", "temporary", "unavailable", "login"
REMINDER = "reminder"
# A claim older than this belongs to a process that died mid-send: the email may be tried again.
CLAIM_EXPIRES = dt.timedelta(hours=1)

ItemRef = tuple[str, str, str, str]  # unit, form, period, step


def claimant() -> str:
    """Who holds a claim: this process on this machine."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Entry:
    key: str
    kind: str
    unit_id: str | None
    status: str
    queued_reason: str | None
    attempts: int  # hand-overs the server answered for good (accepted, or refused permanently)
    last_error: str | None
    message_id: str
    recipients: list[str]
    delivered_to: list[str]
    sent_day: str | None
    first_day: str  # the day it was first queued
    subject: str  # "" until it is first rendered
    period_id: str | None
    given_up: dict[str, str]  # recipients given up → the server's reply


@dataclass(frozen=True)
class Refusal:
    """An address the server refused for good, in a row since it last accepted an email."""

    address: str
    unit_id: str | None
    refusals: int
    reason: str
    first_day: str
    given_up_day: str | None


@dataclass(frozen=True)
class Answered:
    """What recording a server's answer to one hand-over came to."""

    status: str
    given_up: dict[str, str]  # recipients given up by this answer → the server's reply


@dataclass(frozen=True)
class LedgerView:
    """What the ledger knows that scheduling decisions depend on."""

    sent_items: frozenset[ItemRef] = frozenset()
    sent_days: Mapping[str, dt.date] = field(default_factory=dict)  # key of a sent unit-less email → day
    queued_keys: frozenset[str] = frozenset()
    units_reminded_today: frozenset[str] = frozenset()
    waiting_since: Mapping[str, dt.date] = field(default_factory=dict)  # unit id or key → first day queued
    failed_keys: frozenset[str] = frozenset()  # given up after mail.max_attempts: not tried again
    sent_keys: frozenset[str] = frozenset()
    first_day: dt.date | None = None  # the day the first email was decided: the service has mailed since


@dataclass(frozen=True)
class Decided:
    """An email as the ledger records it when it is decided, before any attempt."""

    key: str
    kind: str
    unit_id: str | None
    form_key: str | None
    period_id: str | None
    step: str | None
    message_id: str
    subject: str | None  # None: not rendered yet (an email is rendered only when it is handed over)
    recipients: list[str]
    item_refs: list[ItemRef] = field(default_factory=list)


class LedgerQueries:
    """Mixed into Store: the ledger tables on the store's one connection."""

    connection: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Store, which mixes this class in

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def ledger_view(self, today: dt.date) -> LedgerView:
        items = self.connection.execute(
            "SELECT i.unit_id, i.form_key, i.period_id, i.step FROM mail_ledger_items i"
            " JOIN mail_ledger l ON l.key = i.email_key WHERE l.status = ?",
            (SENT,),
        )
        sent = self.connection.execute("SELECT key, kind, unit_id, sent_day FROM mail_ledger WHERE status = ?", (SENT,))
        sent_keys, sent_days, reminded = set(), {}, set()
        for key, kind, unit_id, day in sent:
            sent_keys.add(key)
            if unit_id is None:
                sent_days[key] = dt.date.fromisoformat(day)
            if kind == REMINDER and day == today.isoformat():
                reminded.add(unit_id)
        queued = self.connection.execute(
            "SELECT key, unit_id, first_day FROM mail_ledger WHERE status = ?", (QUEUED,)
        ).fetchall()
        failed = self.connection.execute("SELECT key FROM mail_ledger WHERE status = ?", (FAILED,))
        (first_day,) = self.connection.execute("SELECT min(first_day) FROM mail_ledger").fetchone()
        waiting_since: dict[str, dt.date] = {}
        for key, unit_id, first_day in queued:
            who = unit_id or key
            day = dt.date.fromisoformat(first_day)
            waiting_since[who] = min(day, waiting_since.get(who, day))
        return LedgerView(
            sent_items=frozenset(tuple(r) for r in items),
            sent_days=sent_days,
            queued_keys=frozenset(k for k, *_ in queued),
            units_reminded_today=frozenset(reminded),
            waiting_since=waiting_since,
            failed_keys=frozenset(k for (k,) in failed),
            sent_keys=frozenset(sent_keys),
            first_day=dt.date.fromisoformat(first_day) if first_day else None,
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
            " delivered_to, sent_day, first_day, subject, period_id, given_up FROM mail_ledger WHERE key = ?",
            (key,),
        ).fetchone()
        if row is None:
            return None
        return Entry(*row[:8], json.loads(row[8]), json.loads(row[9]), *row[10:14], json.loads(row[14]))

    def entries(self, status: str | None = None) -> list[Entry]:
        keys = self.connection.execute(
            "SELECT key FROM mail_ledger WHERE ? IS NULL OR status = ? ORDER BY created_at, rowid", (status, status)
        ).fetchall()
        return [e for (k,) in keys if (e := self.entry(k)) is not None]

    def queue(self, email: Decided, today: dt.date) -> None:
        """Record ``email`` as decided (before any attempt), keeping attempts, delivered_to, the
        day it was first queued, and its subject while it has none (it is rendered later)."""
        stamp = utc_now()
        with self.transaction():
            self.connection.execute(
                "INSERT INTO mail_ledger (key, kind, unit_id, form_key, period_id, step, first_day, message_id,"
                " subject, recipients, status, created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
                " ON CONFLICT (key) DO UPDATE SET recipients = excluded.recipients, updated_at = excluded.updated_at,"
                " subject = CASE WHEN excluded.subject = '' THEN subject ELSE excluded.subject END,"
                # A key cancelled earlier and planned again is live again; sent and failed stay final.
                f" status = CASE WHEN status = '{CANCELLED}' THEN '{QUEUED}' ELSE status END",
                (
                    email.key,
                    email.kind,
                    email.unit_id,
                    email.form_key,
                    email.period_id,
                    email.step,
                    today.isoformat(),
                    email.message_id,
                    email.subject or "",
                    json.dumps(email.recipients),
                    QUEUED,
                    stamp,
                    stamp,
                ),
            )
            self.connection.executemany(
                "INSERT OR IGNORE INTO mail_ledger_items VALUES (?, ?, ?, ?, ?)",
                [(email.key, *ref) for ref in email.item_refs],
            )

    def claim(self, key: str, who: str | None = None) -> bool:
        """Take ``key`` for sending, in one transaction; False if it is not queued or someone else
        holds a live claim (another process is sending it, or already has)."""
        who = who or claimant()
        expired = (dt.datetime.now(dt.UTC) - CLAIM_EXPIRES).isoformat(timespec="seconds")
        with self.transaction():
            cursor = self.connection.execute(
                "UPDATE mail_ledger SET claimed_by = ?, claimed_at = ? WHERE key = ? AND status = ?"
                " AND (claimed_by IS NULL OR claimed_by = ? OR claimed_at < ?)",
                (who, utc_now(), key, QUEUED, who, expired),
            )
        return cursor.rowcount == 1

    def release(self, key: str) -> None:
        with self.transaction():
            self.connection.execute("UPDATE mail_ledger SET claimed_by = NULL, claimed_at = NULL WHERE key = ?", (key,))

    def mark_sent(self, key: str, today: dt.date, transport: str, delivered_to: list[str]) -> None:
        """Every recipient has the email (an earlier run delivered it; only the record was missing)."""
        stamp = utc_now()
        with self.transaction():
            self.connection.execute(
                "UPDATE mail_ledger SET status = ?, queued_reason = NULL, attempts = attempts + 1, last_error = NULL,"
                " transport = ?, delivered_to = ?, sent_at = ?, sent_day = ?, updated_at = ?, claimed_by = NULL,"
                " claimed_at = NULL WHERE key = ?",
                (SENT, transport, json.dumps(delivered_to), stamp, today.isoformat(), stamp, key),
            )

    def record_answer(
        self,
        key: str,
        today: dt.date,
        transport: str,
        subject: str,
        accepted: list[str],
        refused: Mapping[str, str],
        deferred: Mapping[str, str],
        give_up_after: int,
    ) -> Answered:
        """The server's answer to one hand-over of ``key``, recipient by recipient: who ``accepted``
        it has it for good (and their run of refusals ends); each permanent refusal is counted
        against its address, given up for this email once ``give_up_after`` are reached; temporary
        ones (``deferred``) are only noted. The email is sent once no one is owed it and someone has
        it, failed if every recipient was given up, otherwise queued for the rest.
        """
        entry = self.entry(key)
        assert entry is not None, f"{key} answered before it was queued"
        day = today.isoformat()
        given_up_now: dict[str, str] = {}
        with self.transaction():
            self.connection.executemany("DELETE FROM mail_refusals WHERE address = ?", [(a.lower(),) for a in accepted])
            for address, reply in refused.items():
                self.connection.execute(
                    "INSERT INTO mail_refusals (address, unit_id, refusals, reason, first_day, last_day)"
                    " VALUES (?, ?, 1, ?, ?, ?) ON CONFLICT (address) DO UPDATE SET refusals = refusals + 1,"
                    " unit_id = excluded.unit_id, reason = excluded.reason, last_day = excluded.last_day",
                    (address.lower(), entry.unit_id, reply, day, day),
                )  # no RETURNING: SQLite before 3.35 (Debian 11) has none
                (count,) = self.connection.execute(
                    "SELECT refusals FROM mail_refusals WHERE address = ?", (address.lower(),)
                ).fetchone()
                if count >= give_up_after:
                    given_up_now[address] = reply
                    self.connection.execute(
                        "UPDATE mail_refusals SET given_up_day = coalesce(given_up_day, ?) WHERE address = ?",
                        (day, address.lower()),
                    )
            delivered = list(dict.fromkeys(entry.delivered_to + accepted))
            given_up = {**entry.given_up, **given_up_now}
            done = {a.lower() for a in delivered} | {a.lower() for a in given_up}
            owed = [a for a in entry.recipients if a.lower() not in done]
            if owed:
                status = QUEUED
                waiting = {a: why for a, why in {**deferred, **refused}.items() if a in owed}
                reason = ERROR if any(a in refused for a in owed) else TEMPORARY
                error = "refused: " + "; ".join(f"{a} ({why})" for a, why in waiting.items())
            elif delivered:
                status, reason, error = SENT, None, None
            else:  # every recipient given up
                status, reason = FAILED, ERROR
                error = "refused: " + "; ".join(f"{a} ({why})" for a, why in given_up.items())
            # An attempt is an answer for good: the email done, or a recipient refused for good. Only
            # accepted by some while others hear "later": not one, however long "later" lasts.
            counted = status != QUEUED or bool(refused)
            stamp = utc_now()
            self.connection.execute(
                "UPDATE mail_ledger SET status = ?, queued_reason = ?, last_error = ?, subject = ?,"
                " attempts = attempts + ?, transport = ?, delivered_to = ?, given_up = ?, updated_at = ?,"
                " sent_at = CASE WHEN ? = ? THEN ? ELSE sent_at END,"
                " sent_day = CASE WHEN ? = ? THEN ? ELSE sent_day END, claimed_by = NULL, claimed_at = NULL"
                " WHERE key = ?",
                (
                    status, reason, error, subject, int(counted), transport, json.dumps(delivered),
                    json.dumps(given_up), stamp, status, SENT, stamp, status, SENT, day, key,
                ),
            )  # fmt: skip
        return Answered(status, given_up_now)

    def mark_failed_attempt(
        self, key: str, error: str, transport: str, give_up_after: int, subject: str | None = None
    ) -> str:
        """The server refused the whole message for good (5xx at MAIL FROM or DATA): count an
        attempt; the email stays queued, or fails once ``give_up_after`` attempts are reached.
        Returns the new status.
        """
        with self.transaction():
            self.connection.execute(
                "UPDATE mail_ledger SET attempts = attempts + 1, last_error = ?, queued_reason = ?, transport = ?,"
                " subject = coalesce(?, subject), updated_at = ?, claimed_by = NULL, claimed_at = NULL,"
                " status = CASE WHEN attempts + 1 >= ? THEN ? ELSE ? END WHERE key = ?",
                (error, ERROR, transport, subject, utc_now(), give_up_after, FAILED, QUEUED, key),
            )
        entry = self.entry(key)
        return entry.status if entry else QUEUED

    def mark_waiting(self, key: str, reason: str, error: str, transport: str, subject: str | None = None) -> None:
        """Not delivered for a reason that is not the email's (the server said "later", could not be
        reached, refused the login): it stays queued, no attempt counted, however long it lasts."""
        with self.transaction():
            self.connection.execute(
                "UPDATE mail_ledger SET queued_reason = ?, last_error = ?, transport = ?,"
                " subject = coalesce(?, subject), updated_at = ?, claimed_by = NULL, claimed_at = NULL WHERE key = ?",
                (reason, error, transport, subject, utc_now(), key),
            )

    def mark_capped(self, key: str) -> None:
        with self.transaction():
            self.connection.execute(
                "UPDATE mail_ledger SET queued_reason = ?, last_error = ?, updated_at = ?, claimed_by = NULL,"
                " claimed_at = NULL WHERE key = ?",
                (CAP, "daily cap reached", utc_now(), key),
            )

    def cancel_queued_except(self, keys: Iterable[str]) -> int:
        """Queued emails no longer due today (and not being sent by another process) are cancelled."""
        keep = set(keys)
        stale = [
            k
            for (k,) in self.connection.execute(
                "SELECT key FROM mail_ledger WHERE status = ? AND claimed_by IS NULL", (QUEUED,)
            )
            if k not in keep
        ]
        with self.transaction():
            self.connection.executemany(
                "UPDATE mail_ledger SET status = ?, last_error = ?, updated_at = ? WHERE key = ? AND status = ?",
                [(CANCELLED, "no longer due", utc_now(), k, QUEUED) for k in stale],
            )
        return len(stale)

    def waiting(self) -> list[Entry]:
        """Queued emails: those still waiting after this run."""
        return self.entries(QUEUED)

    def given_up_unreported(self) -> tuple[list[Refusal], list[Entry]]:
        """What the office has not been told of yet: addresses given up, and emails failed."""
        rows = self.connection.execute(
            "SELECT address, unit_id, refusals, reason, first_day, given_up_day FROM mail_refusals"
            " WHERE given_up_day IS NOT NULL AND reported_in IS NULL ORDER BY given_up_day, address"
        )
        addresses = [Refusal(*row) for row in rows]
        keys = self.connection.execute(
            "SELECT key FROM mail_ledger WHERE status = ? AND reported_in IS NULL ORDER BY updated_at, key", (FAILED,)
        ).fetchall()
        return addresses, [e for (k,) in keys if (e := self.entry(k)) is not None]

    def mark_reported(self, report_key: str, addresses: Iterable[str], keys: Iterable[str]) -> None:
        """The consolidated report ``report_key``, now sent, told the office of these."""
        with self.transaction():
            self.connection.executemany(
                "UPDATE mail_refusals SET reported_in = ? WHERE address = ?", [(report_key, a) for a in addresses]
            )
            self.connection.executemany(
                "UPDATE mail_ledger SET reported_in = ? WHERE key = ?", [(report_key, k) for k in keys]
            )

    def reminders_sent(self) -> dict[tuple[str, str, str], int]:
        """How many reminders each report (unit, form, period) has been named in, sent."""
        rows = self.connection.execute(
            "SELECT i.unit_id, i.form_key, i.period_id, COUNT(DISTINCT i.email_key) FROM mail_ledger_items i"
            " JOIN mail_ledger l ON l.key = i.email_key WHERE l.status = ? GROUP BY 1, 2, 3",
            (SENT,),
        )
        return {(u, f, p): n for u, f, p, n in rows}
