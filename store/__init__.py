"""The service's memory: one SQLite state file, owned for a run by one Store object."""

from store.db import AcceptedReport, ReportRow, Store, UnitSeen
from store.ledger import LedgerView
from store.requests import AdHocRequest
from store.reviews import ReviewRow
from store.sheets import TabVersion

__all__ = [
    "AcceptedReport",
    "AdHocRequest",
    "LedgerView",
    "ReportRow",
    "ReviewRow",
    "Store",
    "TabVersion",
    "UnitSeen",
]
