"""What the store keeps of the office's reviews: each decision on a report (accepted, or returned
with a comment), the report's rows as last read when it was made, and since when the unit's data
differ from them.

Mixed into Store: the queries run on the store's one connection.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from store.encoding import now, to_json

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

Key = tuple[str, str, str]  # unit id, form key, period id


@dataclass(frozen=True)
class ReviewRow:
    """One decision of the office on one report."""

    id: int
    unit_id: str
    form_key: str
    period_id: str
    decision: str
    comment: str
    source: str
    decided_on: dt.date
    decided_at: str
    # The report's rows ({"report_date", "values"} each, plain) in the last read before the
    # decision; None when the service had never read the unit's tab of that form.
    basis: list[dict[str, Any]] | None
    changed_on: dt.date | None  # the first day its data were seen to differ from ``basis``


_COLUMNS = "id, unit_id, form_key, period_id, decision, comment, source, decided_on, decided_at, basis, changed_on"


def _row(row: tuple[Any, ...]) -> ReviewRow:
    rid, unit_id, form_key, period_id, decision, comment, source, decided_on, decided_at, basis, changed_on = row
    return ReviewRow(
        rid, unit_id, form_key, period_id, decision, comment, source,
        dt.date.fromisoformat(decided_on or decided_at[:10]), decided_at,
        json.loads(basis) if basis is not None else None,
        dt.date.fromisoformat(changed_on) if changed_on else None,
    )  # fmt: skip


class ReviewQueries:
    """Reviews, on the store's connection."""

    connection: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Store, which mixes this class in

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def report_rows(self, unit_id: str, form_key: str, period_id: str) -> list[dict[str, Any]] | None:
        """The rows of one period in the unit's form tab as last read ({"report_date", "values"}
        each), or None when the tab was never read."""
        row = self.connection.execute(
            "SELECT rows FROM tab_versions WHERE unit_id = ? AND form_key = ? ORDER BY id DESC LIMIT 1",
            (unit_id, form_key),
        ).fetchone()
        if row is None:
            return None
        rows = json.loads(row[0])
        return [{"report_date": r["report_date"], "values": r["values"]} for r in rows if r["period"] == period_id]

    def record_review(
        self,
        unit_id: str,
        form_key: str,
        period_id: str,
        decision: str,
        comment: str,
        decided_on: dt.date,
        basis: list[dict[str, Any]] | None,
        source: str = "cli",
    ) -> ReviewRow:
        """Keep a decision; the latest decision on a report is the one that counts."""
        with self.transaction():
            cursor = self.connection.execute(
                "INSERT INTO reviews (unit_id, form_key, period_id, decision, comment, source, decided_at, decided_on,"
                " basis) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (unit_id, form_key, period_id, decision, comment, source, now(), decided_on.isoformat(),
                 to_json(basis) if basis is not None else None),
            )  # fmt: skip
        row = self.connection.execute(f"SELECT {_COLUMNS} FROM reviews WHERE id = ?", (cursor.lastrowid,)).fetchone()
        return _row(row)

    def latest_reviews(self) -> dict[Key, ReviewRow]:
        """The latest decision on each report reviewed."""
        rows = self.connection.execute(
            f"SELECT {_COLUMNS} FROM reviews WHERE id IN"
            " (SELECT max(id) FROM reviews GROUP BY unit_id, form_key, period_id)"
        )
        return {(r.unit_id, r.form_key, r.period_id): r for r in map(_row, rows)}

    def record_review_changes(self, changes: Mapping[int, dt.date | None]) -> None:
        """Since when each review's report shows other data than it did (None: the same again)."""
        with self.transaction():
            self.connection.executemany(
                "UPDATE reviews SET changed_on = ? WHERE id = ?",
                [(day.isoformat() if day else None, rid) for rid, day in changes.items()],
            )

    def reopen_reports(self, keys: Iterable[Key]) -> None:
        """Forget what was accepted of returned reports whose data have changed since: each is
        judged afresh, as first seen complete when the corrected data are."""
        with self.transaction():
            self.connection.executemany(
                "DELETE FROM accepted_reports WHERE unit_id = ? AND form_key = ? AND period_id = ?", list(keys)
            )
