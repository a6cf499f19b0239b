"""The Store: the one object that owns the state file's SQLite connection for a run.

It opens the file (refusing one that is not a database, or is damaged, and leaving it
byte-for-byte untouched), brings the schema up to date, and is the only place that reads or
writes runs, units seen, accepted reports and last judgements; the send ledger's queries are in
store/ledger.py, those of snapshots and history in store/sheets.py, the office's reviews in
store/reviews.py and what was written back into spreadsheets in store/writes.py, on the same
connection.
``Store.scratch`` is the store of a dry run: an in-memory copy, so the run does everything a real
one would and the file never changes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from errors import StoreError
from store.encoding import now, to_json
from store.ledger import LedgerQueries
from store.requests import RequestQueries
from store.reviews import ReviewQueries
from store.schema import MIGRATIONS
from store.sheets import SheetQueries
from store.writes import WriteQueries

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000
Key = tuple[str, str, str]  # unit id, form key, period id


@dataclass(frozen=True)
class UnitSeen:
    first_tried_on: dt.date
    first_read_on: dt.date | None
    unreadable_since: dt.date | None  # the first day of the current spell of failed reads
    last_read_on: dt.date | None = None


@dataclass(frozen=True)
class AcceptedReport:
    """A report the service once saw complete: when, what it held then (JSON-ready values), and
    since when its sheet shows other values (None while it shows them)."""

    first_complete_on: dt.date
    values: dict[str, Any]
    changed_on: dt.date | None = None


@dataclass(frozen=True)
class ReportRow:
    """A report as last judged: what `status` prints without reading any sheet."""

    unit_id: str
    form_key: str
    period_id: str
    period_label: str
    deadline: dt.date
    status: str
    submitted_on: dt.date | None
    finding_count: int
    sheet_read: bool  # False: the unit's sheet could not be read that run
    judged_on: dt.date


def _report_row(
    u: str, f: str, p: str, label: str, d: str, s: str, sub: str | None, n: int, read: int, j: str
) -> ReportRow:
    return ReportRow(u, f, p, label, dt.date.fromisoformat(d), s, dt.date.fromisoformat(sub) if sub else None, n,
                     bool(read), dt.date.fromisoformat(j))  # fmt: skip


def _day(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _check_file(path: Path) -> None:
    """Refuse, before touching it, a state file that cannot be the service's memory."""
    if not path.exists():
        return
    if path.is_dir():
        raise StoreError(f"the state file {path} is a folder; point state_file at a file")
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read the state file {path}: {exc.strerror or exc}") from exc
    if header != SQLITE_HEADER:
        raise StoreError(
            f"the state file {path} is not an SQLite database (empty or damaged). It was left as it is:"
            " restore it from a backup (python main.py backup makes one), or move it away to start afresh,"
            " which makes the service send again every email it already sent"
        )
    if not os.access(path, os.W_OK):
        raise StoreError(f"the state file {path} is read-only for this user; the service must be able to write it")


def _put_in_place(new: Path, path: Path) -> None:
    """``new`` as ``path`` unless a file is there already (FileExistsError), whole as soon as it
    appears wherever the file system has hard links."""
    try:
        os.link(new, path)
    except FileExistsError:
        raise
    except OSError:  # no hard links (FAT, some network shares): an exclusive create, then the bytes
        with path.open("xb") as target:
            target.write(new.read_bytes())


class Store(LedgerQueries, SheetQueries, RequestQueries, ReviewQueries, WriteQueries):
    """The state file for one run; use as a context manager, or call close()."""

    def __init__(self, connection: sqlite3.Connection, path: Path | None) -> None:
        self.connection = connection
        self.path = path

    # --- opening ----------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str) -> Store:
        """Open (creating it if absent) and migrate the state file; StoreError if it is unusable."""
        path = Path(path)
        if not path.exists():
            cls._create(path)
        _check_file(path)
        try:
            connection = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open the state file {path}: {exc}") from exc
        store = cls(connection, path)
        try:
            store._verify()
            connection.execute("PRAGMA journal_mode=WAL")
            store._prepare()
        except sqlite3.DatabaseError as exc:
            connection.close()
            raise StoreError(f"the state file {path} cannot be used: {exc}. It was left as it is") from exc
        except StoreError:  # refused (newer, damaged): close now, so no -wal/-shm stays beside the file
            connection.close()
            raise
        return store

    @classmethod
    def _create(cls, path: Path) -> None:
        """Make a new state file whole under a temporary name beside ``path``, then link it into
        place unless another process did first (its file is then kept): no process ever finds the
        state file half made, empty or between journal modes, and refuses it."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".new", dir=path.parent)
            os.close(handle)
        except OSError as exc:
            raise StoreError(f"cannot create the state file {path}: {exc}") from exc
        new = Path(name)
        try:
            store = cls(sqlite3.connect(name, isolation_level=None), new)
            try:
                store.connection.execute("PRAGMA journal_mode=WAL")
                store._prepare()
            finally:
                store.close()
            _put_in_place(new, path)
        except FileExistsError:
            pass  # another process made it first: that one is used
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot create the state file {path}: {exc}") from exc
        finally:
            new.unlink(missing_ok=True)

    @classmethod
    def scratch(cls, path: Path | str) -> Store:
        """A dry run's store: an in-memory copy of the state file (or an empty one), never saved."""
        memory = sqlite3.connect(":memory:", isolation_level=None)
        path = Path(path)
        if path.exists():
            with cls.open(path) as real:
                real.connection.backup(memory)
        store = cls(memory, None)
        store._prepare()
        return store

    def _verify(self) -> None:
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        if version > len(MIGRATIONS):
            raise StoreError(
                f"the state file {self.path} was written by a newer version of the service (schema {version});"
                " update the service rather than using this file with an older one"
            )
        problems = [row[0] for row in self.connection.execute("PRAGMA quick_check(3)")]
        if problems != ["ok"]:
            raise StoreError(
                f"the state file {self.path} is damaged ({'; '.join(problems)}). It was left as it is:"
                " restore it from a backup"
            )

    def _prepare(self) -> None:
        self.connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.connection.execute("PRAGMA foreign_keys=ON")
        version = self.connection.execute("PRAGMA user_version").fetchone()[0]
        for number, migrate in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.transaction():
                migrate(self.connection)
                self.connection.execute(f"PRAGMA user_version={number}")

    @property
    def schema_version(self) -> int:
        return self.connection.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (BEGIN IMMEDIATE) so no other writer interleaves."""
        if self.connection.in_transaction:  # nested: the outer one commits
            yield self.connection
            return
        try:
            self.connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise
            raise StoreError(
                f"the state file {self.path} is locked by another process, which has held it for more than"
                f" {BUSY_TIMEOUT_MS / 1000:g} s; this command stopped before recording anything more (what it had"
                " not recorded, the next run does). Find the process that holds it open (fuser, lsof) and"
                " let it finish, then run again"
            ) from exc
        try:
            yield self.connection
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        self.connection.execute("COMMIT")

    def backup(self, destination: Path | str) -> Path:
        """A consistent copy of the store (SQLite's online backup), safe while another run writes."""
        destination = Path(destination)
        if destination.is_dir():
            destination = destination / f"state-{dt.datetime.now():%Y%m%d-%H%M%S}.sqlite3"
        if destination.exists():
            raise StoreError(f"{destination} already exists; name a new file")
        destination.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(str(destination))
        try:
            self.connection.backup(target)
        finally:
            target.close()
        return destination

    # --- runs ---------------------------------------------------------------------------------
    def start_run(self, command: str, today: dt.date) -> int:
        with self.transaction():
            cursor = self.connection.execute(
                "INSERT INTO runs (command, today, started_at) VALUES (?, ?, ?)", (command, today.isoformat(), now())
            )
        return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, outcome: str) -> None:
        with self.transaction():
            self.connection.execute(
                "UPDATE runs SET finished_at = ?, outcome = ? WHERE id = ?", (now(), outcome, run_id)
            )

    # --- the control spreadsheet -------------------------------------------------------------
    def control_applied(self, tab: str) -> tuple[Any, dt.date] | None:
        """What the control spreadsheet's ``tab`` last applied (JSON), and on which day."""
        query = "SELECT content, applied_on FROM control_applied WHERE tab = ?"
        row = self.connection.execute(query, (tab,)).fetchone()
        return (json.loads(row[0]), dt.date.fromisoformat(row[1])) if row else None

    def save_control_applied(self, tab: str, content: Any, today: dt.date) -> None:
        with self.transaction():
            self.connection.execute(
                "INSERT INTO control_applied VALUES (?, ?, ?, ?) ON CONFLICT (tab) DO UPDATE SET"
                " content = excluded.content, applied_on = excluded.applied_on, applied_at = excluded.applied_at",
                (tab, to_json(content), today.isoformat(), now()),
            )

    # --- units --------------------------------------------------------------------------------
    def units_seen(self) -> dict[str, UnitSeen]:
        rows = self.connection.execute(
            "SELECT unit_id, first_tried_on, first_read_on, unreadable_since, last_read_on FROM units_seen"
        )
        return {
            u: UnitSeen(_day(tried), _day(read), _day(since), _day(last))  # type: ignore[arg-type]
            for u, tried, read, since, last in rows
        }

    def record_units_seen(self, tried: Iterable[str], read: Iterable[str], today: dt.date) -> None:
        """The earliest day each unit was tried and read (a preview with a later --today never
        wins), and since when a unit tried but not read has been unreadable."""
        day = today.isoformat()
        read = set(read)
        with self.transaction():
            self.connection.executemany(
                "INSERT INTO units_seen (unit_id, first_tried_on) VALUES (?, ?) ON CONFLICT (unit_id)"
                " DO UPDATE SET first_tried_on = min(first_tried_on, excluded.first_tried_on)",
                [(u, day) for u in tried],
            )
            self.connection.executemany(
                "UPDATE units_seen SET first_read_on = min(coalesce(first_read_on, ?), ?), unreadable_since = NULL,"
                " last_read_on = max(coalesce(last_read_on, ?), ?) WHERE unit_id = ?",
                [(day, day, day, day, u) for u in read],
            )
            self.connection.executemany(
                "UPDATE units_seen SET unreadable_since = coalesce(unreadable_since, ?) WHERE unit_id = ?",
                [(day, u) for u in tried if u not in read],
            )

    # --- accepted reports ------------------------------------------------------------------
    def accepted_reports(self) -> dict[Key, AcceptedReport]:
        rows = self.connection.execute(
            "SELECT unit_id, form_key, period_id, first_complete_on, accepted, changed_on FROM accepted_reports"
        )
        return {
            (u, f, p): AcceptedReport(dt.date.fromisoformat(d), json.loads(a), dt.date.fromisoformat(c) if c else None)
            for u, f, p, d, a, c in rows
        }

    def record_accepted(
        self, reports: Mapping[Key, AcceptedReport], changes: Mapping[Key, dt.date | None] | None = None
    ) -> None:
        """Remember reports first seen complete (only an earlier sighting replaces a record), and
        since when an accepted report's sheet shows other values (None: it shows them again)."""
        with self.transaction():
            self.connection.executemany(
                "INSERT INTO accepted_reports VALUES (?, ?, ?, ?, ?, NULL) ON CONFLICT (unit_id, form_key, period_id)"
                " DO UPDATE SET first_complete_on = excluded.first_complete_on, accepted = excluded.accepted,"
                " changed_on = NULL WHERE excluded.first_complete_on < first_complete_on",
                [(u, f, p, a.first_complete_on.isoformat(), to_json(a.values)) for (u, f, p), a in reports.items()],
            )
            self.connection.executemany(
                "UPDATE accepted_reports SET changed_on = ? WHERE unit_id = ? AND form_key = ? AND period_id = ?",
                [(day.isoformat() if day else None, u, f, p) for (u, f, p), day in (changes or {}).items()],
            )

    # --- last judgement ----------------------------------------------------------------------
    def save_report_statuses(self, rows: Iterable[ReportRow]) -> None:
        """Replace the last judgement of each report in ``rows``."""
        with self.transaction():
            self.connection.executemany(
                "INSERT OR REPLACE INTO report_status VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.unit_id, r.form_key, r.period_id, r.period_label, r.deadline.isoformat(), r.status,
                     r.submitted_on.isoformat() if r.submitted_on else None, r.finding_count, int(r.sheet_read),
                     r.judged_on.isoformat())
                    for r in rows
                ],
            )  # fmt: skip

    def report_statuses(self, period_id: str | None = None) -> list[ReportRow]:
        """The last judgement of every report (of one period), by deadline, unit and form."""
        rows = self.connection.execute(
            "SELECT unit_id, form_key, period_id, period_label, deadline, status, submitted_on, finding_count,"
            " sheet_read, judged_on FROM report_status WHERE ? IS NULL OR period_id = ?"
            " ORDER BY deadline, period_id, unit_id, form_key",
            (period_id, period_id),
        )
        return [_report_row(*row) for row in rows]

    def report_statuses_saved(self, saved: Iterable[ReportRow]) -> list[ReportRow]:
        """What report_statuses() gives right after save_report_statuses(saved) of rows judged on
        one day, without reading back the thousands just written: only the rows of other days
        (reports no longer in view) come from the store. Read whole if that day holds other rows."""
        latest = {(r.unit_id, r.form_key, r.period_id): r for r in saved}  # the last of a key replaced the others
        days = {r.judged_on for r in latest.values()}
        if len(days) != 1:
            return self.report_statuses()
        day = days.pop().isoformat()
        (count,) = self.connection.execute("SELECT COUNT(*) FROM report_status WHERE judged_on = ?", (day,)).fetchone()
        if count != len(latest):
            return self.report_statuses()
        others = self.connection.execute(
            "SELECT unit_id, form_key, period_id, period_label, deadline, status, submitted_on, finding_count,"
            " sheet_read, judged_on FROM report_status WHERE judged_on <> ?",
            (day,),
        )
        rows = [*latest.values(), *(_report_row(*row) for row in others)]
        # report_statuses()'s order: ISO dates sort as text, and Python orders str as SQLite's BINARY does.
        return sorted(rows, key=lambda r: (r.deadline, r.period_id, r.unit_id, r.form_key))

    def period_labels(self, period_ids: Iterable[str]) -> dict[str, str]:
        """How each period was named when last judged (for texts about emails of that period)."""
        ids = sorted(set(period_ids))
        marks = ", ".join("?" * len(ids))
        rows = self.connection.execute(
            f"SELECT DISTINCT period_id, period_label FROM report_status WHERE period_id IN ({marks})", ids
        )
        return dict(rows.fetchall())
