"""Building an email's exact bytes once: what the outbox writes is what SMTP sends.

The standard library builds the MIME tree (multipart/mixed: multipart/alternative text + HTML,
then the attachments; the HTML in multipart/related with the images it shows as cid:): yagmail's
``prepare_send`` would put the HTML source in the text/plain part. Headers use the compat32
``Header`` encoder: the newer policy drops the space between two RFC 2047 words when it folds a
long Vietnamese subject ("báo cáo" arrives as "báocáo").
Header values pass through ``header_text`` so that no name or sheet cell can add a header.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass
from email import charset as email_charset
from email.header import Header
from email.message import Message
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr

from delivery.render import Rendered

_WIRE = compat32.clone(linesep="\r\n", max_line_length=78)
_UTF8_QP = email_charset.Charset("utf-8")
_UTF8_QP.body_encoding = email_charset.QP

# Every character that could end a header line or hide one (CR, LF, VT, FF, NEL, LS, PS, ...).
_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class _Subject(Header):
    """A subject folded at 76 columns: Header's folding at 78 makes the encoded words of its
    continuation lines 76 characters long, and RFC 2047 allows at most 75."""

    def encode(self, splitchars: str = ";, \t", maxlinelen: int | None = None, linesep: str = "\n") -> str:
        return super().encode(splitchars, min(maxlinelen or 76, 76), linesep)


def header_text(value: str) -> str:
    """One line of text for a header: line breaks and control characters become spaces."""
    return " ".join(_BREAKS.sub(" ", value).split())


def message_id(key: str, sender: str) -> str:
    """A Message-ID derived from the ledger key alone: a resend after a crash repeats it."""
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
    return f"<{digest}.soctrang-reports@{sender.rpartition('@')[2]}>"


@dataclass(frozen=True)
class Outgoing:
    """A built message: envelope and bytes, plus what the outbox index shows."""

    key: str
    kind: str
    unit_id: str | None
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    message_id: str
    data: bytes

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.to + self.cc


def _html_part(rendered: Rendered) -> Message:
    """The HTML, and beside it in multipart/related each image it shows as cid:."""
    html = MIMEText(rendered.html, "html", _UTF8_QP)
    if not rendered.inline:
        return html
    related = MIMEMultipart("related")
    related.attach(html)
    for image in rendered.inline:
        part = MIMEImage(image.data, image.mime_type.partition("/")[2])
        part.add_header("Content-ID", f"<{image.cid}>")
        part.add_header("Content-Disposition", "inline", filename=image.filename)
        related.attach(part)
    return related


def build_message(
    key: str,
    kind: str,
    unit_id: str | None,
    rendered: Rendered,
    sender: str,
    sender_name: str,
    to: list[str],
    cc: list[str],
    reply_to: str | None = None,
    now: dt.datetime | None = None,
) -> Outgoing:
    """The RFC 5322 bytes (CRLF line ends, non-ASCII headers RFC 2047-encoded)."""
    subject = header_text(rendered.subject)
    ident = message_id(key, sender)
    body = MIMEMultipart("alternative")
    body.attach(MIMEText(rendered.text, "plain", _UTF8_QP))
    body.attach(_html_part(rendered))
    msg = body
    if rendered.attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for attachment in rendered.attachments:
            maintype, _, subtype = attachment.mime_type.partition("/")
            part = MIMEApplication(attachment.data, subtype)
            part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
            msg.attach(part)
    msg["Subject"] = _Subject(subject, "utf-8", header_name="Subject")
    # One encoded word for the name: some parsers (Python's own) put a space between two ("H ội").
    msg["From"] = formataddr((header_text(sender_name), sender), charset="utf-8")
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    if reply_to and reply_to.lower() != sender.lower():
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = ident
    msg["Auto-Submitted"] = "auto-generated"
    return Outgoing(key, kind, unit_id, sender, tuple(to), tuple(cc), subject, ident, msg.as_bytes(policy=_WIRE))
