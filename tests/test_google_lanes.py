"""Several service accounts read side by side, one thread each: on a virtual clock shared by the
threads (time moves only when every account sleeps), a slow account never holds up a fast one,
and the requests made are exactly those of a one-at-a-time read."""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from settings.schema import Config
from store import Store
from sync.google import GoogleSheetsSource
from sync.lanes import LaneReads
from tests.sheets_fake import FakeGoogle, service_account_info
from tests.virtual_clock import VirtualClock

REPORT, COMMITMENT = "Báo cáo chuyên đề", "Cam kết hằng tháng"
FAST = "nhanh@soc-trang-test.iam.gserviceaccount.com"
SLOW = "cham@soc-trang-test.iam.gserviceaccount.com"
GRID = [["Kỳ báo cáo", "Số buổi học tập"], ["Tháng 3/2023", 4]]


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


@pytest.fixture
def make_source(tmp_path: Path, google: FakeGoogle, clock: VirtualClock, private_key_pem: str):
    """A two-account GoogleSheetsSource on the virtual clock; each call gets a fresh state file."""
    keys = []
    for email in (FAST, SLOW):
        keys.append(tmp_path / f"{email.split('@')[0]}.json")
        keys[-1].write_text(json.dumps(service_account_info(email, private_key_pem)))
    stores: list[Store] = []

    def make(sheets: list[str], parallel: bool = True, **source: Any) -> tuple[Config, GoogleSheetsSource]:
        state = tmp_path / f"state-{len(stores)}.sqlite3"
        raw = {
            "organisation": {"name": "Hội LHPN tỉnh Sóc Trăng"},
            "state_file": str(state),
            "source": {
                "kind": "google",
                "api_base": google.url,
                "credentials": [{"key_file": str(k), "reads_per_minute": 300} for k in keys],
                "reads_per_minute_per_project": 3000,
                "retry": {"max_attempts": 4, "max_seconds": 600, "initial_wait": 0, "max_wait": 0},
                **source,
            },
            "units": [
                {"id": f"u{i}", "name": f"Đơn vị {i}", "sheet": sheet, "emails": [f"u{i}@example.vn"]}
                for i, sheet in enumerate(sheets)
            ],
            "forms": [{"key": "topic_report", "tab": REPORT, "title": REPORT, "fields": [
                {"key": "sessions", "label": "Số buổi học tập", "type": "integer"}]}],
            "calendar": {"start": "2023-01-01", "obligations": [{"form": "topic_report", "periods": ["monthly"]}]},
        }  # fmt: skip
        config = Config.model_validate(raw)
        stores.append(Store.open(state))
        source_ = GoogleSheetsSource.from_config(
            config, stores[-1], clock=clock.monotonic, sleep=clock.sleep, parallel=parallel, worker_scope=clock.worker
        )
        return config, source_

    yield make
    for store in stores:
        store.close()


def add_sheets(google: FakeGoogle, count: int) -> list[str]:
    ids = [f"sheet{i:03d}-lanes-abcdefghij" for i in range(count)]
    for sheet_id in ids:
        google.fake.add_spreadsheet(sheet_id, {REPORT: GRID, COMMITMENT: [["Tháng"]]})
    return ids


def delivered(config: Config, source: GoogleSheetsSource) -> list[tuple[str, Any]]:
    """(unit id, problem code) in the order the caller received them."""
    tabs = {u.id: [REPORT, COMMITMENT] for u in config.units}
    return [(f.unit_id, f.problem and f.problem.code) for f in source.fetch(config.units, tabs)]


def read_times(google: FakeGoogle, account: str) -> list[float]:
    """When (virtual seconds) each successful read of ``account`` reached the server."""
    return [r.at for r in google.fake.requests("batch_get", account=account) if r.status == 200]


def by_account(config: Config, source: GoogleSheetsSource) -> dict[str, list[str]]:
    lanes: dict[str, list[str]] = {FAST: [], SLOW: []}
    for unit in config.units:
        lanes[source.lane_for(unit).email].append(unit.id)
    return lanes


def test_the_fast_account_finishes_its_units_while_the_slow_one_waits(google, make_source, clock):
    ids = add_sheets(google, 10)
    config, source = make_source(ids)
    google.fake.clock = clock.monotonic
    lanes = by_account(config, source)
    assert len(lanes[FAST]) >= 3 and len(lanes[SLOW]) >= 3, lanes
    sheet_of = {u.id: u.sheet for u in config.units}
    for unit_id in lanes[SLOW]:  # every read of the slow account is refused once, "come back in 30 s"
        google.fake.script(sheet_of[unit_id], (429, {"Retry-After": "30"}))

    got = delivered(config, source)
    assert all(problem is None for _, problem in got)
    # The fast account read everything at virtual time 0 and its units reached the caller first...
    assert read_times(google, FAST) == [0.0] * len(lanes[FAST])
    assert [u for u, _ in got[: len(lanes[FAST])]] == lanes[FAST]
    # ...while the slow one read one unit after another, each after its own 30 s wait.
    assert read_times(google, SLOW) == [30.0 * (n + 1) for n in range(len(lanes[SLOW]))]
    assert [u for u, _ in got[len(lanes[FAST]) :]] == lanes[SLOW]
    assert {name for name, _, _ in clock.sleeps} == {"lane-2"}
    assert google.fake.count("batch_get", account=FAST) == len(lanes[FAST])
    assert google.fake.count("batch_get", account=SLOW) == 2 * len(lanes[SLOW])


def test_read_one_at_a_time_a_slow_account_holds_up_the_fast_one(google, make_source, clock):
    """The same scene read serially: the contrast the lanes exist for."""
    ids = add_sheets(google, 10)
    config, source = make_source(ids, parallel=False)
    google.fake.clock = clock.monotonic
    lanes = by_account(config, source)
    sheet_of = {u.id: u.sheet for u in config.units}
    for unit_id in lanes[SLOW]:
        google.fake.script(sheet_of[unit_id], (429, {"Retry-After": "30"}))
    got = delivered(config, source)
    assert max(read_times(google, FAST)) >= 30.0
    assert [u for u, _ in got] == [u.id for u in config.units]


def _arrange_trouble(google: FakeGoogle) -> list[str]:
    """Sheets that cost more than one request, or fail, in every way the source knows."""
    ids = add_sheets(google, 12)
    google.fake.spreadsheets[ids[0]].tabs = {REPORT: GRID, "Cam ket thang": [["Tháng"]]}  # a tab missing
    nfd = unicodedata.normalize("NFD", REPORT.upper())
    google.fake.spreadsheets[ids[1]].tabs = {nfd: GRID, COMMITMENT: [["Tháng"]]}  # titled otherwise
    google.fake.spreadsheets[ids[2]].shared_with = {"someone@example.vn"}  # 403, not retried
    google.fake.script(ids[3], 503, 500)  # retried twice
    google.fake.fail_always(ids[4], 429)  # gives up after 4 attempts
    return ids


@pytest.mark.parametrize("skip_unchanged", [True, False])
def test_the_requests_are_exactly_those_of_a_serial_read(google, make_source, clock, skip_unchanged):
    ids = _arrange_trouble(google)
    serial_config, serial = make_source(ids, parallel=False, skip_unchanged=skip_unchanged)
    serial_got = delivered(serial_config, serial)
    serial_log = Counter((r.kind, r.spreadsheet_id, r.account, r.status) for r in google.fake.log)
    serial_counts = google.fake.counts()

    google.fake.log.clear()
    _arrange_trouble(google)  # the same scripted failures again
    config, parallel = make_source(ids, skip_unchanged=skip_unchanged)
    got = delivered(config, parallel)
    assert Counter((r.kind, r.spreadsheet_id, r.account, r.status) for r in google.fake.log) == serial_log
    assert google.fake.counts() == serial_counts
    drive = {"drive_list": 2} if skip_unchanged else {}
    assert serial_counts == {"token": 2, **drive, "batch_get": 12 + 2 + 2 + 3, "metadata": 2}
    assert sorted(got) == sorted(serial_got)
    problems = {u: p for u, p in got if p}
    assert problems == {"u2": "permission_denied", "u4": "unreadable_this_run"}


def test_an_account_whose_quota_is_spent_stops_asking_and_the_other_reads_on(google, make_source, clock):
    ids = add_sheets(google, 16)
    config, source = make_source(ids)
    lanes = by_account(config, source)
    sheet_of = {u.id: u.sheet for u in config.units}
    for unit_id in lanes[SLOW]:
        google.fake.fail_always(sheet_of[unit_id], 429)
    got = dict(delivered(config, source))
    assert [got[u] for u in lanes[SLOW]] == ["unreadable_this_run"] * 2 + ["quota_exhausted"] * (len(lanes[SLOW]) - 2)
    assert all(got[u] is None for u in lanes[FAST])
    assert google.fake.count("batch_get", account=SLOW) == 3 * 4
    assert google.fake.count("batch_get", account=FAST) == len(lanes[FAST])


def test_a_workers_exception_reaches_the_caller_and_the_other_lanes_stop():
    done = []

    def read(lane: int, job: int) -> int:
        if job == 2:
            raise RuntimeError("a bug")
        done.append(job)
        return job

    with pytest.raises(RuntimeError, match="a bug"):
        list(LaneReads([(0, 1), (1, 2), (1, 3)], read))
    assert 3 not in done  # the failed lane's later jobs are never run


def test_the_accounts_of_one_project_share_its_quota(google, make_source, clock):
    ids = add_sheets(google, 10)
    config, source = make_source(ids, reads_per_minute_per_project=6)  # both keys: project "test-project"
    google.fake.clock = clock.monotonic
    lanes = by_account(config, source)
    assert lanes[FAST] and lanes[SLOW]
    delivered(config, source)
    assert sorted(r.at for r in google.fake.requests("batch_get")) == pytest.approx([10.0 * n for n in range(10)])
