"""How far a read of many sheets has got: a line in the log every half minute of a long read, and
a bar on a terminal (rich, loaded only when one is shown)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

log = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 30.0
Clock = Callable[[], float]


class Bar(Protocol):
    def update(self, done: int, total: int, waiting: int | None) -> None: ...

    def close(self) -> None: ...


def describe_progress(done: int, total: int, waiting: int | None) -> str:
    """ "read 1200/3321 sheets, 2 accounts waiting on quota" (no accounts for a local source)."""
    line = f"read {done}/{total} sheets"
    if waiting is not None:
        line += f", {waiting} account{'' if waiting == 1 else 's'} waiting on quota"
    return line


class ReadProgress:
    """Counts the units read. Logs where the read stands every ``every`` seconds and, for a read
    that took that long, how long it took; ``waiting`` says how many accounts sleep right now."""

    def __init__(
        self,
        total: int,
        waiting: Callable[[], int] | None = None,
        clock: Clock = time.monotonic,
        bar: Bar | None = None,
        every: float = LOG_EVERY_SECONDS,
    ) -> None:
        self.total = total
        self.done = 0
        self.waiting = waiting
        self.clock = clock
        self.bar = bar
        self.every = every
        self.started = self.last_line = clock()

    def advance(self) -> None:
        self.done += 1
        waiting = self.waiting() if self.waiting else None
        if self.bar is not None:
            self.bar.update(self.done, self.total, waiting)
        now = self.clock()
        if now - self.last_line >= self.every and self.done < self.total:
            log.info("%s", describe_progress(self.done, self.total, waiting))
            self.last_line = now

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        minutes = (self.clock() - self.started) / 60
        if minutes * 60 >= self.every:
            log.info("read %d/%d sheets in %.1f min", self.done, self.total, minutes)


class TerminalBar:
    """A rich progress bar on stderr, gone when the read ends (so printed output stays clean)."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.progress = Progress(
            TextColumn("reading sheets"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[waiting]}"),
            console=Console(stderr=True),
            transient=True,
        )
        self.task: Any = self.progress.add_task("read", total=total, waiting="")
        self.progress.start()

    def update(self, done: int, total: int, waiting: int | None) -> None:
        note = f"{waiting} waiting on quota" if waiting else ""
        self.progress.update(self.task, completed=done, total=total, waiting=note)

    def close(self) -> None:
        self.progress.stop()
