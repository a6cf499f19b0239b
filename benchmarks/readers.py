"""The yardsticks `check` is measured against, each reading every workbook of a folder, all tabs:

    python benchmarks/readers.py calamine FOLDER   # the floor: python-calamine, cells to Python
    python benchmarks/readers.py pandas FOLDER     # the usual hand-written script: pandas + openpyxl

The pandas one also counts the empty cells of each tab, as a script checking completeness would.
pandas is for benchmarks only (benchmarks/requirements.txt). Prints how many tabs and cells it read.
"""

from __future__ import annotations

import sys
from pathlib import Path


def calamine(folder: Path) -> tuple[int, int]:
    from python_calamine import CalamineError, CalamineWorkbook

    tabs = cells = 0
    for path in sorted(folder.glob("*.xlsx")):
        try:
            workbook = CalamineWorkbook.from_path(str(path))
            for name in workbook.sheet_names:
                grid = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
                tabs += 1
                cells += sum(len(row) for row in grid)
        except (CalamineError, OSError, ValueError):
            continue
    return tabs, cells


def pandas(folder: Path) -> tuple[int, int]:
    import pandas as pd

    tabs = cells = 0
    for path in sorted(folder.glob("*.xlsx")):
        try:
            frames = pd.read_excel(path, sheet_name=None, engine="openpyxl")
        except Exception:  # a hand-written script skips what it cannot open  # noqa: BLE001
            continue
        for frame in frames.values():
            tabs += 1
            cells += frame.size
            frame.isna().sum()
    return tabs, cells


def main() -> None:
    reader, folder = sys.argv[1], Path(sys.argv[2])
    tabs, cells = {"calamine": calamine, "pandas": pandas}[reader](folder)
    print(f"{reader}: {tabs} tabs, {cells} cells")


if __name__ == "__main__":
    main()
