"""Benchmark the lanes (one worker per service account) on a virtual clock: minutes for a first read
of 3,321 spreadsheets with 1, 2, 5 and 10 accounts, at 0 and 0.3 s of latency per request, next to
the floor Google's quota sets for the requests made.

The service's own code (GoogleSheetsSource with its default limits and retries, real gspread) reads
the local fake, which here enforces Google's read quotas on the virtual clock: 60 requests in any
60 s per account and 300 per project (every account here is in one project), answering 429 beyond.
Latency is a virtual sleep before each request; time moves only when every lane sleeps
(tests/virtual_clock.py), so nothing really waits and the figures do not depend on this machine.
"serial" is the same code reading one unit at a time (parallel=False), as before the lanes.
A second table scripts one slow account (ten times the latency) among five.
Prints figures; asserts nothing.

    python benchmarks/lanes.py [--size 3321] [--accounts 1,2,5,10] [--latencies 0,0.3] [--no-serial]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

import yaml  # noqa: E402

from rules.judge import owed_tabs  # noqa: E402
from settings.schema import Config  # noqa: E402
from store import Store  # noqa: E402
from sync.google import GoogleSheetsSource  # noqa: E402
from sync.google_http import PROJECT_QUOTA, USER_QUOTA  # noqa: E402
from tests.sheets_fake import FakeGoogle, SheetsFake, google_error, service_account_info  # noqa: E402
from tests.sheets_fake_values import workbook_tabs  # noqa: E402
from tests.virtual_clock import VirtualClock  # noqa: E402

SAMPLES = REPO / "samples" / "workbooks"
SHEETS_KINDS = ("batch_get", "metadata", "values_get")
WINDOW = 60.0
SLOW_FACTOR = 10


class QuotaFake(SheetsFake):
    """The fake, refusing Sheets reads beyond Google's per-user and per-project quotas (429)."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock.monotonic
        self.by_user: dict[str, deque[float]] = {}
        self.project: deque[float] = deque()
        self.refused = 0

    def _answer(self, request: Any):
        kind, account = request.kind, request.account
        if kind in SHEETS_KINDS and account is not None:
            now = self.clock()
            user = self.by_user.setdefault(account, deque())
            for window in (user, self.project):
                while window and window[0] <= now - WINDOW:
                    window.popleft()
            if len(user) >= USER_QUOTA or len(self.project) >= PROJECT_QUOTA:
                self.refused += 1
                return 429, {}, google_error(429)
            user.append(now)
            self.project.append(now)
        return super()._answer(request)


def scaled_config(size: int, accounts: int, api_base: str, folder: Path) -> Config:
    """The shipped forms and calendar with ``size`` units and ``accounts`` service accounts of one
    project, every limit and retry at its default."""
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    credentials = []
    for n in range(accounts):
        key_file = folder / f"key-{n}.json"
        key_file.write_text(json.dumps(service_account_info(f"bench-{n}@soc-trang.iam.gserviceaccount.com")))
        credentials.append({"key_file": str(key_file)})
    raw["state_file"] = str(folder / "state.sqlite3")
    raw["source"] = {"kind": "google", "api_base": api_base, "credentials": credentials}
    raw["units"] = [
        {"id": f"U{i:05d}", "name": f"Đơn vị {i}", "sheet": f"sheet-{i:05d}", "emails": ["hoi@example.vn"]}
        for i in range(size)
    ]
    for entry in raw["calendar"].get("obligations", []) + raw["calendar"].get("ad_hoc", []):
        entry.pop("units", None)
    return Config.model_validate(raw)


def with_latency(session: Any, sleep: Callable[[float], None], seconds: float) -> None:
    """Every request of ``session`` first spends ``seconds`` on the virtual clock."""
    send = session.request

    def request(*args: Any, **kwargs: Any) -> Any:
        sleep(seconds)
        return send(*args, **kwargs)

    session.request = request


def read(
    size: int, accounts: int, latency: float, parallel: bool, templates: list[Any], slow: bool = False
) -> dict[str, Any]:
    """One first read; the virtual minutes it took, the requests made and the floor they imply."""
    clock = VirtualClock()
    fake = QuotaFake(clock)
    with FakeGoogle(fake) as server, tempfile.TemporaryDirectory() as tmp:
        for i in range(size):
            fake.add_spreadsheet(f"sheet-{i:05d}", templates[i % len(templates)])
        config = scaled_config(size, accounts, server.url, Path(tmp))
        with Store.open(config.state_file) as store:
            source = GoogleSheetsSource.from_config(
                config, store, clock=clock.monotonic, sleep=clock.sleep, parallel=parallel, worker_scope=clock.worker
            )
            for n, lane in enumerate(source.lanes):
                with_latency(lane.http.session, clock.sleep, latency * (SLOW_FACTOR if slow and n == 0 else 1))
            tabs = {u.id: owed_tabs(config, u) for u in config.units}
            problems = sum(f.problem is not None for f in source.fetch(config.units, tabs))
        sheets = [r for r in fake.log if r.kind in SHEETS_KINDS]
        last = {}
        for r in sheets:
            last[r.account] = max(last.get(r.account, 0.0), r.at)
        slow_account = source.lanes[0].email
        return {
            "minutes": clock.now / 60,
            "requests": len(sheets),
            "refused": fake.refused,
            "problems": problems,
            "floor": (len(sheets) - fake.refused) / min(PROJECT_QUOTA, USER_QUOTA * accounts),
            "others_done": max((t for a, t in last.items() if a != slow_account), default=0.0) / 60,
            "slow_done": last.get(slow_account, 0.0) / 60,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=3321)
    parser.add_argument("--accounts", default="1,2,5,10")
    parser.add_argument("--latencies", default="0,0.3")
    parser.add_argument("--no-serial", action="store_true", help="skip the one-at-a-time reads")
    args = parser.parse_args()
    templates = [workbook_tabs(path) for path in sorted(SAMPLES.glob("*.xlsx"))]
    print(f"First read of {args.size} spreadsheets; Google's quota: {USER_QUOTA}/min per account,")
    print(f"{PROJECT_QUOTA}/min per project. floor = Sheets requests that passed / allowed rate.\n")
    print(
        f"{'accounts':>8}  {'latency s':>9}  {'requests':>8}  {'429':>5}  {'floor min':>9}  {'lanes min':>9}"
        f"  {'lanes/floor':>11}  {'serial min':>10}"
    )
    for latency in (float(x) for x in args.latencies.split(",")):
        for accounts in (int(x) for x in args.accounts.split(",")):
            lanes = read(args.size, accounts, latency, True, templates)
            serial = "" if args.no_serial else f"{read(args.size, accounts, latency, False, templates)['minutes']:.1f}"
            print(
                f"{accounts:>8}  {latency:>9.1f}  {lanes['requests']:>8}  {lanes['refused']:>5}  {lanes['floor']:>9.1f}"
                f"  {lanes['minutes']:>9.1f}  {lanes['minutes'] / lanes['floor']:>11.2f}  {serial:>10}",
                flush=True,
            )
    print(f"\nOne slow account among five (latency x{SLOW_FACTOR}; its units stay on it):")
    print(f"{'read':>8}  {'latency s':>9}  {'others done min':>15}  {'slow done min':>13}  {'total min':>9}")
    for parallel in (True, False):
        if args.no_serial and not parallel:
            continue
        result = read(args.size, 5, 0.3, parallel, templates, slow=True)
        print(
            f"{'lanes' if parallel else 'serial':>8}  {0.3:>9.1f}  {result['others_done']:>15.1f}"
            f"  {result['slow_done']:>13.1f}  {result['minutes']:>9.1f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
