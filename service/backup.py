"""`backup`: a consistent copy of the state file (SQLite's online backup), safe while a run writes."""

from __future__ import annotations

import os
from pathlib import Path

from errors import StoreError
from settings.schema import Config
from store import Store


def backup_command(config: Config, destination: str | Path) -> str:
    """Copy the state file to ``destination`` (a new file, or a folder: a timestamped file in it);
    returns what `python main.py backup` prints. Never overwrites; StoreError if there is no store."""
    source = config.state_file
    if not source.exists():
        raise StoreError(f"there is no state file at {source} to back up: no check or run has written it yet")
    target = Path(destination)
    with Store.open(source) as store:
        if str(destination).endswith((os.sep, "/")):  # a folder named as one, even if it does not exist yet
            target.mkdir(parents=True, exist_ok=True)
        written = store.backup(target)
    return f"{written.resolve()} ({written.stat().st_size:,} bytes)"
