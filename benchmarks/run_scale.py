"""Benchmark `run` against `check`: CPU time at scale, and how fast a run with nothing to send starts.

Each figure is a separate `python main.py` process of the repository named (so an older commit,
checked out in a worktree, is measured the same way): `check` and `run --dry-run` on the sample
day for N units (benchmarks/generate.py's synthetic units, made once by this repository for all),
each on a fresh state file, and `run` on a one-unit config a second time the same day: everything
due went out in the first. For every size at once, with the floor, see benchmarks/scale.py.
Prints a table, one column per repository; asserts nothing.

    python benchmarks/run_scale.py [--units 3321] [--repeat 3] [REPO ...]

Example, before and after a change (the old commit in a worktree of its own):

    git worktree add /tmp/before 7da8135
    python benchmarks/run_scale.py /tmp/before .
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(HERE))

from benchmarks.generate import Shares, synthetic, write_local  # noqa: E402
from benchmarks.scale import ALL_ON_TIME  # noqa: E402

TODAY = "2023-07-20"


def scaled_config(size: int, folder: Path) -> Path:
    """config.yaml of ``size`` synthetic units, with their workbooks, under ``folder``."""
    return write_local(synthetic(size, shares=Shares() if size > 1 else ALL_ON_TIME), folder)


def fresh(config: Path) -> None:
    """No state file, board, log or outbox: every run measured starts from nothing."""
    for name in ("state", "board", "log", "outbox"):
        shutil.rmtree(config.parent / name, ignore_errors=True)


def cli(repo: Path, config: Path, *args: str, python_args: tuple[str, ...] = ()) -> tuple[float, float, str]:
    """Wall and CPU seconds (user + system) of one `python main.py` process, and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, *python_args, str(repo / "main.py"), "--config", str(config), *args],
        cwd=repo, capture_output=True, text=True,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 3, 4):
        raise SystemExit(f"{repo}: main.py {' '.join(args)} exited {done.returncode}:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stderr


def heaviest_imports(stderr: str, count: int = 4) -> str:
    """The top-level imports that cost most, from ``python -X importtime``'s report."""
    costs = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line[len("import time:") :].split("|")
            if cumulative.strip().isdigit() and not name.startswith("  "):  # top level: one space only
                costs.append((int(cumulative), name.strip()))
    return ", ".join(f"{name} {us / 1000:.0f}" for us, name in sorted(costs, reverse=True)[:count])


def measure(repo: Path, small: Path, big: Path, units: int, repeat: int) -> dict[str, str]:
    fresh(small)
    cli(repo, small, "run", "--today", TODAY)  # sends what is due; also compiles every module once
    check_cpu = dry_cpu = float("inf")
    for _ in range(repeat):
        fresh(big)
        check_cpu = min(check_cpu, cli(repo, big, "check", "--today", TODAY)[1])
        fresh(big)
        dry_cpu = min(dry_cpu, cli(repo, big, "run", "--dry-run", "--today", TODAY)[1])
    walls, cpus = [], []
    for _ in range(max(repeat, 5)):
        wall, cpu, _ = cli(repo, small, "run", "--today", TODAY)
        walls.append(wall)
        cpus.append(cpu)
    _, _, report = cli(repo, small, "run", "--today", TODAY, python_args=("-X", "importtime"))
    return {
        f"check CPU s, {units} units": f"{check_cpu:.2f}",
        f"run --dry-run CPU s, {units} units": f"{dry_cpu:.2f}",
        "dry run / check (CPU)": f"{dry_cpu / check_cpu:.2f}x",
        "run, nothing due: wall s (best)": f"{min(walls):.3f}",
        "run, nothing due: CPU s (best)": f"{min(cpus):.3f}",
        "heaviest imports (ms)": heaviest_imports(report),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path, default=[HERE], help="repositories to measure (default: this)")
    parser.add_argument("--units", type=int, default=3321)
    parser.add_argument("--repeat", type=int, default=1, help="runs of each scale command (the best is kept)")
    args = parser.parse_args()
    columns = {}
    with tempfile.TemporaryDirectory() as tmp:
        small, big = scaled_config(1, Path(tmp) / "small"), scaled_config(args.units, Path(tmp) / "scale")
        for repo in args.repos:
            head = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%h"], capture_output=True, text=True)
            name = f"{repo.name} {head.stdout.strip()}".strip()
            columns[name] = measure(repo.resolve(), small, big, args.units, args.repeat)
    rows = list(next(iter(columns.values())))
    width = max(len(r) for r in rows)
    print(f"{'':<{width}}  " + "  ".join(f"{name:>14}" for name in columns))
    for row in rows:
        print(f"{row:<{width}}  " + "  ".join(f"{figures[row]:>14}" for figures in columns.values()))


if __name__ == "__main__":
    main()
