"""The Vietnamese texts staff read, loaded from templates/messages.yaml (editable without code)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

MESSAGES_FILE = Path(__file__).resolve().parent.parent / "templates" / "messages.yaml"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, str]]:
    return yaml.load(MESSAGES_FILE.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def finding_text(code: str, **details: Any) -> str:
    """The finding ``code`` with its details filled in."""
    return catalogue()["findings"][code].format(**details)


def status_text(status: str) -> str:
    return catalogue()["statuses"][status]


def period_label(period_type: str, **parts: Any) -> str:
    return catalogue()["period_labels"][period_type].format(**parts)


def importance_text(importance: str) -> str:
    return catalogue()["importance"][importance]


def text(section: str, key: str, **parts: Any) -> str:
    """Any other text of the catalogue: ``section.key`` with its placeholders filled in."""
    return catalogue()[section][key].format(**parts)
