"""Benchmark `check`: wall time, peak memory, units and findings on the samples and at scale.

Scale runs copy the sample workbooks to N units (11 districts, 103 communes, 3,321 nationwide)
in a temporary folder. Prints figures; asserts nothing.

    python benchmarks/check_scale.py [--sizes 12,103,3321]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from service.check import collect  # noqa: E402
from settings import load_config  # noqa: E402
from store import Store  # noqa: E402

TODAY = dt.date(2023, 7, 20)


def scaled_config(size: int, folder: Path):
    base = load_config(REPO / "config.yaml")
    samples = [u for u in base.units if (base.source.folder / u.sheet).exists()]
    units = []
    for i in range(size):
        template = samples[i % len(samples)]
        sheet = f"u{i:05d}.xlsx"
        shutil.copyfile(base.source.folder / template.sheet, folder / sheet)
        units.append(template.model_copy(update={"id": f"U{i:05d}", "sheet": sheet}))
    ad_hoc = [a.model_copy(update={"units": None}) for a in base.calendar.ad_hoc]
    return base.model_copy(
        update={
            "units": units,
            "state_file": folder / "state.sqlite3",
            "source": base.source.model_copy(update={"folder": folder}),
            "calendar": base.calendar.model_copy(update={"ad_hoc": ad_hoc}),
        }
    )


def measure(config) -> tuple[float, float, int, int]:
    """Wall time of one run, then peak Python memory of a second run (tracemalloc slows it)."""
    started = time.perf_counter()
    with Store.open(config.state_file) as store:
        judgement = collect(config, TODAY, store)
    elapsed = time.perf_counter() - started
    config.state_file.unlink()
    tracemalloc.start()
    with Store.open(config.state_file) as store:
        collect(config, TODAY, store)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak, len(judgement.reports), len(judgement.findings())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="103,3321")
    args = parser.parse_args()
    print(f"{'units':>6} {'reports':>8} {'findings':>9} {'wall s':>8} {'ms/unit':>8} {'peak MiB':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        sample = load_config(REPO / "config.yaml").model_copy(update={"state_file": Path(tmp) / "s.sqlite3"})
        rows = [(len(sample.units), *measure(sample))]
        for size in (int(s) for s in args.sizes.split(",") if s):
            folder = Path(tmp) / f"n{size}"
            folder.mkdir()
            rows.append((size, *measure(scaled_config(size, folder))))
    for units, elapsed, peak, reports, findings in rows:
        print(f"{units:>6} {reports:>8} {findings:>9} {elapsed:>8.2f} {1000 * elapsed / units:>8.2f} {peak:>9.1f}")


if __name__ == "__main__":
    main()
