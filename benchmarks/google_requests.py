"""Benchmark the Google source against the naive gspread approach, on the local fake server.

For 11, 103 and 3,321 spreadsheets (the sample workbooks repeated, so some units misname a tab
as real ones do), it counts the requests that reach the server and times the run, first run and
unchanged rerun, for:
  * this source: one values:batchGet per spreadsheet, unchanged ones skipped via Drive;
  * naive gspread: open_by_key → worksheet(tab) → get_all_values, per tab.
The client-side rate limiter is off; the quota-implied minimum is printed beside the wall time:
Sheets reads / 55 a minute for one service account. Prints figures; asserts nothing.

    python benchmarks/google_requests.py [--sizes 11,103,3321]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import gspread  # noqa: E402
import yaml  # noqa: E402

from rules.judge import owed_tabs  # noqa: E402
from settings.schema import Config  # noqa: E402
from store import Store  # noqa: E402
from sync.google import GoogleSheetsSource  # noqa: E402
from sync.google_http import RedirectingSession, load_service_account  # noqa: E402
from tests.sheets_fake import FakeGoogle, service_account_info  # noqa: E402
from tests.sheets_fake_values import workbook_tabs  # noqa: E402

SAMPLES = REPO / "samples" / "workbooks"
READS_PER_MINUTE = 55
SHEETS_KINDS = ("batch_get", "metadata", "values_get")


def scaled_config(size: int, api_base: str, folder: Path) -> Config:
    """The shipped forms and calendar with ``size`` units, each on its own spreadsheet."""
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    key_file = folder / "key.json"
    key_file.write_text(json.dumps(service_account_info("bench@soc-trang.iam.gserviceaccount.com")))
    raw["state_file"] = str(folder / "state.sqlite3")
    raw["source"] = {
        "kind": "google",
        "api_base": api_base,
        "credentials": [{"key_file": str(key_file)}],
        "retry": {"initial_wait": 0, "max_wait": 0},
    }
    raw["units"] = [
        {"id": f"U{i:05d}", "name": f"Đơn vị {i}", "sheet": f"sheet-{i:05d}", "emails": ["hoi@example.vn"]}
        for i in range(size)
    ]
    for entry in raw["calendar"].get("obligations", []) + raw["calendar"].get("ad_hoc", []):
        entry.pop("units", None)
    return Config.model_validate(raw)


def measure(server: FakeGoogle, run: Callable[[], None]) -> tuple[dict[str, int], float]:
    server.fake.log.clear()
    start = time.perf_counter()
    run()
    return server.fake.counts(), time.perf_counter() - start


def this_source(config: Config) -> Callable[[], None]:
    def run() -> None:
        with Store.open(config.state_file) as store:
            source = GoogleSheetsSource.from_config(config, store, throttle=False)
            tabs = {u.id: owed_tabs(config, u) for u in config.units}
            for fetch in source.fetch(config.units, tabs):
                assert fetch.problem is None, fetch.problem

    return run


def naive_gspread(config: Config) -> Callable[[], None]:
    def run() -> None:
        credentials = load_service_account(config.source.credentials[0], 0, config.source.api_base)
        client = gspread.authorize(credentials, session=RedirectingSession(credentials, config.source.api_base))
        for unit in config.units:
            spreadsheet = client.open_by_key(unit.sheet)
            for tab in owed_tabs(config, unit):
                try:
                    spreadsheet.worksheet(tab).get_all_values()
                except gspread.WorksheetNotFound:
                    pass  # naive code has no answer for a misnamed tab; it at least must not stop

    return run


def row(size: int, approach: str, run: str, counts: dict[str, int], seconds: float) -> str:
    sheets = sum(counts.get(k, 0) for k in SHEETS_KINDS)
    total = sum(counts.values())
    quota_minutes = sheets / READS_PER_MINUTE
    parts = f"{counts.get('token', 0)}+{counts.get('drive_list', 0)}+{sheets}"
    return (
        f"{size:>6}  {approach:<22} {run:<9} {total:>8}  {parts:>16}  {seconds:>8.2f}  {quota_minutes:>10.1f}"
        f"  {seconds / size * 1000:>7.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="11,103,3321")
    args = parser.parse_args()
    templates = [workbook_tabs(path) for path in sorted(SAMPLES.glob("*.xlsx"))]
    print(
        f"{'sheets':>6}  {'approach':<22} {'run':<9} {'requests':>8}  {'token+drive+sheets':>16}"
        f"  {'wall s':>8}  {'quota min':>10}  {'ms/sheet':>7}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        with FakeGoogle() as server, tempfile.TemporaryDirectory() as tmp:
            for i in range(size):
                server.fake.add_spreadsheet(f"sheet-{i:05d}", templates[i % len(templates)])
            config = scaled_config(size, server.url, Path(tmp))
            for approach, make in (("batchGet + snapshots", this_source), ("naive gspread", naive_gspread)):
                for run in ("first", "unchanged"):
                    counts, seconds = measure(server, make(config))
                    print(row(size, approach, run, counts, seconds), flush=True)
    print(f"quota min = Sheets reads / {READS_PER_MINUTE} a minute (one service account); token and Drive excluded.")


if __name__ == "__main__":
    main()
