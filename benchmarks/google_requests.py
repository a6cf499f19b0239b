"""Benchmark the Google source against the naive gspread approach, on the local fake server.

For 11, 103 and 3,321 spreadsheets (benchmarks/generate.py's synthetic units, the same grids as
its workbooks: some units late, incomplete or broken, a few sheets missing or not shared), it
counts the requests that reach the server and times the run, first run and unchanged rerun, for:
  * this source: one values:batchGet per spreadsheet, unchanged ones skipped via Drive;
  * naive gspread: open_by_key → worksheet(tab) → get_all_values, per tab.
The client-side rate limiter is off; the quota-implied minimum is printed beside the wall time:
Sheets reads / 58 a minute for one service account (the per-account default). Prints figures; asserts nothing.

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
sys.path.insert(0, str(REPO))

import gspread  # noqa: E402

from benchmarks.generate import google_config, seed_google, synthetic  # noqa: E402
from rules.judge import owed_tabs  # noqa: E402
from settings import load_config  # noqa: E402
from settings.schema import Config  # noqa: E402
from store import Store  # noqa: E402
from sync.google import GoogleSheetsSource  # noqa: E402
from sync.google_http import RedirectingSession, load_service_account  # noqa: E402
from tests.sheets_fake import FakeGoogle, service_account_info  # noqa: E402

READS_PER_MINUTE = 58
SHEETS_KINDS = ("batch_get", "metadata", "values_get")
BOT = "bench@soc-trang.iam.gserviceaccount.com"


def served(server: FakeGoogle, size: int, folder: Path) -> Config:
    """``size`` synthetic units, their grids served by ``server``, and the config reading them."""
    data = synthetic(size)
    key_file = folder / "key.json"
    key_file.write_text(json.dumps(service_account_info(BOT)))
    ids = seed_google(server.fake, data)
    return load_config(google_config(data, folder, server.url, key_file, ids))


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
            for _ in source.fetch(config.units, tabs):
                pass

    return run


def naive_gspread(config: Config) -> Callable[[], None]:
    def run() -> None:
        credentials = load_service_account(config.source.credentials[0], 0, config.source.api_base)
        client = gspread.authorize(credentials, session=RedirectingSession(credentials, config.source.api_base))
        for unit in config.units:
            try:
                spreadsheet = client.open_by_key(unit.sheet)
            except (gspread.SpreadsheetNotFound, PermissionError):
                continue  # a sheet not found or not shared: the naive script skips it
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


def table(sizes: list[int]) -> list[str]:
    """One line per size, approach and run (first, unchanged), under a header line."""
    lines = [
        f"{'sheets':>6}  {'approach':<22} {'run':<9} {'requests':>8}  {'token+drive+sheets':>16}"
        f"  {'wall s':>8}  {'quota min':>10}  {'ms/sheet':>7}"
    ]
    for size in sizes:
        with FakeGoogle() as server, tempfile.TemporaryDirectory() as tmp:
            config = served(server, size, Path(tmp))
            for approach, make in (("batchGet + snapshots", this_source), ("naive gspread", naive_gspread)):
                for run in ("first", "unchanged"):
                    counts, seconds = measure(server, make(config))
                    lines.append(row(size, approach, run, counts, seconds))
                    print(lines[-1], file=sys.stderr, flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="11,103,3321")
    args = parser.parse_args()
    print("\n".join(table([int(s) for s in args.sizes.split(",")])))
    print(f"quota min = Sheets reads / {READS_PER_MINUTE} a minute (one service account); token and Drive excluded.")


if __name__ == "__main__":
    main()
