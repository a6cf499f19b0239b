"""How far the service scales: `check` and `run --dry-run` at 11, 103 and 3,321 units, against the
floor (python-calamine reading the same cells) and the usual hand-written script (pandas + openpyxl),
in one run. Prints tables; asserts nothing.

Every figure is one fresh process (`python main.py ...` or benchmarks/readers.py) on the units of
benchmarks/generate.py, each command on a fresh state file; CPU (user + system) and peak memory
(max RSS) come from that process alone (os.wait4). The machine may be shared: the ratios to the
floor, measured in the same run, are what stays comparable between runs.

    python benchmarks/scale.py [--sizes 11,103,3321] [--repeat 3] [--work DIR] [--no-pandas] [--no-google]

``--work DIR`` keeps the generated units there and reuses them on the next run.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.generate import TODAY, Shares, scenario_counts, synthetic, write_local  # noqa: E402

MAIN = REPO / "main.py"
READERS = REPO / "benchmarks" / "readers.py"
ALL_ON_TIME = Shares(late=0, incomplete=0, invalid=0, missing=0, no_workbook=0, not_a_workbook=0)  # start-up


@dataclass(frozen=True)
class Usage:
    wall: float
    cpu: float
    rss_mib: float


# The measuring process: small, so that the memory a fork copies from it is not counted as the
# child's; it runs the command and prints the child's own wall, CPU and max RSS (from wait4).
TIMER = """
import os, subprocess, sys, time
started = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - started
print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, os.waitstatus_to_exitcode(status))
"""


def measure(*args: str, cwd: Path = REPO) -> Usage:
    """Wall and CPU seconds and peak RSS of one ``python ARGS`` process, its own figures alone."""
    done = subprocess.run(
        [sys.executable, "-c", TIMER, sys.executable, *args], cwd=cwd, capture_output=True, text=True, check=True
    )
    wall, cpu, rss_kib, code = done.stdout.split()
    if int(code) not in (0, 3, 4):
        raise SystemExit(f"{' '.join(args)} exited {code}:\n{done.stderr}")
    return Usage(float(wall), float(cpu), int(rss_kib) / 1024)


def best(runs: list[Usage]) -> Usage:
    """The least disturbed of several runs: the one with the least CPU."""
    return min(runs, key=lambda u: u.cpu)


def fresh(folder: Path) -> None:
    """No state file, board, log or outbox: every command measured starts from nothing."""
    for name in ("state", "board", "log", "outbox"):
        shutil.rmtree(folder / name, ignore_errors=True)


def prepared(work: Path, size: int) -> Path:
    """The config of ``size`` synthetic units under ``work``, generated once and reused."""
    folder = work / f"n{size}"
    config = folder / "config.yaml"
    if not config.exists():
        data = synthetic(size, shares=ALL_ON_TIME if size == 1 else Shares())
        write_local(data, folder)
        (folder / "scenarios.txt").write_text(str(scenario_counts(data)), encoding="utf-8")
    return config


def command(config: Path, repeat: int, *args: str) -> Usage:
    runs = []
    for _ in range(repeat):
        fresh(config.parent)
        runs.append(measure(str(MAIN), "--config", str(config), *args, "--today", TODAY.isoformat()))
    return best(runs)


def exponent(sizes: list[int], values: list[float]) -> list[str]:
    """log(v2/v1) / log(n2/n1) between each size and the one before: 1.0 is linear."""
    out = ["—"]
    for i in range(1, len(sizes)):
        (n1, v1), (n2, v2) = (sizes[i - 1], values[i - 1]), (sizes[i], values[i])
        out.append(f"{math.log(v2 / v1) / math.log(n2 / n1):.2f}" if v1 > 0 and v2 > 0 else "?")
    return out


def print_table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}\n")
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print("| " + " | ".join(str(c).rjust(w) for c, w in zip(row, widths, strict=True)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="11,103,3321")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement; the best is kept")
    parser.add_argument("--work", type=Path, help="folder to keep the generated units in (default: temporary)")
    parser.add_argument("--no-pandas", action="store_true", help="skip pandas + openpyxl (slow at 3,321)")
    parser.add_argument("--no-google", action="store_true", help="skip the Google request counts")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}; Python {platform.python_version()}")  # fmt: skip
        one = prepared(work, 1)
        startup = {
            "python main.py --help": best([measure(str(MAIN), "--help") for _ in range(max(5, args.repeat))]),
            "check, 1 unit": command(one, max(5, args.repeat), "check"),
        }
        print_table(
            "Start-up (best of 5)",
            ["what", "wall s", "CPU s", "peak MiB"],
            [[k, f"{u.wall:.3f}", f"{u.cpu:.3f}", f"{u.rss_mib:.0f}"] for k, u in startup.items()],
        )
        results: dict[str, list[Usage]] = {"check": [], "run --dry-run": [], "calamine (floor)": []}
        if not args.no_pandas:
            results["pandas + openpyxl"] = []
        for size in sizes:
            config = prepared(work, size)
            print(f"{size} units: {(config.parent / 'scenarios.txt').read_text()}", file=sys.stderr, flush=True)
            results["check"].append(command(config, args.repeat, "check"))
            results["run --dry-run"].append(command(config, args.repeat, "run", "--dry-run"))
            books = str(config.parent / "workbooks")
            floor = [measure(str(READERS), "calamine", books) for _ in range(args.repeat)]
            results["calamine (floor)"].append(best(floor))
            if not args.no_pandas:
                results["pandas + openpyxl"].append(measure(str(READERS), "pandas", books))
        floor = results["calamine (floor)"]
        rows = []
        for name, usages in results.items():
            cpus = [u.cpu for u in usages]
            for size, usage, ratio, k in zip(
                sizes, usages, [u.cpu / f.cpu for u, f in zip(usages, floor, strict=True)], exponent(sizes, cpus),
                strict=True,
            ):  # fmt: skip
                rows.append([name, str(size), f"{usage.wall:.2f}", f"{usage.cpu:.2f}", f"{ratio:.1f}×",
                             f"{1000 * usage.cpu / size:.2f}", k, f"{usage.rss_mib:.0f}"])  # fmt: skip
        print_table(
            f"At scale (best of {args.repeat}; pandas once)",
            ["what", "units", "wall s", "CPU s", "CPU / floor", "CPU ms/unit", "growth exponent", "peak MiB"],
            rows,
        )
        net = [u.cpu - startup["check, 1 unit"].cpu for u in results["check"]]
        print(f"\ncheck growth exponent net of start-up (CPU - check on 1 unit): {', '.join(exponent(sizes, net))}")
    if not args.no_google:
        from benchmarks.google_requests import READS_PER_MINUTE, table

        print("\nGoogle requests per run (local fake; rate limiter off)\n")
        print("\n".join(table(sizes)))
        print(f"quota min = Sheets reads / {READS_PER_MINUTE} a minute, one service account (token, Drive excluded).")


if __name__ == "__main__":
    main()
