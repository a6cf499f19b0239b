"""The Vietnamese texts of emails, workbooks and the Báo cáo kept in templates/ (mail.yaml,
report.yaml, *.html, *.txt).

Staff edit them without touching code; this module only loads and fills them in.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from vntext import format_number, vn_date

if TYPE_CHECKING:
    from jinja2 import Environment, Template

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAIL_TEXTS = TEMPLATES / "mail.yaml"
REPORT_TEXTS = TEMPLATES / "report.yaml"


def vn_number(value: Any) -> str:
    """1.500 and 2,5; empty for None."""
    return format_number(value)


@lru_cache(maxsize=1)
def environment() -> Environment:
    """Jinja2 over templates/: HTML autoescaped, text not; a missing variable is an error.

    Imported here, not with the module: a run that renders nothing never loads it."""
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["vn_date"] = vn_date
    env.filters["vn_number"] = vn_number
    return env


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, Any]:
    return yaml.load(MAIL_TEXTS.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


@lru_cache(maxsize=256)
def _text_template(*path: str) -> Template:
    return environment().from_string(str(catalogue_value(*path)))


def mail_text(*path: str, **variables: Any) -> str:
    """The text at ``path`` in mail.yaml, its {{ variables }} filled in (never HTML-escaped)."""
    return _text_template(*path).render(**variables)


@lru_cache(maxsize=64)
def _text_variants(*path: str) -> tuple[Template, ...]:
    value = catalogue_value(*path)
    return tuple(environment().from_string(str(v)) for v in (value if isinstance(value, list) else [value]))


def mail_variants(*path: str, **variables: Any) -> list[str]:
    """Every variant of the text at ``path`` (a list in mail.yaml, or a single text), filled in."""
    return [template.render(**variables) for template in _text_variants(*path)]


def catalogue_value(*path: str) -> Any:
    """The raw value at ``path`` in mail.yaml (a list or mapping of texts, say)."""
    value: Any = _catalogue()
    for part in path:
        value = value[part]
    return value


def catalogue_keys(section: str) -> frozenset[str]:
    """The keys of one section of mail.yaml (which codes have a text of their own)."""
    return frozenset(_catalogue().get(section, {}))


@lru_cache(maxsize=1)
def _report_catalogue() -> dict[str, Any]:
    return yaml.load(REPORT_TEXTS.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)


def report_value(*path: str) -> Any:
    """The raw value at ``path`` in report.yaml (None when absent)."""
    value: Any = _report_catalogue()
    for part in path:
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


@lru_cache(maxsize=128)
def _report_template(*path: str) -> Template:
    return environment().from_string(str(report_value(*path)))


def report_text(*path: str, **variables: Any) -> str:
    """The text at ``path`` in report.yaml, its {{ variables }} filled in."""
    return _report_template(*path).render(**variables)


def report_lines(*path: str, **variables: Any) -> list[str]:
    """Every text of the list at ``path`` in report.yaml (or the one text there), filled in."""
    value = report_value(*path)
    texts = value if isinstance(value, list) else [value]
    return [environment().from_string(str(t)).render(**variables) for t in texts]


def topic_title(topics: dict[int, str], year: int) -> str:
    """The year's topic as emails name it: "Chuyên đề năm 2023 «…»"."""
    return mail_text("topic_title", year=year, topic=topics.get(year, ""))


def render(template: str, **variables: Any) -> str:
    """A template file of templates/ filled in."""
    return environment().get_template(template).render(**variables)
