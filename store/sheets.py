"""What the store keeps of the sheets themselves: the grids of each spreadsheet's last read (a
cache the Google source uses) and the history of every distinct content of each unit's tabs.

Mixed into Store: the queries run on the store's one connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from store.encoding import now, to_json

if TYPE_CHECKING:
    from contextlib import AbstractContextManager


@dataclass(frozen=True)
class TabVersion:
    """One distinct content of a unit's form tab, and the day it was first read so."""

    id: int
    unit_id: str
    form_key: str
    content_hash: str
    rows: list[dict[str, Any]]
    read_on: dt.date
    read_at: str


class SheetQueries:
    """Snapshots and tab history, on the store's connection."""

    connection: sqlite3.Connection

    if TYPE_CHECKING:  # provided by Store, which mixes this class in

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    # --- snapshots ----------------------------------------------------------------------------
    def snapshot(self, spreadsheet_id: str) -> tuple[str, str, list[str], dict[str, Any]] | None:
        """(version, modified time, tabs, content) of a spreadsheet's last read, if stored."""
        row = self.connection.execute(
            "SELECT version, modified_time, tabs, content FROM sheet_snapshots WHERE spreadsheet_id = ?",
            (spreadsheet_id,),
        ).fetchone()
        if row is None:
            return None
        return row[0], row[1], json.loads(row[2]), json.loads(row[3])

    def save_snapshot(
        self, spreadsheet_id: str, version: str, modified_time: str, tabs: list[str], content: dict[str, Any]
    ) -> None:
        with self.transaction():
            self.connection.execute(
                "INSERT OR REPLACE INTO sheet_snapshots VALUES (?, ?, ?, ?, ?, ?)",
                (spreadsheet_id, version, modified_time, to_json(tabs), to_json(content), now()),
            )

    # --- history ------------------------------------------------------------------------------
    def latest_tab_hashes(self) -> dict[tuple[str, str], str]:
        """The content hash of each unit's form tab as last read."""
        rows = self.connection.execute(
            "SELECT unit_id, form_key, content_hash FROM tab_versions"
            " WHERE id IN (SELECT max(id) FROM tab_versions GROUP BY unit_id, form_key)"
        )
        return {(u, f): h for u, f, h in rows}

    def add_tab_versions(self, versions: Iterable[tuple[str, str, list[dict[str, Any]]]], today: dt.date) -> int:
        """Keep each (unit, form, rows) whose content differs from the last version kept of that
        tab (compared by a hash of its JSON); returns how many were new."""
        latest = self.latest_tab_hashes()
        fresh = []
        for unit_id, form_key, rows in versions:
            text = to_json(rows)
            digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if latest.get((unit_id, form_key)) != digest:
                fresh.append((unit_id, form_key, digest, text))
        stamp = now()
        with self.transaction():
            self.connection.executemany(
                "INSERT INTO tab_versions (unit_id, form_key, content_hash, rows, read_on, read_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(u, f, h, rows, today.isoformat(), stamp) for u, f, h, rows in fresh],
            )
        return len(fresh)

    def tab_versions(self, unit_id: str, form_key: str | None = None) -> list[TabVersion]:
        rows = self.connection.execute(
            "SELECT id, unit_id, form_key, content_hash, rows, read_on, read_at FROM tab_versions"
            " WHERE unit_id = ? AND (? IS NULL OR form_key = ?) ORDER BY form_key, id",
            (unit_id, form_key, form_key),
        )
        return [TabVersion(i, u, f, h, json.loads(r), dt.date.fromisoformat(d), a) for i, u, f, h, r, d, a in rows]
