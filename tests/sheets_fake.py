"""A local stand-in for the Google APIs the Sheets source calls, for tests and benchmarks.

It speaks the OAuth token endpoint, Sheets v4 (values:batchGet, values.get, spreadsheets.get with
field masks, ranges and grid data, spreadsheets:batchUpdate — applied by sheets_fake_writes.py)
and Drive v3 files.list with bodies shaped like Google's (ragged rows, quoted tab titles, Google's
error bodies), plays scripted failures and answers held past a client's timeout, and logs every
request so tests can count them.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.sheets_fake_values import (
    Grid,
    formatted,
    parse_range,
    project,
    quoted,
    trimmed,
    workbook_tabs,
)
from tests.sheets_fake_writes import TabMeta, WriteError, apply_requests, field_paths, grid_data, grid_size, properties
from vntext import column_letter

_ERRORS = {
    400: ("INVALID_ARGUMENT", "Request contains an invalid argument."),
    401: ("UNAUTHENTICATED", "Request had invalid authentication credentials."),
    403: ("PERMISSION_DENIED", "The caller does not have permission"),
    404: ("NOT_FOUND", "Requested entity was not found."),
    408: ("DEADLINE_EXCEEDED", "Request timed out."),
    429: (
        "RESOURCE_EXHAUSTED",
        "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute per user'"
        " of service 'sheets.googleapis.com'.",
    ),
    500: ("INTERNAL", "Internal error encountered."),
    503: ("UNAVAILABLE", "The service is currently unavailable."),
}
DROP = 0  # a scripted "status" that closes the connection without answering
GOOGLE_SHEET = "application/vnd.google-apps.spreadsheet"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
# What Sheets answers for an uploaded .xlsx or .csv that was never converted (recorded live).
NOT_A_SHEET = "This operation is not supported for this document"


def google_error(code: int, message: str | None = None, status: str | None = None) -> dict[str, Any]:
    default_status, default = _ERRORS.get(code, ("UNKNOWN", "Unknown error."))
    return {"error": {"code": code, "message": message or default, "status": status or default_status}}


@dataclass
class FakeSpreadsheet:
    id: str
    title: str
    tabs: dict[str, Grid]
    shared_with: set[str] | None = None  # None: every service account may read it
    editors: set[str] | None = None  # None: whoever may read it may write; set(): shared read-only
    mime_type: str = GOOGLE_SHEET  # XLSX or CSV: a file uploaded to Drive and never converted
    version: int = 1
    modified: dt.datetime = field(default_factory=lambda: dt.datetime(2023, 7, 1, tzinfo=dt.UTC))
    meta: dict[str, TabMeta] = field(default_factory=dict)  # per tab: sheet id, widths, validation, ...


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it."""

    kind: str  # token | batch_get | values_get | metadata | batch_update | drive_list | drive_file | unknown
    method: str
    path: str
    params: dict[str, list[str]]
    account: str | None
    spreadsheet_id: str | None
    status: int
    at: float = 0.0  # on the fake's clock (a test's virtual clock; 0 without one)


class SheetsFake:
    """The state behind the server: spreadsheets, issued tokens, scripted failures, the log."""

    def __init__(self) -> None:
        self.spreadsheets: dict[str, FakeSpreadsheet] = {}
        self.tokens: dict[str, str] = {}
        self.token_scopes: dict[str, list[str]] = {}
        self.scripts: dict[str, deque[tuple[int, dict[str, str]]]] = {}
        self.always: dict[str, tuple[int, dict[str, str]]] = {}
        self.stalls: dict[str, float] = {}  # spreadsheet ID → seconds every answer waits before it leaves
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.clock: Callable[[], float] = lambda: 0.0

    # --- arranging -------------------------------------------------------------------------
    def add_spreadsheet(
        self,
        sheet_id: str,
        tabs: dict[str, Grid],
        shared_with: set[str] | None = None,
        title: str | None = None,
        editors: set[str] | None = None,
        mime_type: str = GOOGLE_SHEET,
    ) -> FakeSpreadsheet:
        copied = {t: [list(r) for r in g] for t, g in tabs.items()}
        sheet = FakeSpreadsheet(sheet_id, title or sheet_id, copied, shared_with, editors, mime_type)
        self.spreadsheets[sheet_id] = sheet
        return sheet

    def edit(self, sheet_id: str, tab: str, row: int, col: int, value: Any) -> None:
        """Change one cell (0-based), as a user would: Drive's version and modifiedTime move on."""
        sheet = self.spreadsheets[sheet_id]
        grid = sheet.tabs[tab]
        while len(grid) <= row:
            grid.append([])
        grid[row].extend([""] * (col + 1 - len(grid[row])))
        grid[row][col] = value
        sheet.version += 1
        sheet.modified += dt.timedelta(minutes=1)

    def script(self, key: str, *responses: int | tuple[int, dict[str, str]]) -> None:
        """Answer the next requests for spreadsheet ``key`` (or "drive", "token") with these first."""
        queue = self.scripts.setdefault(key, deque())
        queue.extend(r if isinstance(r, tuple) else (r, {}) for r in responses)

    def fail_always(self, key: str, status: int, headers: dict[str, str] | None = None) -> None:
        self.always[key] = (status, headers or {})

    def stall(self, sheet_id: str, seconds: float | None) -> None:
        """Hold every answer about ``sheet_id`` for ``seconds`` (past a client's timeout); None: answer at once."""
        if seconds is None:
            self.stalls.pop(sheet_id, None)
        else:
            self.stalls[sheet_id] = seconds

    def stall_seconds(self, method: str, url: str) -> float:
        return self.stalls.get(self._route(method, urlsplit(url).path)[1] or "", 0.0)

    # --- asserting -------------------------------------------------------------------------
    def requests(
        self, kind: str | None = None, spreadsheet_id: str | None = None, account: str | None = None
    ) -> list[Logged]:
        return [
            r
            for r in self.log
            if (kind is None or r.kind == kind)
            and (spreadsheet_id is None or r.spreadsheet_id == spreadsheet_id)
            and (account is None or r.account == account)
        ]

    def count(self, kind: str | None = None, **filters: Any) -> int:
        return len(self.requests(kind, **filters))

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.log:
            out[r.kind] = out.get(r.kind, 0) + 1
        return out

    # --- answering -------------------------------------------------------------------------
    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], Any]:
        """(status, headers, JSON body) for one request; status DROP closes the connection."""
        with self.lock:
            parts = urlsplit(url)
            params = parse_qs(parts.query, keep_blank_values=True)
            kind, sheet_id, tail = self._route(method, parts.path)
            account = None
            if kind == "token":
                status, extra, answer, account = self._token(body)
            else:
                token = headers.get("authorization", "").removeprefix("Bearer ")
                account = self.tokens.get(token)
                request = _Request(kind, sheet_id, tail, params, account, self.token_scopes.get(token, []), body)
                status, extra, answer = self._answer(request)
            self.log.append(Logged(kind, method, parts.path, params, account, sheet_id, status, self.clock()))
            return status, extra, answer

    @staticmethod
    def _route(method: str, path: str) -> tuple[str, str | None, str]:
        if method == "POST" and path == "/token":
            return "token", None, ""
        if method == "GET" and path == "/drive/v3/files":
            return "drive_list", None, ""
        drive_file = re.fullmatch(r"/drive/v3/files/([^/]+)", path)
        if method == "GET" and drive_file:
            return "drive_file", drive_file.group(1), ""
        match = re.fullmatch(r"/v4/spreadsheets/([^/:]+)(.*)", path)
        if method == "POST" and match and match.group(2) == ":batchUpdate":
            return "batch_update", match.group(1), match.group(2)
        if method == "GET" and match:
            sheet_id, tail = match.group(1), match.group(2)
            if tail == "/values:batchGet":
                return "batch_get", sheet_id, tail
            if tail.startswith("/values/"):
                return "values_get", sheet_id, unquote(tail[len("/values/") :])
            if tail == "":
                return "metadata", sheet_id, tail
        return "unknown", None, path

    def _token(self, body: bytes) -> tuple[int, dict[str, str], Any, str | None]:
        scripted = self._scripted("token")
        if scripted and scripted[0] != 200:
            refusal = {"error": "invalid_grant", "error_description": "Invalid JWT Signature."}
            return scripted[0], scripted[1], refusal, None
        form = parse_qs(body.decode())
        assertion = form.get("assertion", [""])[0]
        try:
            payload = assertion.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except (IndexError, ValueError):
            return 400, {}, {"error": "invalid_grant", "error_description": "Invalid JWT."}, None
        token = f"ya29.fake-{len(self.tokens) + 1}"
        self.tokens[token] = claims["iss"]
        self.last_scopes = claims.get("scope", "").split()
        self.token_scopes[token] = self.last_scopes
        return 200, {}, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"}, claims["iss"]

    def _scripted(self, key: str) -> tuple[int, dict[str, str]] | None:
        if self.scripts.get(key):
            return self.scripts[key].popleft()
        return self.always.get(key)

    def _answer(self, request: _Request) -> tuple[int, dict[str, str], Any]:
        kind, sheet_id, tail, params, account = request[:5]
        if kind == "unknown":
            return 404, {}, google_error(404, f"No route for {tail}")
        if account is None:
            return 401, {}, google_error(401)
        scripted = self._scripted(sheet_id or "drive")
        if scripted and scripted[0] != 200:
            return scripted[0], scripted[1], google_error(scripted[0])
        if kind == "drive_list":
            return 200, {}, self._drive_list(params, account)
        sheet = self.spreadsheets.get(sheet_id or "")
        if kind == "drive_file":  # Drive answers 404 for a file the caller cannot see at all
            if sheet is None or (sheet.shared_with is not None and account not in sheet.shared_with):
                return 404, {}, google_error(404, f"File not found: {sheet_id}.")
            can_edit = sheet.editors is None or account in sheet.editors
            return 200, {}, {"id": sheet.id, "name": sheet.title, "capabilities": {"canEdit": can_edit}}
        if sheet is None:
            return 404, {}, google_error(404)
        if sheet.shared_with is not None and account not in sheet.shared_with:
            return 403, {}, google_error(403)
        if sheet.mime_type != GOOGLE_SHEET:
            return 400, {}, google_error(400, NOT_A_SHEET, "FAILED_PRECONDITION")
        if kind == "metadata":
            return self._metadata(sheet, params)
        if kind == "batch_update":
            return self._batch_update(sheet, request)
        ranges = params.get("ranges", []) if kind == "batch_get" else [tail]
        render = params.get("valueRenderOption", ["FORMATTED_VALUE"])[0]
        value_ranges = []
        for a1 in ranges:
            try:
                title, bounds = parse_range(a1)
            except ValueError:
                title, bounds = None, None
            if title not in sheet.tabs:
                return 400, {}, google_error(400, f"Unable to parse range: {a1}")
            value_ranges.append(self._value_range(sheet, title, bounds, render))
        if kind == "values_get":
            return 200, {}, value_ranges[0]
        return 200, {}, {"spreadsheetId": sheet.id, "valueRanges": value_ranges}

    def _value_range(
        self, sheet: FakeSpreadsheet, title: str, bounds: tuple[int, int] | None, render: str
    ) -> dict[str, Any]:
        grid = sheet.tabs[title]
        rows, cols = grid_size(sheet, title)
        if bounds:
            rows, cols = min(rows, bounds[0]), min(cols, bounds[1])
        values = trimmed(grid, rows, cols)
        if render == "FORMATTED_VALUE":
            values = [[formatted(v) for v in row] for row in values]
        answer: dict[str, Any] = {
            "range": f"{quoted(title)}!A1:{column_letter(cols - 1)}{rows}",
            "majorDimension": "ROWS",
        }
        if values:
            answer["values"] = values
        return answer

    def _metadata(self, sheet: FakeSpreadsheet, params: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
        """spreadsheets.get: only the tabs ``ranges`` name when given, grid data when the field
        mask asks for ``sheets.data`` (or, without a mask, includeGridData=true)."""
        fields = params.get("fields", [""])[0]
        paths = field_paths(fields) if fields else []
        with_data = (
            any(p[:2] == ["sheets", "data"] for p in paths)
            if paths
            else (params.get("includeGridData", ["false"])[0] == "true")
        )
        wanted: dict[str, list[tuple[int, int] | None]] = {}
        for a1 in params.get("ranges", []):
            try:
                title, bounds = parse_range(a1)
            except ValueError:
                title, bounds = None, None
            if title not in sheet.tabs:
                return 400, {}, google_error(400, f"Unable to parse range: {a1}")
            wanted.setdefault(title, []).append(bounds)
        sheets = []
        for title in sheet.tabs:
            if wanted and title not in wanted:
                continue
            entry: dict[str, Any] = {"properties": properties(sheet, title)}
            protected = sheet.meta[title].protected
            if protected:
                entry["protectedRanges"] = [dict(p) for p in protected]
            if with_data:
                entry["data"] = [grid_data(sheet, title, bounds) for bounds in wanted.get(title, [None])]
            sheets.append(entry)
        body = {
            "spreadsheetId": sheet.id,
            "properties": {"title": sheet.title, "locale": "vi_VN", "timeZone": "Asia/Ho_Chi_Minh"},
            "sheets": sheets,
            "spreadsheetUrl": f"https://docs.google.com/spreadsheets/d/{sheet.id}/edit",
        }
        return 200, {}, project(body, paths) if paths else body

    def _batch_update(self, sheet: FakeSpreadsheet, request: _Request) -> tuple[int, dict[str, str], Any]:
        """spreadsheets:batchUpdate, for an Editor holding the write scope; all or nothing."""
        if WRITE_SCOPE not in request.scopes:
            return 403, {}, google_error(403, "Request had insufficient authentication scopes.")
        if sheet.editors is not None and request.account not in sheet.editors:
            return 403, {}, google_error(403)
        try:
            body = json.loads(request.body or b"{}")
            replies = apply_requests(sheet, body.get("requests", []))
        except WriteError as exc:
            return exc.status, {}, google_error(exc.status, exc.message)
        sheet.version += 1
        sheet.modified += dt.timedelta(minutes=1)
        return 200, {}, {"spreadsheetId": sheet.id, "replies": replies}

    def _drive_list(self, params: dict[str, list[str]], account: str) -> dict[str, Any]:
        # Only the file types the query names, as Drive does (the query is never optional here).
        asked = set(re.findall(r"mimeType\s*=\s*'([^']+)'", params.get("q", [""])[0]))
        visible = sorted(
            s.id
            for s in self.spreadsheets.values()
            if (s.shared_with is None or account in s.shared_with) and s.mime_type in asked
        )
        size = min(int(params.get("pageSize", ["100"])[0]), 1000)
        start = int(params.get("pageToken", ["0"])[0] or 0)
        page = [self.spreadsheets[i] for i in visible[start : start + size]]
        body: dict[str, Any] = {
            "files": [
                {
                    "id": s.id,
                    "mimeType": s.mime_type,
                    "modifiedTime": s.modified.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "version": str(s.version),
                }
                for s in page
            ]
        }
        if start + size < len(visible):
            body["nextPageToken"] = str(start + size)
        return body


WRITE_SCOPE = "https://www.googleapis.com/auth/spreadsheets"


class _Request(NamedTuple):
    kind: str
    sheet_id: str | None
    tail: str
    params: dict[str, list[str]]
    account: str | None
    scopes: list[str]
    body: bytes


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as Google's front ends allow
    # Headers and body leave in two writes; with Nagle on, each answer waits ~40 ms for an ACK.
    disable_nagle_algorithm = True
    fake: SheetsFake

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        status, extra, answer = self.fake.handle(self.command, self.path, headers, body)
        if status == DROP:
            self.close_connection = True
            return
        time.sleep(self.fake.stall_seconds(self.command, self.path))
        payload = json.dumps(answer, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # a stalled answer: the client gave up waiting
            self.close_connection = True

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        """Silence the per-request line on stderr."""


class FakeGoogle:
    """The fake served on 127.0.0.1 in a background thread; use as a context manager."""

    def __init__(self, fake: SheetsFake | None = None) -> None:
        self.fake = fake or SheetsFake()
        handler = type("Handler", (_Handler,), {"fake": self.fake})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> FakeGoogle:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- test credentials, clock and sample data ------------------------------------------------------------
class FakeClock:
    """Time that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def service_account_info(
    email: str, private_key_pem: str | None = None, project: str = "test-project"
) -> dict[str, Any]:
    """A service-account key like the one Google issues, with a key generated here."""
    if private_key_pem is None:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_key_pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
    return {
        "type": "service_account",
        "project_id": project,
        "private_key_id": "0" * 40,
        "private_key": private_key_pem,
        "client_email": email,
        "client_id": "1" * 21,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


CONTROL_WORKBOOK = "bang-dieu-khien.xlsx"  # the samples' control workbook: the office's, not a unit's


def load_workbooks(fake: SheetsFake, folder: Path, control: bool = False) -> dict[str, str]:
    """Serve every unit workbook of ``folder`` (and the control workbook if ``control``); returns
    file name → spreadsheet ID (its stem)."""
    ids = {}
    for path in sorted(Path(folder).glob("*.xlsx")):
        if path.name == CONTROL_WORKBOOK and not control:
            continue
        fake.add_spreadsheet(path.stem, workbook_tabs(path), title=path.stem)
        ids[path.name] = path.stem
    return ids
