"""The Google Sheets source, run as in production (real gspread and google-auth) against a local
server speaking the Sheets, Drive and OAuth endpoints; assertions count what crossed the wire.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from errors import ConfigError
from rules.grids import UnitGrids
from rules.messages import finding_text
from service.check import collect, judgement_as_dict
from settings.schema import Config
from store import Store
from sync.google import GoogleSheetsSource
from sync.local import LocalWorkbookSource
from tests.sheets_fake import CSV, DROP, XLSX, FakeClock, FakeGoogle, load_workbooks, service_account_info
from tests.sheets_fake_values import sheets_value

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "workbooks"
REPORT, COMMITMENT = "Báo cáo chuyên đề", "Cam kết hằng tháng"
BOT = "bao-cao@soc-trang-test.iam.gserviceaccount.com"
BOT2 = "bao-cao-2@soc-trang-test.iam.gserviceaccount.com"
# Google drops trailing empty cells and rows: the second data row is shorter than the header.
FIELD = {"key": "sessions", "label": "Số buổi học tập", "type": "integer"}
GRID = [["Kỳ báo cáo", "Số buổi học tập", "Ghi chú"], ["Tháng 3/2023", 4, "đủ"], ["Tháng 4/2023", 5]]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def key_files(tmp_path: Path, private_key_pem: str) -> dict[str, Path]:
    """A service-account key file per test account (never committed: made here)."""
    files = {}
    for email in (BOT, BOT2):
        path = tmp_path / f"{email.split('@')[0]}.json"
        path.write_text(json.dumps(service_account_info(email, private_key_pem)))
        files[email] = path
    return files


@pytest.fixture
def make_source(tmp_path: Path, google: FakeGoogle, clock: FakeClock, key_files: dict[str, Path]):
    """Build a GoogleSheetsSource from a config, as production does, pointed at the fake."""
    store = Store.open(tmp_path / "state.sqlite3")

    def make(sheets: list[str], accounts: tuple[str, ...] = (BOT,), full: bool = False, **source: Any):
        raw = {
            "organisation": {"name": "Hội LHPN tỉnh Sóc Trăng"},
            "state_file": str(tmp_path / "state.sqlite3"),
            "source": {
                "kind": "google",
                "api_base": google.url,
                "credentials": [{"key_file": str(key_files[a]), "reads_per_minute": 300} for a in accounts],
                "retry": {"max_attempts": 4, "max_seconds": 60, "initial_wait": 0, "max_wait": 0},
                **source,
            },
            "units": [
                {"id": f"u{i}", "name": f"Đơn vị {i}", "sheet": sheet, "emails": [f"u{i}@example.vn"]}
                for i, sheet in enumerate(sheets)
            ],
            "forms": [
                {"key": key, "tab": tab, "title": tab, "fields": [FIELD]}
                for key, tab in (("topic_report", REPORT), ("commitment", COMMITMENT))
            ],
            "calendar": {"start": "2023-01-01", "obligations": [{"form": "topic_report", "periods": ["monthly"]}]},
        }
        config = Config.model_validate(raw)
        return config, GoogleSheetsSource.from_config(
            config, store, full=full, clock=clock.monotonic, sleep=clock.sleep
        )

    yield make
    store.close()


def fetch_all(
    config: Config, source: GoogleSheetsSource, tabs: tuple[str, ...] = (REPORT, COMMITMENT)
) -> dict[str, UnitGrids]:
    return {f.unit_id: f for f in source.fetch(config.units, {u.id: list(tabs) for u in config.units})}


def add_sheets(google: FakeGoogle, count: int, **kwargs: Any) -> list[str]:
    ids = [f"sheet{i:05d}-abcdefghij" for i in range(count)]
    for sheet_id in ids:
        google.fake.add_spreadsheet(sheet_id, {REPORT: GRID, COMMITMENT: [["Tháng"]]}, **kwargs)
    return ids


# --- request economy ---------------------------------------------------------------------------
@pytest.mark.parametrize("count", [3, 1001])
def test_first_run_costs_one_token_one_listing_per_thousand_and_one_batch_per_spreadsheet(google, make_source, count):
    ids = add_sheets(google, count)
    config, source = make_source(ids)
    fetched = fetch_all(config, source)
    assert google.fake.counts() == {"token": 1, "drive_list": math.ceil(count / 1000), "batch_get": count}
    first = google.fake.requests("batch_get")[0]
    assert first.params["ranges"] == [f"'{REPORT}'!A1:ZZ5001", f"'{COMMITMENT}'!A1:ZZ5001"]
    assert first.params["valueRenderOption"] == ["UNFORMATTED_VALUE"]
    assert first.params["dateTimeRenderOption"] == ["SERIAL_NUMBER"]
    assert fetched["u0"].grids == {REPORT: GRID, COMMITMENT: [["Tháng"]]}
    assert fetched["u0"].actual_titles == {REPORT: REPORT, COMMITMENT: COMMITMENT}
    assert all(f.problem is None for f in fetched.values())


def test_token_asks_for_read_only_scopes(google, make_source):
    config, source = make_source(add_sheets(google, 1))
    fetch_all(config, source)
    assert all(s.endswith("readonly") for s in google.fake.last_scopes)


def test_an_unchanged_spreadsheet_costs_no_sheets_request_and_returns_its_stored_grids(google, make_source):
    ids = add_sheets(google, 3)
    first = fetch_all(*make_source(ids))
    google.fake.log.clear()
    again = fetch_all(*make_source(ids))
    assert google.fake.counts() == {"token": 1, "drive_list": 1}
    assert {u: f.grids for u, f in again.items()} == {u: f.grids for u, f in first.items()}

    google.fake.edit(ids[1], REPORT, 2, 2, "sửa")
    google.fake.log.clear()
    edited = fetch_all(*make_source(ids))
    assert [r.spreadsheet_id for r in google.fake.requests("batch_get")] == [ids[1]]
    assert edited["u1"].grids[REPORT][2] == ["Tháng 4/2023", 5, "sửa"]


def test_full_rereads_every_spreadsheet(google, make_source):
    ids = add_sheets(google, 3)
    fetch_all(*make_source(ids))
    google.fake.log.clear()
    fetch_all(*make_source(ids, full=True))
    assert google.fake.count("batch_get") == 3


def test_a_newly_owed_tab_is_read_even_if_the_file_did_not_change(google, make_source):
    ids = add_sheets(google, 1)
    config, source = make_source(ids)
    fetch_all(config, source, tabs=(REPORT,))
    google.fake.log.clear()
    fetched = fetch_all(config, source, tabs=(REPORT, COMMITMENT))
    assert google.fake.count("batch_get") == 1
    assert set(fetched["u0"].grids) == {REPORT, COMMITMENT}


def test_skip_unchanged_off_needs_no_drive_and_stores_nothing(google, make_source):
    ids = add_sheets(google, 2)
    fetch_all(*make_source(ids, skip_unchanged=False))
    fetch_all(*make_source(ids, skip_unchanged=False))
    assert google.fake.counts() == {"token": 2, "batch_get": 4}


def test_a_failed_drive_listing_only_means_every_spreadsheet_is_read(google, make_source):
    ids = add_sheets(google, 2)
    google.fake.fail_always("drive", 403)
    fetched = fetch_all(*make_source(ids))
    fetch_all(*make_source(ids))
    assert google.fake.count("batch_get") == 4
    assert all(f.problem is None for f in fetched.values())


# --- retries -----------------------------------------------------------------------------------
def test_429_then_200_succeeds(google, make_source, clock):
    ids = add_sheets(google, 2)
    google.fake.script(ids[0], (429, {"Retry-After": "7"}))
    fetched = fetch_all(*make_source(ids))
    assert fetched["u0"].problem is None and fetched["u0"].grids[REPORT] == GRID
    assert google.fake.count("batch_get", spreadsheet_id=ids[0]) == 2
    assert clock.sleeps == [7.0]  # Retry-After honoured, on the injected clock


@pytest.mark.parametrize("failures", [[503], [DROP], [500, 408, 503]])
def test_server_errors_and_dropped_connections_are_retried(google, make_source, failures):
    ids = add_sheets(google, 1)
    google.fake.script(ids[0], *failures)
    fetched = fetch_all(*make_source(ids))
    assert fetched["u0"].problem is None
    assert google.fake.count("batch_get") == len(failures) + 1


def test_a_permanent_429_gives_up_after_max_attempts_and_the_others_are_read(google, make_source, clock):
    ids = add_sheets(google, 3)
    google.fake.fail_always(ids[1], 429)
    fetched = fetch_all(*make_source(ids))
    assert google.fake.count("batch_get", spreadsheet_id=ids[1]) == 4
    assert fetched["u1"].problem.code == "unreadable_this_run"
    assert "429" in fetched["u1"].problem.details["reason"]
    assert fetched["u0"].problem is None and fetched["u2"].problem is None
    assert fetched["u1"].grids == {}


def test_a_permanent_429_gives_up_before_waiting_past_max_seconds(google, make_source, clock):
    ids = add_sheets(google, 1)
    google.fake.fail_always(ids[0], 429, {"Retry-After": "4"})
    config, source = make_source(ids, retry={"max_attempts": 20, "max_seconds": 10, "initial_wait": 0, "max_wait": 0})
    fetched = fetch_all(config, source)
    assert clock.sleeps == [4.0, 4.0]  # a third wait would end at 12 s, past the 10 s bound
    assert google.fake.count("batch_get") == 3
    assert fetched["u0"].problem.code == "unreadable_this_run"


def test_an_account_whose_quota_is_spent_stops_asking(google, make_source):
    ids = add_sheets(google, 5)
    for sheet_id in ids:
        google.fake.fail_always(sheet_id, 429)
    fetched = fetch_all(*make_source(ids))
    assert google.fake.count("batch_get") == 3 * 4  # three units try, the last two are spared
    # Two give up as a passing hiccup; the third shows the quota spent, for the office to know.
    assert [f.problem.code for f in fetched.values()] == ["unreadable_this_run"] * 2 + ["quota_exhausted"] * 3


# --- per-unit problems -------------------------------------------------------------------------
def test_403_names_the_service_account_to_share_with(google, make_source):
    ids = add_sheets(google, 2)
    google.fake.spreadsheets[ids[0]].shared_with = {"someone@example.vn"}
    fetched = fetch_all(*make_source(ids))
    assert fetched["u0"].problem.code == "permission_denied"
    assert fetched["u0"].problem.details == {"service_account": BOT}
    assert google.fake.count("batch_get", spreadsheet_id=ids[0]) == 1  # not retried
    assert fetched["u1"].problem is None


def test_404_names_the_configured_sheet(google, make_source):
    url = "https://docs.google.com/spreadsheets/d/1NoSuchSheetAbcdefghijklmnop/edit#gid=0"
    config, source = make_source([url])
    fetched = fetch_all(config, source)
    assert fetched["u0"].problem.code == "spreadsheet_not_found"
    assert fetched["u0"].problem.details == {"sheet": url}
    assert google.fake.requests("batch_get")[0].spreadsheet_id == "1NoSuchSheetAbcdefghijklmnop"


def test_a_sheet_value_that_is_no_id_costs_no_request(google, make_source):
    fetched = fetch_all(*make_source(["941-tp-soc-trang.xlsx"]))
    assert fetched["u0"].problem.code == "spreadsheet_not_found"
    assert google.fake.count("batch_get") == 0


def test_a_missing_tab_lists_the_titles_once_and_reads_the_rest(google, make_source):
    google.fake.add_spreadsheet("sheet-missing-tab", {REPORT: GRID, "Cam ket thang": [["Tháng"]]})
    fetched = fetch_all(*make_source(["sheet-missing-tab"]))["u0"]
    assert fetched.missing_tabs == [COMMITMENT]
    assert fetched.available_tabs == [REPORT, "Cam ket thang"]
    assert fetched.grids == {REPORT: GRID}
    assert google.fake.counts() == {"token": 1, "drive_list": 1, "batch_get": 2, "metadata": 1}
    assert google.fake.requests("metadata")[0].params["fields"] == ["sheets.properties.title"]


def test_a_tab_titled_in_nfd_and_other_case_is_matched_then_asked_for_by_its_real_title(google, make_source):
    nfd = unicodedata.normalize("NFD", REPORT.upper())
    google.fake.add_spreadsheet("sheet-nfd-title", {nfd: GRID, COMMITMENT: [["Tháng"]]})
    fetched = fetch_all(*make_source(["sheet-nfd-title"]))["u0"]
    assert fetched.missing_tabs == [] and fetched.grids[REPORT] == GRID
    assert fetched.actual_titles[REPORT] == nfd
    assert google.fake.counts() == {"token": 1, "drive_list": 1, "batch_get": 2, "metadata": 1}

    google.fake.edit("sheet-nfd-title", nfd, 1, 1, 9)
    google.fake.log.clear()
    fetch_all(*make_source(["sheet-nfd-title"]))
    assert google.fake.counts() == {"token": 1, "drive_list": 1, "batch_get": 1}


def test_only_successful_reads_are_stored(google, make_source):
    ids = add_sheets(google, 2)
    google.fake.script(ids[0], 403)  # not shared on the first run, shared by the second
    fetch_all(*make_source(ids))
    google.fake.log.clear()
    fetched = fetch_all(*make_source(ids))
    assert [r.spreadsheet_id for r in google.fake.requests("batch_get")] == [ids[0]]
    assert fetched["u0"].problem is None


def test_an_account_that_cannot_sign_in_makes_its_units_unreadable_without_more_requests(google, make_source):
    ids = add_sheets(google, 3)
    google.fake.fail_always("token", 400)
    fetched = fetch_all(*make_source(ids))
    assert google.fake.counts() == {"token": 1}
    assert {f.problem.code for f in fetched.values()} == {"account_refused"}  # the service's fault, not theirs
    assert BOT in fetched["u2"].problem.details["reason"]


# --- several credentials -----------------------------------------------------------------------
def test_several_credentials_share_the_units_each_unit_always_on_the_same_account(google, make_source):
    ids = add_sheets(google, 8)
    config, source = make_source(ids, accounts=(BOT, BOT2), full=True)
    fetched = fetch_all(config, source)
    assert all(f.problem is None for f in fetched.values())
    assert google.fake.count("token") == 2
    assert google.fake.count("drive_list", account=BOT) == google.fake.count("drive_list", account=BOT2) == 1
    accounts = {r.spreadsheet_id: r.account for r in google.fake.requests("batch_get")}
    assert set(accounts.values()) == {BOT, BOT2}
    # Reading one unit alone (check --unit) uses the account the full run used for it.
    google.fake.log.clear()
    alone = config.units[5]
    list(source.fetch([alone], {alone.id: [REPORT, COMMITMENT]}))
    assert [r.account for r in google.fake.requests("batch_get")] == [accounts[ids[5]]]


def test_each_credential_names_itself_when_a_unit_has_not_shared(google, make_source):
    ids = add_sheets(google, 8, shared_with={BOT})
    config, source = make_source(ids, accounts=(BOT, BOT2))
    fetched = fetch_all(config, source)
    by_account = {u.id: source.lane_for(u).email for u in config.units}
    assert set(by_account.values()) == {BOT, BOT2}
    for unit_id, account in by_account.items():
        if account == BOT:
            assert fetched[unit_id].problem is None
        else:
            assert fetched[unit_id].problem.details == {"service_account": BOT2}


# --- credentials -------------------------------------------------------------------------------
def test_the_key_comes_from_google_application_credentials_when_config_has_none(
    google, make_source, key_files, monkeypatch
):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(key_files[BOT2]))
    ids = add_sheets(google, 1, shared_with={BOT2})
    config, _ = make_source(ids)
    credential = config.source.credentials[0].model_copy(update={"key_file": None})
    source_config = config.source.model_copy(update={"credentials": [credential]})
    source = GoogleSheetsSource.from_config(config.model_copy(update={"source": source_config}))
    assert fetch_all(config, source)["u0"].problem is None


def test_an_unreadable_key_file_is_a_config_error_naming_the_key(make_source, key_files):
    key_files[BOT].write_text("{not json")
    with pytest.raises(ConfigError, match=r"source\.credentials\.0\.key_file"):
        make_source(["x" * 20])


# --- the samples, served as Google would -------------------------------------------------------
def _as_google(grid: list[list[Any]]) -> list[list[Any]]:
    rows = [[sheets_value(v) for v in row] for row in grid]
    for row in rows:
        while row and row[-1] == "":
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def test_the_sample_workbooks_read_from_google_equal_the_local_read(google, make_source):
    ids = load_workbooks(google.fake, SAMPLES)
    assert ids, "samples/workbooks holds the sample workbooks"
    config, source = make_source(list(ids.values()))
    local_units = [u.model_copy(update={"sheet": name}) for u, name in zip(config.units, ids, strict=True)]
    tabs = {u.id: [REPORT, COMMITMENT, "Gương điển hình"] for u in config.units}
    remote = {f.unit_id: f for f in source.fetch(config.units, tabs)}
    local = {f.unit_id: f for f in LocalWorkbookSource(SAMPLES).fetch(local_units, tabs)}
    for unit_id, here in local.items():
        there = remote[unit_id]
        assert there.problem is None
        assert there.missing_tabs == here.missing_tabs
        assert there.actual_titles == here.actual_titles
        assert there.grids == {t: _as_google(g) for t, g in here.grids.items()}


def test_check_json_is_the_same_from_google_and_from_the_workbooks(google, config, key_files, clock, tmp_path):
    """The shipped config judged twice: once from its sample workbooks, once from the same
    workbooks served as Google Sheets. (The unit that has no workbook is left out: its finding
    differs by nature, "no workbook" against "no such spreadsheet".)
    """
    today = dt.date(2023, 7, 20)
    ids = load_workbooks(google.fake, SAMPLES)
    unit_ids = [u.id for u in config.units if u.sheet in ids]
    with Store.open(config.state_file) as store:
        local = judgement_as_dict(config, collect(config, today, store, unit_ids))

    source = {
        "kind": "google",
        "api_base": google.url,
        "credentials": [{"key_file": str(key_files[BOT])}],
        "retry": {"initial_wait": 0, "max_wait": 0},
    }
    remote_config = Config.model_validate(
        config.model_dump(mode="json")
        | {
            "source": source,
            "units": [u.model_dump() | {"sheet": ids.get(u.sheet, u.sheet)} for u in config.units],
            "state_file": str(tmp_path / "google.sqlite3"),
        }
    )
    with Store.open(remote_config.state_file) as store:
        remote_source = GoogleSheetsSource.from_config(remote_config, store, clock=clock.monotonic, sleep=clock.sleep)
        remote = judgement_as_dict(remote_config, collect(remote_config, today, store, unit_ids, source=remote_source))
    assert remote == local
    assert google.fake.count("batch_get") >= len(unit_ids)


# --- files that are not Google Sheets ------------------------------------------------------------
def test_an_uploaded_excel_file_listed_by_drive_is_told_to_convert_without_a_sheets_request(google, make_source):
    ids = add_sheets(google, 2)
    google.fake.spreadsheets[ids[0]].mime_type = XLSX
    fetched = fetch_all(*make_source(ids))
    assert fetched["u0"].problem.code == "not_a_google_sheet"
    assert fetched["u0"].problem.details == {"sheet": ids[0], "service_account": BOT}
    assert "chọn «Tệp → Lưu dưới dạng Google Trang tính»" in finding_text(
        "not_a_google_sheet", **fetched["u0"].problem.details
    )
    assert [r.spreadsheet_id for r in google.fake.requests("batch_get")] == [ids[1]]
    assert google.fake.requests("drive_list")[0].params["fields"] == [
        "nextPageToken,files(id,mimeType,modifiedTime,version)"
    ]


@pytest.mark.parametrize("mime_type", [XLSX, CSV])
def test_sheets_refusing_an_uploaded_file_is_asked_once_and_gives_its_own_finding(google, make_source, mime_type):
    ids = add_sheets(google, 2)
    google.fake.spreadsheets[ids[0]].mime_type = mime_type
    fetched = fetch_all(*make_source(ids, skip_unchanged=False))  # no Drive listing: Sheets must say it
    assert google.fake.count("batch_get", spreadsheet_id=ids[0]) == 1  # a 400 is never retried
    assert fetched["u0"].problem.code == "not_a_google_sheet"
    assert fetched["u0"].problem.details == {"sheet": ids[0], "service_account": BOT}
    assert fetched["u1"].problem is None
