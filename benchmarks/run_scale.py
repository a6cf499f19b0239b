"""Benchmark `run` against `check`: CPU time at scale, and how fast a run with nothing to send starts.

Each figure is a separate `python main.py` process of the repository named (so an older commit,
checked out in a worktree, is measured the same way): `check` and `run --dry-run` on the sample
day for N units (copies of the sample workbooks, as check_scale.py makes them), each on a fresh
state file, and `run` on a one-unit config a second time the same day: everything due went out in the first.
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

import yaml

HERE = Path(__file__).resolve().parent.parent
TODAY = "2023-07-20"


def scaled_config(repo: Path, size: int, folder: Path) -> Path:
    """config.yaml of ``repo`` for ``size`` units, each a copy of a sample workbook, under ``folder``."""
    raw = yaml.safe_load((repo / "config.yaml").read_text(encoding="utf-8"))
    samples_dir = repo / raw["source"]["folder"]
    samples = [u for u in raw["units"] if (samples_dir / u["sheet"]).exists()]
    books = folder / "workbooks"
    books.mkdir(parents=True, exist_ok=True)
    units = []
    for i in range(size):
        template = samples[i % len(samples)]
        sheet = f"u{i:05d}.xlsx"
        shutil.copyfile(samples_dir / template["sheet"], books / sheet)
        units.append({**template, "id": f"U{i:05d}", "sheet": sheet})
    raw["units"] = units
    raw["source"] = {"kind": "local", "folder": str(books)}
    for request in raw["calendar"].get("ad_hoc", []):
        request.pop("units", None)  # every unit owes it
    return write(raw, folder)


def one_unit_config(repo: Path, folder: Path) -> Path:
    raw = yaml.safe_load((repo / "config.yaml").read_text(encoding="utf-8"))
    raw["source"]["folder"] = str(repo / raw["source"]["folder"])
    raw["units"] = [u for u in raw["units"] if u["id"] == "944"]
    for request in raw["calendar"].get("ad_hoc", []):
        request["units"] = [u for u in request.get("units") or [] if u == "944"]
    folder.mkdir(parents=True, exist_ok=True)
    return write(raw, folder)


def write(raw: dict, folder: Path) -> Path:
    raw["state_file"] = str(folder / "state.sqlite3")
    raw["log_file"] = None
    raw["mail"]["delivery"] = {"transport": "outbox", "folder": str(folder / "outbox")}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def fresh(config: Path) -> None:
    """No state file and no outbox: every run measured starts from nothing."""
    folder = config.parent
    for path in folder.glob("state.sqlite3*"):
        path.unlink()
    shutil.rmtree(folder / "outbox", ignore_errors=True)


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


def measure(repo: Path, units: int, repeat: int, tmp: Path) -> dict[str, str]:
    small = one_unit_config(repo, tmp / "small")
    fresh(small)
    cli(repo, small, "run", "--today", TODAY)  # sends what is due; also compiles every module once
    big = scaled_config(repo, units, tmp / "scale")
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
    for repo in args.repos:
        with tempfile.TemporaryDirectory() as tmp:
            head = subprocess.run(["git", "-C", str(repo), "log", "-1", "--format=%h"], capture_output=True, text=True)
            name = f"{repo.name} {head.stdout.strip()}".strip()
            columns[name] = measure(repo.resolve(), args.units, args.repeat, Path(tmp))
    rows = list(next(iter(columns.values())))
    width = max(len(r) for r in rows)
    print(f"{'':<{width}}  " + "  ".join(f"{name:>14}" for name in columns))
    for row in rows:
        print(f"{row:<{width}}  " + "  ".join(f"{figures[row]:>14}" for figures in columns.values()))


if __name__ == "__main__":
    main()
