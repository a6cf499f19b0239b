"""The interface every source (local workbooks, Google Sheets) implements: built from config, it
checks what it needs before reading (`doctor`) and fetches raw grids per unit.

A source only fetches; what the grids mean is the core's (rules/).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from rules.grids import UnitGrids
from settings.schema import Config, Unit
from store import Store


@dataclass(frozen=True)
class Check:
    """One thing a source needs before it reads any unit (a folder, a service account's sign-in)."""

    name: str
    ok: bool
    detail: str
    fix: str = ""
    blocking: bool = False  # when it fails, no unit can be read until it is fixed


class Source(Protocol):
    def fetch(self, units: Sequence[Unit], tabs: Mapping[str, Sequence[str]]) -> Iterator[UnitGrids]:
        """Read, for each unit, the tabs ``tabs[unit.id]`` it owes; never raise for one unit."""
        ...

    def check(self) -> list[Check]:
        """Try what every unit's read depends on, as a read would, without reading a unit."""
        ...


class SourceClass(Protocol):
    """A source kind as sync.registry names it: a class built from config."""

    def from_config(self, config: Config, store: Store | None = None, full: bool = False) -> Source:
        """The source ``config.source`` describes; ``store`` keeps what it may reuse, ``full``
        makes it re-read everything. Raises ConfigError when the settings cannot work."""
        ...


@runtime_checkable
class CountsWaiting(Protocol):
    """A source reading with quota-bound accounts can say how many are waiting (for progress)."""

    def waiting_accounts(self) -> int: ...
