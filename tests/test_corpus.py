"""The bad-input corpus (tests/corpus.py) read from workbooks and from Google: each case gives its
clear cell-level finding in Vietnamese, or is read right, never a crash; the two sources agree."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from rules.model import Judgement
from service.check import collect
from settings import load_config
from store import Store
from sync.google import GoogleSheetsSource
from tests.conftest import REPO
from tests.corpus import CASES, PEOPLE, Case, google_tabs, write_corpus
from tests.sheets_fake import GOOGLE_SHEET, XLSX, FakeGoogle, service_account_info

TODAY = dt.date(2023, 7, 20)
BOT = "corpus@soc-trang-test.iam.gserviceaccount.com"
BY_NAME = {case.name: case for case in CASES}


def corpus_config(folder: Path, source: dict[str, Any], suffix: str = "") -> Path:
    """The shipped forms, rules and calendar, with one unit per case and its own state file."""
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    raw["units"] = [
        {"id": c.name, "name": f"Hội LHPN {c.name}", "kind": "district", "sheet": c.name + suffix,
         "emails": [f"{c.name}@example.vn"]}
        for c in CASES
    ]  # fmt: skip
    raw["calendar"]["ad_hoc"] = []
    raw["source"] = source
    raw["state_file"] = str(folder / "state.sqlite3")
    raw["log_file"] = None
    raw["board_file"] = None
    raw["mail"]["delivery"] = {"transport": "outbox", "folder": str(folder / "outbox")}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def judged_locally(folder: Path) -> Judgement:
    write_corpus(CASES, folder / "workbooks")
    config = load_config(corpus_config(folder, {"kind": "local", "folder": str(folder / "workbooks")}, ".xlsx"))
    with Store.open(config.state_file) as store:
        return collect(config, TODAY, store)


def judged_from_google(folder: Path, pem: str) -> Judgement:
    key_file = folder / "key.json"
    key_file.write_text(json.dumps(service_account_info(BOT, pem)))
    with FakeGoogle() as google:
        for case in CASES:
            google.fake.add_spreadsheet(
                case.name, google_tabs(case), mime_type=XLSX if case.raw is not None else GOOGLE_SHEET
            )
        source = {
            "kind": "google",
            "api_base": google.url,
            "credentials": [{"key_file": str(key_file)}],
            "retry": {"max_attempts": 2, "initial_wait": 0, "max_wait": 0},
        }
        config = load_config(corpus_config(folder, source))
        with Store.open(config.state_file) as store:
            sheets = GoogleSheetsSource.from_config(config, store, throttle=False)
            return collect(config, TODAY, store, source=sheets)


@pytest.fixture(scope="module")
def judged(tmp_path_factory, private_key_pem) -> dict[str, Judgement]:
    return {
        "local": judged_locally(tmp_path_factory.mktemp("local")),
        "google": judged_from_google(tmp_path_factory.mktemp("google"), private_key_pem),
    }


def expected(case: Case, source: str) -> list[tuple[str, str | None, str]]:
    return case.google if source == "google" and case.google is not None else case.expect


def topic_report(judgement: Judgement, case: Case, form_key: str = "topic_report"):
    [report] = [r for r in judgement.reports if r.unit_id == case.name and r.form_key == form_key
                and r.period.id == ("2023-Y" if form_key == "exemplary_people" else "2023-H1")]  # fmt: skip
    return report


def test_the_corpus_has_at_least_forty_workbooks():
    assert len(CASES) >= 40 and len(BY_NAME) == len(CASES)


@pytest.mark.parametrize("source", ["local", "google"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_case_gives_its_finding_at_its_cell_or_is_read_right(judged, source, case):
    judgement = judged[source]
    found = judgement.findings(case.name)
    for code, cell, fragment in expected(case, source):
        matches = [f for f in found if f.code == code and (cell is None or f.cell == cell) and fragment in f.message]
        assert matches, (code, cell, fragment, [(f.code, f.message[:300]) for f in found])
        for finding in matches:
            assert finding.unit_id == case.name
            if cell is not None:  # the tab is named with the cell, and the message names the cell
                assert finding.tab == cell.split("!")[0].strip("'") and cell in finding.message
    if case.tabs.keys() == {PEOPLE}:
        rows = topic_report(judgement, case, "exemplary_people").rows
        assert all(rows[0][key] == value for key, value in case.values.items()), rows
        return
    report = topic_report(judgement, case)
    for key, value in case.values.items():
        assert report.values[key] == value, (key, report.values)
    if case.status is not None:
        assert report.status == case.status, [f.message for f in report.findings]
    if case.submitted is not None:
        assert report.submitted_on == case.submitted


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.google is None], ids=[c.name for c in CASES if c.google is None]
)
def test_a_workbook_and_the_same_grids_on_google_give_the_same_findings_and_statuses(judged, case):
    def seen(judgement: Judgement) -> tuple[Counter, list[str]]:
        findings = Counter((f.code, f.cell) for f in judgement.findings(case.name))
        statuses = [f"{r.form_key} {r.period.id} {r.status}" for r in judgement.reports if r.unit_id == case.name]
        return findings, statuses

    assert seen(judged["local"]) == seen(judged["google"])


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.google is not None], ids=[c.name for c in CASES if c.google is not None]
)
def test_where_google_cannot_see_the_same_the_difference_is_only_the_one_explained(judged, case):
    def codes(source: str) -> set[str]:
        return {f.code for f in judged[source].findings(case.name)}

    local, google = {code for code, _, _ in case.expect}, {code for code, _, _ in case.google or []}
    assert case.why
    assert codes("local") - codes("google") == local - google
    assert codes("google") - codes("local") == google - local
