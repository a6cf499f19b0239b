"""Run `main.py run` in a fresh Python process and report which of some libraries it imported:
how tests show that a heavy library is loaded only by the runs that need it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_PROBE = """
import runpy, sys
config, today, *watched = sys.argv[1:]
sys.argv = ["main.py", "--config", config, "run", "--today", today]
try:
    runpy.run_path("main.py", run_name="__main__")
except SystemExit as exit:
    print("exit", exit.code)
print("imported:", *(name for name in watched if name in sys.modules))
"""


def run_in_a_process(config_path: Path, today: str, *watched: str) -> list[str]:
    """The lines the run printed, then "exit N" and "imported: …" (those of ``watched`` loaded)."""
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, str(config_path), today, *watched],
        cwd=REPO, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return done.stdout.splitlines()
