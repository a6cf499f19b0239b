"""The service's memory: one SQLite state file, owned for a run by one Store object."""

from store.db import AcceptedReport, ReportRow, Store, TabVersion, UnitSeen
from store.ledger import LedgerView

__all__ = ["AcceptedReport", "LedgerView", "ReportRow", "Store", "TabVersion", "UnitSeen"]
