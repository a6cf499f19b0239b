"""Where the service's log lines go: a rotating file (INFO and above, always) and a short stderr.

``configure_logging`` is the one place handlers are set up; every line passes through a formatter
that blanks the SMTP password, so no message or traceback can write it out.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from consolidation.figures import read_failures
from errors import ConfigError
from rules.model import Judgement
from settings.schema import Config

LOG_BYTES = 1_000_000
LOG_BACKUPS = 5
FILE_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"
# A record logged with extra={FILE_ONLY: True} goes to the file only (the console already shows it).
FILE_ONLY = "file_only"

log = logging.getLogger(__name__)
_installed: list[logging.Handler] = []


class _RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self.secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text


class _Stderr(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (click's test runner swaps it per command)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


class _LogFile(logging.handlers.RotatingFileHandler):
    """Opened at the first line, so a command that logs nothing (``--help``) creates nothing."""

    def _open(self):  # type: ignore[override]
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()


def _writable(path: Path) -> bool:
    """Whether ``path`` can be created or appended to, without creating anything."""
    if path.exists():
        return path.is_file() and os.access(path, os.W_OK)
    parent = path.parent
    while not parent.exists():
        parent = parent.parent
    return parent.is_dir() and os.access(parent, os.W_OK | os.X_OK)


def _secrets(config: Config) -> list[str]:
    delivery = config.mail.delivery
    if delivery.transport != "smtp":
        return []
    from delivery.transport import smtp_password  # here: `check` on the outbox need not load delivery

    return [p for p in [smtp_password(delivery)] if p]


def configure_logging(config: Config, verbose: bool = False, quiet: bool = False) -> None:
    """The log file gets INFO and above; stderr WARNING (INFO with ``verbose``, ERROR with ``quiet``).

    Calling it again replaces the handlers it installed before.
    """
    reset_logging()
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    secrets = _secrets(config)
    console = _Stderr()
    console.setLevel(logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING)
    console.setFormatter(_RedactingFormatter(CONSOLE_FORMAT, secrets))
    console.addFilter(lambda record: not getattr(record, FILE_ONLY, False))
    handlers: list[logging.Handler] = [console]
    if config.log_file is not None:
        if not _writable(config.log_file):
            raise ConfigError(f"log_file: cannot write the log file {config.log_file}")
        file = _LogFile(config.log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8", delay=True)
        file.setLevel(logging.INFO)
        file.setFormatter(_RedactingFormatter(FILE_FORMAT, secrets))
        handlers.append(file)
    for handler in handlers:
        root.addHandler(handler)
    _installed.extend(handlers)


def progress_on_terminal() -> bool:
    """Whether a progress bar may be drawn: stderr is a terminal and not silenced by ``-q``."""
    consoles = [h for h in _installed if isinstance(h, _Stderr)]
    return bool(consoles) and consoles[0].level < logging.ERROR and sys.stderr.isatty()


def reset_logging() -> None:
    """Remove and close the handlers configure_logging installed."""
    root = logging.getLogger()
    while _installed:
        handler = _installed.pop()
        root.removeHandler(handler)
        handler.close()


def log_unit_problems(config: Config, judgement: Judgement) -> None:
    """One line per unit-level finding. A sheet the service itself could not read is a warning
    (the operator's to fix); one the unit must fix is told to the unit, so it only goes to the file."""
    names = {u.id: u.name for u in config.units}
    service_faults = {u for ids in read_failures(judgement).service_faults.values() for u in ids}
    for finding in judgement.unit_findings:
        unit = f"unit {finding.unit_id} ({names.get(finding.unit_id, '?')})"
        if finding.unit_id in service_faults:
            log.warning("%s: sheet not read: %s", unit, finding.code)
        elif finding.unit_id in judgement.unreadable_since:
            log.info("%s: sheet not read (the unit is told): %s", unit, finding.code)
        else:
            log.info("%s: %s%s", unit, finding.code, f" in tab {finding.tab!r}" if finding.tab else "")
