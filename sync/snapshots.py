"""Skipping what did not change: the Drive listing of spreadsheet versions, and the grids of each
spreadsheet's last successful read (kept in the store).

An unchanged spreadsheet then costs no Sheets request: its stored grids are judged again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rules.grids import UnitGrids
from store import Store

PAGE_SIZE = 1000  # Drive's maximum: one request per 1,000 visible spreadsheets
GOOGLE_SHEET = "application/vnd.google-apps.spreadsheet"
# Spreadsheet files uploaded to Drive and never converted: Sheets refuses to read them, so the
# listing names them too, and such a unit is told to convert without a Sheets request.
UPLOADED_SPREADSHEETS = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.ms-excel",
    "text/csv",
)
SPREADSHEETS_QUERY = (
    "(" + " or ".join(f"mimeType='{m}'" for m in (GOOGLE_SHEET, *UPLOADED_SPREADSHEETS)) + ") and trashed=false"
)
LIST_FIELDS = "nextPageToken,files(id,mimeType,modifiedTime,version)"


@dataclass(frozen=True)
class FileVersion:
    """What Drive says about a file; either part changing means its content may have changed."""

    version: str
    modified_time: str
    mime_type: str = field(default=GOOGLE_SHEET, compare=False)  # not kept with a snapshot

    @property
    def is_google_sheet(self) -> bool:
        return self.mime_type == GOOGLE_SHEET


@dataclass(frozen=True)
class Snapshot:
    """The last successful read of one spreadsheet, for the tabs asked for then."""

    version: FileVersion
    tabs: tuple[str, ...]
    grids: dict[str, list[list[Any]]]
    actual_titles: dict[str, str]
    missing_tabs: list[str]
    available_tabs: list[str]

    def serves(self, current: FileVersion | None, tabs: Sequence[str]) -> bool:
        """True when the file is unchanged and the same tabs are owed, so no read is needed."""
        return current == self.version and sorted(tabs) == sorted(self.tabs)

    def as_fetch(self, unit_id: str) -> UnitGrids:
        return UnitGrids(
            unit_id=unit_id,
            grids={title: [list(row) for row in grid] for title, grid in self.grids.items()},
            actual_titles=dict(self.actual_titles),
            missing_tabs=list(self.missing_tabs),
            available_tabs=list(self.available_tabs),
        )


def list_params(page_token: str | None) -> dict[str, Any]:
    """Query parameters of one files.list page: spreadsheets only, just the fields we compare."""
    params: dict[str, Any] = {
        "q": SPREADSHEETS_QUERY,
        "pageSize": PAGE_SIZE,
        "fields": LIST_FIELDS,
        "supportsAllDrives": "true",
        "includeItemsFromAllDrives": "true",
    }
    if page_token:
        params["pageToken"] = page_token
    return params


def parse_files_page(body: Mapping[str, Any]) -> tuple[dict[str, FileVersion], str | None]:
    """File versions on one page of files.list, and the token of the next page."""
    versions = {
        item["id"]: FileVersion(
            str(item.get("version", "")), str(item.get("modifiedTime", "")), str(item.get("mimeType") or GOOGLE_SHEET)
        )
        for item in body.get("files", [])
        if item.get("id")
    }
    return versions, body.get("nextPageToken") or None


def fetch_file_versions(get_page: Callable[[dict[str, Any]], Mapping[str, Any]]) -> dict[str, FileVersion]:
    """Every visible spreadsheet's version, one ``get_page`` call (a Drive request) per page."""
    versions: dict[str, FileVersion] = {}
    token: str | None = None
    while True:
        page, token = parse_files_page(get_page(list_params(token)))
        versions.update(page)
        if token is None:
            return versions


class SnapshotStore:
    """The snapshots of the store, as the Google source uses them."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def load(self, spreadsheet_id: str) -> Snapshot | None:
        found = self.store.snapshot(spreadsheet_id)
        if found is None:
            return None
        version, modified_time, tabs, data = found
        return Snapshot(
            version=FileVersion(version, modified_time),
            tabs=tuple(tabs),
            grids=data["grids"],
            actual_titles=data["actual_titles"],
            missing_tabs=data["missing_tabs"],
            available_tabs=data["available_tabs"],
        )

    def save(self, spreadsheet_id: str, version: FileVersion, tabs: Sequence[str], fetch: UnitGrids) -> None:
        """Remember a successful read; a read that hit a problem must never be stored."""
        if fetch.problem is not None:
            raise ValueError("only a successful read is stored")
        content = {
            "grids": fetch.grids,
            "actual_titles": fetch.actual_titles,
            "missing_tabs": fetch.missing_tabs,
            "available_tabs": fetch.available_tabs,
        }
        self.store.save_snapshot(spreadsheet_id, version.version, version.modified_time, list(tabs), content)
