"""Transports: the outbox folder (.eml files and an index) and SMTP through yagmail.

Both take the bytes built once by delivery.message. A transport is a context manager for one
batch: SMTP opens a single connection on the first message and closes it at the end; the outbox
opens its index once. What a server answers is sorted here: for good (5xx) or for now (4xx, and
no connection at all), for one recipient (RCPT) or the whole message (MAIL FROM, DATA).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import logging
import os
import smtplib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TextIO

from delivery.message import Outgoing
from settings.schema import Config, Smtp
from store.ledger import LOGIN, TEMPORARY, UNAVAILABLE

if TYPE_CHECKING:
    import yagmail

log = logging.getLogger(__name__)

INDEX_COLUMNS = ["written_at", "key", "kind", "unit", "from", "to", "cc", "subject", "message_id", "file"]


LOGIN_REFUSED_FIX = (
    "Check mail.delivery.user and the password: Gmail takes only an App Password, which needs"
    " 2-step verification on the account."
)
CONNECT_FIX = "Check host, port and security (465: ssl, 587: starttls) and that the network allows it."


class TransportUnavailable(Exception):
    """Nothing more can go in this batch (server down or asking to wait, login refused, no
    password); ``reason`` is the ledger's word for why the emails wait (UNAVAILABLE, TEMPORARY,
    LOGIN); ``fix`` says what the operator can do about it, when the transport knows."""

    def __init__(self, message: str, fix: str = "", reason: str = UNAVAILABLE) -> None:
        super().__init__(message)
        self.fix = fix
        self.reason = reason


@dataclass
class Attempt:
    """What the server answered one message: who accepted it; who it refused for good (5xx at
    RCPT: that recipient only) or for now (4xx: ``deferred``); or an ``error`` for the whole
    message (at MAIL FROM or DATA), ``temporary`` when it was a 4xx."""

    accepted: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)
    deferred: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    temporary: bool = False

    @property
    def complete(self) -> bool:
        return not self.refused and not self.deferred and self.error is None


class Transport(Protocol):
    name: str
    verb: str  # what became of a delivered email, for the run's summary: "sent"

    def __enter__(self) -> Transport: ...

    def __exit__(self, *exc: object) -> None: ...

    def send(self, message: Outgoing, recipients: list[str]) -> Attempt:
        """Deliver ``message`` to ``recipients`` (the envelope); raise TransportUnavailable."""
        ...

    def check(self) -> str:
        """Open the way out exactly as sending does, and close it: what was reached, or
        TransportUnavailable with its fix."""
        ...


class TransportClass(Protocol):
    """A transport as delivery.registry names it: a class built from config."""

    def from_config(self, config: Config, dry_run: bool) -> Transport:
        """The transport ``config.mail.delivery`` describes; ``dry_run`` writes to an outbox folder instead."""
        ...


def eml_name(message: Outgoing) -> str:
    digest = hashlib.sha256(message.key.encode("utf-8")).hexdigest()[:12]
    return f"{message.kind}_{message.unit_id or 'office'}_{digest}.eml"


class OutboxTransport:
    """Writes each message as ``<kind>_<unit>_<hash>.eml`` and appends a row to index.csv."""

    name = "outbox"
    verb = "written to the outbox"

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self._index: TextIO | None = None

    @classmethod
    def from_config(cls, config: Config, dry_run: bool) -> OutboxTransport:
        """The folder of ``mail.delivery.folder``; a dry run writes there too."""
        return cls(config.mail.delivery.folder)

    def __enter__(self) -> OutboxTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None

    def _unwritable(self, exc: OSError) -> TransportUnavailable:
        fix = f"Make {self.folder} a folder this user can write to, or name another one in mail.delivery."
        return TransportUnavailable(f"cannot write to the outbox {self.folder}: {exc}", fix)

    def check(self) -> str:
        """Create the folder if absent, and write and delete a probe file in it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.folder, prefix=".probe-"):
                pass
        except OSError as exc:
            raise self._unwritable(exc) from exc
        return f"writable: {self.folder}"

    def _open_index(self) -> TextIO:
        """index.csv, opened on the first message of the batch and kept open until its end."""
        if self._index is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            index = self.folder / "index.csv"
            new = not index.exists()
            self._index = index.open("a", encoding="utf-8", newline="")
            if new:
                csv.writer(self._index).writerow(INDEX_COLUMNS)
        return self._index

    def send(self, message: Outgoing, recipients: list[str]) -> Attempt:
        try:
            index = self._open_index()
            path = self.folder / eml_name(message)
            path.write_bytes(message.data)
            csv.writer(index).writerow(
                [
                    dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    message.key,
                    message.kind,
                    message.unit_id or "",
                    message.sender,
                    " ".join(message.to),
                    " ".join(message.cc),
                    message.subject,
                    message.message_id,
                    path.name,
                ]
            )
            index.flush()  # each row as its .eml is written: a crash later loses neither
        except OSError as exc:
            raise self._unwritable(exc) from exc
        return Attempt(accepted=list(recipients))


def smtp_password(settings: Smtp) -> str | None:
    """The password from ``password_file``, else from the ``password_env`` variable; never prompted."""
    if settings.password_file is not None:
        try:
            return settings.password_file.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None
    if settings.password_env:
        return os.environ.get(settings.password_env) or None
    return None


class SmtpTransport:
    """One yagmail connection for the whole batch; errors never carry the password."""

    name = "smtp"
    verb = "sent"

    def __init__(self, settings: Smtp, password: str | None) -> None:
        self.settings = settings
        self._password = password
        self._client: yagmail.SMTP | None = None

    @classmethod
    def from_config(cls, config: Config, dry_run: bool) -> Transport:
        """SMTP with the password from its file or variable; a dry run writes to ``outbox_folder``."""
        settings = config.mail.delivery
        if dry_run:
            return OutboxTransport(settings.outbox_folder)
        return cls(settings, smtp_password(settings))

    def _redact(self, text: str) -> str:
        return text.replace(self._password, "***") if self._password else text

    def _connect(self) -> yagmail.SMTP:
        s = self.settings
        if s.login and not self._password:
            where = f"the file {s.password_file}" if s.password_file else f"the environment variable {s.password_env}"
            fix = f"Put the account's App Password in {where}; Gmail makes one once 2-step verification is on."
            raise TransportUnavailable(f"no SMTP password: put the App Password in {where}", fix)
        import yagmail  # only a run that connects pays for it

        client = yagmail.SMTP(
            s.user,
            self._password if s.login else None,
            host=s.host,
            port=s.port,
            smtp_ssl=s.security == "ssl",
            smtp_starttls=s.security == "starttls",
            smtp_skip_login=not s.login,
            timeout=s.timeout,
        )
        try:
            client.login()
        except (smtplib.SMTPException, OSError) as exc:
            client.close()
            message = self._redact(f"cannot log in to {s.host}:{s.port}: {_describe(exc)}")
            if isinstance(exc, smtplib.SMTPAuthenticationError) and _permanent(exc.smtp_code):
                raise TransportUnavailable(message, LOGIN_REFUSED_FIX, LOGIN) from None
            if isinstance(exc, smtplib.SMTPResponseException) and not _permanent(exc.smtp_code):
                raise TransportUnavailable(message, "", TEMPORARY) from None  # e.g. 454: too many logins
            raise TransportUnavailable(message, CONNECT_FIX, UNAVAILABLE) from None
        log.info("connected to %s:%s as %s", s.host, s.port, s.user)
        return client

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def check(self) -> str:
        """Connect and log in through the code a send uses, then log out."""
        with self:
            self._client = self._connect()
        s = self.settings
        return f"logged in as {s.user} at {s.host}:{s.port}" if s.login else f"connected to {s.host}:{s.port}"

    def send(self, message: Outgoing, recipients: list[str]) -> Attempt:
        for retry in (False, True):
            if self._client is None:
                self._client = self._connect()
            try:
                refused = self._client.smtp.sendmail(self.settings.user, recipients, message.data)
            except smtplib.SMTPRecipientsRefused as exc:  # every recipient refused, or 421 among them
                return self._per_recipient([], exc.recipients)
            except smtplib.SMTPSenderRefused as exc:
                if not _permanent(exc.smtp_code):
                    # The server takes no mail from this sender for now: the next messages would hear the same.
                    raise self._later(exc, "MAIL FROM") from None
                return Attempt(error=self._redact(_describe(exc)))
            except smtplib.SMTPResponseException as exc:  # DATA, mostly
                if exc.smtp_code == 421:
                    raise self._later(exc, "DATA") from None
                return Attempt(error=self._redact(_describe(exc)), temporary=not _permanent(exc.smtp_code))
            except smtplib.SMTPServerDisconnected as exc:
                lost: OSError = exc
            except smtplib.SMTPException as exc:  # no reply code: nothing a later try would change
                return Attempt(error=self._redact(_describe(exc)))
            except OSError as exc:  # socket errors (SMTPException is an OSError too: caught above)
                lost = exc
            else:
                return self._per_recipient([a for a in recipients if a not in refused], refused)
            # The server may drop a long batch: reconnect once, then give up on the batch.
            self._client = None
            if retry:
                raise TransportUnavailable(self._redact(f"connection lost: {_describe(lost)}"), CONNECT_FIX)
        raise AssertionError("unreachable")

    def _per_recipient(self, accepted: list[str], answers: dict[str, tuple[int, bytes]]) -> Attempt:
        """Sort the RCPT refusals: for good (5xx) or for now (4xx); a 421 closes the connection."""
        if any(code == 421 for code, _ in answers.values()):
            code, text = next(r for r in answers.values() if r[0] == 421)
            raise self._later(smtplib.SMTPResponseException(code, text), "RCPT")
        refused = {a: _reply(*r) for a, r in answers.items() if _permanent(r[0])}
        deferred = {a: _reply(*r) for a, r in answers.items() if not _permanent(r[0])}
        return Attempt(accepted, refused, deferred)

    def _later(self, exc: smtplib.SMTPResponseException, stage: str) -> TransportUnavailable:
        """The server asked to try later (4xx) for the whole session: nothing more goes this run."""
        if exc.smtp_code == 421:  # smtplib has closed the connection
            self._client = None
        message = self._redact(f"the server answered {_describe(exc)} at {stage}: it takes mail again later")
        return TransportUnavailable(message, reason=TEMPORARY)


def _permanent(code: int) -> bool:
    """5xx is final for that command (RFC 5321); 4xx, and anything odd, means try again later."""
    return 500 <= code < 600


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return _reply(exc.smtp_code, exc.smtp_error)
    return f"{type(exc).__name__}: {exc}"
