"""How emails name units and periods to staff: "Long Phú", "Tháng 7/2023", "Đột xuất 4/2023".

A unit's short name is its ``short_name`` from config, else its name without the prefixes
templates/mail.yaml lists; an ad-hoc period is named by its ``short_label``, else its first alias,
never by its id. The words themselves live in templates/ (mail.yaml, messages.yaml).
"""

from __future__ import annotations

from functools import lru_cache

from consolidation.texts import catalogue_value
from rules.messages import text
from rules.model import Period
from settings.schema import Config, Unit
from vntext import clean_text, fold


def _without_prefix(name: str, prefixes: dict[str, str]) -> str | None:
    """``name`` with the first of ``prefixes`` it starts with replaced (None: none matches)."""
    words = name.split(" ")
    for prefix, replacement in prefixes.items():
        size = len(prefix.split())
        if size and fold(" ".join(words[:size])) == fold(prefix):
            return (replacement.strip() + " " + " ".join(words[size:])).strip()
    return None


def short_unit_name(unit: Unit) -> str:
    """The name subjects and tables use: "Hội LHPN huyện Long Phú" → "Long Phú", "thị xã" → "TX"."""
    if unit.short_name:
        return unit.short_name
    return _shortened(unit.name)


@lru_cache(maxsize=8192)
def _shortened(full_name: str) -> str:
    """``full_name`` without its prefixes (asked for every unit by the board, the text and each email)."""
    rules = catalogue_value("unit_name_prefixes")
    name = clean_text(full_name)
    for group in ("organisation", "kind"):
        shorter = _without_prefix(name, {str(k): str(v or "") for k, v in rules[group].items()})
        if shorter:
            name = shorter
    return name


def _ad_hoc_name(config: Config, period: Period) -> str:
    adhoc = next((a for a in config.calendar.ad_hoc if a.id == period.id), None)
    if adhoc is None:
        return period.label
    return adhoc.short_label or (adhoc.aliases[0] if adhoc.aliases else adhoc.label)


def period_name(config: Config, period: Period) -> str:
    """The period as staff name it in a sentence or subject: "Tháng 7/2023", "Đột xuất 4/2023"."""
    return _ad_hoc_name(config, period) if period.type == "ad_hoc" else period.label


def period_short(config: Config, period: Period) -> str:
    """The period in a table heading: "T7/2023", "6T/2023", "Năm 2023", "Đột xuất 4/2023"."""
    if period.type == "ad_hoc":
        return _ad_hoc_name(config, period)
    return text("period_short", period.type, month=period.end.month, year=period.year)
