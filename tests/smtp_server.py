"""A real SMTP server for the mail tests and benchmark, and the configs that point at it.

``SmtpServer`` is aiosmtpd with AUTH, keeping every message received; it can refuse chosen
recipients (550 or any reply), answer MAIL FROM or DATA with a reply of its choosing (451, 421,
554...), be stopped and restarted on the same port, to play a server that is down, and hold
messages at DATA until released, to keep a sender mid-delivery while another process starts.
``running_server`` gives test modules an ``smtp_server`` fixture on a free port. ``mail_config``
writes a copy of the shipped config (some units only, another workbook folder, a mail section)
and ``run_cli`` runs `run`.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner, Result

from main import cli
from tests.conftest import REPO, write_config

USER = OFFICE = "bantuyengiaocslp2019@gmail.com"
PASSWORD = "app-pass-wxyz-1234"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    """One message as the server got it: envelope and the exact bytes."""

    mail_from: str
    rcpt_tos: list[str]
    content: bytes
    session: int

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.content, policy=email.policy.default)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        """A text part decoded, with the wire's CRLF line ends read as a mail client shows them."""
        part = next(p for p in self.message.walk() if p.get_content_type() == content_type)
        return part.get_content().replace("\r\n", "\n")

    @property
    def html(self) -> str:
        return self.part("text/html")

    @property
    def text(self) -> str:
        return self.part("text/plain")


def _open_gate() -> threading.Event:
    gate = threading.Event()
    gate.set()
    return gate


MAILBOX_UNAVAILABLE = "550 5.1.1 mailbox unavailable"


@dataclass
class Handler:
    refuse: dict[str, str] = field(default_factory=dict)  # address (lower case) → the RCPT reply
    answers: dict[str, str] = field(default_factory=dict)  # "MAIL" or "DATA" → the reply instead of 250
    messages: list[Received] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (command or address, reply), in order
    sessions: set[int] = field(default_factory=set)
    gate: threading.Event = field(default_factory=_open_gate)  # DATA is answered once it is set
    held: int = 0  # messages waiting at the gate

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802 (aiosmtpd hook)
        if "MAIL" in self.answers:
            self.refused.append(("MAIL", self.answers["MAIL"]))
            return self.answers["MAIL"]
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd hook)
        if address.lower() in self.refuse:
            self.refused.append((address, self.refuse[address.lower()]))
            return self.refuse[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        if "DATA" in self.answers:
            self.refused.append(("DATA", self.answers["DATA"]))
            return self.answers["DATA"]
        self.held += 1
        while not self.gate.is_set():  # other sessions go on meanwhile: the loop is not blocked
            await asyncio.sleep(0.01)
        self.held -= 1
        self.sessions.add(id(session))
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, id(session)))
        return "250 OK"


class _PlainAuthController(Controller):
    """AUTH without TLS is what a local test server needs; silence aiosmtpd's warning about it."""

    def factory(self):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
            return super().factory()


class SmtpServer:
    """aiosmtpd on 127.0.0.1 that requires AUTH (LOGIN/PLAIN, no TLS) as USER / PASSWORD."""

    def __init__(self, port: int | None = None, user: str = USER, password: str = PASSWORD) -> None:
        self.port = port or free_port()
        self.user, self.password = user, password
        self.handler = Handler()
        self.auth_failures = 0
        self._controller: Controller | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data == (self.user.encode(), self.password.encode())
        self.auth_failures += not ok
        return AuthResult(success=ok, handled=False)

    def start(self) -> SmtpServer:
        self._controller = _PlainAuthController(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            authenticator=self._authenticate,
            auth_required=True,
            auth_require_tls=False,
        )
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def connections(self) -> int:
        return len(self.handler.sessions)

    def refuse(self, *addresses: str, reply: str = MAILBOX_UNAVAILABLE) -> None:
        """Answer RCPT TO for ``addresses`` with ``reply`` (550 by default); none: accept everyone."""
        self.handler.refuse = dict.fromkeys((a.lower() for a in addresses), reply)

    def answer(self, command: str, reply: str | None) -> None:
        """Answer every MAIL FROM or DATA ``command`` with ``reply`` (451, 421, 554...) until
        told None, when it takes mail again."""
        if reply is None:
            self.handler.answers.pop(command, None)
        else:
            self.handler.answers[command] = reply

    @property
    def refused(self) -> list[tuple[str, str]]:
        """Every refusal the server answered, in order: (MAIL, DATA or the address, reply)."""
        return self.handler.refused

    def hold(self) -> None:
        """Keep every message at DATA, unanswered, until ``release``: its sender waits mid-send."""
        self.handler.gate.clear()

    def release(self) -> None:
        self.handler.gate.set()

    @property
    def held(self) -> int:
        """How many messages are waiting at DATA now."""
        return self.handler.held

    def delivery(self, password_env: str = "TEST_SMTP_PASSWORD") -> dict:
        """The `mail.delivery` section of config.yaml that points at this server."""
        return {
            "transport": "smtp",
            "user": self.user,
            "host": "127.0.0.1",
            "port": self.port,
            "security": "none",
            "password_env": password_env,
            "timeout": 10,
        }


def running_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """For an ``smtp_server`` fixture: a server with AUTH, its password in $TEST_SMTP_PASSWORD."""
    monkeypatch.setenv("TEST_SMTP_PASSWORD", PASSWORD)
    server = SmtpServer().start()
    yield server
    server.stop()


def mail_config(
    tmp_path: Path,
    server: SmtpServer | None = None,
    units: list[str] | None = None,
    workbooks: Path | None = None,
    mail: dict[str, Any] | None = None,
    calendar: dict[str, Any] | None = None,
) -> Path:
    """The shipped config under tmp_path: SMTP to ``server`` (else the outbox), some units only."""
    raw = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))
    overrides: dict[str, Any] = {}
    section = {**raw["mail"], **(mail or {})}
    section["delivery"] = server.delivery() if server else {"transport": "outbox", "folder": str(tmp_path / "outbox")}
    overrides["mail"] = section
    cal = {**raw["calendar"], **(calendar or {})}
    if units is not None:
        overrides["units"] = [u for u in raw["units"] if u["id"] in units]
        cal["ad_hoc"] = [{**a, "units": [u for u in a["units"] if u in units]} for a in cal["ad_hoc"]]
    overrides["calendar"] = cal
    if workbooks is not None:
        overrides["source"] = {"kind": "local", "folder": str(workbooks)}
    return write_config(tmp_path, **overrides)


def run_cli(config_path: Path, today: str, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(config_path), "run", "--today", today, *args])
