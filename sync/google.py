"""The Google Sheets source: one values:batchGet per spreadsheet for all the tabs a unit owes,
unchanged spreadsheets served from their last read, every failure confined to its unit, and the
service accounts reading side by side (one thread each).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import google.auth.exceptions
import requests
from google.auth.transport.requests import Request
from gspread.exceptions import APIError
from gspread.urls import DRIVE_FILES_API_V3_URL

from rules.grids import MAX_ROWS, Grid, SourceProblem, UnitGrids, match_tabs
from settings.schema import Config, Unit, spreadsheet_id
from store import Store
from sync.google_http import Clock, GaveUp, Lane, Sleep, account_index, build_lanes, describe, status_of
from sync.lanes import LaneReads, WorkerScope
from sync.snapshots import FileVersion, SnapshotStore, fetch_file_versions
from sync.source import Check

log = logging.getLogger(__name__)

# Bounds every tab's read: far beyond any report form, small enough to cap a runaway sheet; one
# row more than the core reads, so that it can tell the unit its tab is longer than that.
READ_ROWS = MAX_ROWS + 1
READ_BOUNDS = f"A1:ZZ{READ_ROWS}"
VALUE_PARAMS = {"valueRenderOption": "UNFORMATTED_VALUE", "dateTimeRenderOption": "SERIAL_NUMBER"}
TITLES_ONLY = {"fields": "sheets.properties.title"}
# After this many units of one account in a row give up on 429, its quota is spent for this run:
# the rest of its units are reported unreadable at once rather than each waiting out the bound.
QUOTA_STRIKES = 3


def a1_range(title: str) -> str:
    """A whole-tab range: the title quoted, its apostrophes doubled, as the A1 grammar wants."""
    return "'" + title.replace("'", "''") + "'!" + READ_BOUNDS


def grids_from_batch(body: Mapping[str, Any], count: int) -> list[Grid]:
    """The value ranges of a batchGet body, in the order asked; an empty tab has no "values"."""
    ranges = body.get("valueRanges") or []
    grids: list[Grid] = []
    for index in range(count):
        values = ranges[index].get("values", []) if index < len(ranges) else []
        grids.append([list(row) for row in values])
    return grids


def is_unknown_range(exc: BaseException) -> bool:
    """The 400 Google answers when a range names a tab the spreadsheet does not have."""
    return (
        isinstance(exc, APIError)
        and exc.response.status_code == 400
        and "Unable to parse range" in str(exc.error.get("message", ""))
    )


def _api_disabled(exc: BaseException) -> bool:
    """Google's 403 for a project whose Sheets (or Drive) API is not enabled: the service's fault."""
    error = getattr(exc, "error", None) or {}
    text = str(error.get("message", "")) + " " + str(error.get("details", ""))
    return "SERVICE_DISABLED" in text or "has not been used in project" in text or "it is disabled" in text


def is_not_a_google_sheet(exc: BaseException) -> bool:
    """Google's 400 for a file uploaded to Drive (.xlsx, .csv) that was never converted to a Sheet."""
    if not isinstance(exc, APIError) or exc.response.status_code != 400:
        return False
    error = exc.error if isinstance(exc.error, dict) else {}
    message = str(error.get("message", ""))
    return error.get("status") == "FAILED_PRECONDITION" or "not supported for this document" in message


def not_a_google_sheet(unit: Unit, service_account: str) -> SourceProblem:
    return SourceProblem("not_a_google_sheet", {"sheet": unit.sheet, "service_account": service_account})


def problem_for(exc: BaseException, unit: Unit, service_account: str) -> SourceProblem:
    """The finding a unit gets when its spreadsheet could not be read."""
    # A GaveUp carries no status of its own: a rate-limit 403 that never cleared is no permission problem.
    status = status_of(exc)
    if is_not_a_google_sheet(exc):
        return not_a_google_sheet(unit, service_account)
    if status == 403 and _api_disabled(exc):
        return SourceProblem("api_disabled", {"reason": describe(exc)})
    if status == 403:
        return SourceProblem("permission_denied", {"service_account": service_account})
    if status == 404:
        return SourceProblem("spreadsheet_not_found", {"sheet": unit.sheet})
    return SourceProblem("unreadable_this_run", {"reason": str(exc) if isinstance(exc, GaveUp) else describe(exc)})


def read_spreadsheet(lane: Lane, sheet_id: str, tabs: Sequence[str], known_titles: Mapping[str, str]) -> UnitGrids:
    """Read ``tabs`` in one batchGet; on an unknown tab, list the titles once and match them.

    ``known_titles`` (from the last read) lets a tab titled differently from the form (NFD, case)
    be asked for by its real title at once, saving the failed batchGet and the title listing.
    Raises APIError, GaveUp or a transport error; the caller turns them into a unit's problem.
    """
    result = UnitGrids(unit_id="")
    if not tabs:
        return result
    wanted = {tab: known_titles.get(tab, tab) for tab in tabs}
    try:
        _read_titles(lane, sheet_id, wanted, result)
        return result
    except APIError as exc:
        if not is_unknown_range(exc):
            raise
    meta = lane.sheets_call(lambda: lane.http.spreadsheets_get(sheet_id, params=dict(TITLES_ONLY)))
    result.available_tabs = [s["properties"]["title"] for s in meta.get("sheets", [])]
    matched = match_tabs(tabs, result.available_tabs)
    result.missing_tabs = [tab for tab in tabs if tab not in matched]
    if matched:
        _read_titles(lane, sheet_id, matched, result)
    return result


def _read_titles(lane: Lane, sheet_id: str, titles: Mapping[str, str], result: UnitGrids) -> None:
    """One batchGet of ``titles`` (form tab → actual title) into ``result``."""
    ranges = [a1_range(actual) for actual in titles.values()]
    # A fresh params dict per attempt: gspread writes "ranges" into the one it is given.
    body = lane.sheets_call(lambda: lane.http.values_batch_get(sheet_id, ranges, params=dict(VALUE_PARAMS)))
    for (tab, actual), grid in zip(titles.items(), grids_from_batch(body, len(ranges)), strict=True):
        if len(grid) > MAX_ROWS:
            log.info("%s: tab %r goes past row %d; rows below it are not read", sheet_id, actual, MAX_ROWS)
        result.grids[tab] = grid
        result.actual_titles[tab] = actual


def fetch_versions(lane: Lane) -> dict[str, FileVersion]:
    """Versions of the spreadsheets this account sees, from Drive; raises what Drive or sign-in raise."""

    def page(params: dict[str, Any]) -> Mapping[str, Any]:
        return lane.drive_call(lambda: lane.http.request("get", DRIVE_FILES_API_V3_URL, params=dict(params)).json())

    return fetch_file_versions(page)


def list_versions(lane: Lane) -> dict[str, FileVersion]:
    """Versions of the spreadsheets this account sees; empty (so all are read) if Drive fails.

    Raises RefreshError when the account cannot sign in.
    """
    try:
        return fetch_versions(lane)
    except google.auth.exceptions.RefreshError:
        raise  # the account cannot sign in at all: the caller stops using it
    except (APIError, GaveUp, requests.RequestException, google.auth.exceptions.GoogleAuthError, ValueError) as exc:
        log.warning("Drive listing failed for %s (%s): every spreadsheet is read", lane.email, describe(exc))
        return {}


@dataclass(frozen=True)
class ReadJob:
    """A unit whose spreadsheet must be read, with what its read and its snapshot need."""

    unit: Unit
    sheet_id: str
    tabs: tuple[str, ...]
    version: FileVersion | None
    known_titles: Mapping[str, str]


class GoogleSheetsSource:
    """Units' Google Sheets, each unit read by one of the configured service accounts, always the same."""

    def __init__(
        self,
        lanes: Sequence[Lane],
        store: Store | None = None,
        full: bool = False,
        skip_unchanged: bool = True,
        *,
        parallel: bool = True,
        worker_scope: WorkerScope = contextlib.nullcontext,
    ) -> None:
        if not lanes:
            raise ValueError("at least one credential is needed")
        self.lanes = list(lanes)
        self.skip_unchanged = skip_unchanged
        self.snapshots = SnapshotStore(store) if store is not None and skip_unchanged else None
        self.full = full
        self.parallel = parallel
        self.worker_scope = worker_scope

    @classmethod
    def from_config(
        cls,
        config: Config,
        store: Store | None = None,
        full: bool = False,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = time.sleep,
        throttle: bool = True,
        parallel: bool = True,
        worker_scope: WorkerScope = contextlib.nullcontext,
    ) -> GoogleSheetsSource:
        """The source ``config.source`` describes; ``store`` keeps snapshots (unless
        ``source.skip_unchanged`` is off), ``full`` re-reads unchanged spreadsheets too.

        ``clock``/``sleep``/``worker_scope`` are injectable so tests never wait (a virtual clock
        shared by the lanes' threads); ``throttle=False`` drops the client-side rate limit
        (benchmarks against a local server only); ``parallel=False`` reads one unit at a time.
        """
        source = config.source
        lanes = build_lanes(source, clock, sleep, throttle)
        return cls(lanes, store, full, source.skip_unchanged, parallel=parallel, worker_scope=worker_scope)

    def check(self) -> list[Check]:
        """Each service account signs in, then lists Drive (needed to skip unchanged sheets)."""
        checks: list[Check] = []
        for index, lane in enumerate(self.lanes):
            name = f"credential {index + 1}"
            try:
                lane.credentials.refresh(Request(requests.Session()))
            except google.auth.exceptions.RefreshError as exc:
                self._cannot_sign_in(lane, exc)
                fix = "Google refused the key: create a new key for the service account, and check the server clock."
                checks.append(Check(name, False, f"token refused: {exc.args[0] if exc.args else exc}", fix, True))
                continue
            except google.auth.exceptions.TransportError:
                fix = "Cannot reach Google's token server: check the network or proxy."
                checks.append(Check(name, False, "token server unreachable", fix, True))
                continue
            checks.append(Check(name, True, f"signed in as {lane.email}"))
            checks.append(self._drive_check(lane))
        return checks

    def _drive_check(self, lane: Lane) -> Check:
        name = f"drive listing ({lane.email})"
        try:
            versions = fetch_versions(lane)
        except (APIError, GaveUp, requests.RequestException, ValueError) as exc:
            fix = f"Enable the Google Drive API in the project of {lane.email}; without it every sheet is read"
            fix += " every run."
            return Check(name, not self.skip_unchanged, describe(exc), fix)
        return Check(name, True, f"{len(versions)} spreadsheet(s) visible")

    def lane_index(self, unit: Unit) -> int:
        """The account that reads ``unit``: fixed by its id, so adding a unit or running one unit
        alone never moves a sheet to an account it was not shared with."""
        return account_index(unit.id, len(self.lanes))

    def lane_for(self, unit: Unit) -> Lane:
        return self.lanes[self.lane_index(unit)]

    def waiting_accounts(self) -> int:
        """How many accounts are sleeping right now, for their quota or before a retry."""
        return sum(lane.waiting for lane in self.lanes)

    def fetch(self, units: Sequence[Unit], tabs: Mapping[str, Sequence[str]]) -> Iterator[UnitGrids]:
        """Each unit's grids: first those that need no request, then the read ones as each lane
        delivers them (one worker per account, see sync.lanes). Snapshots are loaded and saved in
        the calling thread only."""
        store = self.snapshots
        versions: dict[str, FileVersion] = {}
        if store is not None:
            used = sorted({self.lane_index(u) for u in units})
            for lane in (self.lanes[i] for i in used):
                try:
                    versions.update(list_versions(lane))
                except google.auth.exceptions.RefreshError as exc:
                    self._cannot_sign_in(lane, exc)
        ready: list[UnitGrids] = []
        jobs: list[tuple[int, ReadJob]] = []
        for unit in units:
            planned = self._plan(unit, tabs.get(unit.id, ()), versions, store)
            if isinstance(planned, ReadJob):
                jobs.append((self.lane_index(unit), planned))
            else:
                ready.append(planned)
        reads = LaneReads(jobs, self._read, self.parallel, self.worker_scope)
        try:
            yield from ready
            for job, result in reads:
                yield self._finish(job, result, store)
        finally:
            reads.close()

    def _plan(
        self, unit: Unit, tabs: Sequence[str], versions: Mapping[str, FileVersion], store: SnapshotStore | None
    ) -> UnitGrids | ReadJob:
        """A unit's grids when no request is needed (stored, or no spreadsheet to ask), else its read."""
        sheet_id = spreadsheet_id(unit.sheet)
        if sheet_id is None:
            return UnitGrids(unit.id, problem=SourceProblem("spreadsheet_not_found", {"sheet": unit.sheet}))
        version = versions.get(sheet_id)
        if version is not None and not version.is_google_sheet:
            # Sheets would refuse it: the unit must convert it first.
            return UnitGrids(unit.id, problem=not_a_google_sheet(unit, self.lane_for(unit).email))
        snapshot = store.load(sheet_id) if store is not None else None
        if snapshot is not None and not self.full and snapshot.serves(version, tabs):
            return snapshot.as_fetch(unit.id)
        return ReadJob(unit, sheet_id, tuple(tabs), version, snapshot.actual_titles if snapshot else {})

    def _read(self, lane_index: int, job: ReadJob) -> UnitGrids:
        """One unit's read on its lane's thread: its grids, or a problem instead of an exception."""
        lane, unit, sheet_id = self.lanes[lane_index], job.unit, job.sheet_id
        if lane.broken:
            return UnitGrids(unit.id, problem=SourceProblem(lane.broken_code, {"reason": lane.broken}))
        try:
            result = read_spreadsheet(lane, sheet_id, job.tabs, job.known_titles)
        except google.auth.exceptions.RefreshError as exc:
            self._cannot_sign_in(lane, exc)
            return UnitGrids(unit.id, problem=SourceProblem(lane.broken_code, {"reason": lane.broken}))
        except (APIError, GaveUp, requests.RequestException, google.auth.exceptions.GoogleAuthError) as exc:
            self._count_strike(lane, exc)
            log.info("unit %s (%s): %s", unit.id, sheet_id, exc)  # service.logs says what it means
            if lane.broken:  # this failure showed the account's quota spent
                return UnitGrids(unit.id, problem=SourceProblem(lane.broken_code, {"reason": lane.broken}))
            return UnitGrids(unit.id, problem=problem_for(exc, unit, lane.email))
        except (KeyError, TypeError, ValueError) as exc:
            # A body not shaped like Google's: not this unit's fault, and not worth a traceback.
            log.warning("unit %s (%s): unexpected response: %r", unit.id, sheet_id, exc)
            return UnitGrids(unit.id, problem=SourceProblem("unreadable_this_run", {"reason": "unexpected response"}))
        lane.quota_strikes = 0
        result.unit_id = unit.id
        return result

    @staticmethod
    def _finish(job: ReadJob, result: UnitGrids, store: SnapshotStore | None) -> UnitGrids:
        if result.problem is None and store is not None and job.version is not None:
            # The version was listed before the read: an edit in between makes the next run
            # see a newer version and read again, never the reverse.
            _save(store, job.sheet_id, job.version, job.tabs, result)
        return result

    @staticmethod
    def _cannot_sign_in(lane: Lane, exc: google.auth.exceptions.RefreshError) -> None:
        # A revoked key or a wrong clock: no unit of this account can be read, so stop asking.
        lane.broken = f"service account {lane.email} cannot sign in: {exc.args[0] if exc.args else exc}"
        lane.broken_code = "account_refused"
        log.error("%s", lane.broken)

    @staticmethod
    def _count_strike(lane: Lane, exc: BaseException) -> None:
        if isinstance(exc, GaveUp) and exc.quota:
            lane.quota_strikes += 1
            if lane.quota_strikes >= QUOTA_STRIKES:
                lane.broken = f"read quota of {lane.email} exhausted ({exc})"
                lane.broken_code = "quota_exhausted"
        else:
            lane.quota_strikes = 0


def _save(store: SnapshotStore, sheet_id: str, version: FileVersion, tabs: Sequence[str], result: UnitGrids) -> None:
    try:
        store.save(sheet_id, version, tabs, result)
    except sqlite3.Error as exc:
        # Losing a snapshot only costs a read next run; it must not lose this run's data.
        log.warning("could not store snapshot of %s: %s", sheet_id, exc)
