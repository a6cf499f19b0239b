"""What provisioning a unit's sheet did (or would do), and the provisioner of each source kind.

A provisioner lays out, from rules.layout, the tabs a unit owes in the sheet or workbook the
unit already has (Google) or in a template it writes (local).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from rules.layout import TabLayout
from settings.schema import Config, Unit


@dataclass
class Provisioned:
    """One unit's outcome. Operator-facing texts, in English."""

    unit_id: str
    changes: list[str] = field(default_factory=list)  # what was changed (or, with --check, would be)
    action: str | None = None  # what the unit or the office must do first
    service_problem: str | None = None  # the service's own failure (a key refused, Google down)
    write_requests: int = 0


class Provisioner(Protocol):
    def provision(self, unit: Unit, layouts: Sequence[TabLayout], help_rows: Sequence[str], write: bool) -> Provisioned:
        """Bring ``unit``'s sheet to ``layouts`` and its help tab to ``help_rows``; with
        ``write`` false only say what differs. Never raises for one unit."""
        ...

    def fill(self, unit: Unit, tab: str, rows: Sequence[Sequence[str]]) -> Provisioned:
        """Write ``rows`` under the header of ``tab`` (provisioned first) if it has no data row
        yet; a tab with data is left as it is. Never raises."""
        ...


# "module:Class", imported on first use (gspread loads only for a Google source).
PROVISIONERS: dict[str, str] = {
    "local": "sync.local_provision:LocalProvisioner",
    "google": "sync.google_provision:GoogleProvisioner",
}


def build_provisioner(config: Config) -> Provisioner:
    """The provisioner of ``config.source.kind``; raises ConfigError when its settings cannot work."""
    module, _, name = PROVISIONERS[config.source.kind].partition(":")
    return getattr(importlib.import_module(module), name).from_config(config)
