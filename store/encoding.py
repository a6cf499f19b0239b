"""How the store writes what it keeps: UTC timestamps, and JSON for values read from sheets."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _plain(item: Any) -> Any:
    if isinstance(item, Decimal):
        return str(item)
    if isinstance(item, (dt.date, dt.datetime)):
        return item.isoformat()
    raise TypeError(f"cannot store {type(item).__name__}")


# One encoder for every value stored: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True, default=_plain, separators=(",", ":"))


def to_json(value: Any) -> str:
    """JSON for values read from sheets: Decimal as its exact text, dates ISO."""
    return _ENCODER.encode(value)
