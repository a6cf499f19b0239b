"""The synthetic units of benchmarks/generate.py are judged as their scenarios say, from workbooks
and from the Google fake alike, so the benchmarks measure a realistic mix and not noise."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from benchmarks.generate import Shares, google_config, scenario_counts, seed_google, synthetic, write_local
from rules.model import COMPLETE_LATE, COMPLETE_ON_TIME, INCOMPLETE, MISSING, NOT_YET_DUE, UNREADABLE
from service.check import collect, judgement_as_dict
from settings import load_config
from store import Store
from sync.google import GoogleSheetsSource
from tests.sheets_fake import service_account_info

TODAY = dt.date(2023, 7, 20)
MIX = Shares(late=0.2, incomplete=0.15, invalid=0.15, missing=0.1, no_workbook=0.05, not_a_workbook=0.05)
EXPECTED = {"late": COMPLETE_LATE, "incomplete": INCOMPLETE, "invalid": INCOMPLETE, "missing": MISSING}


@pytest.fixture(scope="module")
def data():
    return synthetic(60, seed=11, shares=MIX)


def judged(config_path: Path, source=None) -> dict:
    config = load_config(config_path)
    with Store.open(config.state_file) as store:
        if source is not None:
            source = source(config, store)
        return judgement_as_dict(config, collect(config, TODAY, store, source=source))


def test_every_scenario_is_drawn_and_the_draw_is_reproducible(data):
    counts = scenario_counts(data)
    assert all(counts[name] >= 1 for name in counts), counts
    assert scenario_counts(synthetic(60, seed=11, shares=MIX)) == counts
    assert [u.tabs for u in synthetic(60, seed=11, shares=MIX).units] == [u.tabs for u in data.units]


def test_units_have_vietnamese_names_and_unique_ids(data):
    ids = [u.id for u in data.units]
    assert len(set(ids)) == len(ids)
    assert all(u.entry["name"].startswith(("Hội LHPN xã ", "Hội LHPN phường ")) for u in data.units)
    assert len({u.entry["name"] for u in data.units}) == len(ids)
    districts = synthetic(11).units
    assert [u.entry["name"] for u in districts][:2] == ["Hội LHPN thành phố Sóc Trăng", "Hội LHPN huyện Châu Thành"]


def test_each_unit_is_judged_as_its_scenario_says(data, tmp_path):
    result = judged(write_local(data, tmp_path))
    reports: dict[str, dict[tuple[str, str], str]] = {}
    for report in result["reports"]:
        reports.setdefault(report["unit_id"], {})[(report["form"], report["period"])] = report["status"]
    unit_findings = {f["unit_id"]: f["code"] for f in result["findings"] if f["form_key"] is None}
    for unit in data.units:
        statuses = reports[unit.id]
        if unit.scenario in ("no_workbook", "not_a_workbook"):
            assert set(statuses.values()) == {UNREADABLE}, unit.id
            assert unit_findings[unit.id] == {"no_workbook": "no_workbook"}.get(unit.scenario, "unreadable_workbook")
            continue
        spoiled = unit.spoiled
        if spoiled is not None:
            assert statuses.pop(spoiled) == EXPECTED[unit.scenario], (unit.id, unit.scenario)
        assert set(statuses.values()) <= {COMPLETE_ON_TIME, NOT_YET_DUE}, (unit.id, unit.scenario)


def test_the_same_units_read_from_google_are_judged_the_same(data, tmp_path, google, private_key_pem):
    """Units whose file is missing or broken are left out: their findings differ by nature
    ("no workbook" against "no such spreadsheet")."""
    readable = [u.id for u in data.units if u.scenario not in ("no_workbook", "not_a_workbook")]
    local = judged(write_local(data, tmp_path / "local"))
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps(service_account_info("bot@soc-trang.iam.gserviceaccount.com", private_key_pem)))
    ids = seed_google(google.fake, data)
    remote = judged(
        google_config(data, tmp_path / "google", google.url, key_file, ids),
        lambda config, store: GoogleSheetsSource.from_config(config, store, throttle=False),
    )

    def of_readable(result: dict) -> dict:
        return {
            "reports": [r for r in result["reports"] if r["unit_id"] in readable],
            "findings": [f for f in result["findings"] if f["unit_id"] in readable],
        }

    assert of_readable(remote) == of_readable(local)
    assert google.fake.count("batch_get") == len(data.units)  # one request per spreadsheet, found or not
