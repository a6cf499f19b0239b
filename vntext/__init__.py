"""Reading what Vietnamese users type: text folding, vi-VN numbers, dates and percentages.

Every parser returns a value or raises ``UnreadableValue`` with a reason code; callers turn
the code into a Vietnamese finding. Nothing here guesses a zero.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

# The five Vietnamese tone marks as combining characters. Their placement inside a syllable
# differs between the "old" (hòa) and "new" (hoà) conventions; the other marks (circumflex,
# breve, horn) belong to the vowel and never move.
TONE_MARKS = {"\u0300": "1", "\u0301": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
SHEETS_EPOCH = dt.date(1899, 12, 30)
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+", re.UNICODE)
# Characters that show nothing: a byte-order mark left by a CSV import, zero-width spaces and
# joiners, the word joiner, a soft hyphen. Text that looks right must compare and parse right.
INVISIBLE = "\ufeff\u200b\u200c\u200d\u2060\u00ad\u180e"
_DROP_INVISIBLE = str.maketrans("", "", INVISIBLE)
# Stored and shown text keeps the joiners, which hold emoji sequences (👩‍👧) together.
_DROP_SHOWN_INVISIBLE = str.maketrans("", "", "\ufeff\u200b\u2060\u00ad\u180e")
# What a spreadsheet shows in a cell whose formula failed; Google sends it as this text, a
# workbook stores it as an error cell. Either way it is neither a value nor an empty cell.
ERROR_VALUES = frozenset(
    {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#ERROR!", "#SPILL!", "#CALC!",
     "#GETTING_DATA", "#FIELD!", "#BLOCKED!", "#CONNECT!", "#BUSY!", "#UNKNOWN!", "#PYTHON!"}
)  # fmt: skip


class UnreadableValue(ValueError):
    """A cell value that cannot be read as the field's type; ``code`` names the reason."""

    def __init__(self, code: str, **details: Any) -> None:
        super().__init__(code)
        self.code = code
        self.details = details


def is_missing(value: Any) -> bool:
    """Empty cells arrive as None, '' or whitespace (or characters that show nothing)."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if not isinstance(value, str):
        return False
    text = value.strip()
    return not text or (text[0] in INVISIBLE and not text.translate(_DROP_INVISIBLE).strip())


def strip_invisible(text: str) -> str:
    """``text`` without the characters that show nothing (byte-order mark, zero-width ones)."""
    return text.translate(_DROP_INVISIBLE)


def error_value(value: Any) -> str | None:
    """The error a formula shows in this cell (#REF!, #DIV/0!, #N/A …), or None."""
    if isinstance(value, str) and (value[:1] == "#" or (value[:1].isspace() and value.lstrip()[:1] == "#")):
        text = value.strip().upper()
        return text if text in ERROR_VALUES else None
    return None


def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    tones = "".join(TONE_MARKS[ch] for ch in decomposed if ch in TONE_MARKS)
    base = "".join(ch for ch in decomposed if ch not in TONE_MARKS)
    return unicodedata.normalize("NFC", base) + (f"~{tones}" if tones else "")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """A comparison key for names and headers.

    NFC/NFD, letter case, runs of whitespace and old/new tone placement all fold to the same
    key, while words that differ in tone or vowel ("ma", "má", "mã") stay distinct.
    """
    text = unicodedata.normalize("NFC", str(text).translate(_DROP_INVISIBLE)).casefold().strip()
    text = _SPACE.sub(" ", text)
    return _WORD.sub(lambda m: _fold_word(m.group(0)), text)


@lru_cache(maxsize=65536)
def ascii_fold(text: str) -> str:
    """Lower-case text with every diacritic removed (đ → d), for pattern matching only."""
    decomposed = unicodedata.normalize("NFD", str(text).translate(_DROP_INVISIBLE).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.replace("đ", "d")).strip()


def vn_date(day: dt.date | None) -> str:
    """dd/mm/yyyy, the way Vietnamese offices write dates."""
    return day.strftime("%d/%m/%Y") if day else ""


def clean_text(value: Any) -> str:
    """Text as it should be stored and shown: NFC, trimmed, inner whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", str(value).translate(_DROP_SHOWN_INVISIBLE))).strip()


MAX_NUMBER_TEXT = 64
_CURRENCY = re.compile(r"\s*(đồng|đ|vnđ|vnd)\.?$", re.IGNORECASE)
_GROUPED_DOT = re.compile(r"^[+-]?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")
_GROUPED_SPACE = re.compile(r"^[+-]?[1-9]\d{0,2}( \d{3})+(,\d+)?$")
# "12,000" is twelve in vi-VN but twelve thousand to anyone typing the en-US way: ask, never guess.
_AMBIGUOUS_COMMA = re.compile(r"^[+-]?[1-9]\d{0,2},\d{3}$")
_PLAIN_COMMA = re.compile(r"^[+-]?\d+(,\d+)?$")
_PLAIN_DOT = re.compile(r"^[+-]?\d*\.\d+$|^[+-]?\d+$")


def parse_number(value: Any) -> Decimal:
    """A number from a cell: native numbers as they are, strings in vi-VN style.

    "1.500" is one thousand five hundred (a dot followed by groups of three digits groups
    thousands), "2,5" is two and a half, "1.500.000,5" both. "1.5" (not a group of three) can
    only be a decimal point. A trailing "đ"/"đồng"/"VNĐ" is allowed.
    """
    if isinstance(value, bool):
        raise UnreadableValue("not_a_number", value=value)
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise UnreadableValue("not_a_number", value=value)
        # What the spreadsheet shows: 15 significant digits, so 3479.9999999999995 is 3480.
        return Decimal(f"{value:.15g}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise UnreadableValue("not_a_number", value=value)
        return value
    if not isinstance(value, str):
        raise UnreadableValue("not_a_number", value=value)
    if error_value(value):
        raise UnreadableValue("formula_error", value=value)
    text = unicodedata.normalize("NFC", value.translate(_DROP_INVISIBLE)).replace("\u00a0", " ").replace("\u202f", " ")
    text = text.strip()
    if len(text) > MAX_NUMBER_TEXT:  # no number is this long; and the patterns below need not see it
        raise UnreadableValue("not_a_number", value=value)
    text = _CURRENCY.sub("", text).strip()
    if _AMBIGUOUS_COMMA.match(text):
        raise UnreadableValue("ambiguous_number", value=value)
    if _GROUPED_DOT.match(text):
        text = text.replace(".", "").replace(",", ".")
    elif _GROUPED_SPACE.match(text):
        text = text.replace(" ", "").replace(",", ".")
    elif _PLAIN_COMMA.match(text):
        text = text.replace(",", ".")
    elif not _PLAIN_DOT.match(text):
        raise UnreadableValue("not_a_number", value=value)
    try:
        return Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the patterns above admit only numbers
        raise UnreadableValue("not_a_number", value=value) from exc


def parse_integer(value: Any) -> int:
    """An integer: a number with no fractional part ("12", "1.500", 12.0)."""
    if type(value) is int:  # the common cells, read without a Decimal (same result)
        return value
    if type(value) is float and value.is_integer() and abs(value) < 2**53:  # exact below 2**53
        return int(value)
    number = parse_number(value)
    if number != number.to_integral_value():
        raise UnreadableValue("not_an_integer", value=value)
    return int(number)


def parse_percent(value: Any) -> Decimal:
    """A percentage on the 0–100 scale.

    "85%", "85,5 %" and 85 read as they are written. A number cell between 0 and 1 is what a
    cell formatted as a percentage stores (0.85 shows as 85 %, 1 as 100 %; Google sends 1 as an
    integer, a workbook as 1.0), so it is scaled by 100. Text is always read as written.
    """
    if isinstance(value, str) and value.strip().endswith("%") and not error_value(value):
        return parse_number(value.strip()[:-1])
    number = parse_number(value)
    if not isinstance(value, str) and 0 < number <= 1:
        return number * 100
    return number


_DATE_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")


def parse_date(value: Any) -> dt.date:
    """A date from a datetime, a Sheets serial number (days from 1899-12-30) or text.

    Text is read as dd/mm/yyyy (also with '-' or '.'), the Vietnamese order, or as ISO
    yyyy-mm-dd. Month-first text is never guessed.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if not 1 <= value < 2958466:  # 9999-12-31 is serial 2958465 (also refuses NaN)
            raise UnreadableValue("not_a_date", value=value)
        return SHEETS_EPOCH + dt.timedelta(days=int(value))
    if isinstance(value, str):
        if error_value(value):
            raise UnreadableValue("formula_error", value=value)
        text = strip_invisible(value).strip()
        match = _DATE_DMY.match(text)
        try:
            if match:
                day, month, year = (int(g) for g in match.groups())
                return dt.date(year, month, day)
            match = _DATE_ISO.match(text)
            if match:
                year, month, day = (int(g) for g in match.groups())
                return dt.date(year, month, day)
        except ValueError as exc:
            raise UnreadableValue("not_a_date", value=value) from exc
    raise UnreadableValue("not_a_date", value=value)


@lru_cache(maxsize=1024)
def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def cell_ref(tab: str, row_index: int, col_index: int) -> str:
    """The A1 reference of a zero-based cell, tab title quoted: 'Báo cáo'!D7."""
    quoted = tab.replace("'", "''")
    return f"'{quoted}'!{column_letter(col_index)}{row_index + 1}"


SHOWN_CHARACTERS = 60


def display_value(value: Any) -> str:
    """A raw cell value as the clerk sees it in the spreadsheet: TRUE, 16/06/2023, 3.480, a long
    text cut to its first 60 characters."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return vn_date(value) + (value.strftime(" %H:%M") if value.time() != dt.time() else "")
    if isinstance(value, dt.date):
        return vn_date(value)
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, (int, float, Decimal)):
        return format_number(value)
    text = clean_text(value)
    return text if len(text) <= SHOWN_CHARACTERS else text[: SHOWN_CHARACTERS - 1] + "…"


def format_number(value: Any) -> str:
    """A number written the vi-VN way (1.500; 2,5); anything else as it reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return display_value(value)
    try:
        number = parse_number(value)
    except UnreadableValue:
        # NaN and infinities as Python names them: no spreadsheet cell holds one.
        return str(value) if isinstance(value, (float, Decimal)) else display_value(value)
    if number == number.to_integral_value():
        return f"{int(number):,}".replace(",", ".")
    text = f"{number:,f}".rstrip("0")
    return text.replace(",", " ").replace(".", ",").replace(" ", ".")
