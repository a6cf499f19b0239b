"""Ad-hoc requests (báo cáo đột xuất) opened from the command line: one-off periods the store
keeps beside the ones config.yaml plans in advance. Mixed into Store, on its one connection.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from store.encoding import now

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

OPEN, CANCELLED = "open", "cancelled"
REQUEST_KIND = "ad_hoc_request"  # the email that announces a request to a unit (delivery plans it)


@dataclass(frozen=True)
class AdHocRequest:
    """A one-off period: one form owed by ``units`` (None: every unit) from ``start`` to ``due``."""

    id: str
    form_key: str
    title: str
    start: dt.date
    due: dt.date
    units: list[str] | None
    aliases: list[str]
    short_label: str | None
    status: str
    requested_on: dt.date
    cancelled_on: dt.date | None = None

    @property
    def is_open(self) -> bool:
        return self.status == OPEN


@dataclass(frozen=True)
class Cancelled:
    """What cancelling a request changed in the store."""

    request: AdHocRequest
    reports_dropped: int  # last judgements of its period, no longer owed
    emails_cancelled: int  # queued emails of its period that will not go out


_COLUMNS = "id, form_key, title, start, due, units, aliases, short_label, status, requested_on, cancelled_on"


def _request(row: tuple) -> AdHocRequest:
    ident, form, title, start, due, units, aliases, short, status, requested, cancelled = row
    return AdHocRequest(
        ident, form, title, dt.date.fromisoformat(start), dt.date.fromisoformat(due),
        json.loads(units) if units else None, json.loads(aliases), short, status,
        dt.date.fromisoformat(requested), dt.date.fromisoformat(cancelled) if cancelled else None,
    )  # fmt: skip


class RequestQueries:
    """The table ``ad_hoc_requests``, on the store's connection."""

    connection: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Store, which mixes this class in

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def ad_hoc_requests(self, only_open: bool = False) -> list[AdHocRequest]:
        """Every request (or the open ones), oldest first."""
        rows = self.connection.execute(
            f"SELECT {_COLUMNS} FROM ad_hoc_requests WHERE ? = 0 OR status = ? ORDER BY requested_on, created_at, id",
            (int(only_open), OPEN),
        )
        return [_request(row) for row in rows]

    def ad_hoc_request(self, request_id: str) -> AdHocRequest | None:
        row = self.connection.execute(f"SELECT {_COLUMNS} FROM ad_hoc_requests WHERE id = ?", (request_id,)).fetchone()
        return _request(row) if row else None

    def request_ids_like(self, prefix: str) -> set[str]:
        rows = self.connection.execute(
            "SELECT id FROM ad_hoc_requests WHERE id = ? OR id LIKE ?", (prefix, f"{prefix}-%")
        )
        return {r[0] for r in rows}

    def add_request(self, request: AdHocRequest) -> None:
        """Record a new request (its id must be new: sqlite3.IntegrityError otherwise)."""
        with self.transaction():
            self.connection.execute(
                f"INSERT INTO ad_hoc_requests ({_COLUMNS}, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    request.id, request.form_key, request.title, request.start.isoformat(), request.due.isoformat(),
                    json.dumps(request.units) if request.units is not None else None,
                    json.dumps(request.aliases, ensure_ascii=False), request.short_label, OPEN,
                    request.requested_on.isoformat(), None, now(),
                ),
            )  # fmt: skip

    def update_request(self, request: AdHocRequest) -> None:
        """An open request's title, dates, units and aliases as the control sheet now gives them."""
        with self.transaction():
            self.connection.execute(
                "UPDATE ad_hoc_requests SET title = ?, start = ?, due = ?, units = ?, aliases = ? WHERE id = ?",
                (
                    request.title, request.start.isoformat(), request.due.isoformat(),
                    json.dumps(request.units) if request.units is not None else None,
                    json.dumps(request.aliases, ensure_ascii=False), request.id,
                ),
            )  # fmt: skip

    def cancel_request(self, request_id: str, today: dt.date) -> Cancelled:
        """Close an open request: its period is owed no more, so its last judgements go (status and
        the board stop showing it) and its queued emails are cancelled; what was sent stays sent."""
        with self.transaction():
            self.connection.execute(
                "UPDATE ad_hoc_requests SET status = ?, cancelled_on = ? WHERE id = ? AND status = ?",
                (CANCELLED, today.isoformat(), request_id, OPEN),
            )
            dropped = self.connection.execute("DELETE FROM report_status WHERE period_id = ?", (request_id,)).rowcount
            emails = self.connection.execute(
                "UPDATE mail_ledger SET status = 'cancelled', last_error = ?, updated_at = ?"
                " WHERE status = 'queued' AND (period_id = ? OR key LIKE ?)",
                ("request cancelled", now(), request_id, f"{REQUEST_KIND}|{request_id}|%"),
            ).rowcount
        request = self.ad_hoc_request(request_id)
        assert request is not None
        return Cancelled(request, dropped, emails)

    def request_emails_sent(self, request_ids: Iterable[str]) -> dict[str, set[str]]:
        """Per request, the units its announcement has reached (sent, in the ledger)."""
        wanted = set(request_ids)
        rows = self.connection.execute(
            "SELECT key, unit_id FROM mail_ledger WHERE kind = ? AND status = 'sent'", (REQUEST_KIND,)
        )
        sent: dict[str, set[str]] = {r: set() for r in wanted}
        for key, unit_id in rows:
            request_id = key.split("|")[1]
            if request_id in wanted:
                sent[request_id].add(unit_id)
        return sent
