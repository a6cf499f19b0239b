"""Reading with several service accounts at once: one worker thread per account (a lane), so one
account's wait for its quota or a retry never holds up another account's units.

Workers only read; their results come back to the thread that iterates, which alone touches the
store (an SQLite connection belongs to the thread that opened it).
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

J = TypeVar("J")
R = TypeVar("R")
# Entered by each worker around its work: lets a virtual clock (tests, benchmarks) know which
# threads take part, so it moves only when every one of them sleeps.
WorkerScope = Callable[[], AbstractContextManager[object]]


class LaneReads(Generic[J, R]):
    """Runs ``read(lane, job)`` for every (lane, job), each lane's jobs in their order on its own
    thread; iterating yields (job, result) as they finish, and re-raises a worker's exception.

    With ``parallel`` off, every job runs in the iterating thread, in the order given (the serial
    read, kept to compare against). Threads start at construction, so work overlaps whatever the
    caller does before iterating.
    """

    def __init__(
        self,
        jobs: Sequence[tuple[int, J]],
        read: Callable[[int, J], R],
        parallel: bool = True,
        scope: WorkerScope = contextlib.nullcontext,
    ) -> None:
        self.jobs = list(jobs)
        self.read = read
        self.parallel = parallel
        self.scope = scope
        self._results: queue.SimpleQueue[tuple[J, R | None, BaseException | None]] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        if parallel:
            by_lane: dict[int, list[J]] = {}
            for lane, job in self.jobs:
                by_lane.setdefault(lane, []).append(job)
            for lane, mine in by_lane.items():
                thread = threading.Thread(target=self._work, args=(lane, mine), name=f"lane-{lane + 1}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def _work(self, lane: int, jobs: list[J]) -> None:
        with self.scope():
            for job in jobs:
                if self._stop.is_set():
                    return
                try:
                    self._results.put((job, self.read(lane, job), None))
                except BaseException as exc:  # a bug: handed to the consumer, which raises it
                    self._results.put((job, None, exc))
                    return

    def __iter__(self) -> Iterator[tuple[J, R]]:
        if not self.parallel:
            with self.scope():
                for lane, job in self.jobs:
                    yield job, self.read(lane, job)
            return
        try:
            for _ in self.jobs:
                job, result, error = self._results.get()
                if error is not None:
                    raise error
                yield job, result  # type: ignore[misc]  # no error: the read returned
        finally:
            self.close()
        for thread in self._threads:
            thread.join()  # each has put its last result: it is only leaving its scope

    def close(self) -> None:
        """Ask the workers to stop after their current job (when the caller stops early)."""
        self._stop.set()
