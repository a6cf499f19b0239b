"""What the store keeps of the write-back: per tab written (the office's status tab, each unit's
feedback tab) the hash of what was last written there, and the current spell of failed writes
until a consolidated report has told the office of it.

Mixed into Store: the queries run on the store's one connection.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

STATUS_TAB = "status"
FEEDBACK_TAB = "feedback"


@dataclass(frozen=True)
class SheetWrite:
    """One tab the service writes: what it last wrote there, and whether writing it now fails."""

    tab: str  # STATUS_TAB | FEEDBACK_TAB
    unit_id: str  # "" for the office's status tab
    spreadsheet_id: str
    content_hash: str | None
    written_on: dt.date | None
    failed_since: dt.date | None
    reason: str | None  # permission | temporary | not_found | other
    last_error: str | None
    account: str | None
    reported_in: str | None

    @property
    def key(self) -> tuple[str, str]:
        return self.tab, self.unit_id


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


_COLUMNS = (
    "tab, unit_id, spreadsheet_id, content_hash, written_on, failed_since, reason, last_error, account, reported_in"
)


class WriteQueries:
    """The write-back's memory, on the store's connection."""

    connection: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Store, which mixes this class in

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def sheet_writes(self, tab: str | None = None) -> dict[tuple[str, str], SheetWrite]:
        """Every tab written or tried (of one kind), by (tab, unit id)."""
        rows = self.connection.execute(
            f"SELECT {_COLUMNS} FROM sheet_writes WHERE ? IS NULL OR tab = ? ORDER BY tab, unit_id", (tab, tab)
        )
        found = {}
        for t, u, sheet, digest, written, since, reason, error, account, reported in rows:
            found[(t, u)] = SheetWrite(t, u, sheet, digest, _day(written), _day(since), reason, error, account,
                                       reported)  # fmt: skip
        return found

    def record_write(self, tab: str, unit_id: str, spreadsheet_id: str, content_hash: str, today: dt.date) -> None:
        """``content_hash`` was written to the tab today: any spell of failures is over."""
        with self.transaction():
            self.connection.execute(
                "INSERT INTO sheet_writes (tab, unit_id, spreadsheet_id, content_hash, written_on)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (tab, unit_id) DO UPDATE SET"
                " spreadsheet_id = excluded.spreadsheet_id, content_hash = excluded.content_hash,"
                " written_on = excluded.written_on, failed_since = NULL, reason = NULL, last_error = NULL,"
                " account = NULL, reported_in = NULL",
                (tab, unit_id, spreadsheet_id, content_hash, today.isoformat()),
            )

    def record_write_failure(
        self, tab: str, unit_id: str, spreadsheet_id: str, reason: str, error: str, account: str, today: dt.date
    ) -> None:
        """Writing the tab failed today; what was last written (its hash) is kept, so the next run
        tries again. A spell already told to the office stays told, unless its spreadsheet changed."""
        with self.transaction():
            self.connection.execute(
                "INSERT INTO sheet_writes (tab, unit_id, spreadsheet_id, failed_since, reason, last_error, account)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (tab, unit_id) DO UPDATE SET"
                " reported_in = CASE WHEN spreadsheet_id = excluded.spreadsheet_id AND reason = excluded.reason"
                " THEN reported_in END,"
                " spreadsheet_id = excluded.spreadsheet_id,"
                " failed_since = coalesce(failed_since, excluded.failed_since),"
                " reason = excluded.reason, last_error = excluded.last_error, account = excluded.account",
                (tab, unit_id, spreadsheet_id, today.isoformat(), reason, error, account),
            )

    def write_failures_unreported(self) -> list[SheetWrite]:
        """Tabs that cannot be written now and of which no consolidated report has told yet."""
        return [w for w in self.sheet_writes().values() if w.failed_since and not w.reported_in]

    def mark_writes_reported(self, keys: Iterable[tuple[str, str]], email_key: str) -> None:
        with self.transaction():
            self.connection.executemany(
                "UPDATE sheet_writes SET reported_in = ? WHERE tab = ? AND unit_id = ? AND failed_since IS NOT NULL",
                [(email_key, tab, unit_id) for tab, unit_id in keys],
            )
