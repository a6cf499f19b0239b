"""Virtual time shared by threads, for the lanes' tests and benchmark: no one really sleeps.

Each worker thread registers (``with clock.worker():``). Time moves only when every registered
worker is asleep, and then straight to the earliest wake-up: a discrete-event simulation of the
threads, deterministic whatever the machine's speed. A thread busy with a request (to the local
fake) holds time still, so a request costs no virtual time unless the caller sleeps for it.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import threading
from collections.abc import Iterator


class VirtualClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[tuple[str, float, float]] = []  # (thread name, from, seconds)
        self._cond = threading.Condition()
        self._awake = 0  # registered workers not asleep
        self._wakeups: list[tuple[float, int]] = []
        self._woken: set[int] = set()
        self._order = itertools.count()
        self._local = threading.local()

    def monotonic(self) -> float:
        return self.now

    @contextlib.contextmanager
    def worker(self) -> Iterator[None]:
        """Take part in time: while inside, time waits for this thread to sleep or leave."""
        with self._cond:
            self._awake += 1
        self._local.registered = getattr(self._local, "registered", 0) + 1
        try:
            yield
        finally:
            self._local.registered -= 1
            with self._cond:
                self._awake -= 1
                self._advance()

    def sleep(self, seconds: float) -> None:
        if not getattr(self._local, "registered", 0):
            with self.worker():  # an unregistered caller (the main thread) takes part while it sleeps
                self.sleep(seconds)
            return
        with self._cond:
            self.sleeps.append((threading.current_thread().name, self.now, seconds))
            if seconds <= 0:
                return
            ticket = next(self._order)
            heapq.heappush(self._wakeups, (self.now + seconds, ticket))
            self._awake -= 1
            self._advance()
            while ticket not in self._woken:
                self._cond.wait()
            self._woken.discard(ticket)

    def _advance(self) -> None:
        """With every worker asleep, jump to the earliest wake-up and wake whoever is due."""
        if self._awake > 0 or not self._wakeups:
            return
        self.now = max(self.now, self._wakeups[0][0])
        while self._wakeups and self._wakeups[0][0] <= self.now:
            self._woken.add(heapq.heappop(self._wakeups)[1])
            self._awake += 1  # counted awake before it runs, so time cannot run past it
        self._cond.notify_all()
